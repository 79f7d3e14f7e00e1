import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A lock file created with O_EXCL, so only one process at a time works on the sandbox state.
 * A holder refreshes the file's mtime while it works; a lock whose mtime is older than
 * `staleMs`, or whose owner process on this host is gone, is taken over (a crashed run must not
 * block every later one).
 */
export interface LockOptions {
  staleMs?: number;
  timeoutMs?: number;
  retryMs?: number;
}

interface LockContent {
  pid: number;
  host: string;
  nonce: string;
  at: string;
}

export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const staleMs = opts.staleMs ?? 30_000;
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(8).toString('hex'),
    at: new Date().toISOString(),
  };
  await acquire(lockPath, content, staleMs, opts.timeoutMs ?? 60_000, opts.retryMs ?? 15);
  const heartbeat = setInterval(
    () => {
      const t = new Date();
      utimes(lockPath, t, t).catch(() => undefined);
    },
    Math.max(1_000, staleMs / 3),
  );
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await release(lockPath, content.nonce);
  }
}

async function acquire(
  lockPath: string,
  content: LockContent,
  staleMs: number,
  timeoutMs: number,
  retryMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(JSON.stringify(content));
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await stealIfStale(lockPath, staleMs);
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for the sandbox state lock ${lockPath}`);
    }
    // Jitter keeps several waiting processes from retrying in lockstep.
    await sleep(retryMs + Math.floor(Math.random() * retryMs));
  }
}

async function stealIfStale(lockPath: string, staleMs: number): Promise<void> {
  let seen: LockContent | undefined;
  let mtime: number;
  try {
    mtime = (await stat(lockPath)).mtimeMs;
    seen = JSON.parse(await readFile(lockPath, 'utf8')) as LockContent;
  } catch {
    // Gone already, or caught half-written: check again on the next round.
    return;
  }
  const old = Date.now() - mtime > staleMs;
  const dead = seen.host === hostname() && !processAlive(seen.pid);
  if (!old && !dead) return;
  // Move it aside first: only one contender wins the rename. If what was moved is not the lock
  // judged stale (someone re-created it meanwhile), the steal is abandoned.
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  try {
    const moved = JSON.parse(await readFile(aside, 'utf8')) as LockContent;
    if (moved.nonce !== seen.nonce) await rename(aside, lockPath).catch(() => undefined);
  } catch {
    // Unreadable: it was stale anyway.
  }
  await unlink(aside).catch(() => undefined);
}

async function release(lockPath: string, nonce: string): Promise<void> {
  try {
    const current = JSON.parse(await readFile(lockPath, 'utf8')) as LockContent;
    // Never delete a lock that another process took over after ours went stale.
    if (current.nonce === nonce) await unlink(lockPath);
  } catch {
    // Already gone.
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
