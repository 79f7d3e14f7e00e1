/**
 * A strict parser for the Prometheus text exposition format (0.0.4), for tests: it throws on
 * anything a scraper or node_exporter's textfile collector would reject or misread, and is
 * stricter than them where the format is loose (no unknown escapes, no samples without TYPE).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string | undefined;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class PromParseError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

function parseFloatStrict(s: string, line: number): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!FLOAT.test(s)) throw new PromParseError(line, `bad value ${JSON.stringify(s)}`);
  return Number(s);
}

function unescapeHelp(s: string, line: number): string {
  return s.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new PromParseError(line, `bad escape \\${c} in HELP`);
  });
}

/** Parses `{a="b",c="d"}` starting at `s[i] === '{'`; returns the labels and the index after `}`. */
function parseLabels(s: string, start: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = start + 1;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new PromParseError(line, 'label without =');
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new PromParseError(line, `bad label name ${name}`);
    if (name.startsWith('__')) throw new PromParseError(line, `reserved label name ${name}`);
    if (name in labels) throw new PromParseError(line, `duplicate label ${name}`);
    i = eq + 1;
    if (s[i] !== '"') throw new PromParseError(line, `label ${name}: value must be quoted`);
    i++;
    let value = '';
    for (;;) {
      const ch = s[i];
      if (ch === undefined) throw new PromParseError(line, `label ${name}: unterminated value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = s[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new PromParseError(line, `label ${name}: bad escape \\${next ?? ''}`);
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    labels[name] = value;
    i++; // closing quote
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new PromParseError(line, `expected , or } after label ${name}`);
  }
}

export function parsePrometheus(text: string): Map<string, MetricFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new PromParseError(0, 'must end with a newline');
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const typed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  lines.pop();

  const family = (name: string, line: number): MetricFamily => {
    if (!METRIC_NAME.test(name)) throw new PromParseError(line, `bad metric name ${name}`);
    if (closed.has(name)) throw new PromParseError(line, `lines of ${name} are not one group`);
    if (current !== undefined && current !== name) closed.add(current);
    current = name;
    let f = families.get(name);
    if (!f) {
      f = { name, help: undefined, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '') return;
    if (raw.includes('\r')) throw new PromParseError(line, 'carriage return');
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // an ordinary comment
      const [, kind, name = '', rest = ''] = m;
      const f = family(name, line);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new PromParseError(line, `second HELP for ${name}`);
        f.help = unescapeHelp(rest, line);
      } else {
        if (!TYPES.has(rest)) throw new PromParseError(line, `bad TYPE ${rest}`);
        if (f.samples.length > 0) throw new PromParseError(line, `TYPE after samples of ${name}`);
        if (typed.has(name)) throw new PromParseError(line, `second TYPE for ${name}`);
        typed.add(name);
        f.type = rest as MetricFamily['type'];
      }
      return;
    }
    const nameMatch = /^[^{ ]+/.exec(raw);
    const name = nameMatch?.[0] ?? '';
    const f = family(name, line);
    if (!typed.has(name)) throw new PromParseError(line, `${name} has no TYPE`);
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === '{') [labels, i] = parseLabels(raw, i, line);
    if (raw[i] !== ' ') throw new PromParseError(line, 'expected a space before the value');
    const fields = raw.slice(i + 1).split(' ');
    if (fields.length < 1 || fields.length > 2 || fields.some((x) => x === '')) {
      throw new PromParseError(line, 'expected "value [timestamp]"');
    }
    const value = parseFloatStrict(fields[0] ?? '', line);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) {
      throw new PromParseError(line, 'bad timestamp');
    }
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) throw new PromParseError(line, `duplicate series ${key}`);
    series.add(key);
    f.samples.push({ name, labels: { ...labels }, value });
  });
  return families;
}
