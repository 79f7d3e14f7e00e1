/**
 * The cce-harden block inside a node pool's post-installation script
 * (`spec.nodeTemplate.extendParam["alpha.cce/postInstall"]`, Base64 of the script text;
 * reference §2.5).
 *
 * The block sits between two marker lines. Inserting keeps every other byte of the script,
 * replaces an older block in place, and is idempotent. A script with broken markers (a start
 * without an end, two blocks) is never rewritten: that is reported instead, because guessing
 * where the block ends could delete the user's own lines.
 */
import { parseIpv4, parseIpv4Cidr, parsePort } from './iptables.js';
import type { IptablesChain } from './iptables.js';

export const BLOCK_BEGIN = '# >>> cce-harden iptables (managed; do not edit) >>>';
export const BLOCK_END = '# <<< cce-harden iptables <<<';
export const POST_INSTALL_KEY = 'alpha.cce/postInstall';

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
export function findBlock(script: string): BlockLocation {
  const lines = splitLines(script);
  const begins = lines.filter((l) => isMarker(l, BLOCK_BEGIN));
  const ends = lines.filter((l) => isMarker(l, BLOCK_END));
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

function assertBlock(block: string): string {
  const lines = splitLines(block);
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (!first || !last || !isMarker(first, BLOCK_BEGIN) || !isMarker(last, BLOCK_END)) {
    throw new Error('a cce-harden block must start and end with its marker lines');
  }
  return block.endsWith('\n') ? block : `${block}\n`;
}

const TOP_LEVEL_EXIT = /^\s*exit(\s|;|$)/;

/**
 * Puts `block` (the rendered post-install block, markers included) into `script`:
 * - an existing block is replaced in place;
 * - otherwise it is appended, or inserted before a final top-level `exit` line (code after it
 *   would never run); a missing final newline is added first.
 * Every other byte is kept. Throws on broken markers (see findBlock).
 */
export function upsertBlock(script: string, block: string): string {
  const b = assertBlock(block);
  const loc = findBlock(script);
  if (loc.kind === 'malformed') throw new Error(loc.problem);
  if (loc.kind === 'found') return script.slice(0, loc.start) + b + script.slice(loc.end);
  if (script === '') return b;
  const lines = splitLines(script);
  let last = lines.length - 1;
  while (last >= 0 && (lines[last]?.content.trim() ?? '') === '') last--;
  const exitLine = last >= 0 ? lines[last] : undefined;
  if (exitLine && TOP_LEVEL_EXIT.test(exitLine.content)) {
    return script.slice(0, exitLine.start) + b + script.slice(exitLine.start);
  }
  return (script.endsWith('\n') ? script : `${script}\n`) + b;
}

/** The script without the cce-harden block; unchanged when there is none. */
export function removeBlock(script: string): string {
  const loc = findBlock(script);
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
  /** TCP destination port when the rules are port-only, null when they match all traffic. */
  port: number | null;
  /** Whether the rule lines are port-only; null when there are none or they disagree. */
  portOnly: boolean | null;
  /** Source CIDRs of the rule lines, in order, de-duplicated. */
  cidrs: string[];
  /** Anything that could not be read; a block with problems is not trusted. */
  problems: string[];
}

const HEADER = /^#\s*cce-harden iptables rules v(\d+)\b/;
const RULE_LINE = /^\s*cce_harden_rule\s+(.*)$/;

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
    const dport = flag('--dport');
    if (dport === undefined) ports.add('all');
    else {
      const p = parsePort(dport, 'port');
      if (p.ok && flag('-p') === 'tcp') ports.add(String(p.value));
      else problems.push(`rule line ${ruleLines}: port match is not "-p tcp --dport <port>"`);
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
    port: portText === null || portText === 'all' ? null : Number(portText),
    portOnly: portText === null ? null : portText !== 'all',
    cidrs,
    problems,
  };
}
