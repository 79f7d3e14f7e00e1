import { randomBytes } from 'node:crypto';
import { constants as fsConstants, unlinkSync, write as fsWrite, type Stats } from 'node:fs';
import { lstat, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FileError, UsageError } from '../core/errors.js';

/**
 * Every file cce-harden writes for the user (`--out` reports and scripts) goes through here.
 *
 * - A new or existing regular file is written atomically in its own directory: a temp file next to
 *   it, fsync, rename. The mode is the one asked for, not the old file's.
 *   A reader never sees half a file and the temp file never survives an error.
 * - An existing regular file is replaced only with --force, or after a question in a terminal;
 *   otherwise a usage error (exit 64) names the file.
 * - A symlink is written through: its final target is replaced atomically (in the target's own
 *   directory), the link stays a link. A dangling symlink is refused.
 * - Character and block devices, FIFOs and sockets (`--out /dev/stdout`, a named pipe) are written
 *   to directly, never replaced, and need no --force. So is any path under /dev/ or /proc/, where
 *   /dev/stdout -> /proc/self/fd/1 may point at a pipe or the shell's redirection target.
 * - A directory is refused.
 * Every failure is a FileError naming the path (exit 1).
 */

export interface WriteFileOptions {
  /** Mode of a regular file written here (0o644 reports, 0o755 scripts). */
  mode: number;
  /** Replace an existing regular file without asking. */
  force: boolean;
  /** Asks a person whether to replace an existing file; absent when there is no terminal. */
  confirmReplace?: ((question: string) => Promise<boolean>) | undefined;
}

export type WrittenKind = 'file' | 'device';

/** What was written where (the JSON output of `iptables --out` reports it). */
export interface WrittenFile {
  /** The path as given. */
  path: string;
  /** Where the bytes went: the symlink's target for a symlink. */
  target: string;
  kind: WrittenKind;
  /** Mode of a regular file; null for a device or FIFO (its mode is not ours). */
  mode: string | null;
  bytes: number;
  replaced: boolean;
}

const REASONS: Record<string, string> = {
  EISDIR: 'it is a directory',
  ENOENT: 'the directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'the file appeared while it was being written',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EFBIG: 'the file is too large',
  EIO: 'input/output error',
  ENXIO: 'no process reads the pipe',
  EPIPE: 'the reader went away',
};

/** An fs error as a one-line message about the path the user gave. */
export function fileError(file: string, err: unknown, verb = 'write'): FileError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err ?? 'unknown'));
  return new FileError(
    `Could not ${verb} ${file}: ${reason}${code && REASONS[code] ? ` (${code})` : ''}.`,
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'Free some space, or write somewhere else with --out.'
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? 'Write somewhere you may write, with --out.'
        : undefined,
  );
}

function isSpecialPath(file: string): boolean {
  const abs = path.resolve(file);
  return abs.startsWith('/dev/') || abs.startsWith('/proc/');
}

type Target =
  | { kind: 'missing'; target: string }
  | { kind: 'regular'; target: string }
  | { kind: 'device'; target: string };

async function classify(file: string): Promise<Target> {
  let link;
  try {
    link = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', target: file };
    throw fileError(file, err);
  }
  if (link.isDirectory()) throw fileError(file, Object.assign(new Error(), { code: 'EISDIR' }));
  if (!link.isSymbolicLink()) {
    return link.isFile() && !isSpecialPath(file)
      ? { kind: 'regular', target: file }
      : { kind: 'device', target: file };
  }
  // A symlink: decide by what it points to.
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FileError(
        `Could not write ${file}: it is a symbolic link to a file that does not exist.`,
        'Point --out at the file itself, or create the target first.',
      );
    }
    throw fileError(file, err);
  }
  if (st.isDirectory()) throw fileError(file, Object.assign(new Error(), { code: 'EISDIR' }));
  if (!st.isFile() || isSpecialPath(file)) return { kind: 'device', target: file };
  try {
    return { kind: 'regular', target: await realpath(file) };
  } catch (err) {
    throw fileError(file, err);
  }
}

/** `/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`: the process's own descriptor. */
function ownDescriptor(file: string): number | undefined {
  const m = /^\/(?:dev\/(?:fd\/(\d+)|(stdout|stderr))|proc\/self\/fd\/(\d+))$/.exec(
    path.resolve(file),
  );
  if (!m) return undefined;
  if (m[2]) return m[2] === 'stdout' ? 1 : 2;
  return Number(m[1] ?? m[3]);
}

/**
 * Writes to a descriptor the process already has. Opening /proc/self/fd/1 again fails (ENXIO)
 * when stdout is a socket, as it is under a service manager or a parent process's pipe.
 */
async function writeDescriptor(file: string, fd: number, data: string): Promise<number> {
  const buf = Buffer.from(data, 'utf8');
  let offset = 0;
  while (offset < buf.length) {
    let n: number;
    try {
      n = await new Promise<number>((resolve, reject) =>
        fsWrite(fd, buf, offset, buf.length - offset, null, (err, written) =>
          err ? reject(err) : resolve(written),
        ),
      );
    } catch (err) {
      // A non-blocking descriptor (a socket, a pipe) that is momentarily full: wait and go on.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      throw fileError(file, err);
    }
    if (n === 0) throw fileError(file, Object.assign(new Error(), { code: 'ENOSPC' }));
    offset += n;
  }
  return buf.length;
}

async function writeDirect(file: string, data: string): Promise<number> {
  const fd = ownDescriptor(file);
  if (fd !== undefined) return writeDescriptor(file, fd, data);
  let handle;
  try {
    // No O_CREAT games: the node exists. O_TRUNC matters only for a redirection to a file.
    handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_TRUNC);
  } catch (err) {
    // O_TRUNC is refused on some character devices: retry without it.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw fileError(file, err);
    try {
      handle = await open(file, fsConstants.O_WRONLY);
    } catch (err2) {
      throw fileError(file, err2);
    }
  }
  try {
    const buf = Buffer.from(data, 'utf8');
    await writeAll(handle, buf);
    return buf.length;
  } catch (err) {
    throw fileError(file, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Temp files being written; removed if the process exits mid-write (process.exit, Ctrl+C path). */
const liveTempFiles = new Set<string>();
let exitHookInstalled = false;
function trackTemp(tmp: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const f of liveTempFiles) {
        try {
          unlinkSync(f);
        } catch {
          // Already gone.
        }
      }
    });
  }
  liveTempFiles.add(tmp);
}

/** Writes the whole buffer: write(2) may write less than asked (a disk filling up) without an error. */
async function writeAll(handle: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    offset += bytesWritten;
  }
}

/**
 * Temp file in the target's own directory (so rename is atomic), created exclusively with the
 * final mode, written in full, fsynced, renamed over the target, then the directory fsynced so the
 * rename itself survives a crash. The temp file is removed on any failure.
 *
 * Not write-file-atomic: its 7.x (and 8.0) issue one fs.write and ignore a short count, so on a
 * filling disk it renames a truncated file over the good one (seen on a 64 KiB tmpfs).
 */
async function writeAtomic(file: string, target: string, data: string, mode: number) {
  const dirName = path.dirname(target);
  const tmp = path.join(
    dirName,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const buf = Buffer.from(data, 'utf8');
  let old: Stats | undefined;
  try {
    old = await stat(target);
  } catch {
    old = undefined;
  }
  let handle: FileHandle | undefined;
  let created = false;
  try {
    handle = await open(tmp, 'wx', mode);
    created = true;
    trackTemp(tmp);
    await writeAll(handle, buf);
    // open() applied the umask: set the mode asked for.
    await handle.chmod(mode);
    // Replacing a file as root keeps its owner (e.g. a node_exporter user reading it).
    if (old && process.getuid?.() === 0) await handle.chown(old.uid, old.gid);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, target);
    created = false;
  } catch (err) {
    throw fileError(file, err);
  } finally {
    await handle?.close().catch(() => undefined);
    if (created) await unlink(tmp).catch(() => undefined);
    liveTempFiles.delete(tmp);
  }
  // Best effort: some file systems refuse fsync on a directory.
  const dirHandle = await open(dirName, 'r').catch(() => undefined);
  await dirHandle?.sync().catch(() => undefined);
  await dirHandle?.close().catch(() => undefined);
  return buf.length;
}

/** Writes `data` to `file` as described above. */
export async function writeOutputFile(
  file: string,
  data: string,
  opts: WriteFileOptions,
): Promise<WrittenFile> {
  if (file === '') throw new UsageError('--out needs a file name.');
  const t = await classify(file);
  const modeText = `0${opts.mode.toString(8)}`;
  if (t.kind === 'device') {
    const bytes = await writeDirect(file, data);
    return { path: file, target: t.target, kind: 'device', mode: null, bytes, replaced: false };
  }
  if (t.kind === 'regular' && !opts.force) {
    const shown = t.target === file ? file : `${file} (-> ${t.target})`;
    const ok = opts.confirmReplace
      ? await opts.confirmReplace(`${shown} exists. Replace it?`)
      : false;
    if (!ok) {
      throw new UsageError(
        `${shown} already exists; nothing was written.`,
        'Pass --force to replace it, or choose another --out.',
      );
    }
  }
  const bytes = await writeAtomic(file, t.target, data, opts.mode);
  return {
    path: file,
    target: t.target,
    kind: 'file',
    mode: modeText,
    bytes,
    replaced: t.kind === 'regular',
  };
}

/**
 * Writes to a stream (stdout) and waits for it: an error (a full device behind `> /dev/full`, a
 * closed pipe) becomes a FileError instead of an unhandled 'error' event with a stack trace.
 */
export function writeStream(
  stream: NodeJS.WritableStream,
  data: string,
  name = 'standard output',
): Promise<void> {
  if (data === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let settled = false;
    const onError = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(fileError(name, err));
    };
    stream.once('error', onError);
    stream.write(data, (err?: Error | null) => {
      // On failure the stream emits 'error' right after this callback: the listener stays to
      // absorb it (it is a `once`).
      if (!err) stream.removeListener('error', onError);
      if (settled) return;
      settled = true;
      if (err) reject(fileError(name, err));
      else resolve();
    });
  });
}
