import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileError, UsageError } from '../../src/core/errors.js';
import { writeOutputFile, writeStream } from '../../src/cli/write-file.js';

const isRoot = process.getuid?.() === 0;
const opts = { mode: 0o644, force: false };

function dir(): string {
  return mkdtempSync(path.join(tmpdir(), 'cce-harden-write-'));
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('writeOutputFile: regular files', () => {
  it('creates a new file with the mode asked for, atomically, leaving no temp file', async () => {
    const d = dir();
    const f = path.join(d, 'report.prom');
    const w = await writeOutputFile(f, 'x 1\n', { mode: 0o755, force: false });
    expect(readFileSync(f, 'utf8')).toBe('x 1\n');
    expect(statSync(f).mode & 0o777).toBe(0o755);
    expect(w).toMatchObject({ path: f, target: f, kind: 'file', mode: '0755', replaced: false });
    expect(readdirSync(d)).toEqual(['report.prom']);
  });

  it('refuses to replace an existing file without --force (usage error naming it)', async () => {
    const d = dir();
    const f = path.join(d, 'old.txt');
    writeFileSync(f, 'keep me');
    const err = await failure(writeOutputFile(f, 'new', opts));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(f);
    expect((err as UsageError).hint).toContain('--force');
    expect(readFileSync(f, 'utf8')).toBe('keep me');
  });

  it('asks in a terminal; "no" keeps the file, "yes" replaces it', async () => {
    const d = dir();
    const f = path.join(d, 'old.txt');
    writeFileSync(f, 'keep me');
    const questions: string[] = [];
    const no = async (q: string) => (questions.push(q), false);
    await expect(writeOutputFile(f, 'new', { ...opts, confirmReplace: no })).rejects.toThrow(
      UsageError,
    );
    expect(questions[0]).toContain(f);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
    const w = await writeOutputFile(f, 'new', { ...opts, confirmReplace: async () => true });
    expect(w.replaced).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('new');
  });

  it('with --force replaces the file and sets the mode it should have (not the old one)', async () => {
    const d = dir();
    const f = path.join(d, 'harden.sh');
    writeFileSync(f, 'old', { mode: 0o600 });
    chmodSync(f, 0o600);
    await writeOutputFile(f, '#!/bin/sh\n', { mode: 0o755, force: true });
    expect(statSync(f).mode & 0o777).toBe(0o755);
    expect(readFileSync(f, 'utf8')).toBe('#!/bin/sh\n');
    expect(readdirSync(d)).toEqual(['harden.sh']);
  });
});

describe('writeOutputFile: links, devices, FIFOs, directories', () => {
  it('writes through a symlink to its target; the link stays a link', async () => {
    const d = dir();
    mkdirSync(path.join(d, 'real'));
    const target = path.join(d, 'real', 'out.txt');
    writeFileSync(target, 'old');
    const link = path.join(d, 'link.txt');
    symlinkSync(target, link);
    await expect(writeOutputFile(link, 'new', opts)).rejects.toThrow(UsageError);
    const w = await writeOutputFile(link, 'new', { ...opts, force: true });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect(w).toMatchObject({ path: link, target, kind: 'file', replaced: true });
    expect(readdirSync(path.join(d, 'real'))).toEqual(['out.txt']);
  });

  it('refuses a dangling symlink and leaves it alone', async () => {
    const d = dir();
    const link = path.join(d, 'dangling');
    symlinkSync(path.join(d, 'nowhere', 'x'), link);
    const err = await failure(writeOutputFile(link, 'x', { ...opts, force: true }));
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toContain(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('writes to a device directly and never replaces it (/dev/null)', async () => {
    const before = statSync('/dev/null');
    const w = await writeOutputFile('/dev/null', 'discarded\n', opts);
    expect(w).toMatchObject({ kind: 'device', mode: null, replaced: false });
    const after = lstatSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
  });

  it('a full device (/dev/full) is a clear file error, and stays a device', async () => {
    const err = await failure(writeOutputFile('/dev/full', 'x\n', { ...opts, force: true }));
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toMatch(/\/dev\/full.*no space left.*ENOSPC/);
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('writes into a FIFO (a reader gets the bytes) and keeps the FIFO', async () => {
    const d = dir();
    const fifo = path.join(d, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = new Promise<string>((resolve, reject) => {
      const cat = spawn('cat', [fifo]);
      let out = '';
      cat.stdout.on('data', (c: Buffer) => (out += c.toString()));
      cat.on('error', reject);
      cat.on('close', () => resolve(out));
    });
    const w = await writeOutputFile(fifo, 'through the pipe\n', opts);
    expect(await reader).toBe('through the pipe\n');
    expect(w.kind).toBe('device');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a directory (EISDIR) with the path', async () => {
    const d = dir();
    const err = await failure(writeOutputFile(d, 'x', { ...opts, force: true }));
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toBe(`Could not write ${d}: it is a directory (EISDIR).`);
  });

  it('a missing directory is ENOENT with the path', async () => {
    const f = path.join(dir(), 'no', 'such', 'file');
    const err = await failure(writeOutputFile(f, 'x', opts));
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toBe(`Could not write ${f}: the directory does not exist (ENOENT).`);
  });
});

describe.runIf(isRoot)('writeOutputFile: read-only and full file systems (root)', () => {
  let base: string;
  const mounts: string[] = [];
  beforeAll(() => {
    base = dir();
  });
  afterAll(() => {
    for (const m of mounts.reverse()) execFileSync('umount', [m]);
  });

  it('a read-only directory is EROFS with the path, and nothing is left behind', async () => {
    const ro = path.join(base, 'ro');
    mkdirSync(ro);
    writeFileSync(path.join(ro, 'existing.prom'), 'old');
    execFileSync('mount', ['--bind', ro, ro]);
    mounts.push(ro);
    execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
    for (const name of ['new.prom', 'existing.prom']) {
      const f = path.join(ro, name);
      const err = await failure(writeOutputFile(f, 'x', { ...opts, force: true }));
      expect(err).toBeInstanceOf(FileError);
      expect(err.message).toBe(`Could not write ${f}: the file system is read-only (EROFS).`);
    }
    expect(readdirSync(ro)).toEqual(['existing.prom']);
    expect(readFileSync(path.join(ro, 'existing.prom'), 'utf8')).toBe('old');
  });

  it('a full disk is ENOSPC with the path; the old file and no temp file remain', async () => {
    const full = path.join(base, 'full');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    mounts.push(full);
    const f = path.join(full, 'report.prom');
    writeFileSync(f, 'old report\n');
    const err = await failure(
      writeOutputFile(f, 'y'.repeat(1024 * 1024), { ...opts, force: true }),
    );
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toBe(`Could not write ${f}: no space left on the device (ENOSPC).`);
    expect(readdirSync(full)).toEqual(['report.prom']);
    expect(readFileSync(f, 'utf8')).toBe('old report\n');
  });
});

describe('writeStream', () => {
  it('a stream error becomes a FileError instead of an unhandled error event', async () => {
    const { Writable } = await import('node:stream');
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }));
      },
    });
    const err = await failure(writeStream(broken, 'x'));
    expect(err).toBeInstanceOf(FileError);
    expect(err.message).toBe(
      'Could not write standard output: no space left on the device (ENOSPC).',
    );
    // Let the stream's own 'error' event fire: it must not be unhandled.
    await new Promise((r) => setTimeout(r, 10));
  });
});
