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
  it("keeps only each cluster's facts, translated as it is read: the facts of the whole answer", () => {
    const text = JSON.stringify({ kind: 'Cluster', items: [cluster, cluster] });
    const kept = readClusterListText(text) as { items: unknown[] };
    const facts = parseClusterList(JSON.parse(text), 'r');
    // No wire form is kept: the items are the facts already.
    expect(kept.items).toEqual(facts);
    expect(parseClusterList(kept, 'r')).toEqual(facts);
    expect(facts[0]).toMatchObject({
      // The node and control-plane group ids guard --security-group: they must survive.
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
    [
      'the third cluster bad',
      `{"items":[${JSON.stringify(cluster)},${JSON.stringify(cluster)},{"metadata":{"name":"c","uid":7},"spec":{}}]}`,
    ],
    [
      'two bad clusters: the first is named',
      `{"items":[${JSON.stringify(cluster)},{"metadata":{},"spec":{}},{"spec":1}]}`,
    ],
    [
      'a nested field',
      `{"items":[${JSON.stringify({ ...cluster, spec: { ...cluster.spec, containerNetwork: { mode: 'eni', cidrs: [{ cidr: 5 }] } } })}]}`,
    ],
    [
      'a bad cluster and items repeated',
      '{"items":[{"spec":{}}],"items":[{"metadata":{"name":"a","uid":"u"}}]}',
    ],
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
