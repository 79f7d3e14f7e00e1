/**
 * The cce-harden block inside a node pool's post-installation script
 * (`spec.nodeTemplate.extendParam["alpha.cce/postInstall"]`, Base64 of the script text;
 * docs/cloud-api.md, "CCE: node pools").
 *
 * The block sits between two marker lines. Inserting keeps every other byte of the script,
 * replaces an older block in place, and is idempotent. A script with broken markers (a start
 * without an end, two blocks) is never rewritten: that is reported instead, because guessing
 * where the block ends could delete the user's own lines.
 */
import { parseIpv4, parseIpv4Cidr, parsePort } from './iptables.js';
import type { IptablesChain } from './iptables.js';
import { shellReach } from './shell-reach.js';

export const BLOCK_BEGIN = '# >>> cce-harden iptables (managed; do not edit) >>>';
export const BLOCK_END = '# <<< cce-harden iptables <<<';
export const POST_INSTALL_KEY = 'alpha.cce/postInstall';
export const PRE_INSTALL_KEY = 'alpha.cce/preInstall';
/** The rc.local block's markers (written on the node by the rc-local format). */
export const RC_LOCAL_BEGIN = '# >>> cce-harden rc.local (managed; do not edit) >>>';
export const RC_LOCAL_END = '# <<< cce-harden rc.local <<<';

/** A managed block's marker lines; the post-install markers by default. */
export interface Markers {
  begin: string;
  end: string;
}
const POST_INSTALL_MARKERS: Markers = { begin: BLOCK_BEGIN, end: BLOCK_END };

// ---------------------------------------------------------------------------------------------
// Base64 of UTF-8 text, with the globals Node 20 shares with browsers (no node:buffer in core).

/** Base64 of the UTF-8 bytes of `text`. */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * The text behind a Base64 value. Throws when it is not Base64 or not UTF-8: such a script
 * could not be rewritten byte for byte, so callers must not touch it.
 */
export function decodeBase64(b64: string): string {
  let binary: string;
  try {
    binary = atob(b64.replace(/\s+/g, ''));
  } catch {
    throw new Error('not valid Base64');
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error('not UTF-8 text');
  }
}

// ---------------------------------------------------------------------------------------------
// Locating, inserting and removing the block.

export type BlockLocation =
  | { kind: 'none' }
  /** `start`/`end`: character offsets of the block, end after the end marker's line break. */
  | { kind: 'found'; start: number; end: number; text: string }
  | { kind: 'malformed'; problem: string };

interface Line {
  start: number;
  /** Offset after the line break (or the end of the text). */
  end: number;
  /** Content without the line break and a trailing CR. */
  content: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    const raw = text.slice(start, nl < 0 ? text.length : nl);
    lines.push({ start, end, content: raw.endsWith('\r') ? raw.slice(0, -1) : raw });
    start = end;
  }
  return lines;
}

const isMarker = (line: Line, marker: string): boolean => line.content.trimEnd() === marker;

/** Finds the one cce-harden block in a script. */
export function findBlock(script: string, markers: Markers = POST_INSTALL_MARKERS): BlockLocation {
  const lines = splitLines(script);
  const begins = lines.filter((l) => isMarker(l, markers.begin));
  const ends = lines.filter((l) => isMarker(l, markers.end));
  if (begins.length === 0 && ends.length === 0) return { kind: 'none' };
  const [begin] = begins;
  const [end] = ends;
  if (begins.length !== 1 || ends.length !== 1 || !begin || !end || end.start < begin.start) {
    return {
      kind: 'malformed',
      problem:
        `the script has ${begins.length} start and ${ends.length} end marker(s) of the ` +
        'cce-harden block (expected one of each, start first); fix it by hand',
    };
  }
  return {
    kind: 'found',
    start: begin.start,
    end: end.end,
    text: script.slice(begin.start, end.end),
  };
}

/** The block's text (markers included), null when absent. Throws on broken markers. */
export function extractBlock(script: string): string | null {
  const loc = findBlock(script);
  if (loc.kind === 'malformed') throw new Error(loc.problem);
  return loc.kind === 'found' ? loc.text : null;
}

function assertBlock(block: string, markers: Markers): string {
  const lines = splitLines(block);
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (!first || !last || !isMarker(first, markers.begin) || !isMarker(last, markers.end)) {
    throw new Error('a cce-harden block must start and end with its marker lines');
  }
  return block.endsWith('\n') ? block : `${block}\n`;
}

/** CRLF and lone CR line breaks as LF: how managed blocks are compared. */
export const normalizeEol = (text: string): string => text.replace(/\r\n?/g, '\n');

/**
 * Why the block found at `start` would not run, or null when it runs: an unconditional
 * `exit`/`exec`/`return` before it at the top level, or a block that is not itself at the top
 * level (inside a here-document, if/case/loop, subshell or function). See core/shell-reach.ts
 * for what is detected and what is not.
 */
export function unreachableProblem(script: string, start: number): string | null {
  const reach = shellReach(script);
  const end = reach.ends.find((e) => e.offset < start);
  if (end) {
    return `line ${end.line} ends the script before the cce-harden block (${JSON.stringify(end.text.slice(0, 60))}), so the block never runs`;
  }
  const where = reach.contextAt(start);
  if (where === 'heredoc')
    return 'the cce-harden block is inside a here-document, so it never runs';
  if (where === 'function') {
    return 'the cce-harden block is inside a function, so it runs only if that is called';
  }
  if (where === 'compound') {
    return 'the cce-harden block is inside a compound command (if, case, a loop or a subshell), so it may not run';
  }
  return null;
}

/**
 * Where a new block goes so that it runs: before the line of the first unconditional top-level
 * `exit`/`exec`/`return` (code after it never runs; a trailing `exit 0` followed by comments
 * counts too), else at the end.
 */
function insertionOffset(script: string): number | null {
  const first = shellReach(script).ends[0];
  if (!first) return null;
  return script.lastIndexOf('\n', first.offset - 1) + 1;
}

/**
 * Puts `block` (the rendered block, markers included) into `script`:
 * - an existing block that runs is replaced in place;
 * - otherwise (none, or one that cannot run) it goes before the first unconditional top-level
 *   `exit`/`exec`/`return`, or at the end; a missing final newline is added first.
 * Every other byte is kept. Throws on broken markers (see findBlock).
 */
export function upsertBlock(
  script: string,
  block: string,
  markers: Markers = POST_INSTALL_MARKERS,
): string {
  const b = assertBlock(block, markers);
  const loc = findBlock(script, markers);
  if (loc.kind === 'malformed') throw new Error(loc.problem);
  if (loc.kind === 'found') {
    const replaced = script.slice(0, loc.start) + b + script.slice(loc.end);
    if (unreachableProblem(replaced, loc.start) === null) return replaced;
    script = script.slice(0, loc.start) + script.slice(loc.end);
  }
  if (script === '') return b;
  const at = insertionOffset(script);
  if (at !== null) return script.slice(0, at) + b + script.slice(at);
  return (script.endsWith('\n') ? script : `${script}\n`) + b;
}

export interface BlockProblem {
  code: 'block-missing' | 'block-markers-broken' | 'block-edited' | 'block-unreachable';
  message: string;
}

/**
 * A managed block is compliant only if it is there, unchanged and runs: the text between (and
 * including) the markers must equal `expectedBlock` byte for byte after line endings are
 * normalised, and nothing may end the script before it. Returns the problems (empty: compliant).
 */
export function judgeManagedBlock(
  script: string,
  expectedBlock: string,
  markers: Markers = POST_INSTALL_MARKERS,
): BlockProblem[] {
  const text = normalizeEol(script);
  const loc = findBlock(text, markers);
  if (loc.kind === 'none')
    return [{ code: 'block-missing', message: 'there is no cce-harden block' }];
  if (loc.kind === 'malformed') return [{ code: 'block-markers-broken', message: loc.problem }];
  const problems: BlockProblem[] = [];
  const want = normalizeEol(expectedBlock.endsWith('\n') ? expectedBlock : `${expectedBlock}\n`);
  const have = loc.text.endsWith('\n') ? loc.text : `${loc.text}\n`;
  if (have !== want) {
    problems.push({
      code: 'block-edited',
      message: `the managed block was edited: it differs from the block cce-harden renders now (${firstDifference(have, want)})`,
    });
  }
  const unreachable = unreachableProblem(text, loc.start);
  if (unreachable !== null) problems.push({ code: 'block-unreachable', message: unreachable });
  return problems;
}

function firstDifference(have: string, want: string): string {
  const a = have.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const line = a[i] === undefined ? '(missing)' : JSON.stringify(a[i]?.slice(0, 60));
      return `block line ${i + 1}: ${line}`;
    }
  }
  return 'same lines';
}

/** The script without the cce-harden block; unchanged when there is none. */
export function removeBlock(script: string, markers: Markers = POST_INSTALL_MARKERS): string {
  const loc = findBlock(script, markers);
  if (loc.kind === 'malformed') throw new Error(loc.problem);
  return loc.kind === 'found' ? script.slice(0, loc.start) + script.slice(loc.end) : script;
}

// ---------------------------------------------------------------------------------------------
// Reading a block back.

export interface ParsedBlock {
  /** From the rules header line (`# cce-harden iptables rules v1 (...)`); null if absent. */
  version: number | null;
  /** The chain every rule line uses; null when there are none or they disagree. */
  chain: IptablesChain | null;
  /** Destination of the rule lines; null when there are none or they disagree. */
  apiServerIp: string | null;
  /** The first TCP destination port when the rules are port-only, null for all traffic. */
  port: number | null;
  /** Every TCP destination port when the rules are port-only, null for all traffic. */
  ports: number[] | null;
  /** Whether the rule lines are port-only; null when there are none or they disagree. */
  portOnly: boolean | null;
  /** Source CIDRs of the rule lines, in order, de-duplicated. */
  cidrs: string[];
  /** Anything that could not be read; a block with problems is not trusted. */
  problems: string[];
}

const HEADER = /^#\s*cce-harden iptables rules v(\d+)\b/;
const RULE_LINE = /^\s*cce_harden_rule\s+(.*)$/;
/** Version 2: one call with the chain, the API server IP, the ports (or `all`) and the CIDRs. */
const RULES_CALL = /^\s*cce_harden_rules\s+(\S+)\s+(\S+)\s+(\S+)((?:\s+\S+)*)\s*$/;

/**
 * Reads the rules back from a block (or any text containing the rule lines). The rule lines are
 * the truth, not the header: they are what runs on the node. Values are parsed with the same
 * strict IP parser as user input.
 */
export function parseBlock(text: string): ParsedBlock {
  const problems: string[] = [];
  let version: number | null = null;
  const chains = new Set<string>();
  const dests = new Set<string>();
  const ports = new Set<string>();
  const cidrs: string[] = [];
  let ruleLines = 0;

  for (const { content } of splitLines(text)) {
    const h = HEADER.exec(content);
    if (h?.[1] !== undefined) {
      version = Number(h[1]);
      continue;
    }
    const call = RULES_CALL.exec(content);
    if (call) {
      const [, chain = '', dest = '', portText = '', rest = ''] = call;
      ruleLines++;
      chains.add(chain);
      if (chain !== 'OUTPUT' && chain !== 'FORWARD') {
        problems.push(`the rules use chain ${JSON.stringify(chain.slice(0, 20))}`);
      }
      const dst = parseIpv4(dest, 'destination');
      if (dst.ok) dests.add(dst.value);
      else problems.push(dst.problem);
      if (portText === 'all') ports.add('all');
      else {
        const list = portText.split(',').map((p) => parsePort(p, 'port'));
        if (list.every((p) => p.ok)) {
          ports.add(list.map((p) => (p.ok ? p.value : 0)).join(','));
        } else problems.push(`the port list ${JSON.stringify(portText.slice(0, 40))} is not valid`);
      }
      const sources = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
      if (sources.length === 0) problems.push('the rules call names no container CIDR');
      for (const text of sources) {
        const src = parseIpv4Cidr(text, 'source');
        if (src.ok) {
          if (!cidrs.includes(src.value)) cidrs.push(src.value);
        } else problems.push(src.problem);
      }
      continue;
    }
    const r = RULE_LINE.exec(content);
    if (!r?.[1]) continue;
    ruleLines++;
    // Drop the quoted comment, then read the flags by name.
    const tokens = r[1]
      .replace(/'[^']*'|"[^"]*"/g, 'COMMENT')
      .trim()
      .split(/\s+/);
    const flag = (name: string): string | undefined => {
      const i = tokens.indexOf(name);
      return i >= 0 ? tokens[i + 1] : undefined;
    };
    const chain = tokens[0] ?? '';
    chains.add(chain);
    if (chain !== 'OUTPUT' && chain !== 'FORWARD') {
      problems.push(`rule line ${ruleLines} uses chain ${JSON.stringify(chain)}`);
    }
    if (flag('-j') !== 'REJECT') problems.push(`rule line ${ruleLines} does not jump to REJECT`);
    const src = parseIpv4Cidr(flag('-s') ?? '', 'source');
    if (src.ok) {
      if (!cidrs.includes(src.value)) cidrs.push(src.value);
    } else problems.push(`rule line ${ruleLines}: ${src.problem}`);
    const dst = parseIpv4(flag('-d') ?? '', 'destination');
    if (dst.ok) dests.add(dst.value);
    else problems.push(`rule line ${ruleLines}: ${dst.problem}`);
    const dport = flag('--dport') ?? flag('--dports');
    if (dport === undefined) ports.add('all');
    else {
      const list = dport.split(',').map((x) => parsePort(x, 'port'));
      if (list.every((p) => p.ok) && flag('-p') === 'tcp') {
        ports.add(list.map((p) => (p.ok ? p.value : 0)).join(','));
      } else problems.push(`rule line ${ruleLines}: port match is not "-p tcp --dport <port>"`);
    }
  }

  if (ruleLines === 0) problems.push('the block has no rule lines');
  if (version === null) problems.push('the block has no version header');
  const one = <T>(set: Set<T>, what: string): T | null => {
    if (set.size > 1) problems.push(`the rule lines disagree on the ${what}`);
    return set.size === 1 ? ([...set][0] ?? null) : null;
  };
  const chain = one(chains, 'chain');
  const apiServerIp = one(dests, 'API server IP');
  const portText = one(ports, 'port match');
  return {
    version,
    chain: chain === 'OUTPUT' || chain === 'FORWARD' ? chain : null,
    apiServerIp,
    port: portText === null || portText === 'all' ? null : Number(portText.split(',')[0]),
    ports: portText === null || portText === 'all' ? null : portText.split(',').map(Number),
    portOnly: portText === null ? null : portText !== 'all',
    cidrs,
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// CCE's size limit.

/**
 * CCE accepts at most this many characters of Base64 for a node pool's pre- and
 * post-installation scripts together (UpdateNodePool, `extendParam`).
 */
export const INSTALL_SCRIPTS_BASE64_LIMIT = 10240;

export interface InstallScriptsSize {
  preInstallBase64: number;
  postInstallBase64: number;
  total: number;
  limit: number;
  /** Null when it fits; otherwise a refusal with the numbers and what to do. */
  problem: string | null;
}

/**
 * The Base64 length of a pool's pre-installation script and of the post-installation script
 * cce-harden would write (both as text, '' for none), against CCE's limit.
 */
export function installScriptsSize(preInstall: string, postInstall: string): InstallScriptsSize {
  const pre = preInstall === '' ? 0 : encodeBase64(preInstall).length;
  const post = postInstall === '' ? 0 : encodeBase64(postInstall).length;
  const total = pre + post;
  const limit = INSTALL_SCRIPTS_BASE64_LIMIT;
  return {
    preInstallBase64: pre,
    postInstallBase64: post,
    total,
    limit,
    problem:
      total <= limit
        ? null
        : `with the cce-harden block the pre- and post-installation scripts would be ${total} ` +
          `characters of Base64 (pre ${pre}, post ${post}); CCE accepts at most ${limit}. ` +
          `Shorten the pool's own scripts by ${total - limit} characters of Base64 (about ` +
          `${Math.ceil(((total - limit) * 3) / 4)} bytes of text), e.g. by moving their work into a ` +
          'file they download, then run --install again',
  };
}
