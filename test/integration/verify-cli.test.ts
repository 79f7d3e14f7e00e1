/**
 * `verify`: the real CLI (main's run), the real CCE SDK for the kubeconfig and the real
 * @kubernetes/client-node against the sandbox's Kubernetes API emulator over HTTPS.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CertDuration, CreateKubernetesClusterCertRequest } from '@huaweicloud/huaweicloud-sdk-cce';
import type { RunReport } from '../../src/core/report.js';
import {
  SANDBOX_CREDENTIALS,
  demoWorld,
  findCluster,
  withKube,
  type KubeClusterState,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { runCli, sandboxEnv, reportOf } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';
import { cceClient, vpcClient } from '../sandbox/sdk.js';

/** Debian's kubectl (package kubernetes-client); CI installs it, elsewhere the test is skipped. */
const HAVE_KUBECTL = existsSync('/usr/bin/kubectl') || process.env['CI'] === 'true';

const sandbox = sandboxPerTest();

const json = reportOf;

function kube(h: SandboxHandle, cluster: string): KubeClusterState {
  const wc = findCluster(h.world, cluster);
  if (!wc?.kube) throw new Error(`no kube state for ${cluster}`);
  return wc.kube;
}

/** Every pod in every emulated cluster: verify must leave none behind. */
function allPods(h: SandboxHandle): string[] {
  return h.world.projects.flatMap((p) =>
    p.clusters.flatMap((c) => (c.kube?.pods ?? []).map((pod) => pod.metadata.name)),
  );
}

function verify(h: SandboxHandle, args: string[], extra: Record<string, string> = {}) {
  return runCli(['verify', ...args, '--json', '--timeout', '20'], sandboxEnv(h, extra));
}

function verdicts(r: RunReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of r.clusters[0]?.verify?.probes ?? []) out[`${p.place}/${p.target}`] = p.verdict;
  return out;
}

async function addDenyRule(h: SandboxHandle, cluster: string, port: number): Promise<void> {
  const group = h.world.projects
    .flatMap((p) => p.securityGroups)
    .find((g) => g.name.startsWith(`${cluster}-cce-eni-`));
  const ip = (findCluster(h.world, cluster)?.cluster.status?.endpoints?.[0] as { url: string }).url
    .replace(/^https:\/\//, '')
    .split(':')[0];
  await vpcClient(h.url, SANDBOX_CREDENTIALS).createSecurityGroupRule({
    body: {
      security_group_rule: {
        security_group_id: group?.id,
        direction: 'egress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        multiport: String(port),
        remote_ip_prefix: `${ip}/32`,
        action: 'deny',
        priority: '1',
        description: `test: deny ${port}`,
      },
    },
  } as never);
}

describe('verify on CCE Turbo (demo-turbo: kubernetes endpoints on 5444)', () => {
  it('exits 2 before apply, 2 after a 5443-only apply, 0 once 5443 and 5444 are denied', async () => {
    const h = await sandbox();
    const before = await verify(h, ['--cluster', 'demo-turbo']);
    expect(before.code, before.stderr).toBe(2);
    const r1 = json(before);
    expect(r1.command).toBe('verify');
    expect(r1.status).toBe('drift');
    expect(verdicts(r1)).toEqual({
      'demo-turbo-pool/apiserver-5443': 'reachable',
      'demo-turbo-pool/apiserver-5444': 'reachable',
      'demo-turbo-pool/kubernetes-service': 'reachable',
    });
    expect(r1.clusters[0]?.verify?.endpoints).toEqual([{ ip: '192.168.0.61', port: 5444 }]);
    const cover = r1.clusters[0]?.findings.find((f) => f.code === 'endpoint-port-not-covered');
    expect(cover?.message).toContain('apply --cluster demo-turbo --port 5443 --port 5444');
    expect(allPods(h)).toEqual([]);

    const apply = await runCli(['apply', '--cluster', 'demo-turbo', '--yes'], sandboxEnv(h));
    expect(apply.code, apply.stderr).toBe(0);
    const after = await verify(h, ['--cluster', 'demo-turbo']);
    expect(after.code, after.stderr).toBe(2);
    expect(verdicts(json(after))).toEqual({
      'demo-turbo-pool/apiserver-5443': 'blocked',
      'demo-turbo-pool/apiserver-5444': 'reachable',
      'demo-turbo-pool/kubernetes-service': 'reachable',
    });
    expect(allPods(h)).toEqual([]);

    await addDenyRule(h, 'demo-turbo', 5444);
    const done = await verify(h, ['--cluster', 'demo-turbo', '--metadata']);
    expect(done.code, done.stderr).toBe(0);
    const r3 = json(done);
    expect(r3.status).toBe('compliant');
    expect(verdicts(r3)).toEqual({
      'demo-turbo-pool/apiserver-5443': 'blocked',
      'demo-turbo-pool/apiserver-5444': 'blocked',
      'demo-turbo-pool/kubernetes-service': 'blocked',
      // The deny rules name the API server only; the metadata service stays reachable.
      'demo-turbo-pool/metadata': 'reachable',
    });
    expect(r3.clusters[0]?.findings.map((f) => f.code)).toEqual(['metadata-reachable']);
    expect(allPods(h)).toEqual([]);
  });

  it('an allow at a smaller priority number wins over the deny; at equal priority deny wins', async () => {
    const h = await sandbox();
    await addDenyRule(h, 'demo-turbo', 5443);
    await addDenyRule(h, 'demo-turbo', 5444);
    const group = h.world.projects[0]?.securityGroups.find((g) =>
      g.name.startsWith('demo-turbo-cce-eni-'),
    );
    // An allow at priority 1 next to the denies: deny still wins.
    await vpcClient(h.url).createSecurityGroupRule({
      body: {
        security_group_rule: {
          security_group_id: group?.id,
          direction: 'egress',
          protocol: 'tcp',
          multiport: '5444',
          remote_ip_prefix: '192.168.0.0/16',
          action: 'allow',
          priority: '1',
        },
      },
    } as never);
    expect((await verify(h, ['--cluster', 'demo-turbo'])).code).toBe(0);
    // Move the denies to priority 2: the allow at 1 now decides for 5444.
    for (const r of h.world.projects[0]?.securityGroupRules ?? []) {
      if (r.security_group_id === group?.id && r.action === 'deny') r.priority = 2;
    }
    const r = json(await verify(h, ['--cluster', 'demo-turbo']));
    expect(verdicts(r)['demo-turbo-pool/apiserver-5444']).toBe('reachable');
    expect(verdicts(r)['demo-turbo-pool/apiserver-5443']).toBe('blocked');
  });

  it('probes every node with --nodes all', async () => {
    const h = await sandbox();
    const r = json(await verify(h, ['--cluster', 'demo-turbo', '--nodes', 'all']));
    expect(new Set(r.clusters[0]?.verify?.probes.map((p) => p.node)).size).toBe(3);
  });
});

describe('verify on CCE standard clusters', () => {
  it('finds the one node of demo-vpc-mixed that never ran the script', async () => {
    const h = await sandbox();
    const res = await verify(h, ['--cluster', 'demo-vpc-mixed']);
    expect(res.code, res.stderr).toBe(2);
    const r = json(res);
    const reachable = (r.clusters[0]?.verify?.probes ?? []).filter(
      (p) => p.verdict === 'reachable',
    );
    expect(new Set(reachable.map((p) => p.node))).toEqual(
      new Set([kube(h, 'demo-vpc-mixed').nodes[2]?.name]),
    );
    expect(r.clusters[0]?.verify?.probes.filter((p) => p.verdict === 'blocked')).toHaveLength(4);
    expect(allPods(h)).toEqual([]);
  });

  it('exits 0 when every node runs the block', async () => {
    const { hardenedNodeRules } = await import('../../src/sandbox/index.js');
    const world = withKube(demoWorld(), 'demo-vpc', (k, wc) => {
      for (const n of k.nodes) n.iptables = hardenedNodeRules(wc);
    });
    const h = await sandbox(world);
    const res = await verify(h, ['--cluster', 'demo-vpc']);
    expect(res.code, res.stderr).toBe(0);
    expect(json(res).clusters[0]?.verify?.probes).toHaveLength(8);
  });
});

describe('verify when it cannot verify', () => {
  it('no kubeconfig access: names the IAM action', async () => {
    const h = await sandbox(withKube(demoWorld(), 'demo-turbo', (k) => (k.certDenied = true)));
    const res = await verify(h, ['--cluster', 'demo-turbo']);
    expect(res.code).toBe(1);
    const c = json(res).clusters[0];
    expect(c?.error?.code).toBe('AUTH');
    expect(c?.error?.hint).toContain('cce:cluster:generateClientCredential');
  });

  it('internal endpoint unreachable: says so, and --endpoint external works', async () => {
    const h = await sandbox(
      withKube(demoWorld(), 'demo-turbo', (k) => (k.internalReachable = false)),
    );
    const res = await runCli(
      ['verify', '--cluster', 'demo-turbo', '--timeout', '20'],
      sandboxEnv(h),
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("cannot reach the cluster's internal API endpoint");
    expect(res.stdout).toContain('--endpoint external');
    const ext = await verify(h, ['--cluster', 'demo-turbo', '--endpoint', 'external']);
    expect(ext.code, ext.stderr).toBe(2);
    expect(json(ext).clusters[0]?.verify?.access).toBe('external');
  });

  it('--endpoint external on a cluster without a public address', async () => {
    const h = await sandbox();
    const res = await verify(h, ['--cluster', 'demo-vpc', '--endpoint', 'external']);
    expect(res.code).toBe(1);
    expect(json(res).clusters[0]?.error?.message).toContain('no public API endpoint');
  });

  it('image pull failure: error with the reason, pods deleted', async () => {
    const h = await sandbox(withKube(demoWorld(), 'demo-turbo', (k) => (k.failImages = ['*'])));
    const res = await verify(h, ['--cluster', 'demo-turbo', '--image', 'swr.example.com/x/curl:1']);
    expect(res.code).toBe(1);
    const r = json(res);
    expect(r.clusters[0]?.status).toBe('error');
    expect(r.clusters[0]?.verify?.probes.every((p) => p.verdict === 'error')).toBe(true);
    const f = r.clusters[0]?.findings.find((x) => x.code === 'probe-failed');
    expect(f?.message).toMatch(/image pull failed \((ErrImagePull|ImagePullBackOff)\)/);
    expect(f?.message).toContain('swr.example.com/x/curl:1');
    expect(allPods(h)).toEqual([]);
  });

  it('unschedulable probe: error with the scheduler message, pods deleted', async () => {
    const h = await sandbox(withKube(demoWorld(), 'demo-turbo', (k) => (k.unschedulable = true)));
    const res = await verify(h, ['--cluster', 'demo-turbo']);
    expect(res.code).toBe(1);
    const f = json(res).clusters[0]?.findings.find((x) => x.code === 'probe-failed');
    expect(f?.message).toContain('not schedulable: 0/3 nodes are available');
    expect(allPods(h)).toEqual([]);
  });

  it('tolerates the taints of hardened nodes', async () => {
    const world = withKube(demoWorld(), 'demo-turbo', (k) => {
      for (const n of k.nodes)
        n.taints = [
          { key: 'cce-harden/apiserver', value: 'blocked', effect: 'NoSchedule' },
          { key: 'dedicated', value: 'batch', effect: 'NoExecute' },
        ];
    });
    const h = await sandbox(world);
    const res = await verify(h, ['--cluster', 'demo-turbo']);
    expect(res.code, res.stdout).toBe(2);
    expect(json(res).clusters[0]?.verify?.probes.every((p) => p.verdict !== 'error')).toBe(true);
  });

  it.each([
    ['create pods', 'create pods in namespace cce-harden'],
    ['get pods/log', 'get pods/log in namespace cce-harden'],
    ['list nodes', 'list nodes'],
    ['list endpointslices', 'list endpointslices in namespace default'],
  ])('RBAC forbidden (%s): names the missing permission', async (perm, named) => {
    const h = await sandbox(withKube(demoWorld(), 'demo-turbo', (k) => (k.forbidden = [perm])));
    const res = await verify(h, ['--cluster', 'demo-turbo']);
    expect(res.code).toBe(1);
    const c = json(res).clusters[0];
    const text = `${c?.error?.message ?? ''} ${c?.findings.map((f) => f.message).join(' ')}`;
    expect(text).toContain(`refused to ${named}`);
    expect(`${c?.error?.hint ?? ''}`).toContain('templates/verify-rbac.yaml');
    expect(allPods(h)).toEqual([]);
  });
});

describe.skipIf(!HAVE_KUBECTL)(
  'verify with a kubeconfig file, and kubectl as an independent client',
  () => {
    async function kubeconfigFile(h: SandboxHandle, cluster: string): Promise<string> {
      const req = new CreateKubernetesClusterCertRequest()
        .withClusterId(findCluster(h.world, cluster)?.cluster.metadata.uid ?? '')
        .withBody(new CertDuration().withDuration(1));
      const k = (await cceClient(h.url).createKubernetesClusterCert(req)) as unknown as Record<
        string,
        unknown
      >;
      delete k['httpStatusCode'];
      delete k['Port-ID'];
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-kc-')), 'config');
      writeFileSync(file, JSON.stringify(k), { mode: 0o600 });
      return file;
    }

    it('--kubeconfig and --context, KUBECONFIG; kubectl sees nothing left behind', async () => {
      const h = await sandbox();
      const file = await kubeconfigFile(h, 'demo-turbo');
      const a = await verify(h, [
        '--cluster',
        'demo-turbo',
        '--kubeconfig',
        file,
        '--context',
        'externalTLSVerify',
      ]);
      expect(a.code, a.stdout).toBe(2);
      expect(json(a).clusters[0]?.verify?.access).toBe('kubeconfig');
      const b = await verify(h, ['--cluster', 'demo-turbo'], { KUBECONFIG: file });
      expect(b.code, b.stdout).toBe(2);
      const bad = await verify(h, [
        '--cluster',
        'demo-turbo',
        '--kubeconfig',
        file,
        '--context',
        'nope',
      ]);
      expect(bad.code).toBe(64);

      const kubectl = (...args: string[]) =>
        promisify(execFile)(
          '/usr/bin/kubectl',
          ['--kubeconfig', file, '--request-timeout=10s', ...args],
          {
            env: { PATH: process.env['PATH'] ?? '', HOME: path.dirname(file) },
          },
        );
      const pods = JSON.parse((await kubectl('get', 'pods', '-A', '-o', 'json')).stdout) as {
        items: unknown[];
      };
      expect(pods.items).toEqual([]);
      const nodes = JSON.parse((await kubectl('get', 'nodes', '-o', 'json')).stdout) as {
        items: unknown[];
      };
      expect(nodes.items).toHaveLength(3);
      const svc = (
        await kubectl(
          'get',
          'svc',
          'kubernetes',
          '-n',
          'default',
          '-o',
          'jsonpath={.spec.clusterIP}',
        )
      ).stdout;
      expect(svc).toBe('10.247.0.1');
    });

    it('--cleanup removes probe pods a run left behind, and nothing else', async () => {
      const h = await sandbox();
      // A run that was killed: its pod is still there (made with the real manifest through kubectl).
      const file = await kubeconfigFile(h, 'demo-turbo');
      const { probePodManifest, PROBE_NAMESPACE } = await import('../../src/core/verify/probe.js');
      const k = kube(h, 'demo-turbo');
      k.namespaces.push({ name: PROBE_NAMESPACE, uid: 'u', labels: {}, creationTimestamp: '' });
      const manifest = probePodManifest({
        name: 'cce-harden-verify-dead-0',
        namespace: PROBE_NAMESPACE,
        node: k.nodes[0]?.name ?? '',
        image: 'x',
        targets: [],
        runId: 'dead',
        startedBy: 't',
        taints: [],
        activeDeadlineSeconds: 60,
        expiresAt: new Date().toISOString(),
      });
      const other = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'someone-else', namespace: PROBE_NAMESPACE },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      };
      for (const m of [manifest, other]) {
        const f = path.join(path.dirname(file), `${(m.metadata as { name: string }).name}.json`);
        writeFileSync(f, JSON.stringify(m));
        await promisify(execFile)(
          '/usr/bin/kubectl',
          ['--kubeconfig', file, 'create', '--validate=false', '-f', f],
          {
            env: { PATH: process.env['PATH'] ?? '', HOME: path.dirname(file) },
          },
        );
      }
      expect(allPods(h).sort()).toEqual(['cce-harden-verify-dead-0', 'someone-else']);
      const res = await verify(h, ['--cluster', 'demo-turbo', '--cleanup']);
      expect(res.code, res.stdout).toBe(0);
      expect(allPods(h)).toEqual(['someone-else']);
    });

    it('KUBECONFIG with several files: merged as kubectl merges them', async () => {
      const h = await sandbox();
      const file = await kubeconfigFile(h, 'demo-turbo');
      const full = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
        clusters: { name: string; cluster: Record<string, unknown> }[];
      };
      const dir = path.dirname(file);
      const write = (name: string, doc: object) => {
        const f = path.join(dir, name);
        writeFileSync(f, JSON.stringify(doc), { mode: 0o600 });
        return f;
      };
      // Split: contexts and the current context in one file, clusters and users in another.
      const contexts = write('contexts', {
        apiVersion: 'v1',
        kind: 'Config',
        contexts: full['contexts'],
        'current-context': 'externalTLSVerify',
      });
      const rest = write('rest', {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: full.clusters,
        users: full['users'],
      });
      // The same names pointing nowhere, and another current context.
      const decoy = write('decoy', {
        ...full,
        clusters: full.clusters.map((c) => ({
          ...c,
          cluster: { ...c.cluster, server: 'https://127.0.0.1:1' },
        })),
        'current-context': 'internal',
      });
      const missing = path.join(dir, 'does-not-exist');
      const run = (list: string[]) =>
        verify(h, ['--cluster', 'demo-turbo'], { KUBECONFIG: list.join(path.delimiter) });

      const empty = write('empty', {});
      writeFileSync(empty, '');
      const merged = await run([missing, empty, contexts, rest, decoy]);
      expect(merged.code, merged.stdout).toBe(2);
      expect(json(merged).clusters[0]?.verify?.access).toBe('kubeconfig');
      expect(json(merged).clusters[0]?.verify?.probes.length).toBeGreaterThan(0);
      // The first file that names a cluster wins: the decoy first means its servers are used.
      const decoyFirst = await run([decoy, contexts, rest]);
      expect(decoyFirst.code, decoyFirst.stdout).toBe(1);
      expect(json(decoyFirst).clusters[0]?.error?.message).toContain('127.0.0.1:1');
      const none = await run([missing]);
      expect(none.code).toBe(64);
      expect(allPods(h)).toEqual([]);
    });

    it("the probe pods are owned by the run's ConfigMap: refused pod deletes are collected with it", async () => {
      const h = await sandbox();
      const file = await kubeconfigFile(h, 'demo-turbo');
      kube(h, 'demo-turbo').forbidden = ['delete pods'];
      const res = await verify(h, ['--cluster', 'demo-turbo']);
      const doc = json(res);
      const c = doc.clusters[0];
      expect(c?.verify?.probes.length).toBeGreaterThan(0);
      // The pods could not be deleted one by one, but the owner went last and took them along.
      expect(c?.verify?.cleanup.leftovers.length).toBeGreaterThan(0);
      expect(c?.findings.find((f) => f.code === 'probe-pods-left')?.message).toContain(
        'garbage collector removes them too',
      );
      const calls = h.kube.log.map(
        (e) => `${e.method} ${e.path.replace(/^\/clusters\/[^/]+/, '')}`,
      );
      const first = (re: RegExp) => calls.findIndex((x) => re.test(x));
      const last = (re: RegExp) =>
        calls.length - 1 - [...calls].reverse().findIndex((x) => re.test(x));
      expect(first(/^POST .*\/configmaps$/)).toBeLessThan(first(/^POST .*\/pods$/));
      expect(first(/^DELETE .*\/configmaps\//)).toBeGreaterThan(last(/^DELETE .*\/pods\//));
      const kubectl = async (...args: string[]) =>
        (
          await promisify(execFile)('/usr/bin/kubectl', ['--kubeconfig', file, ...args], {
            env: { PATH: process.env['PATH'] ?? '', HOME: path.dirname(file) },
          })
        ).stdout;
      expect(await kubectl('get', 'pods', '-A', '-o', 'name')).toBe('');
      expect(await kubectl('get', 'configmaps', '-n', 'cce-harden', '-o', 'name')).toBe('');
      expect(allPods(h)).toEqual([]);
    });

    it('RBAC without configmaps (granted before the owner existed): probes run without an owner, and it says so', async () => {
      const h = await sandbox();
      kube(h, 'demo-turbo').forbidden = ['create configmaps'];
      const res = await verify(h, ['--cluster', 'demo-turbo']);
      expect(res.code, res.stdout).toBe(2);
      const c = json(res).clusters[0];
      expect(c?.verify?.probes.some((p) => p.verdict === 'reachable')).toBe(true);
      expect(c?.findings.find((f) => f.code === 'probe-owner-forbidden')?.message).toContain(
        'configmaps',
      );
      expect(c?.verify?.cleanup.leftovers).toEqual([]);
      expect(allPods(h)).toEqual([]);
    });

    it('--cleanup finds leftovers by owner too, deletes the owner last, and nothing else', async () => {
      const h = await sandbox();
      const file = await kubeconfigFile(h, 'demo-turbo');
      const { runOwnerManifest, PROBE_NAMESPACE } = await import('../../src/core/verify/probe.js');
      const k = kube(h, 'demo-turbo');
      k.namespaces.push({ name: PROBE_NAMESPACE, uid: 'u', labels: {}, creationTimestamp: '' });
      const env = { PATH: process.env['PATH'] ?? '', HOME: path.dirname(file) };
      const kubectl = async (...args: string[]) =>
        (await promisify(execFile)('/usr/bin/kubectl', ['--kubeconfig', file, ...args], { env }))
          .stdout;
      const create = async (m: object, name: string) => {
        const f = path.join(path.dirname(file), `${name}.json`);
        writeFileSync(f, JSON.stringify(m));
        await kubectl('create', '--validate=false', '-f', f);
      };
      await create(
        runOwnerManifest({
          runId: 'dead',
          namespace: PROBE_NAMESPACE,
          startedBy: 't',
          expiresAt: '',
        }),
        'owner',
      );
      const uid = await kubectl(
        'get',
        'configmap',
        '-n',
        PROBE_NAMESPACE,
        'cce-harden-verify-dead',
        '-o',
        'jsonpath={.metadata.uid}',
      );
      const pod = (name: string, meta: object) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: PROBE_NAMESPACE, ...meta },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      });
      // Labels stripped (by hand, or by a tool): only the owner says whose it is.
      await create(
        pod('unlabelled-probe', {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'cce-harden-verify-dead', uid },
          ],
        }),
        'p1',
      );
      await create(pod('someone-else', {}), 'p2');
      await kubectl('create', 'configmap', '-n', PROBE_NAMESPACE, 'not-ours', '--from-literal=a=b');
      const res = await verify(h, ['--cluster', 'demo-turbo', '--cleanup']);
      expect(res.code, res.stdout).toBe(0);
      expect(json(res).clusters[0]?.findings[0]?.message).toContain('unlabelled-probe');
      expect(allPods(h)).toEqual(['someone-else']);
      const calls = h.kube.log.map((e) => `${e.method} ${e.path}`);
      const podDelete = calls.findIndex((x) => /^DELETE .*\/pods\/unlabelled-probe$/.test(x));
      const ownerDelete = calls.findIndex((x) =>
        /^DELETE .*\/configmaps\/cce-harden-verify-dead$/.test(x),
      );
      expect(podDelete).toBeGreaterThan(-1);
      expect(ownerDelete).toBeGreaterThan(podDelete);
      expect(await kubectl('get', 'configmaps', '-n', PROBE_NAMESPACE, '-o', 'name')).toBe(
        'configmap/not-ours\n',
      );
    });

    it('refuses a kubeconfig file with --all', async () => {
      const h = await sandbox();
      const res = await verify(h, ['--all', '--kubeconfig', '/nonexistent']);
      expect(res.code).toBe(64);
    });
  },
);

describe('verify outputs', () => {
  it('prometheus: one-hot verdict per probe; table: one line per cluster', async () => {
    const h = await sandbox();
    const prom = await runCli(
      ['verify', '--cluster', 'demo-turbo', '--output', 'prometheus', '--timeout', '20'],
      sandboxEnv(h),
    );
    expect(prom.code).toBe(2);
    expect(prom.stdout).toMatch(
      /^cce_harden_verify_probe\{[^}]*target="apiserver-5444",address="192\.168\.0\.61:5444",verdict="reachable"\} 1$/m,
    );
    expect(prom.stdout).toMatch(
      /^cce_harden_verify_probe\{[^}]*target="apiserver-5444",address="192\.168\.0\.61:5444",verdict="blocked"\} 0$/m,
    );
    const table = await runCli(
      ['verify', '--cluster', 'demo-turbo', '--output', 'table', '--timeout', '20'],
      sandboxEnv(h),
    );
    expect(table.stdout).toMatch(/demo-turbo\s+Turbo\s+DRIFT/);
    expect(allPods(h)).toEqual([]);
  });
});
