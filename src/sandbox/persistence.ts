import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { demoWorld } from './demo-world.js';
import { withFileLock } from './file-lock.js';
import { startSandbox, type SandboxHandle, type SandboxOptions } from './server.js';
import type { World } from './world.js';

/**
 * The key every state file carries, so a file that is not one (a typo in
 * CCE_HARDEN_SANDBOX_STATE, a user's own JSON) is never overwritten.
 */
export const STATE_MARKER_KEY = 'cceHardenSandboxState';
export const STATE_MARKER_VALUE = 1;

/** The state file is not a sandbox state (or cannot be one); nothing was written. */
export class SandboxStateError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxStateError';
  }
}

/**
 * Run `fn` against a sandbox whose world is loaded from `stateFile` (the demo world when the file
 * does not exist) and written back afterwards, also when `fn` throws: like a real cloud, changes
 * made before a failure stay made. The whole cycle holds `<stateFile>.lock`, so concurrent
 * processes take turns instead of losing each other's writes.
 */
export async function withPersistentSandbox<T>(
  stateFile: string,
  fn: (h: SandboxHandle) => Promise<T>,
  opts: Omit<SandboxOptions, 'world'> = {},
): Promise<T> {
  await mkdir(dirname(stateFile), { recursive: true });
  return withFileLock(`${stateFile}.lock`, async () => {
    const world = await loadWorld(stateFile);
    const handle = await startSandbox({ ...opts, world });
    try {
      return await fn(handle);
    } finally {
      await handle.close();
      await writeWorldAtomically(stateFile, handle.world);
    }
  });
}

/**
 * Restore the demo world (what `cce-harden sandbox --reset` does). A file that exists and is not
 * a sandbox state is refused, never overwritten.
 */
export async function resetSandboxState(stateFile: string): Promise<void> {
  await mkdir(dirname(stateFile), { recursive: true });
  await withFileLock(`${stateFile}.lock`, () => writeWorldAtomically(stateFile, demoWorld()));
}

export async function loadWorld(stateFile: string): Promise<World> {
  const doc = await readState(stateFile);
  if (doc === 'missing') return demoWorld();
  if (doc === 'not-json' || !isStateDocument(doc)) throw notAState(stateFile);
  const { [STATE_MARKER_KEY]: _marker, ...world } = doc as Record<string, unknown>;
  if (!isWorld(world)) {
    throw new SandboxStateError(
      stateFile,
      `The sandbox state file ${stateFile} is damaged (it has the sandbox marker but no valid world); run \`cce-harden sandbox --reset\` to start over.`,
    );
  }
  return world;
}

/**
 * Write to a temporary file (mode 0600) in the same directory, flush it, then rename over the
 * target. The target must be missing or a regular file holding a sandbox state.
 */
export async function writeWorldAtomically(stateFile: string, world: World): Promise<void> {
  await assertWritableState(stateFile);
  const tmp = `${stateFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ [STATE_MARKER_KEY]: STATE_MARKER_VALUE, ...world }));
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, stateFile);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function assertWritableState(stateFile: string): Promise<void> {
  let info;
  try {
    info = await lstat(stateFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!info.isFile()) {
    throw new SandboxStateError(
      stateFile,
      `The sandbox state path ${stateFile} is not a regular file; not writing to it. Set CCE_HARDEN_SANDBOX_STATE to a file of its own.`,
    );
  }
  const doc = await readState(stateFile);
  if (doc === 'not-json' || (doc !== 'missing' && !isStateDocument(doc))) {
    throw notAState(stateFile);
  }
}

function notAState(stateFile: string): SandboxStateError {
  return new SandboxStateError(
    stateFile,
    `The file ${stateFile} is not a cce-harden sandbox state; it is left untouched. Remove it yourself, or set CCE_HARDEN_SANDBOX_STATE to another file.`,
  );
}

async function readState(stateFile: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') return 'not-json';
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return 'not-json';
  }
}

/**
 * A sandbox state: carries the marker key. A world written before the marker existed (same
 * shape, no marker) counts too, so existing state files keep working and gain the marker on
 * their next write.
 */
function isStateDocument(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const marker = (v as Record<string, unknown>)[STATE_MARKER_KEY];
  if (marker !== undefined) return marker === STATE_MARKER_VALUE;
  return isWorld(v);
}

function isWorld(v: unknown): v is World {
  const w = v as Partial<World> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    w.schemaVersion === 1 &&
    typeof w.seed === 'string' &&
    typeof w.seq === 'number' &&
    Array.isArray(w.projects)
  );
}
