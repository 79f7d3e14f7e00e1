/**
 * The node pool's read-modify-write as one cloud operation (CceAdapter.updatePostInstallScript),
 * with the real SDK against the sandbox: a fresh read right before the PUT, only the update
 * model's fields sent, the node count never written, a script changed meanwhile never
 * overwritten.
 */
import { describe, expect, it } from 'vitest';
import { CceAdapter } from '../../src/cloud/cce.js';
import { encodeBase64, POST_INSTALL_KEY } from '../../src/cloud/cce-wire.js';
import { createCceClient } from '../../src/cloud/clients.js';
import { Retrier } from '../../src/cloud/retry.js';
import { CloudError } from '../../src/core/errors.js';
import {
  DEMO_EXISTING_POST_INSTALL,
  findCluster,
  SANDBOX_CREDENTIALS,
} from '../../src/sandbox/index.js';
import { writes } from '../helpers/cli.js';
import { sandboxCloudConfig, sandboxPerTest } from '../helpers/sandbox.js';

const sandbox = sandboxPerTest();

async function setup() {
  const h = await sandbox();
  const client = createCceClient(sandboxCloudConfig(h.url, 5000));
  const cce = new CceAdapter(client, new Retrier({ baseDelayMs: 1 }), SANDBOX_CREDENTIALS.region);
  const cluster = findCluster(h.world, 'demo-vpc');
  const pool = cluster?.nodePools.find((p) => p.metadata.name === 'demo-vpc-pool');
  if (!cluster || !pool) throw new Error('demo-vpc-pool is missing from the demo world');
  return { h, cce, clusterId: cluster.cluster.metadata.uid, pool };
}

describe('updatePostInstallScript', () => {
  it('keeps a node count changed after the plan (the autoscaler), and returns the decoded pool', async () => {
    const { h, cce, clusterId, pool } = await setup();
    const [planned] = (await cce.listNodePools(clusterId)).filter(
      (p) => p.id === pool.metadata.uid,
    );
    expect(planned?.postInstall).toEqual({ ok: true, script: DEMO_EXISTING_POST_INSTALL });
    // Between the plan and the write, the autoscaler grows the pool.
    pool.spec.initialNodeCount = 12;
    const after = await cce.updatePostInstallScript(clusterId, pool.metadata.uid, {
      expected: DEMO_EXISTING_POST_INSTALL,
      script: `${DEMO_EXISTING_POST_INSTALL}echo hardened\n`,
    });
    expect(after.postInstall).toEqual({
      ok: true,
      script: `${DEMO_EXISTING_POST_INSTALL}echo hardened\n`,
    });
    expect(pool.spec.initialNodeCount).toBe(12);
    expect(pool.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY]).toBe(
      encodeBase64(`${DEMO_EXISTING_POST_INSTALL}echo hardened\n`),
    );
    // One fresh read (ShowNodePool) right before the one PUT.
    const calls = h.log.map((e) => `${e.method} ${e.path}`);
    const put = calls.findIndex((c) => c.startsWith('PUT '));
    expect(calls[put - 1]).toMatch(new RegExp(`^GET .*/nodepools/${pool.metadata.uid}$`));
    expect(writes(h)).toHaveLength(1);
  });

  it('refuses, writing nothing, when the script changed after it was read', async () => {
    const { h, cce, clusterId, pool } = await setup();
    pool.spec.nodeTemplate!.extendParam![POST_INSTALL_KEY] = encodeBase64('echo someone else\n');
    const attempt = cce.updatePostInstallScript(clusterId, pool.metadata.uid, {
      expected: DEMO_EXISTING_POST_INSTALL,
      script: 'echo mine\n',
    });
    await expect(attempt).rejects.toBeInstanceOf(CloudError);
    await expect(attempt).rejects.toThrow(/changed after it was read; nothing was written/);
    expect(writes(h)).toEqual([]);
    expect(pool.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY]).toBe(
      encodeBase64('echo someone else\n'),
    );
  });
});
