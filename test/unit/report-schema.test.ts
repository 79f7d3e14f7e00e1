import { describe, expect, it } from 'vitest';
import type { Change, PoolScriptChange } from '../../src/core/report.js';
import { schemaErrors } from '../helpers/report-schema.js';
import { createDeny, drift, errored, run } from '../helpers/render-fixtures.js';

const poolChange: PoolScriptChange = {
  action: 'update',
  kind: 'nodepool-post-install',
  target: 'pool-a',
  targetId: 'np-1',
  before: { poolId: 'np-1', poolName: 'pool-a', postInstallScript: '' },
  after: { poolId: 'np-1', poolName: 'pool-a', postInstallScript: 'echo hi\n' },
  applied: true,
  outcome: 'applied',
};

describe('docs/report.schema.json', () => {
  it('accepts the documents the renderers are tested with', () => {
    expect(schemaErrors(run([drift, errored]))).toEqual([]);
    expect(
      schemaErrors({
        schemaVersion: 1,
        command: 'iptables',
        status: 'error',
        clusters: [],
        error: { code: 'NOT_FOUND', message: 'No cluster', requestId: null, hint: null },
      }),
    ).toEqual([]);
  });

  it('accepts a node-pool change carrying the pool id, name and scripts', () => {
    const doc = run([{ ...drift, changes: [poolChange, createDeny] }]);
    expect(schemaErrors(doc)).toEqual([]);
  });

  it('refuses a node-pool change that carries the whole pool (login, SSH key)', () => {
    const leaky = {
      ...poolChange,
      before: { ...poolChange.before, spec: { login: { sshKey: 'k' } } },
    } as Change;
    expect(schemaErrors(run([{ ...drift, changes: [leaky] }])).join('\n')).toMatch(
      /changes\[0\]: matches no allowed shape/,
    );
  });

  it('refuses unknown statuses, missing fields and unknown outcomes', () => {
    expect(schemaErrors({ ...run([drift]), status: 'fine' })).toEqual([
      '$.status: "fine" is not one of ["compliant","drift","error","skipped"]',
    ]);
    const { clusters: _c, ...noClusters } = run([drift]);
    expect(schemaErrors(noClusters)).toEqual(['$: clusters is missing']);
    const bad = run([
      { ...drift, changes: [{ ...createDeny, outcome: 'done' } as unknown as Change] },
    ]);
    expect(schemaErrors(bad).join('\n')).toMatch(/changes\[0\]/);
  });
});
