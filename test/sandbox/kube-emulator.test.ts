import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertDuration, CreateKubernetesClusterCertRequest } from '@huaweicloud/huaweicloud-sdk-cce';
import {
  demoWorld,
  findCluster,
  startSandbox,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { cceClient, sdkError, wire } from './sdk.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';

/** Debian's kubectl (package kubernetes-client); CI installs it, elsewhere the test is skipped. */
const HAVE_KUBECTL = existsSync('/usr/bin/kubectl') || process.env['CI'] === 'true';

let h: SandboxHandle;
let cce: ReturnType<typeof cceClient>;
let dir: string;

beforeAll(async () => {
  h = await startSandbox();
  cce = cceClient(h.url);
  dir = mkdtempSync(join(tmpdir(), 'cce-harden-kube-'));
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.world = demoWorld();
});

const idOf = (name: string) => findCluster(h.world, name)?.cluster.metadata.uid ?? '';

interface KubeconfigWire {
  kind: string;
  apiVersion: string;
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, string> }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
  httpStatusCode?: number;
}

async function issue(name: string, duration = 1): Promise<KubeconfigWire> {
  const req = new CreateKubernetesClusterCertRequest()
    .withClusterId(idOf(name))
    .withBody(new CertDuration().withDuration(duration));
  return wire<KubeconfigWire>(await cce.createKubernetesClusterCert(req));
}

/** The kubeconfig as a file in the shape kubectl reads (JSON is valid YAML). */
function kubeconfigFile(k: KubeconfigWire, name: string): string {
  const { httpStatusCode: _s, ...rest } = k as KubeconfigWire & Record<string, unknown>;
  delete (rest as Record<string, unknown>)['Port-ID'];
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(file, JSON.stringify(rest), { mode: 0o600 });
  return file;
}

async function kubectl(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ['--kubeconfig', file, '--request-timeout=10s', ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: dir },
  });
  return stdout;
}

describe('CreateKubernetesClusterCert', () => {
  it('returns a kubeconfig in CCE shape through the official SDK', async () => {
    const k = await issue('demo-turbo');
    expect(k.kind).toBe('Config');
    expect(k.apiVersion).toBe('v1');
    expect(k.clusters.map((c) => c.name)).toEqual([
      'internalCluster',
      'externalCluster',
      'externalClusterTLSVerify',
    ]);
    expect(k.clusters[1]?.cluster['insecure-skip-tls-verify']).toBe(true);
    expect(k.contexts.map((c) => c.name)).toEqual(['internal', 'external', 'externalTLSVerify']);
    expect(k['current-context']).toBe('external');
    expect(k.users[0]?.user['client-key-data']).toMatch(/^[A-Za-z0-9+/=]+$/);
    const ca = Buffer.from(String(k.clusters[0]?.cluster['certificate-authority-data']), 'base64');
    expect(ca.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('has only the internal cluster when there is no public address', async () => {
    const k = await issue('demo-vpc');
    expect(k.clusters.map((c) => c.name)).toEqual(['internalCluster']);
    expect(k['current-context']).toBe('internal');
  });

  it('refuses a duration out of range, and a denied user with 403', async () => {
    expect((await sdkError(issue('demo-turbo', 0))).httpStatusCode).toBe(400);
    expect((await sdkError(issue('demo-turbo', 1828))).httpStatusCode).toBe(400);
    const wc = findCluster(h.world, 'demo-turbo');
    if (!wc) throw new Error('no demo-turbo');
    const { kubeOf } = await import('../../src/sandbox/k8s/kube-world.js');
    kubeOf(h.world, h.world.projects[0]!, wc).certDenied = true;
    expect((await sdkError(issue('demo-turbo'))).httpStatusCode).toBe(403);
  });
});

describe.skipIf(!HAVE_KUBECTL)('the Kubernetes API emulator, through kubectl', () => {
  it('serves nodes, the kubernetes Service and pods', async () => {
    const file = kubeconfigFile(await issue('demo-turbo'), 'turbo');
    const nodes = JSON.parse(
      await kubectl(file, '--context', 'externalTLSVerify', 'get', 'nodes', '-o', 'json'),
    ) as {
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    };
    expect(nodes.items).toHaveLength(3);
    expect(nodes.items[0]?.metadata.labels['cce.cloud.com/cce-nodepool']).toBe('demo-turbo-pool');
    const svc = JSON.parse(
      await kubectl(
        file,
        '--context',
        'internal',
        'get',
        'svc',
        'kubernetes',
        '-n',
        'default',
        '-o',
        'json',
      ),
    ) as { spec: { clusterIP: string; ports: { port: number }[] } };
    expect(svc.spec.clusterIP).toBe('10.247.0.1');
    expect(svc.spec.ports[0]?.port).toBe(443);
    const pods = JSON.parse(await kubectl(file, 'get', 'pods', '-A', '-o', 'json')) as {
      items: unknown[];
    };
    expect(pods.items).toEqual([]);
    const text = await kubectl(file, 'get', 'nodes');
    expect(text).toContain('192.168.');
  });

  it('garbage-collects the pods a ConfigMap owns when it is deleted (background cascading deletion)', async () => {
    const file = kubeconfigFile(await issue('demo-turbo'), 'gc');
    await kubectl(file, 'create', 'namespace', 'gc-test');
    await kubectl(file, '-n', 'gc-test', 'create', 'configmap', 'owner', '--from-literal=a=b');
    const uid = await kubectl(
      file,
      '-n',
      'gc-test',
      'get',
      'configmap',
      'owner',
      '-o',
      'jsonpath={.metadata.uid}',
    );
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    const pod = (name: string, owners: object[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'gc-test',
        ...(owners.length ? { ownerReferences: owners } : {}),
      },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    const owned = pod('owned', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }]);
    const free = pod('free', []);
    for (const m of [owned, free]) {
      const f = join(dir, `gc-${m.metadata.name}.json`);
      writeFileSync(f, JSON.stringify(m));
      await kubectl(file, 'create', '--validate=false', '-f', f);
    }
    const names = async () =>
      (
        await kubectl(
          file,
          '-n',
          'gc-test',
          'get',
          'pods',
          '-o',
          'jsonpath={.items[*].metadata.name}',
        )
      )
        .split(' ')
        .filter(Boolean)
        .sort();
    expect(await names()).toEqual(['free', 'owned']);
    await kubectl(file, '-n', 'gc-test', 'delete', 'configmap', 'owner');
    expect(await names()).toEqual(['free']);
    expect(await kubectl(file, '-n', 'gc-test', 'get', 'configmaps', '-o', 'name')).toBe('');
    // A pod created with an owner that does not exist is collected as well.
    const f = join(dir, 'gc-orphan.json');
    writeFileSync(
      f,
      JSON.stringify(pod('orphan', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid }])),
    );
    await kubectl(file, 'create', '--validate=false', '-f', f);
    expect(await names()).toEqual(['free']);
  });

  it('refuses a certificate issued for another cluster', async () => {
    const turbo = await issue('demo-turbo');
    const vpc = await issue('demo-vpc');
    // demo-vpc's user against demo-turbo's server.
    const mixed = { ...turbo, users: vpc.users };
    const file = kubeconfigFile(mixed, 'mixed');
    await expect(kubectl(file, '--context', 'internal', 'get', 'nodes')).rejects.toThrow(
      /Unauthorized|must be logged in/,
    );
  });
});
