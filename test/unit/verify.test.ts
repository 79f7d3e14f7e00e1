import { describe, expect, it } from 'vitest';
import {
  OWNER_SELECTOR,
  PROBE_SELECTOR,
  PROBE_TARGETS_ENV,
  parseProbeLog,
  podProgress,
  probePodManifest,
  probeTargets,
  runOwnerManifest,
} from '../../src/core/verify/probe.js';
import {
  coverageFinding,
  probePlaces,
  uncoveredPorts,
  verifyStatus,
  type ProbeResult,
} from '../../src/core/verify/verdict.js';
import type { SgRule } from '../../src/core/types.js';

const API = { ip: '192.168.0.61', port: 5443 };

describe('probeTargets', () => {
  it('the API server on 5443 and each endpoint port, the Service, and the metadata service', () => {
    const t = probeTargets(
      API,
      { clusterIp: '10.247.0.1', servicePort: 443, endpoints: [{ ip: API.ip, port: 5444 }] },
      { metadata: true },
    );
    expect(t.map((x) => `${x.name}=${x.ip}:${x.port}`)).toEqual([
      'apiserver-5443=192.168.0.61:5443',
      'apiserver-5444=192.168.0.61:5444',
      'kubernetes-service=10.247.0.1:443',
      'metadata=169.254.169.254:80',
    ]);
  });
  it('drops duplicates and names foreign endpoints', () => {
    const t = probeTargets(
      API,
      {
        clusterIp: null,
        servicePort: 443,
        endpoints: [
          { ip: API.ip, port: 5443 },
          { ip: '192.168.0.62', port: 5444 },
        ],
      },
      { metadata: false },
    );
    expect(t.map((x) => x.name)).toEqual(['apiserver-5443', 'endpoint-192-168-0-62-5444']);
  });
});

describe('probePodManifest', () => {
  const pod = probePodManifest({
    name: 'p',
    namespace: 'cce-harden',
    node: '192.168.64.10',
    image: 'img',
    targets: probeTargets(
      API,
      { clusterIp: null, servicePort: 443, endpoints: [] },
      { metadata: false },
    ),
    runId: 'r1',
    startedBy: 'u@h',
    taints: [
      { key: 'dedicated', value: 'batch', effect: 'NoExecute' },
      { key: 'gpu', effect: 'NoSchedule' },
    ],
    activeDeadlineSeconds: 90,
    expiresAt: '2030-01-01T00:00:00Z',
  }) as {
    metadata: { labels: Record<string, string> };
    spec: Record<string, unknown> & {
      containers: {
        env: { name: string; value: string }[];
        securityContext: Record<string, unknown>;
        resources: unknown;
      }[];
      tolerations: unknown[];
      securityContext: Record<string, unknown>;
    };
  };
  it('is pinned, on the pod network, without a token, restricted, with limits and a deadline', () => {
    expect(pod.spec['hostNetwork']).toBe(false);
    expect(pod.spec['automountServiceAccountToken']).toBe(false);
    expect(pod.spec['activeDeadlineSeconds']).toBe(90);
    expect(pod.spec['restartPolicy']).toBe('Never');
    expect(JSON.stringify(pod.spec['affinity'])).toContain('"values":["192.168.64.10"]');
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.containers[0]?.resources).toEqual({
      requests: { cpu: '10m', memory: '16Mi' },
      limits: { cpu: '100m', memory: '32Mi' },
    });
    expect(pod.spec.containers[0]?.env).toEqual([
      { name: PROBE_TARGETS_ENV, value: 'apiserver-5443=192.168.0.61:5443' },
    ]);
    expect(pod.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'cce-harden',
      'cce-harden.io/verify-run': 'r1',
    });
  });
  it('tolerates the node taints and the hardened-node taint', () => {
    expect(pod.spec.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoExecute' },
      { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'cce-harden/apiserver', operator: 'Equal', value: 'blocked', effect: 'NoSchedule' },
      { key: 'cce-harden/apiserver', operator: 'Equal', value: 'blocked', effect: 'NoExecute' },
    ]);
  });
});

describe('the run owner', () => {
  const base = {
    name: 'cce-harden-verify-r1-0',
    namespace: 'cce-harden',
    node: 'n',
    image: 'img',
    targets: [],
    runId: 'r1',
    startedBy: 'u@h',
    taints: [],
    activeDeadlineSeconds: 90,
    expiresAt: '2030-01-01T00:00:00Z',
  };
  const meta = (m: Record<string, unknown>) =>
    m['metadata'] as { name: string; labels: Record<string, string>; ownerReferences?: unknown };
  const matches = (labels: Record<string, string>, selector: string) =>
    selector.split(',').every((t) => {
      const [k, v] = t.split('=');
      return labels[k ?? ''] === v;
    });

  it("is a labelled ConfigMap of the run; its selector and the pods' do not overlap", () => {
    const owner = runOwnerManifest({
      runId: 'r1',
      namespace: 'cce-harden',
      startedBy: 'u@h',
      expiresAt: base.expiresAt,
    });
    expect(owner['kind']).toBe('ConfigMap');
    expect(meta(owner).name).toBe('cce-harden-verify-r1');
    expect(meta(owner).labels['cce-harden.io/verify-run']).toBe('r1');
    expect(matches(meta(owner).labels, OWNER_SELECTOR)).toBe(true);
    expect(matches(meta(owner).labels, PROBE_SELECTOR)).toBe(false);
    expect(matches(meta(probePodManifest(base)).labels, OWNER_SELECTOR)).toBe(false);
  });

  it("is named in each pod's ownerReferences, only when given", () => {
    expect(meta(probePodManifest(base)).ownerReferences).toBeUndefined();
    const pod = probePodManifest({ ...base, owner: { name: 'cce-harden-verify-r1', uid: 'u-1' } });
    expect(meta(pod).ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'cce-harden-verify-r1', uid: 'u-1' },
    ]);
  });
});

describe('parseProbeLog', () => {
  const targets = probeTargets(
    API,
    { clusterIp: '10.247.0.1', servicePort: 443, endpoints: [] },
    { metadata: false },
  );
  it('reads one JSON line per target and ignores anything else', () => {
    const lines = parseProbeLog(
      [
        'curl: some noise',
        '{"target":"apiserver-5443","address":"192.168.0.61:5443","result":"blocked","reason":"timeout","exit":28}',
        '{"target":"kubernetes-service","result":"reachable","reason":"connected"}',
        '{"target":"unknown","result":"reachable","reason":"connected"}',
        '{"target":"apiserver-5443","result":"maybe"}',
        '{not json',
      ].join('\n'),
      targets,
    );
    expect([...lines.values()]).toEqual([
      { target: 'apiserver-5443', result: 'blocked', reason: 'timeout' },
      { target: 'kubernetes-service', result: 'reachable', reason: 'connected' },
    ]);
  });
});

describe('podProgress', () => {
  it.each([
    [{ phase: 'Succeeded' }, 'finished'],
    [{ phase: 'Running' }, 'waiting'],
    [{ phase: 'Pending' }, 'waiting'],
    [{ phase: 'Failed', reason: 'DeadlineExceeded' }, 'failed'],
    [{ phase: 'Pending', waiting: { reason: 'ImagePullBackOff', message: 'x' } }, 'failed'],
    [{ phase: 'Pending', waiting: { reason: 'ContainerCreating' } }, 'waiting'],
    [
      {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3' },
        ],
      },
      'failed',
    ],
  ])('%j -> %s', (s, state) => {
    expect(podProgress(s).state).toBe(state);
  });
});

describe('probePlaces', () => {
  const node = (name: string, pool: string, ready = true) => ({
    name,
    labels: { 'cce.cloud.com/cce-nodepool': pool },
    taints: [],
    ready,
  });
  const nodes = [node('n3', 'b'), node('n1', 'a', false), node('n2', 'a'), node('n4', 'b')];
  it('Turbo: one Ready node per pool', () => {
    const { places, notReady } = probePlaces(true, nodes, false);
    expect(places.map((p) => `${p.name}@${p.node}`)).toEqual(['a@n2', 'b@n3']);
    expect(notReady).toEqual(['n1']);
  });
  it('standard (or --nodes all): every Ready node', () => {
    expect(probePlaces(false, nodes, false).places.map((p) => p.node)).toEqual(['n2', 'n3', 'n4']);
    expect(probePlaces(true, nodes, true).places).toHaveLength(3);
  });
});

describe('coverage of the endpoint ports', () => {
  const rule = (ports: string, extra: Partial<SgRule> = {}): SgRule => ({
    id: 'r',
    securityGroupId: 'g',
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ports,
    remoteIpPrefix: '192.168.0.61/32',
    remoteGroupId: null,
    remoteAddressGroupId: null,
    action: 'deny',
    priority: 1,
    description: '',
    enabled: true,
    ...extra,
  });
  const ep = [{ ip: API.ip, port: 5444 }];
  it.each([
    [[rule('5443')], [5444]],
    [[rule('5443'), rule('5444')], []],
    [[rule('5443-5444')], []],
    [[rule('5443'), rule('5444', { enabled: false })], [5444]],
    [[rule('5443'), rule('5444', { action: 'allow' })], [5444]],
    [[], [5443, 5444]],
  ])('rules %j leave %j open', (rules, open) => {
    expect(uncoveredPorts(API, ep, 'g', rules)).toEqual(open);
  });
  it('the finding carries the fix with every port', () => {
    const f = coverageFinding('prod', API, '10.247.0.1', ep, [5444], 'prod-cce-eni-x');
    expect(f?.code).toBe('endpoint-port-not-covered');
    expect(f?.message).toContain('10.247.0.1:443 -> 192.168.0.61:5444');
    expect(f?.message).toContain('Fix: cce-harden apply --cluster prod --port 5443 --port 5444');
    expect(
      coverageFinding('prod', API, null, [{ ip: API.ip, port: 5443 }], [5443], 'g'),
    ).toBeNull();
  });
});

describe('verifyStatus', () => {
  const r = (verdict: ProbeResult['verdict'], target = 'apiserver-5443'): ProbeResult => ({
    place: 'p',
    placeKind: 'node',
    node: 'n',
    target,
    address: 'a',
    verdict,
    reason: '',
  });
  it.each([
    [[r('blocked')], 'compliant'],
    [[r('blocked'), r('reachable')], 'drift'],
    [[r('error'), r('reachable')], 'drift'],
    [[r('blocked'), r('error')], 'error'],
    [[r('blocked'), r('reachable', 'metadata')], 'compliant'],
    [[], 'error'],
  ])('%j -> %s', (results, status) => {
    expect(verifyStatus(results)).toBe(status);
  });
});
