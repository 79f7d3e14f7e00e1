/**
 * Where a POSIX sh script stops running, read statically: enough shell syntax to tell whether a
 * line is reached (quotes, comments, `$(...)`, backticks, here-documents, compound commands,
 * function bodies, `&&`/`||`/`|`/`&` lists). Pure; used to judge and place the cce-harden block.
 *
 * An early end that is detected: an unconditional `exit`, `exec <command>` or `return` (which
 * ends a sourced script; bash merely complains about it elsewhere, dash ends the script: treated
 * as an end either way) at the top level or inside a top-level `{ ...; }` group.
 *
 * Not detected (documented in docs/iptables.md): ends that depend on run time (`set -e` and a
 * command that fails, `exit` inside `if`/`case`/loops or behind `&&`/`||`, `kill $$`, a called
 * function that exits, `exec` in an `eval`), and syntax errors. `exec` with only redirections
 * (`exec >log 2>&1`) does not end a script and is not counted.
 */

export interface EarlyEnd {
  /** Character offset of the command word. */
  offset: number;
  /** 1-based line number. */
  line: number;
  /** The command as written, e.g. `exit 0`. */
  text: string;
}

export type LineContext = 'top' | 'compound' | 'heredoc' | 'function';

export interface ShellReach {
  /** Unconditional top-level ends, in order. */
  ends: EarlyEnd[];
  /**
   * Where a comment line starting at `offset` sits: `top` (runs in order), `compound` (inside
   * if/case/loop/subshell, or text the reader could not place), `function` (only runs when
   * called), `heredoc` (data, not code).
   */
  contextAt(offset: number): LineContext;
}

type Tok =
  | { t: 'word'; text: string; start: number }
  | { t: 'op'; text: string; start: number }
  | { t: 'nl'; start: number }
  | { t: 'comment'; start: number };

const OPS = [
  '&&',
  '||',
  ';;',
  '<<-',
  '<<',
  '>>',
  '>&',
  '<&',
  '<>',
  '>|',
  '|',
  '&',
  ';',
  '(',
  ')',
  '<',
  '>',
];
const REDIRECTS = new Set(['<<-', '<<', '>>', '>&', '<&', '<>', '>|', '<', '>']);

interface HeredocSpan {
  start: number;
  end: number;
}

/** Tokens and the spans of here-document bodies. */
function tokenize(src: string): { toks: Tok[]; heredocs: HeredocSpan[] } {
  const toks: Tok[] = [];
  const heredocs: HeredocSpan[] = [];
  const pending: { delim: string; strip: boolean }[] = [];
  let i = 0;
  const n = src.length;

  // Skips a nested $( ... ) / ${ ... } / `...` starting after its opener; returns the index after.
  const skipNested = (j: number, close: string, open: string): number => {
    let depth = 1;
    while (j < n && depth > 0) {
      const c = src[j];
      if (c === '\\') j += 2;
      else if (c === "'") j = src.indexOf("'", j + 1) < 0 ? n : src.indexOf("'", j + 1) + 1;
      else if (c === '"') j = skipDouble(j + 1);
      else {
        if (c === open) depth++;
        else if (c === close) depth--;
        j++;
      }
    }
    return j;
  };
  const skipDouble = (j: number): number => {
    while (j < n && src[j] !== '"') {
      if (src[j] === '\\') j += 2;
      else if (src.startsWith('$(', j)) j = skipNested(j + 2, ')', '(');
      else if (src[j] === '`') j = skipBacktick(j + 1);
      else j++;
    }
    return j + 1;
  };
  const skipBacktick = (j: number): number => {
    while (j < n && src[j] !== '`') j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  };

  while (i < n) {
    const c = src[i] as string;
    if (c === '\n') {
      toks.push({ t: 'nl', start: i });
      i++;
      // Here-document bodies start after the line that announced them.
      while (pending.length > 0) {
        const { delim, strip } = pending.shift() as { delim: string; strip: boolean };
        const bodyStart = i;
        for (;;) {
          if (i >= n) break;
          const nl = src.indexOf('\n', i);
          const lineEnd = nl < 0 ? n : nl;
          let line = src.slice(i, lineEnd).replace(/\r$/, '');
          if (strip) line = line.replace(/^\t+/, '');
          i = nl < 0 ? n : nl + 1;
          if (line === delim) break;
        }
        heredocs.push({ start: bodyStart, end: i });
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      toks.push({ t: 'comment', start: i });
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      toks.push({ t: 'op', text: op, start: i });
      i += op.length;
      if (op === '<<' || op === '<<-') {
        // The delimiter word: quotes removed.
        while (src[i] === ' ' || src[i] === '\t') i++;
        const m = /^[^\s;&|()<>]+/.exec(src.slice(i));
        if (m) {
          pending.push({ delim: m[0].replace(/['"\\]/g, ''), strip: op === '<<-' });
          toks.push({ t: 'word', text: m[0], start: i });
          i += m[0].length;
        }
      }
      continue;
    }
    // A word.
    const start = i;
    while (i < n) {
      const d = src[i] as string;
      if (d === ' ' || d === '\t' || d === '\n' || d === '\r') break;
      if (OPS.some((o) => src.startsWith(o, i)) && !(d === '(' && src[i - 1] === '$')) break;
      if (d === '\\') i += 2;
      else if (d === "'") {
        const e = src.indexOf("'", i + 1);
        i = e < 0 ? n : e + 1;
      } else if (d === '"') i = skipDouble(i + 1);
      else if (d === '`') i = skipBacktick(i + 1);
      else if (src.startsWith('$(', i)) i = skipNested(i + 2, ')', '(');
      else if (src.startsWith('${', i)) i = skipNested(i + 2, '}', '{');
      else i++;
    }
    toks.push({ t: 'word', text: src.slice(start, i), start });
  }
  return { toks, heredocs };
}

type Frame = { kind: 'brace' | 'paren' | 'if' | 'case' | 'loop' | 'func'; pending: EarlyEnd[] };

const lineOf = (src: string, offset: number): number => src.slice(0, offset).split('\n').length;

/** Reads the script; see the module comment for what counts as an early end. */
export function shellReach(src: string): ShellReach {
  const { toks, heredocs } = tokenize(src);
  const ends: EarlyEnd[] = [];
  const contexts = new Map<number, LineContext>();
  const stack: Frame[] = [];
  let funcNext = false;
  let k = 0;

  const context = (): LineContext => {
    if (stack.some((f) => f.kind === 'func')) return 'function';
    return stack.every((f) => f.kind === 'brace') ? 'top' : 'compound';
  };
  const sep = (tok: Tok | undefined): string =>
    tok === undefined ? ';' : tok.t === 'nl' ? ';' : tok.t === 'op' ? tok.text : '';
  const record = (e: EarlyEnd) => {
    const top = stack[stack.length - 1];
    if (top) top.pending.push(e);
    else ends.push(e);
  };

  let prevSep = ';';
  while (k < toks.length) {
    const tok = toks[k] as Tok;
    if (tok.t === 'comment') {
      if (!contexts.has(tok.start)) contexts.set(tok.start, context());
      k++;
      continue;
    }
    if (
      tok.t === 'nl' ||
      (tok.t === 'op' && !REDIRECTS.has(tok.text) && tok.text !== '(' && tok.text !== ')')
    ) {
      prevSep = tok.t === 'nl' ? ';' : tok.text;
      k++;
      continue;
    }
    if (tok.t === 'op' && tok.text === '(') {
      const next = toks[k + 1];
      if (funcNext && next?.t === 'op' && next.text === ')') {
        k += 2; // `function name() {`
        continue;
      }
      stack.push({ kind: funcNext ? 'func' : 'paren', pending: [] });
      funcNext = false;
      prevSep = ';';
      k++;
      continue;
    }
    if (tok.t === 'op' && tok.text === ')') {
      closeFrame(k + 1);
      k++;
      continue;
    }
    // A command: words up to the next separator.
    const words: Tok[] = [];
    let j = k;
    while (j < toks.length) {
      const w = toks[j] as Tok;
      if (w.t === 'nl' || w.t === 'comment') break;
      if (w.t === 'op' && !REDIRECTS.has(w.text)) break;
      words.push(w);
      j++;
    }
    const first = words[0];
    const name = first?.t === 'word' ? first.text : '';
    // Function definition `name()` / `function name`.
    if (
      first?.t === 'word' &&
      toks[j]?.t === 'op' &&
      (toks[j] as { text: string }).text === '(' &&
      toks[j + 1]?.t === 'op' &&
      (toks[j + 1] as { text: string }).text === ')' &&
      words.length === 1
    ) {
      funcNext = true;
      k = j + 2;
      prevSep = ';';
      continue;
    }
    if (name === 'function') {
      funcNext = true;
      k += 2;
      prevSep = ';';
      continue;
    }
    if (name === '{') {
      stack.push({
        kind: funcNext
          ? 'func'
          : prevSep === '&&' || prevSep === '||' || prevSep === '|'
            ? 'paren'
            : 'brace',
        pending: [],
      });
      funcNext = false;
      k++;
      prevSep = ';';
      continue;
    }
    if (name === '}') {
      k++;
      closeFrame(k);
      continue;
    }
    if (name === 'if') {
      stack.push({ kind: 'if', pending: [] });
      k++;
      prevSep = ';';
    } else if (name === 'case') {
      stack.push({ kind: 'case', pending: [] });
      // Skip to the matching esac: everything inside is conditional.
      let depth = 1;
      k++;
      while (k < toks.length && depth > 0) {
        const w = toks[k] as Tok;
        if (w.t === 'word' && w.text === 'case') depth++;
        if (w.t === 'word' && w.text === 'esac') depth--;
        if (w.t === 'comment' && !contexts.has(w.start)) contexts.set(w.start, 'compound');
        k++;
      }
      closeFrame(k);
    } else if (['while', 'until', 'for', 'select'].includes(name)) {
      stack.push({ kind: 'loop', pending: [] });
      k = j;
    } else if (name === 'fi' || name === 'done') {
      k++;
      closeFrame(k);
    } else if (['then', 'else', 'elif', 'do', '!'].includes(name)) {
      k++;
      prevSep = ';';
    } else {
      const after = sep(toks[j]);
      const plain = (s: string) => s === ';' || s === ';;' || s === '';
      if (
        plain(prevSep) &&
        plain(after) &&
        (name === 'exit' || name === 'return' || (name === 'exec' && execRuns(words)))
      ) {
        if (stack.every((f) => f.kind === 'brace')) {
          record({
            offset: first?.start ?? 0,
            line: lineOf(src, first?.start ?? 0),
            text: src
              .slice(
                first?.start ?? 0,
                src.indexOf('\n', first?.start ?? 0) < 0
                  ? undefined
                  : src.indexOf('\n', first?.start ?? 0),
              )
              .trim(),
          });
        }
      }
      k = j;
      prevSep = ';';
    }
  }
  // Unclosed groups: what they hold is not trusted either way.
  return {
    ends,
    contextAt: (offset) =>
      heredocs.some((h) => offset >= h.start && offset < h.end)
        ? 'heredoc'
        : (contexts.get(offset) ?? 'compound'),
  };

  function closeFrame(next: number): void {
    const frame = stack.pop();
    if (!frame) return;
    const after = sep(toks[next]);
    const plain = after === ';' || after === ';;' || after === '';
    if (frame.kind === 'brace' && plain) for (const e of frame.pending) record(e);
    prevSep = ';';
  }
}

/** `exec` followed by a command (not only redirections). */
function execRuns(words: readonly Tok[]): boolean {
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as Tok;
    if (w.t === 'op') {
      i++; // the redirection target
      continue;
    }
    if (w.t !== 'word') continue;
    const next = words[i + 1];
    if (/^\d+$/.test(w.text) && next?.t === 'op' && next.start === w.start + w.text.length)
      continue;
    return true;
  }
  return false;
}
