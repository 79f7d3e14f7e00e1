import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { demoWorld } from './demo-world.js';
import { withFileLock } from './file-lock.js';
import { startSandbox, type SandboxHandle, type SandboxOptions } from './server.js';
import type { World } from './world.js';

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

/** Restore the demo world (what `cce-harden sandbox --reset` does). */
export async function resetSandboxState(stateFile: string): Promise<void> {
  await mkdir(dirname(stateFile), { recursive: true });
  await withFileLock(`${stateFile}.lock`, () => writeWorldAtomically(stateFile, demoWorld()));
}

export async function loadWorld(stateFile: string): Promise<World> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return demoWorld();
    throw err;
  }
  let world: unknown;
  try {
    world = JSON.parse(text);
  } catch {
    throw new Error(
      `The sandbox state file ${stateFile} is not valid JSON; run \`cce-harden sandbox --reset\` to start over.`,
    );
  }
  if (!isWorld(world)) {
    throw new Error(
      `The sandbox state file ${stateFile} is not a sandbox world; run \`cce-harden sandbox --reset\` to start over.`,
    );
  }
  return world;
}

/** Write to a temporary file in the same directory, flush it, then rename over the target. */
export async function writeWorldAtomically(stateFile: string, world: World): Promise<void> {
  const tmp = `${stateFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(world));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, stateFile);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
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
