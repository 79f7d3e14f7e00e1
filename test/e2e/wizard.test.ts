/**
 * The wizard end to end: the built CLI in a real pseudo-terminal, answers typed as keys, against a
 * sandbox started in this process. What the sandbox holds afterwards and the requests it recorded
 * say what the wizard did; the screen says what it told the operator.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseNodePool, postInstallOf } from '../../src/cloud/cce-wire.js';
import { BLOCK_BEGIN } from '../../src/core/post-install.js';
import {
  demoWorld,
  findCluster,
  rulesOfGroup,
  WorldBuilder,
  SANDBOX_CREDENTIALS,
  withKube,
  type SandboxHandle,
  type World,
  type WireSecurityGroup,
} from '../../src/sandbox/index.js';
import { BIN, ROOT, sandboxEnv } from '../helpers/cli.js';
import { KEY, spawnPty, type PtyRun } from '../helpers/pty.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

/** Select Graphic Rendition: colours, bold, dim. */
const SGR = new RegExp(String.raw`\u001b\[[0-9;]*m`);

const startSandbox = sandboxPerTest();
let term: PtyRun | undefined;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/main.js'))) {
    throw new Error('The built CLI is missing: run `npm run build` (npm test does it first).');
  }
});

afterEach(() => {
  term?.kill();
  term = undefined;
});

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** Starts a sandbox with `world` and the CLI in a terminal pointed at it; cwd is a temp dir. */
async function start(
  args: string[] = [],
  opts: {
    world?: World;
    env?:
      | Record<string, string | undefined>
      | ((h: SandboxHandle) => Record<string, string | undefined>);
  } = {},
): Promise<{ term: PtyRun; sandbox: SandboxHandle; cwd: string }> {
  const handle = await startSandbox(opts.world ?? demoWorld());
  const cwd = mkdtempSync(path.join(tmpdir(), 'cce-harden-wizard-'));
  const extra = typeof opts.env === 'function' ? opts.env(handle) : opts.env;
  const env = definedOnly({ TERM: 'xterm-256color', ...sandboxEnv(handle), ...extra });
  term = spawnPty(process.execPath, [BIN, ...args], { cwd, env });
  return { term, sandbox: handle, cwd };
}

/** Requests that could change something: the wizard makes none before a confirmed plan. */
function writes(sandbox: SandboxHandle): string[] {
  return sandbox.log.filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.path}`);
}

/** How often the region was listed: ListClusters and ListSecurityGroups calls so far. */
function regionReads(sandbox: SandboxHandle): { listClusters: number; listSecurityGroups: number } {
  const gets = sandbox.log.filter((e) => e.method === 'GET');
  return {
    listClusters: gets.filter((e) => /\/clusters$/.test(e.path)).length,
    listSecurityGroups: gets.filter((e) => /\/vpc\/security-groups$/.test(e.path)).length,
  };
}

function eniGroups(world: World, cluster: string): WireSecurityGroup[] {
  const pattern = new RegExp(`^${cluster}-cce-eni-[a-z0-9]+$`);
  return world.projects.flatMap((p) => p.securityGroups.filter((g) => pattern.test(g.name)));
}

function onlyEniGroup(world: World, cluster: string): WireSecurityGroup {
  const groups = eniGroups(world, cluster);
  expect(groups).toHaveLength(1);
  return groups[0] as WireSecurityGroup;
}

function allRuleIds(world: World): string[] {
  return world.projects.flatMap((p) => p.securityGroupRules.map((r) => r.id));
}

/** Answers the region question with its default (the sandbox region from the environment). */
async function acceptRegion(t: PtyRun): Promise<void> {
  await t.waitFor('? Region (cn-north-4)');
  await t.type(KEY.enter);
}

/** Declines the offer to run verify right after the change. */
async function declineVerify(t: PtyRun): Promise<void> {
  await t.waitFor('? Run cce-harden verify now? (Y/n)');
  await t.type('n', KEY.enter);
  await t.waitFor('To verify later, run: cce-harden verify --cluster');
}

/** The demo world lists demo-turbo, demo-turbo-hardened, demo-vpc, demo-tunnel, demo-sleepy. */
async function pickCluster(t: PtyRun, downs: number): Promise<void> {
  await t.waitFor('? Cluster');
  await t.waitFor('demo-sleepy');
  await t.type(...Array<string>(downs).fill(KEY.down), KEY.enter);
}

describe('wizard in a pseudo-terminal', () => {
  it('hardens demo-turbo end to end: facts, warnings, plan, confirm, one new rule, verified', async () => {
    const { term: t, sandbox } = await start();
    const group = onlyEniGroup(sandbox.world, 'demo-turbo');
    const rulesBefore = allRuleIds(sandbox.world);

    await acceptRegion(t);
    await t.waitFor('? Cluster');
    // The list: name, category, phase and whether each cluster is hardened.
    const list = await t.waitFor(/demo-sleepy +Turbo +Hibernation +cannot check/);
    expect(list).toMatch(/demo-turbo +Turbo +Available +not hardened/);
    expect(list).toMatch(/demo-turbo-hardened +Turbo +Available +hardened/);
    expect(list).toMatch(/demo-vpc +standard +Available +not hardened/);
    await t.type(KEY.enter); // demo-turbo is preselected: the first one not hardened

    // The facts, before the plan.
    await t.waitFor('API server       192.168.0.61:5443 (internal)');
    await t.waitFor('Network mode     eni');
    await t.waitFor(`ENI group        ${group.name}`);
    // Pre-flight warning, the plan as a diff, and a confirmation that defaults to No.
    await t.waitFor('[addon-needs-apiserver]');
    await t.waitFor(`+ egress deny tcp 5443 -> 192.168.0.61/32 priority 1 (sg ${group.name})`);
    await t.waitFor('(y/N)');
    expect(writes(sandbox)).toEqual([]);
    // The region is read once: what the list showed is what the plan is made from.
    expect(regionReads(sandbox)).toEqual({ listClusters: 1, listSecurityGroups: 1 });
    await t.type('y', KEY.enter);

    await t.waitFor('Verdict         compliant');
    await t.waitFor('Done and verified.');
    await t.waitFor(
      'kubectl run cce-harden-verify --rm -it --image=curlimages/curl --restart=Never -- curl -k -m 5 https://192.168.0.61:5443',
    );
    await declineVerify(t);
    expect((await t.exit()).exitCode).toBe(0);

    // Exactly one new rule in the world, in demo-turbo's ENI group, with the hardening shape.
    const added = allRuleIds(sandbox.world).filter((id) => !rulesBefore.includes(id));
    expect(added).toHaveLength(1);
    const rule = rulesOfGroup(sandbox.world, group.id).find((r) => r.id === added[0]);
    expect(rule).toMatchObject({
      direction: 'egress',
      action: 'deny',
      protocol: 'tcp',
      multiport: '5443',
      remote_ip_prefix: '192.168.0.61/32',
      priority: 1,
      ethertype: 'IPv4',
    });
    expect(writes(sandbox)).toEqual([
      `POST /v3/${SANDBOX_CREDENTIALS.projectId}/vpc/security-group-rules`,
    ]);
    // NO_COLOR: cursor movement only, no colour or bold anywhere (prompts, plan, report).
    expect(t.raw()).not.toMatch(SGR);
  });

  it('declining at the confirmation writes nothing (Enter takes the default No)', async () => {
    const { term: t, sandbox } = await start(['wizard']);
    const rulesBefore = allRuleIds(sandbox.world);
    await acceptRegion(t);
    await pickCluster(t, 0);
    await t.waitFor('Apply these changes to 1 cluster(s)? (read the warnings above first) (y/N)');
    await t.type(KEY.enter);
    await t.waitFor('Not confirmed; nothing was changed.');
    expect((await t.exit()).exitCode).toBe(130);
    expect(writes(sandbox)).toEqual([]);
    expect(allRuleIds(sandbox.world)).toEqual(rulesBefore);
  });

  it.each([
    ['the cluster list', '? Cluster'],
    ['the confirmation', '(y/N)'],
  ])('Ctrl+C at %s: exit 130, no write, no stack trace', async (_where, prompt) => {
    const { term: t, sandbox } = await start();
    await acceptRegion(t);
    if (prompt !== '? Cluster') await pickCluster(t, 0);
    await t.waitFor(prompt);
    await t.type(KEY.ctrlC);
    await t.waitFor('Cancelled; nothing was changed.');
    expect((await t.exit()).exitCode).toBe(130);
    expect(writes(sandbox)).toEqual([]);
    expect(t.screen()).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(t.screen()).not.toContain('ExitPromptError');
  });

  /** Resolves once the sandbox has received a request matching `method` and `path`. */
  async function requestArrived(sandbox: SandboxHandle, method: string, path: RegExp) {
    const deadline = Date.now() + 15_000;
    while (!sandbox.log.some((e) => e.method === method && path.test(e.path))) {
      if (Date.now() > deadline) throw new Error(`no ${method} ${String(path)} arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('Ctrl+C while the cluster list is being read (no prompt open): cancelled at once, no write', async () => {
    const { term: t, sandbox } = await start();
    sandbox.faults.add({ method: 'GET', path: /\/clusters$/, latencyMs: 4000 });
    await acceptRegion(t);
    await requestArrived(sandbox, 'GET', /\/clusters$/);
    const pressed = Date.now();
    await t.type(KEY.ctrlC);
    await t.waitFor('Cancelled; nothing was changed.', 3000);
    // Said before the slow answer came back: the read was abandoned, not waited for.
    expect(Date.now() - pressed).toBeLessThan(3000);
    expect((await t.exit()).exitCode).toBe(130);
    expect(t.screen()).not.toContain('? Cluster');
    expect(writes(sandbox)).toEqual([]);
  });

  it('Ctrl+C while the confirmed rule is being written: finished and verified, not left half-done', async () => {
    const { term: t, sandbox } = await start();
    sandbox.faults.add({ method: 'POST', path: 'security-group-rules', latencyMs: 1500 });
    const group = onlyEniGroup(sandbox.world, 'demo-turbo');
    await acceptRegion(t);
    await pickCluster(t, 0);
    await t.waitFor('(y/N)');
    await t.type('y', KEY.enter);
    await requestArrived(sandbox, 'POST', /security-group-rules/);
    await t.type(KEY.ctrlC);
    await t.waitFor('Done and verified.');
    await t.waitFor('it was finished and verified instead of being left half-done');
    expect((await t.exit()).exitCode).toBe(0);
    const deny = rulesOfGroup(sandbox.world, group.id).filter((r) => r.action === 'deny');
    expect(deny.map((r) => r.remote_ip_prefix)).toEqual(['192.168.0.61/32']);
  });

  it('a standard cluster: writes the iptables script to the chosen file, changes nothing in the cloud', async () => {
    const { term: t, sandbox, cwd } = await start();
    await acceptRegion(t);
    await pickCluster(t, 2); // demo-vpc
    await t.waitFor('CCE standard');
    await t.waitFor('Container CIDRs  10.0.0.0/16, 10.1.0.0/16');
    await t.waitFor('VPC network: OUTPUT chain');
    await t.waitFor('? The iptables script for the nodes that exist now');
    await t.type(KEY.enter); // write it to a file
    await t.waitFor('? Format');
    await t.type(KEY.enter); // script
    await t.waitFor('? Write it to (cce-harden-iptables-demo-vpc.sh)');
    await t.type('nodes/harden.sh', KEY.enter);
    // The directory does not exist: the answer is refused with the reason, and asked again.
    await t.waitFor(`The directory ${path.join(cwd, 'nodes')} does not exist.`);
    await t.type(...Array<string>('nodes/harden.sh'.length).fill('\x7f'), 'harden.sh', KEY.enter);
    await t.waitFor("? Also add the rules to the node pools' post-install scripts");
    await t.type('n', KEY.enter);
    await t.waitFor(`Wrote the script for demo-vpc to ${path.join(cwd, 'harden.sh')}.`);
    await t.waitFor('curl -k -m 5 https://192.168.2.9:5443');
    expect((await t.exit()).exitCode).toBe(0);

    const file = path.join(cwd, 'harden.sh');
    const text = readFileSync(file, 'utf8');
    const calls = text.split('\n').filter((l) => l.startsWith('cce_harden_rules '));
    expect(calls).toEqual(['cce_harden_rules OUTPUT 192.168.2.9 all 10.0.0.0/16 10.1.0.0/16']);
    expect(statSync(file).mode & 0o111).not.toBe(0);
    expect(spawnSync('sh', ['-n', file]).status).toBe(0);
    expect(writes(sandbox)).toEqual([]);
  });

  it('a standard cluster: installs on the node pools after its own plan and confirmation', async () => {
    const { term: t, sandbox } = await start();
    await acceptRegion(t);
    await pickCluster(t, 3); // demo-tunnel
    await t.waitFor('tunnel network: FORWARD chain');
    await t.waitFor('? The iptables script for the nodes that exist now');
    await t.type(KEY.down, KEY.down, KEY.enter); // skip
    await t.waitFor("? Also add the rules to the node pools' post-install scripts");
    await t.type('y', KEY.enter);
    await t.waitFor('~ update post-install script (node pool demo-tunnel-pool)');
    await t.waitFor('(y/N)');
    expect(writes(sandbox)).toEqual([]);
    await t.type('y', KEY.enter);
    await t.waitFor('Verdict         compliant');
    await t.waitFor('show as reachable) try to reach the API server');
    await t.waitFor('curl -k -m 5 https://192.168.3.14:5443');
    await declineVerify(t);
    expect((await t.exit()).exitCode).toBe(0);

    const cluster = findCluster(sandbox.world, 'demo-tunnel');
    const pool = cluster?.nodePools.find((p) => p.metadata.name === 'demo-tunnel-pool');
    if (!pool) throw new Error('demo-tunnel-pool is missing from the world');
    const script = postInstallOf(parseNodePool(pool, 'ShowNodePool', 'test'));
    expect(script.ok && script.script).toContain(BLOCK_BEGIN);
    expect(script.ok && script.script).toMatch(
      /^cce_harden_rules FORWARD 192\.168\.3\.14 all 172\.16\.0\.0\/16\b/m,
    );
    expect(writes(sandbox)).toHaveLength(1);
    expect(writes(sandbox)[0]).toMatch(/^PUT .*\/nodepools\//);
  });

  it('an already-hardened cluster: says so, changes nothing, shows how to verify', async () => {
    const { term: t, sandbox } = await start();
    const rulesBefore = allRuleIds(sandbox.world);
    await acceptRegion(t);
    await pickCluster(t, 1); // demo-turbo-hardened
    await t.waitFor('demo-turbo-hardened is already hardened: the deny rule is in place.');
    await t.waitFor('Nothing to do: no rule is missing.');
    await t.waitFor('Verdict         compliant');
    await t.waitFor('curl -k -m 5 https://192.168.1.17:5443');
    await declineVerify(t);
    expect((await t.exit()).exitCode).toBe(0);
    expect(t.screen()).not.toContain('Apply these changes');
    expect(writes(sandbox)).toEqual([]);
    expect(allRuleIds(sandbox.world)).toEqual(rulesBefore);
  });

  it('two ENI groups match: asks which, and the rule lands in the chosen one only (--cluster skips the list)', async () => {
    const world = new WorldBuilder({ seed: 'wizard-twin' })
      .project({ region: SANDBOX_CREDENTIALS.region, id: SANDBOX_CREDENTIALS.projectId })
      .turboCluster({ name: 'twin', apiServerIp: '192.168.7.7', eniGroups: 2 })
      .build();
    const [live, residual] = eniGroups(world, 'twin');
    if (!live || !residual) throw new Error('the world should have two ENI groups for twin');
    const { term: t, sandbox } = await start(['wizard', '--cluster', 'twin'], { world });

    await acceptRegion(t);
    await t.waitFor('? Which is the ENI group of this cluster?');
    const menu = await t.waitFor(residual.id);
    expect(menu).toContain(live.id);
    await t.type(KEY.enter); // the first listed: the live group
    // No add-on needs the API server here, so the confirmation defaults to Yes.
    await t.waitFor(`+ egress deny tcp 5443 -> 192.168.7.7/32 priority 1 (sg ${live.name})`);
    await t.waitFor('(Y/n)');
    // Choosing between the groups reuses the listing: no second ListSecurityGroups.
    expect(regionReads(sandbox)).toEqual({ listClusters: 1, listSecurityGroups: 1 });
    await t.type(KEY.enter);
    await t.waitFor('Done and verified.');
    await declineVerify(t);
    expect((await t.exit()).exitCode).toBe(0);

    expect(t.screen()).not.toContain('? Cluster');
    const liveDeny = rulesOfGroup(sandbox.world, live.id).filter((r) => r.action === 'deny');
    expect(liveDeny.map((r) => r.remote_ip_prefix)).toEqual(['192.168.7.7/32']);
    expect(rulesOfGroup(sandbox.world, residual.id).some((r) => r.action === 'deny')).toBe(false);
    expect(writes(sandbox)).toHaveLength(1);
  });

  it('after apply, verify now (Enter): the probe results appear and no probe pod remains', async () => {
    const { term: t, sandbox } = await start();
    await acceptRegion(t);
    await pickCluster(t, 0); // demo-turbo
    await t.waitFor('(y/N)');
    await t.type('y', KEY.enter);
    await t.waitFor('Done and verified.');
    await t.waitFor('? Run cce-harden verify now? (Y/n)');
    expect(sandbox.kube.log).toEqual([]);
    await t.type(KEY.enter); // default Yes
    // verify's own report: the guide's 5443 rule holds, but the in-cluster path on 5444 does not.
    const screen = await t.waitFor(/apiserver-5444 \(192\.168\.0\.61:5444\)\s+REACHABLE/, 30_000);
    expect(screen).toMatch(/apiserver-5443 \(192\.168\.0\.61:5443\)\s+blocked/);
    await t.waitFor('apply --cluster demo-turbo --port 5443 --port 5444');
    expect((await t.exit()).exitCode).toBe(2);
    // The probe pods ran in the emulated cluster and were all deleted, with their owner.
    const kubeCalls = sandbox.kube.log.map((e) => `${e.method} ${e.path}`);
    expect(kubeCalls.some((c) => /^POST .*\/namespaces\/cce-harden\/pods$/.test(c))).toBe(true);
    const pods = (findCluster(sandbox.world, 'demo-turbo')?.kube?.pods ?? []).map(
      (p) => p.metadata.name,
    );
    expect(pods).toEqual([]);
    expect(findCluster(sandbox.world, 'demo-turbo')?.kube?.configMaps ?? []).toEqual([]);
    // What the wizard observed is reused: the region was listed once, the kubeconfig issued once.
    expect(regionReads(sandbox)).toEqual({ listClusters: 1, listSecurityGroups: 1 });
    expect(writes(sandbox)).toEqual([
      `POST /v3/${SANDBOX_CREDENTIALS.projectId}/vpc/security-group-rules`,
      expect.stringMatching(/^POST \/api\/v3\/projects\/.+\/clusters\/.+\/clustercert$/),
    ]);
  });

  it('Ctrl+C while verify waits for its probe pods: exit 130, the pods and their owner deleted', async () => {
    // Probe pods that take ten minutes: the run is certainly still waiting when Ctrl+C comes.
    const world = withKube(demoWorld(), 'demo-turbo-hardened', (k) => {
      k.podRunMs = 600_000;
    });
    const { term: t, sandbox } = await start([], { world });
    await acceptRegion(t);
    await pickCluster(t, 1); // demo-turbo-hardened: nothing to change
    await t.waitFor('? Run cce-harden verify now? (Y/n)');
    await t.type(KEY.enter);
    await t.waitFor('Waiting for 1 probe pod(s) in namespace cce-harden', 30_000);
    const kube = findCluster(sandbox.world, 'demo-turbo-hardened')?.kube;
    expect(kube?.pods).toHaveLength(1);
    await t.type(KEY.ctrlC);
    await t.waitFor('Interrupted: deleting the probe pods before exiting...');
    expect((await t.exit()).exitCode).toBe(130);
    expect(kube?.pods).toEqual([]);
    expect(kube?.configMaps ?? []).toEqual([]);
    expect(writes(sandbox).filter((w) => !/\/clustercert$/.test(w))).toEqual([]);
  });

  it('after installing on the node pools, declining verify shows the command to run later', async () => {
    const { term: t, sandbox } = await start();
    await acceptRegion(t);
    await pickCluster(t, 3); // demo-tunnel
    await t.waitFor('? The iptables script for the nodes that exist now');
    await t.type(KEY.down, KEY.down, KEY.enter); // skip
    await t.waitFor("? Also add the rules to the node pools' post-install scripts");
    await t.type('y', KEY.enter);
    await t.waitFor('(y/N)');
    await t.type('y', KEY.enter);
    await t.waitFor('Verdict         compliant');
    await t.waitFor('? Run cce-harden verify now? (Y/n)');
    await t.type('n', KEY.enter);
    await t.waitFor(
      'To verify later, run: cce-harden verify --cluster demo-tunnel --region cn-north-4',
    );
    expect((await t.exit()).exitCode).toBe(0);
    // Nothing touched the cluster: no kubeconfig issued, no Kubernetes call.
    expect(sandbox.kube.log).toEqual([]);
    expect(writes(sandbox)).toHaveLength(1);
    expect(writes(sandbox)[0]).toMatch(/^PUT .*\/nodepools\//);
  });

  it('no cluster can be picked (all hibernating): lists them and says why, exit 1', async () => {
    const world = new WorldBuilder({ seed: 'wizard-asleep' })
      .project({ region: SANDBOX_CREDENTIALS.region, id: SANDBOX_CREDENTIALS.projectId })
      .turboCluster({ name: 'asleep', phase: 'Hibernation', subNetworkInterfaces: 0 })
      .build();
    const { term: t, sandbox } = await start([], { world });
    await acceptRegion(t);
    await t.waitFor(/asleep +Turbo +Hibernation +cannot check/);
    await t.waitFor('No cluster in cn-north-4 is Available.');
    expect((await t.exit()).exitCode).toBe(1);
    expect(t.screen()).not.toContain('? Cluster');
    expect(writes(sandbox)).toEqual([]);
  });

  describe('keyless credentials: the same chain as the commands', () => {
    const noKeys = {
      HUAWEICLOUD_SDK_AK: undefined,
      HUAWEICLOUD_SDK_SK: undefined,
      HUAWEICLOUD_SDK_PROJECT_ID: undefined,
    };

    /** Picks demo-turbo-hardened (nothing to change) and declines verify: a full read-only run. */
    async function readOnlyRun(t: PtyRun): Promise<void> {
      await acceptRegion(t);
      await pickCluster(t, 1);
      await t.waitFor('demo-turbo-hardened is already hardened');
      await declineVerify(t);
      expect((await t.exit()).exitCode).toBe(0);
    }

    function expectNoSecrets(sandbox: SandboxHandle, screen: string): void {
      const secrets = sandbox.federation.issued().flatMap((c) => [c.sk, c.securityToken]);
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) expect(screen.includes(secret)).toBe(false);
    }

    it('only the instance metadata service (ECS agency): names it and runs, no key asked for', async () => {
      const { term: t, sandbox: handle } = await start([], {
        env: (h) => ({ ...noKeys, CCE_HARDEN_METADATA_ENDPOINT: h.url }),
      });
      await t.waitFor(`Credentials: the instance metadata service (${handle.url}`);
      await readOnlyRun(t);
      expect(t.screen()).not.toContain('HUAWEICLOUD_SDK_AK');
      expect(t.screen()).not.toContain('Continue in the built-in sandbox');
      expect(handle.federation.issued().map((c) => c.via)).toContain('metadata');
      expectNoSecrets(handle, t.raw());
      expect(writes(handle)).toEqual([]);
    });

    it('OIDC federation (CCE workload identity): names the identity provider and runs', async () => {
      const { term: t, sandbox: handle } = await start([], {
        env: (h) => ({
          ...noKeys,
          HUAWEICLOUD_SDK_IDP_ID: h.federation.idpId,
          HUAWEICLOUD_SDK_ID_TOKEN_FILE: h.federation.writeIdTokenFile(),
          CCE_HARDEN_METADATA_ENDPOINT: 'http://127.0.0.1:1',
        }),
      });
      await t.waitFor(`Credentials: OIDC federation (identity provider ${handle.federation.idpId}`);
      await readOnlyRun(t);
      expect(handle.federation.issued().map((c) => c.via)).toEqual(['oidc']);
      expectNoSecrets(handle, t.raw());
      // Only IAM's token exchange, no cloud write.
      expect(writes(handle)).toEqual([
        'POST /v3.0/OS-AUTH/id-token/tokens',
        'POST /v3.0/OS-CREDENTIAL/securitytokens',
      ]);
    });
  });

  describe('no credentials', () => {
    const noCredentials = {
      HUAWEICLOUD_SDK_AK: undefined,
      HUAWEICLOUD_SDK_SK: undefined,
      HUAWEICLOUD_SDK_PROJECT_ID: undefined,
      HUAWEICLOUD_SDK_REGION: undefined,
      CCE_HARDEN_CCE_ENDPOINT: undefined,
      CCE_HARDEN_VPC_ENDPOINT: undefined,
      CCE_HARDEN_IAM_ENDPOINT: undefined,
      // Nothing answers here: never the real 169.254.169.254 from a test.
      CCE_HARDEN_METADATA_ENDPOINT: 'http://127.0.0.1:1',
    };

    it('says what to set in .env and, when asked, continues in the built-in sandbox', async () => {
      const state = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-state-')), 'w.json');
      const {
        term: t,
        sandbox,
        cwd,
      } = await start([], {
        env: { ...noCredentials, CCE_HARDEN_SANDBOX_STATE: state },
      });
      await t.waitFor(`Set these in ${path.join(cwd, '.env')}`);
      const advice = await t.waitFor('HUAWEICLOUD_SDK_REGION=cn-north-4');
      expect(advice).toContain('HUAWEICLOUD_SDK_AK=<access key id>');
      expect(advice).toContain('HUAWEICLOUD_SDK_SK=<secret access key>');
      // The project id is looked up in IAM once there is a key pair: not asked for.
      expect(advice).not.toContain('HUAWEICLOUD_SDK_PROJECT_ID');
      await t.waitFor('? Continue in the built-in sandbox instead');
      await t.type(KEY.enter); // default Yes
      await acceptRegion(t); // the sandbox's region is the default
      await pickCluster(t, 1);
      await t.waitFor('already hardened');
      await declineVerify(t);
      expect((await t.exit()).exitCode).toBe(0);
      expect(existsSync(state)).toBe(true);
      // The child used its own sandbox: nothing reached the one this test started.
      expect(sandbox.log).toEqual([]);
    });

    it('declining the sandbox ends with a usage error naming each variable', async () => {
      const { term: t, sandbox } = await start([], { env: noCredentials });
      await t.waitFor('? Continue in the built-in sandbox instead');
      await t.type('n', KEY.enter);
      await t.waitFor('Set HUAWEICLOUD_SDK_AK');
      expect((await t.exit()).exitCode).toBe(64);
      expect(t.screen()).toContain('Set HUAWEICLOUD_SDK_SK');
      expect(t.screen()).toContain('Set HUAWEICLOUD_SDK_REGION');
      expect(sandbox.log).toEqual([]);
    });
  });
});

describe('without a terminal', () => {
  const env = { PATH: process.env.PATH ?? '', HOME: tmpdir(), NO_COLOR: '1' };

  it('cce-harden alone prints help and exits 64 instead of prompting', () => {
    const r = spawnSync(process.execPath, [BIN], { env, encoding: 'utf8', input: '' });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('Usage: cce-harden [options] [command]');
    expect(r.stderr).toContain('no terminal to ask questions on');
    expect(r.stdout).toBe('');
  });

  it('cce-harden wizard refuses with a usage error that names the commands to use', () => {
    const r = spawnSync(process.execPath, [BIN, 'wizard'], { env, encoding: 'utf8', input: '' });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('needs a terminal');
    expect(r.stderr).toContain('cce-harden check|apply|iptables');
  });

  it('a word that is no command is still an unknown command, with a suggestion', () => {
    const r = spawnSync(process.execPath, [BIN, 'chek'], { env, encoding: 'utf8', input: '' });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("unknown command 'chek'");
    expect(r.stderr).toContain('Did you mean check?');
  });
});
