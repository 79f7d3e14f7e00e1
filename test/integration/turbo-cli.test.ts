/**
 * check / apply / remove on CCE Turbo clusters: the real CLI (main's run) and the real SDK against
 * the sandbox over HTTP. Each test asserts exit code, JSON, the sandbox's request log and state.
 */
import { describe, expect, it } from 'vitest';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  demoWorld,
  findSecurityGroup,
  rulesOfGroup,
  type SandboxHandle,
  type WireSecurityGroupRule,
  type World,
} from '../../src/sandbox/index.js';
import { runCli, sandboxEnv, spawnCli, writes, type CliResult, reportOf } from '../helpers/cli.js';
import { sandboxPerTest, eniGroupId } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();

function sandbox(world: World = demoWorld()): Promise<SandboxHandle> {
  return startSandbox(world);
}

const json = reportOf;

function denyRules(h: SandboxHandle, groupId: string) {
  return rulesOfGroup(h.world, groupId).filter((r) => r.action === 'deny');
}

const SECRETS = [SANDBOX_CREDENTIALS.sk, 'tok-very-secret-session-token-0123456789'];
function expectNoSecrets(r: CliResult): void {
  for (const s of SECRETS) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

describe('check', () => {
  it('hardened cluster: compliant, exit 0, rule reported', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'check', status: 'compliant' });
    const c = doc.clusters[0];
    expect(c).toMatchObject({
      name: 'demo-turbo-hardened',
      category: 'Turbo',
      networkMode: 'eni',
      phase: 'Available',
      status: 'compliant',
      changes: [],
    });
    expect(c?.securityGroup?.name).toMatch(/^demo-turbo-hardened-cce-eni-[a-z0-9]+$/);
    expect(c?.rule).toMatchObject({
      action: 'deny',
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      ports: '5443',
      priority: 1,
      enabled: true,
      match: 'equivalent',
    });
    expect(c?.rule?.destination).toBe(`${c?.apiServer?.ip}/32`);
    expect(writes(h)).toEqual([]);
  });

  it('unhardened cluster: drift, exit 2, the missing rule as a planned change', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-turbo', '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    const c = json(r).clusters[0];
    expect(c?.status).toBe('drift');
    expect(c?.rule).toBeNull();
    expect(c?.findings.map((f) => f.code)).toContain('rule-missing');
    expect(c?.changes).toHaveLength(1);
    expect(c?.changes[0]).toMatchObject({
      action: 'create',
      kind: 'security-group-rule',
      applied: false,
    });
    expect(writes(h)).toEqual([]);
  });

  it('finds a cluster by id as well as by name', async () => {
    const h = await sandbox();
    const id = h.world.projects[0]?.clusters.find((c) => c.cluster.metadata.name === 'demo-turbo')
      ?.cluster.metadata.uid as string;
    const r = await runCli(['check', '--cluster', id, '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    expect(json(r).clusters[0]).toMatchObject({ id, name: 'demo-turbo' });
  });

  it('unknown cluster: exit 1, says so and lists the clusters that exist', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'no-such', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    const c = json(r).clusters[0];
    expect(c?.status).toBe('error');
    expect(c?.error?.code).toBe('NOT_FOUND');
    expect(c?.error?.message).toContain('no-such');
    expect(c?.error?.hint).toContain('demo-turbo-hardened');
  });

  it('an ambiguous name (two clusters called the same): an error asking for the id', async () => {
    const h = await sandbox();
    // CCE refuses duplicate names when creating; a listing can still hold two (e.g. one being
    // deleted), so the world is edited after it is built.
    const project = h.world.projects[0];
    const original = project?.clusters.find((c) => c.cluster.metadata.name === 'demo-turbo');
    const twin = structuredClone(original) as NonNullable<typeof original>;
    twin.cluster.metadata.uid = '00000000-0000-4000-8000-0000000000aa';
    project?.clusters.push(twin);
    const r = await runCli(['check', '--cluster', 'demo-turbo', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    const c = json(r).clusters[0];
    expect(c?.error?.code).toBe('USAGE');
    expect(c?.error?.message).toContain(twin.cluster.metadata.uid);
    expect(c?.error?.hint).toContain('cluster id');
  });

  it('a hibernating cluster without an endpoint is skipped with the reason, not guessed at', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-sleepy', '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    const c = json(r).clusters[0];
    expect(c?.phase).toBe('Hibernation');
    expect(c?.status).toBe('skipped');
    expect(c?.rule).toBeNull();
    expect(c?.reason).toMatch(/Hibernation/);
  });

  it('no ENI group: error suggesting --security-group', async () => {
    const h = await sandbox(
      new WorldBuilder().turboCluster({ name: 'bare', eniGroups: 0 }).build(),
    );
    const r = await runCli(['check', '--cluster', 'bare', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.hint).toContain('--security-group');
  });

  it('several ENI groups: error listing them; --security-group picks one', async () => {
    const h = await sandbox(new WorldBuilder().turboCluster({ name: 'dup', eniGroups: 2 }).build());
    const env = sandboxEnv(h);
    const r = await runCli(['check', '--cluster', 'dup', '--json'], env);
    expect(r.code).toBe(1);
    const names = h.world.projects[0]?.securityGroups
      .filter((g) => g.name.startsWith('dup-cce-eni-'))
      .map((g) => g.name);
    expect(names).toHaveLength(2);
    for (const n of names ?? []) expect(json(r).clusters[0]?.error?.message).toContain(n);

    const pick = eniGroupId(h, 'dup');
    const r2 = await runCli(['check', '--cluster', 'dup', '--security-group', pick, '--json'], env);
    expect(r2.code).toBe(2);
    expect(json(r2).clusters[0]?.securityGroup?.id).toBe(pick);
  });

  it('a disabled deny rule is drift', async () => {
    const h = await sandbox(
      new WorldBuilder().turboCluster({ name: 'off', hardened: 'disabled' }).build(),
    );
    const r = await runCli(['check', '--cluster', 'off', '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    const c = json(r).clusters[0];
    expect(c?.findings.map((f) => f.code)).toContain('rule-disabled');
    expect(c?.rule?.enabled).toBe(false);
  });

  it.each(['equivalent-bare-ip', 'equivalent-port-range', 'manual'] as const)(
    'an equivalent rule written differently (%s) is compliant',
    async (variant) => {
      const h = await sandbox(
        new WorldBuilder().turboCluster({ name: 'eq', hardened: variant }).build(),
      );
      const r = await runCli(['check', '--cluster', 'eq', '--json'], sandboxEnv(h));
      expect(r.code).toBe(0);
      expect(json(r).clusters[0]?.rule?.match).toBe('equivalent');
    },
  );

  it.each(['other-priority', 'other-port'] as const)(
    'a deny rule that does not match (%s) is drift',
    async (variant) => {
      const h = await sandbox(
        new WorldBuilder().turboCluster({ name: 'ne', hardened: variant }).build(),
      );
      const r = await runCli(['check', '--cluster', 'ne', '--json'], sandboxEnv(h));
      expect(r.code).toBe(2);
    },
  );

  it('a wider deny rule is compliant and reported as stronger', async () => {
    const b = new WorldBuilder().turboCluster({ name: 'wide', apiServerIp: '192.168.0.61' });
    const groupName = b
      .build()
      .projects[0]?.securityGroups.find((g) => g.name.startsWith('wide-cce-eni-'))?.name as string;
    b.rule({
      securityGroup: groupName,
      direction: 'egress',
      protocol: null,
      multiport: null,
      remoteIpPrefix: '192.168.0.0/16',
      action: 'deny',
      priority: 1,
    });
    const h = await sandbox(b.build());
    const r = await runCli(['check', '--cluster', 'wide', '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(json(r).clusters[0]?.rule).toMatchObject({
      match: 'stronger',
      destination: '192.168.0.0/16',
    });
  });

  it('an allow rule at priority 1 toward the API server is a finding, not drift', async () => {
    const h = await sandbox(
      new WorldBuilder().turboCluster({ name: 'both', hardened: true }).build(),
    );
    h.world.projects[0]?.securityGroupRules.push({
      ...(rulesOfGroup(h.world, eniGroupId(h, 'both')).find(
        (r) => r.action === 'deny',
      ) as WireSecurityGroupRule),
      id: '00000000-0000-4000-8000-00000000a110',
      action: 'allow',
      description: 'someone opened it',
    });
    const r = await runCli(['check', '--cluster', 'both', '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    const f = json(r).clusters[0]?.findings.find((x) => x.code === 'allow-rule-priority-1');
    expect(f?.severity).toBe('warning');
  });

  it('a standard cluster is not reported as a security-group case', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-vpc', '--json'], sandboxEnv(h));
    const c = json(r).clusters[0];
    expect(c?.category).toBe('CCE');
    expect(c?.securityGroup).toBeNull();
    expect(['drift', 'compliant']).toContain(c?.status);
  });
});

describe('apply', () => {
  it('creates exactly one correct rule, then verifies it', async () => {
    const h = await sandbox();
    const group = eniGroupId(h, 'demo-turbo');
    const before = rulesOfGroup(h.world, group).length;
    const r = await runCli(['apply', '--cluster', 'demo-turbo', '--yes', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc.status).toBe('compliant');
    expect(doc.clusters[0]?.changes).toEqual([
      expect.objectContaining({ action: 'create', applied: true }),
    ]);
    expect(rulesOfGroup(h.world, group)).toHaveLength(before + 1);
    const created = denyRules(h, group);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      multiport: '5443',
      remote_ip_prefix: '192.168.0.61/32',
      action: 'deny',
      priority: 1,
      enabled: true,
    });
    expect(created[0]?.description).toMatch(/^cce-harden:/);
    // No other group was written to; the node and control groups above all.
    const posts = writes(h);
    expect(posts).toEqual([
      { method: 'POST', path: `/v3/${SANDBOX_CREDENTIALS.projectId}/vpc/security-group-rules` },
    ]);
    const body = h.log.find((e) => e.method === 'POST')?.body as {
      security_group_rule: { security_group_id: string };
    };
    expect(body.security_group_rule.security_group_id).toBe(group);
    // Pre-flight: the add-on that needs the API server is named.
    expect(doc.clusters[0]?.findings.map((f) => f.code)).toContain('addon-needs-apiserver');
  });

  it('twice: the second run changes nothing and says so', async () => {
    const h = await sandbox();
    const env = sandboxEnv(h);
    expect((await runCli(['apply', '--cluster', 'demo-turbo', '--yes'], env)).code).toBe(0);
    h.clearLog();
    const second = await runCli(['apply', '--cluster', 'demo-turbo', '--yes'], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('Nothing to do');
    expect(writes(h)).toEqual([]);
    expect(denyRules(h, eniGroupId(h, 'demo-turbo'))).toHaveLength(1);
  });

  it('two applies at once (two processes) leave exactly one rule', async () => {
    const h = await sandbox();
    const env = sandboxEnv(h);
    const [a, b] = await Promise.all([
      spawnCli(['apply', '--cluster', 'demo-turbo', '--yes', '--json'], env),
      spawnCli(['apply', '--cluster', 'demo-turbo', '--yes', '--json'], env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(json(a).status).toBe('compliant');
    expect(json(b).status).toBe('compliant');
    expect(denyRules(h, eniGroupId(h, 'demo-turbo'))).toHaveLength(1);
  });

  it('--dry-run makes no write request and exits 2 when there is something to do', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['apply', '--cluster', 'demo-turbo', '--dry-run', '--json'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({ dryRun: true, status: 'drift' });
    expect(json(r).clusters[0]?.changes[0]).toMatchObject({ action: 'create', applied: false });
    expect(writes(h)).toEqual([]);
    expect(denyRules(h, eniGroupId(h, 'demo-turbo'))).toHaveLength(0);
  });

  it('--dry-run on a compliant cluster exits 0', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['apply', '--cluster', 'demo-turbo-hardened', '--dry-run'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(0);
  });

  it('without a terminal and without --yes it refuses with exit 64 and writes nothing', async () => {
    const h = await sandbox();
    const r = await runCli(['apply', '--cluster', 'demo-turbo', '--json'], sandboxEnv(h));
    expect(r.code).toBe(64);
    expect(json(r).error?.message).toMatch(/no terminal/);
    expect(r.stderr).toContain('--yes');
    expect(writes(h)).toEqual([]);
  });

  it('refuses a node security group given explicitly, with no write', async () => {
    const h = await sandbox();
    const node = h.world.projects[0]?.securityGroups.find((g) =>
      g.name.startsWith('demo-turbo-cce-node-'),
    )?.id as string;
    const r = await runCli(
      ['apply', '--cluster', 'demo-turbo', '--security-group', node, '--yes', '--json'],
      sandboxEnv(h),
    );
    // A refused --security-group is a usage error: exit 64, before anything is written.
    expect(r.code).toBe(64);
    expect(json(r).error?.code).toBe('USAGE');
    expect(writes(h)).toEqual([]);
  });

  it('a disabled rule it created is replaced by an enabled one', async () => {
    const h = await sandbox(
      new WorldBuilder().turboCluster({ name: 'off', hardened: 'disabled' }).build(),
    );
    const r = await runCli(['apply', '--cluster', 'off', '--yes', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    expect(writes(h).map((w) => w.method)).toEqual(['DELETE', 'POST']);
    const rules = denyRules(h, eniGroupId(h, 'off'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.enabled).toBe(true);
  });

  it('a disabled rule it did not create blocks apply instead of being touched', async () => {
    const b = new WorldBuilder().turboCluster({ name: 'off', apiServerIp: '192.168.0.61' });
    const group = b
      .build()
      .projects[0]?.securityGroups.find((g) => g.name.startsWith('off-cce-eni-'))?.name as string;
    b.rule({
      securityGroup: group,
      direction: 'egress',
      protocol: 'tcp',
      multiport: '5443',
      remoteIpPrefix: '192.168.0.61/32',
      action: 'deny',
      priority: 1,
      enabled: false,
      description: 'paused by ops',
    });
    const h = await sandbox(b.build());
    const r = await runCli(['apply', '--cluster', 'off', '--yes', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.message).toMatch(/disabled.*did not create/);
    expect(writes(h)).toEqual([]);
  });

  it('pre-flight: pods whose interfaces use other security groups are named before anything changes', async () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'team-a-pods' })
      .turboCluster({ name: 'pods', subNetworkInterfaces: 2 });
    const eni = b
      .build()
      .projects[0]?.securityGroups.find((g) => g.name.startsWith('pods-cce-eni-'))?.name as string;
    b.subNetworkInterface({ cluster: 'pods', securityGroups: ['team-a-pods'] });
    b.subNetworkInterface({ cluster: 'pods', securityGroups: ['team-a-pods', eni] });
    const h = await sandbox(b.build());
    const r = await runCli(['apply', '--cluster', 'pods', '--dry-run', '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    const findings = json(r).clusters[0]?.findings ?? [];
    expect(findings.find((f) => f.code === 'pods-outside-eni-group')?.message).toMatch(
      /^1 of 4 pod network interfaces/,
    );
    expect(findings.find((f) => f.code === 'pods-other-group-first')?.message).toMatch(
      /^1 pod network interface has/,
    );
    const list = h.log.find((e) => e.path.endsWith('/vpc/sub-network-interfaces'));
    expect(list?.query.virsubnet_id).toBeDefined();
    expect(writes(h)).toEqual([]);
  });

  it('a standard cluster named explicitly is an error pointing to the iptables path', async () => {
    const h = await sandbox();
    const r = await runCli(['apply', '--cluster', 'demo-vpc', '--yes', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.hint).toContain(
      'cce-harden iptables --cluster demo-vpc --install',
    );
    expect(writes(h)).toEqual([]);
  });
});

describe('remove', () => {
  it('deletes only the rule cce-harden created, never a hand-made one', async () => {
    const b = new WorldBuilder().turboCluster({
      name: 'mixed',
      hardened: true,
      apiServerIp: '192.168.0.61',
    });
    const group = b
      .build()
      .projects[0]?.securityGroups.find((g) => g.name.startsWith('mixed-cce-eni-'))?.name as string;
    // A hand-made rule that denies the same traffic in other words (no marker).
    b.rule({
      securityGroup: group,
      direction: 'egress',
      protocol: 'tcp',
      multiport: '5443-5443',
      remoteIpPrefix: '192.168.0.61',
      action: 'deny',
      priority: 1,
      description: 'network team',
    });
    const h = await sandbox(b.build());
    const groupId = findSecurityGroup(h.world, group)?.id as string;
    expect(denyRules(h, groupId)).toHaveLength(2);

    const dry = await runCli(
      ['remove', '--cluster', 'mixed', '--dry-run', '--json'],
      sandboxEnv(h),
    );
    expect(dry.code).toBe(2);
    expect(json(dry).clusters[0]?.changes).toHaveLength(1);
    expect(writes(h)).toEqual([]);

    const r = await runCli(['remove', '--cluster', 'mixed', '--yes', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    const left = denyRules(h, groupId);
    expect(left).toHaveLength(1);
    expect(left[0]?.description).toBe('network team');
    expect(writes(h).map((w) => w.method)).toEqual(['DELETE']);
  });

  it('nothing of its own to remove: exit 0, no write', async () => {
    const h = await sandbox(
      new WorldBuilder().turboCluster({ name: 'hand', hardened: 'manual' }).build(),
    );
    const r = await runCli(['remove', '--cluster', 'hand', '--yes'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Nothing to remove');
    expect(writes(h)).toEqual([]);
  });
});

describe('resilience and errors', () => {
  it('throttling (429 APIGW.0308) and a 5xx are retried and recovered', async () => {
    const h = await sandbox();
    h.faults.throttle('/vpc/security-groups', { times: 2 });
    h.faults.add({ path: '/vpc/security-group-rules', method: 'GET', serverError: 503, times: 1 });
    h.faults.throttle('/clusters', { times: 1, flavor: 'cce' });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    expect(h.log.filter((e) => e.status === 429)).toHaveLength(3);
    expect(h.log.filter((e) => e.status === 503)).toHaveLength(1);
  });

  it('a dropped connection on create is retried; the duplicate answer counts as success', async () => {
    const h = await sandbox();
    // The rule is created but the answer is lost: the retry gets 409 VPC.9902.
    h.faults.add({
      method: 'POST',
      path: '/vpc/security-group-rules',
      drop: true,
      times: 1,
      when: 'after',
    });
    const r = await runCli(['apply', '--cluster', 'demo-turbo', '--yes', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    expect(h.log.filter((e) => e.method === 'POST').map((e) => e.status)).toEqual([0, 409]);
    expect(denyRules(h, eniGroupId(h, 'demo-turbo'))).toHaveLength(1);
  });

  it('persistent 5xx: exit 1 with status, code and request id', async () => {
    const h = await sandbox();
    h.faults.add({ path: '/clusters', serverError: 500 });
    const r = await runCli(['check', '--cluster', 'demo-turbo', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.status).toBe('error');
    expect(doc.error).toMatchObject({ code: 'CLOUD', httpStatus: 500 });
    expect(doc.error?.requestId).toMatch(/\w+/);
  });

  it('a bad signature (wrong SK) is an auth error that says what to check, with no secret shown', async () => {
    const h = await sandbox();
    const env = sandboxEnv(h, {
      HUAWEICLOUD_SDK_SK: 'wrong-secret-key-0000000000000000000000',
      HUAWEICLOUD_SDK_SECURITY_TOKEN: SECRETS[1],
    });
    const r = await runCli(['check', '--cluster', 'demo-turbo', '--json'], env);
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.error).toMatchObject({ code: 'AUTH', httpStatus: 401, errorCode: 'APIGW.0301' });
    expect(doc.error?.hint).toContain('HUAWEICLOUD_SDK_SK');
    expect(r.stdout + r.stderr).not.toContain('wrong-secret-key');
    expectNoSecrets(r);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('missing credentials, region and project: one usage error naming every variable', async () => {
    const r = await runCli(['check', '--cluster', 'x', '--json'], {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
    });
    expect(r.code).toBe(64);
    const doc = json(r);
    expect(doc.status).toBe('error');
    for (const v of [
      'HUAWEICLOUD_SDK_AK',
      'HUAWEICLOUD_SDK_SK',
      'HUAWEICLOUD_SDK_REGION',
      'HUAWEICLOUD_SDK_PROJECT_ID',
    ]) {
      expect(r.stderr).toContain(v);
    }
  });

  it('reads Terraform HW_* aliases and a .env file; flags win', async () => {
    const h = await sandbox();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'cce-harden-env-'));
    writeFileSync(
      path.join(dir, '.env'),
      `HW_ACCESS_KEY=${SANDBOX_CREDENTIALS.ak}\nHW_SECRET_KEY=${SANDBOX_CREDENTIALS.sk}\nHW_PROJECT_ID=ffffffffffffffffffffffffffffffff\nHW_REGION_NAME=${SANDBOX_CREDENTIALS.region}\n`,
    );
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      CCE_HARDEN_CCE_ENDPOINT: h.url,
      CCE_HARDEN_VPC_ENDPOINT: h.url,
    };
    // The .env project id is wrong on purpose: --project-id fixes it.
    const wrong = await runCli(['check', '--cluster', 'demo-turbo-hardened'], env, dir);
    expect(wrong.code).toBe(1);
    const right = await runCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--project-id', SANDBOX_CREDENTIALS.projectId],
      env,
      dir,
    );
    expect(right.code, right.stderr).toBe(0);
  });

  it('stdout in JSON mode always parses, whatever the outcome, and carries no secret', async () => {
    const h = await sandbox();
    const env = sandboxEnv(h, { HUAWEICLOUD_SDK_SECURITY_TOKEN: SECRETS[1] });
    const cases = [
      ['check', '--cluster', 'demo-turbo', '--json'],
      ['check', '--cluster', 'nope', '--json'],
      ['check', '--cluster', 'demo-sleepy', '--output', 'json'],
      ['apply', '--cluster', 'demo-turbo', '--dry-run', '--json'],
      ['apply', '--cluster', 'demo-turbo', '--json'],
      ['check', '--json'],
      ['check', '--cluster', 'a', '--all', '--json'],
      ['check', '--bogus-flag', '--json'],
    ];
    h.faults.add({ path: '/addons', serverError: 500, times: 1 });
    for (const argv of cases) {
      const r = await runCli(argv, env);
      const doc = json(r);
      expect(doc.schemaVersion, argv.join(' ')).toBe(1);
      expectNoSecrets(r);
    }
  });
});
