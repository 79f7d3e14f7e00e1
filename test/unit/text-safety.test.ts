import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  makeRedactor,
  sanitizeDeep,
  secretForms,
  stripControl,
  REDACTED,
} from '../../src/core/text-safety.js';
import { createUi, redactingIo } from '../../src/cli/ui.js';
import type { Io } from '../../src/cli/io.js';

describe('stripControl', () => {
  it.each([
    ['plain name', 'plain name'],
    ['red\u001b[31mname\u001b[0m', 'redname'],
    ['title\u001b]0;owned\u0007 after', 'title after'],
    ['link\u001b]8;;https://evil\u001b\\text\u001b]8;;\u001b\\', 'linktext'],
    ['clear\u001b[2J\u001b[H', 'clear'],
    ['c1 csi\u009b31m', 'c1 csi31m'],
    ['c1 osc\u009d0;owned\u009c!', 'c1 osc!'],
    ['nul\u0000bel\u0007del\u007f', 'nulbeldel'],
    ['bidi\u202eevil\u2066', 'bidievil'],
    ['two\nlines\r\nand\ttab', 'two lines and tab'],
    ['trailing esc\u001b', 'trailing esc'],
    ['ünïcödé 日本 ok', 'ünïcödé 日本 ok'],
  ])('%j -> %j', (input, expected) => {
    expect(stripControl(input)).toBe(expected);
  });

  it('keepLines keeps line feeds and tabs, normalises CR LF', () => {
    expect(stripControl('a\r\nb\tc\u001b[1md', { keepLines: true })).toBe('a\nb\tcd');
  });

  it('sanitizeDeep cleans every string of a plain object and leaves numbers alone', () => {
    const input = { name: 'x\u001b[2Jy', n: 1, list: ['\u009b1m', { m: 'ok\u0007' }], no: null };
    expect(sanitizeDeep(input)).toEqual({ name: 'xy', n: 1, list: ['1m', { m: 'ok' }], no: null });
    expect(input.name).toBe('x\u001b[2Jy');
  });
});

describe('makeRedactor', () => {
  const sk = 'sk-0123456789abcdefghij/+=';
  const token = 'tok-ÄÖÜ-0123456789';
  const redact = makeRedactor(['AKIDEXAMPLE0', sk, token, undefined, 'abc']);

  it.each(secretForms(sk).map((f) => [f]))('removes the form %s', (form) => {
    expect(redact(`before ${form} after`)).toBe(`before ${REDACTED} after`);
  });

  it('covers raw, URL-encoded (both cases), Base64 and Base64url', () => {
    const forms = secretForms(sk);
    expect(forms).toContain(sk);
    expect(forms).toContain(encodeURIComponent(sk));
    expect(forms).toContain(
      encodeURIComponent(sk).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    );
    expect(forms).toContain(Buffer.from(sk).toString('base64'));
    expect(forms).toContain(Buffer.from(sk).toString('base64url'));
    expect(secretForms(token)).toContain(Buffer.from(token).toString('base64'));
  });

  it('redacts inside JSON and error text, every occurrence, and leaves short values alone', () => {
    const text = JSON.stringify({ msg: `token ${token} and again ${token}`, ak: 'AKIDEXAMPLE0' });
    const out = redact(text);
    expect(out).not.toContain(token);
    expect(out).not.toContain('AKIDEXAMPLE0');
    expect(out.split(REDACTED).length - 1).toBe(3);
    expect(redact('abc is too short to be a secret')).toBe('abc is too short to be a secret');
  });

  it('redactingIo redacts strings and buffers written to stdout and stderr', () => {
    const chunks: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c.toString()));
    const io = {
      stdout: sink,
      stderr: sink,
      stdin: new PassThrough(),
      env: {},
      cwd: '/',
    } as unknown as Io;
    const safe = redactingIo(io, redact);
    safe.stdout.write(`a ${sk}\n`);
    safe.stderr.write(Buffer.from(`b ${token}\n`));
    expect(chunks.join('')).toBe(`a ${REDACTED}\nb ${REDACTED}\n`);
  });
});

describe('ui messages', () => {
  function capture(isTTY: boolean) {
    // Enough of a TTY stream for ora.
    const stderr = Object.assign(new PassThrough(), {
      isTTY,
      columns: 80,
      cursorTo: (_x: number, cb?: () => void) => (cb?.(), true),
      clearLine: (_d: number, cb?: () => void) => (cb?.(), true),
      moveCursor: (_x: number, _y: number, cb?: () => void) => (cb?.(), true),
    });
    let text = '';
    stderr.on('data', (c: Buffer) => (text += c.toString()));
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    const io = { stdout: new PassThrough(), stderr, stdin, env: {}, cwd: '/' } as unknown as Io;
    return { io, text: () => text };
  }

  it('info and debug strip escape sequences from cloud text', () => {
    const c = capture(false);
    const ui = createUi(c.io, { spinners: false, debug: true, quietLogs: false });
    ui.info('Wrote the script for evil\u001b]0;owned\u0007\u001b[2J to x.sh.');
    ui.debug('ListClusters said \u009b31mred');
    expect(c.text()).toBe('Wrote the script for evil to x.sh.\ndebug: ListClusters said 31mred\n');
  });

  it('the spinner line carries no escape sequence from a group name', async () => {
    const c = capture(true);
    const ui = createUi(c.io, { spinners: true, debug: false, quietLogs: false });
    await ui.step('Adding the rule to sg\u001b]0;owned\u0007\u001b[2J', async () => 1);
    expect(c.text()).toContain('Adding the rule to sg');
    expect(c.text()).not.toContain(']0;owned');
    expect(c.text()).not.toContain('\u001b[2J');
  });
});
