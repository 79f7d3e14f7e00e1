/** `sandbox --reset` and `--sandbox` runs refuse a state file that is not a sandbox state. */
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sandboxEnv } from '../helpers/cli.js';

function env(state: string) {
  return sandboxEnv({ url: 'http://127.0.0.1:9' }, { CCE_HARDEN_SANDBOX_STATE: state });
}

describe('the sandbox state file', () => {
  it('--reset refuses a file that is not a sandbox state, naming it, exit 64', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'cce-harden-state-')), 'notes.json');
    await writeFile(state, '{"my": "notes"}\n');
    const r = await runCli(['sandbox', '--reset'], env(state));
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`The file ${state} is not a cce-harden sandbox state`);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(await readFile(state, 'utf8')).toBe('{"my": "notes"}\n');
  });

  it('a --sandbox run refuses it too and writes nothing; the JSON document says why', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'cce-harden-state-')), 'broken.json');
    await writeFile(state, 'not json at all');
    const r = await runCli(['check', '--all', '--sandbox', '--json'], env(state));
    expect(r.code).toBe(64);
    const doc = JSON.parse(r.stdout) as { status: string; error?: { message: string } };
    expect(doc.status).toBe('error');
    expect(doc.error?.message).toContain(state);
    expect(await readFile(state, 'utf8')).toBe('not json at all');
  });

  it('--reset writes a marked state that later runs accept', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'cce-harden-state-')), 'world.json');
    expect((await runCli(['sandbox', '--reset'], env(state))).code).toBe(0);
    const doc = JSON.parse(await readFile(state, 'utf8')) as Record<string, unknown>;
    expect(doc['cceHardenSandboxState']).toBe(1);
    const r = await runCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--sandbox', '--json'],
      env(state),
    );
    expect(r.code).toBe(0);
  });
});
