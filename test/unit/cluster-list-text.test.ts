import { describe, expect, it } from 'vitest';
import { parseClusterList, readClusterListText } from '../../src/cloud/cce-wire.js';

const cluster = {
  kind: 'Cluster',
  metadata: { name: 'a', uid: 'u-1', annotations: { big: 'x'.repeat(1000) } },
  spec: {
    category: 'Turbo',
    version: 'v1.29',
    containerNetwork: { mode: 'eni' },
    eniNetwork: { eniSubnetId: 's-1', subnets: [{ subnetID: 's-1' }] },
    hostNetwork: { vpc: 'v', SecurityGroup: 'sg-node', controlPlaneSecurityGroup: 'sg-ctl' },
    extendParam: { enterpriseProjectId: '0' },
  },
  status: { phase: 'Available', endpoints: [{ url: 'https://10.0.0.1:5443', type: 'Internal' }] },
};

describe('readClusterListText', () => {
  it('keeps what the cluster schema reads and nothing else; the facts are the same', () => {
    const text = JSON.stringify({ kind: 'Cluster', items: [cluster, cluster] });
    const kept = readClusterListText(text) as { items: unknown[] };
    expect(kept.items[0]).toEqual({
      metadata: { name: 'a', uid: 'u-1' },
      spec: {
        category: 'Turbo',
        version: 'v1.29',
        containerNetwork: { mode: 'eni' },
        eniNetwork: { eniSubnetId: 's-1', subnets: [{ subnetID: 's-1' }] },
        // The node and control-plane group ids guard --security-group: they must survive.
        hostNetwork: cluster.spec.hostNetwork,
      },
      status: cluster.status,
    });
    expect(parseClusterList(kept, 'r')).toEqual(parseClusterList(JSON.parse(text), 'r'));
    expect(parseClusterList(kept, 'r')[0]).toMatchObject({
      nodeSecurityGroupId: 'sg-node',
      controlPlaneSecurityGroupId: 'sg-ctl',
    });
  });

  it.each([
    ['not JSON', '<html>busy</html>'],
    ['an array', '[]'],
    ['no items', '{"clusters":[]}'],
    ['items not a list', '{"items":{"a":1}}'],
    ['an item not an object', '{"items":[1]}'],
    ['metadata not an object', '{"items":[{"metadata":"x","spec":{}}]}'],
    ['a name of the wrong type', '{"items":[{"metadata":{"name":1,"uid":"u"},"spec":{}}]}'],
    ['no spec', '{"items":[{"metadata":{"name":"a","uid":"u"}}]}'],
  ])('%s: validation fails with the same message as on the whole answer', (_name, text) => {
    const whole = (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    })();
    const expected = (() => {
      try {
        parseClusterList(whole, 'r');
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(expected).not.toBe('no error');
    expect(() => parseClusterList(readClusterListText(text), 'r')).toThrow(expected);
  });
});
