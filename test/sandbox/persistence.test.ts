import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultSandboxStatePath,
  demoWorld,
  findSecurityGroup,
  loadWorld,
  resetSandboxState,
  rulesOfGroup,
  SandboxStateError,
  writeWorldAtomically,
  withPersistentSandbox,
  STATE_MARKER_KEY,
  type World,
} from '../../src/sandbox/index.js';
import { PID, signedRequest } from './raw-http.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cce-harden-sandbox-state-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The world in a state file, without its marker key (which is checked here too). */
const readWorld = async (file: string): Promise<World> => {
  const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  expect(doc[STATE_MARKER_KEY]).toBe(1);
  const { [STATE_MARKER_KEY]: _marker, ...world } = doc;
  return world as unknown as World;
};

describe('defaultSandboxStatePath', () => {
  it('prefers CCE_HARDEN_SANDBOX_STATE, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(
      defaultSandboxStatePath({
        CCE_HARDEN_SANDBOX_STATE: '/x/s.json',
        XDG_STATE_HOME: '/xdg',
        HOME: '/h',
      }),
    ).toBe('/x/s.json');
    expect(defaultSandboxStatePath({ XDG_STATE_HOME: '/xdg', HOME: '/h' })).toBe(
      '/xdg/cce-harden/sandbox-state.json',
    );
    expect(defaultSandboxStatePath({ HOME: '/h' })).toBe(
      '/h/.local/state/cce-harden/sandbox-state.json',
    );
  });
});

describe('withPersistentSandbox', () => {
  it('starts from the demo world and keeps changes across runs', async () => {
    const file = join(dir, 'a', 'state.json');
    const bastion = findSecurityGroup(demoWorld(), 'demo-turbo-bastion')?.id ?? '';
    await withPersistentSandbox(file, async (h) => {
      expect(h.world).toEqual(demoWorld());
      const rule = {
        security_group_id: bastion,
        direction: 'egress',
        protocol: 'tcp',
        multiport: '443',
      };
      const res = await signedRequest(`${h.url}/v3/${PID}/vpc/security-group-rules`, {
        method: 'POST',
        body: JSON.stringify({ security_group_rule: rule }),
      });
      expect(res.status).toBe(201);
    });
    const saved = await readWorld(file);
    expect(rulesOfGroup(saved, bastion).map((r) => r.multiport)).toEqual(['22', '443']);
    await withPersistentSandbox(file, async (h) => {
      expect(rulesOfGroup(h.world, bastion)).toHaveLength(2);
    });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('writes the world back and releases the lock when fn throws', async () => {
    const file = join(dir, 'b.json');
    await expect(
      withPersistentSandbox(file, async (h) => {
        h.world.projects[0]?.clusters.pop();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect((await readWorld(file)).projects[0]?.clusters).toHaveLength(4);
  });

  it('resets to the demo world', async () => {
    const file = join(dir, 'c.json');
    await withPersistentSandbox(file, async (h) => {
      h.world.projects[0]?.clusters.splice(0);
    });
    await resetSandboxState(file);
    expect(await readWorld(file)).toEqual(demoWorld());
  });

  it('refuses a file that is not a sandbox state, names it, and leaves it untouched', async () => {
    for (const [name, text] of [
      ['d1.json', '{"not": "a world"'],
      ['d2.json', '{"not": "a world"}'],
      ['d3.json', '[]'],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, text);
      await expect(withPersistentSandbox(file, async () => undefined)).rejects.toThrow(
        `The file ${file} is not a cce-harden sandbox state`,
      );
      await expect(resetSandboxState(file)).rejects.toThrow(SandboxStateError);
      await expect(writeWorldAtomically(file, demoWorld())).rejects.toThrow(file);
      expect(await readFile(file, 'utf8')).toBe(text);
      expect(existsSync(`${file}.lock`)).toBe(false);
      expect((await readdir(dir)).filter((f) => f.startsWith(`${name}.`))).toEqual([]);
    }
  });

  it('refuses a path that is not a regular file (a directory)', async () => {
    const file = join(dir, 'a-dir');
    await mkdir(file);
    await expect(resetSandboxState(file)).rejects.toThrow(/not a regular file/);
  });

  it('accepts a state written before the marker existed, and marks it on the next write', async () => {
    const file = join(dir, 'legacy.json');
    await writeFile(file, JSON.stringify(demoWorld()));
    await withPersistentSandbox(file, async (h) => {
      expect(h.world).toEqual(demoWorld());
    });
    expect(await readWorld(file)).toEqual(demoWorld());
  });

  it('a marked but damaged state can be reset', async () => {
    const file = join(dir, 'damaged.json');
    await writeFile(file, JSON.stringify({ [STATE_MARKER_KEY]: 1, projects: 'x' }));
    await expect(loadWorld(file)).rejects.toThrow(/damaged.*--reset/);
    await resetSandboxState(file);
    expect(await readWorld(file)).toEqual(demoWorld());
  });

  it('takes over a lock left by a dead process', async () => {
    const file = join(dir, 'e.json');
    await writeFile(
      `${file}.lock`,
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        host: (await import('node:os')).hostname(),
        nonce: 'x',
        at: '',
      }),
    );
    const t = Date.now();
    await withPersistentSandbox(file, async () => undefined);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over a lock whose heartbeat is older than 30 s', async () => {
    const file = join(dir, 'f.json');
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: process.pid, host: 'elsewhere', nonce: 'y', at: '' }),
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await withPersistentSandbox(file, async () => undefined);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('waits for a live lock instead of taking it', async () => {
    const file = join(dir, 'g.json');
    const order: string[] = [];
    const first = withPersistentSandbox(file, async () => {
      order.push('first:start');
      await new Promise((r) => setTimeout(r, 300));
      order.push('first:end');
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = withPersistentSandbox(file, async () => {
      order.push('second');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first:start', 'first:end', 'second']);
  });
});

describe('concurrent processes', () => {
  let built: string;

  beforeAll(async () => {
    // Compile only the sandbox (and the types it imports) so this test does not depend on the
    // rest of the tree being buildable or on a fresh dist/.
    built = await mkdtemp(join(tmpdir(), 'cce-harden-sandbox-build-'));
    const tsconfig = join(built, 'tsconfig.json');
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.build.json'),
        compilerOptions: {
          outDir: join(built, 'out'),
          rootDir: join(ROOT, 'src'),
          sourceMap: false,
          // The config lives outside the repository, so point type lookup back into it.
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        include: [],
        files: [join(ROOT, 'src/sandbox/index.ts')],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]).catch(
      (e: { stdout?: string }) => {
        throw new Error(`tsc failed: ${e.stdout ?? ''}`);
      },
    );
  }, 120_000);
  afterAll(() => rm(built, { recursive: true, force: true }));

  it('serialises several processes so every rule they add survives', async () => {
    const file = join(dir, 'concurrent', 'state.json');
    const script = join(built, 'add-rule.mjs');
    await writeFile(
      script,
      `
const [, , modulePath, stateFile, index] = process.argv;
const { withPersistentSandbox, signRequest, SANDBOX_CREDENTIALS: C, findSecurityGroup } = await import(modulePath);
await withPersistentSandbox(stateFile, async (h) => {
  const sg = findSecurityGroup(h.world, 'demo-turbo-bastion');
  const url = h.url + '/v3/' + C.projectId + '/vpc/security-group-rules';
  const body = JSON.stringify({ security_group_rule: {
    security_group_id: sg.id, direction: 'egress', protocol: 'tcp', multiport: String(10000 + Number(index)),
    description: 'process ' + index } });
  const headers = signRequest({ method: 'POST', url, body, ak: C.ak, sk: C.sk,
    headers: { 'content-type': 'application/json', 'x-project-id': C.projectId } });
  delete headers.host;
  const res = await fetch(url, { method: 'POST', headers, body });
  if (res.status !== 201) throw new Error('create failed: ' + res.status + ' ' + await res.text());
  // Hold the state a little so the processes really overlap.
  await new Promise((r) => setTimeout(r, 40));
});
`,
    );
    const modulePath = join(built, 'out/sandbox/index.js');
    const N = 6;
    const exits = await Promise.all(
      Array.from(
        { length: N },
        (_, i) =>
          new Promise<{ code: number | null; stderr: string }>((done) => {
            const child = spawn(process.execPath, [script, modulePath, file, String(i)], {
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let stderr = '';
            child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
            child.on('close', (code) => done({ code, stderr }));
          }),
      ),
    );
    expect(exits).toEqual(Array.from({ length: N }, () => ({ code: 0, stderr: '' })));
    const saved = await readWorld(file);
    const sg = findSecurityGroup(saved, 'demo-turbo-bastion')?.id ?? '';
    const ports = rulesOfGroup(saved, sg)
      .map((r) => r.multiport)
      .filter((p) => p !== '22')
      .sort();
    expect(ports).toEqual(Array.from({ length: N }, (_, i) => String(10000 + i)));
    // Nothing left behind: no lock, no temporary files.
    expect((await readdir(join(dir, 'concurrent'))).sort()).toEqual(['state.json']);
  }, 60_000);
});
