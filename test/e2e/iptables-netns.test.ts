/**
 * Runs the generated iptables script against the real kernel's netfilter, in network namespaces
 * built for each scenario:
 *
 *   pod (10.240.1.2) --veth-- node --veth-- apiserver (10.250.0.2, TCP 5443 and 8443)
 *                              \---veth-- other host (10.251.0.2, TCP 5443)
 *
 * Tunnel network (FORWARD): the pod is its own namespace and its traffic is routed through the
 * node namespace (ip_forward=1), as container traffic is on a node.
 * VPC network (OUTPUT): on CCE's VPC mode pod traffic leaves through the node's own stack and so
 * passes its OUTPUT hook; modelled as a connection made on the node from the pod address (a /32 on
 * the node's loopback), i.e. locally originated with the pod's source address.
 *
 * Needs root, iptables and iproute2. Skipped with a message elsewhere; under CI=true it must run,
 * so missing prerequisites fail the run instead. Only addresses inside these namespaces are used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIptablesModel, type IptablesNetwork } from '../../src/core/iptables.js';
import { upsertBlock } from '../../src/core/post-install.js';
import {
  renderIptables,
  templatesForFormat,
  type IptablesFormat,
} from '../../src/render/iptables.js';
import { loadTemplates } from '../../src/cli/templates-dir.js';

const POD_IP = '10.240.1.2';
const API_IP = '10.250.0.2';
const OTHER_IP = '10.251.0.2';
const API_PORT = 5443;
const OTHER_API_PORT = 8443;
const CONTAINER_CIDRS = ['10.240.0.0/16', '10.241.0.0/16'];
// REJECT's default answer is ICMP port-unreachable, which Linux reports as ECONNREFUSED at once
// (forwarded or local): a timeout or any other error would mean the rule did not do its job.
const REFUSED = ['ECONNREFUSED'];

function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux') return ['Linux network namespaces'];
  if (process.getuid?.() !== 0) missing.push('root (run the tests as root)');
  for (const tool of ['iptables', 'ip']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      missing.push(`${tool} on PATH (apt-get install ${tool === 'ip' ? 'iproute2' : tool})`);
    }
  }
  if (missing.length > 0) return missing;
  const probe = `chp-${randomBytes(4).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', probe, 'iptables', '-S'], { stdio: 'ignore' });
  } catch {
    missing.push('permission to create network namespaces and use iptables in them');
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    } catch {
      // was never created
    }
  }
  return missing;
}

const missing = missingPrerequisites();
const inCI = process.env.CI === 'true';
const skip = missing.length > 0 && !inCI;
if (skip) {
  console.warn(`skipping the iptables network-namespace test; missing: ${missing.join(', ')}`);
}

/**
 * The other iptables backend than the default `iptables` (legacy when that is nf_tables, and
 * the reverse), when installed and usable in a namespace: the script must work with whichever
 * `iptables` comes first on PATH.
 */
function otherBackend(): { label: string; bin: string } | null {
  if (missing.length > 0) return null;
  const probe = `chb-${randomBytes(4).toString('hex')}`;
  try {
    const version = execFileSync('iptables', ['--version'], { encoding: 'utf8' });
    const label = version.includes('nf_tables') ? 'iptables-legacy' : 'iptables-nft';
    const bin = execFileSync('sh', ['-c', `command -v ${label}`], { encoding: 'utf8' }).trim();
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', probe, bin, '-S'], { stdio: 'ignore' });
    return { label, bin };
  } catch {
    return null;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
    } catch {
      // was never created
    }
  }
}
const other = otherBackend();
const defaultBackend = (() => {
  try {
    return execFileSync('iptables', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'iptables not found';
  }
})();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: readonly string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const CLIENT = `
const net = require('node:net');
const [host, port, local] = process.argv.slice(2);
const started = Date.now();
const done = (result) => {
  console.log(JSON.stringify({ result, ms: Date.now() - started }));
  process.exit(0);
};
const s = net.connect({ host, port: Number(port), localAddress: local || undefined });
setTimeout(() => done('TIMEOUT'), 3000);
s.once('data', (d) => done('CONNECTED ' + d.toString().trim()));
s.once('error', (e) => done(e.code || String(e)));
`;

const SERVER = `
const net = require('node:net');
const ports = process.argv.slice(2).map(Number);
let ready = 0;
for (const p of ports) {
  net.createServer((s) => s.end('hello ' + p + '\\n')).listen(p, '0.0.0.0', () => {
    if (++ready === ports.length) console.log('ready');
  });
}
`;

interface Topology {
  mode: IptablesNetwork;
  names: { pod: string | null; node: string; api: string; other: string };
  dir: string;
  servers: ChildProcess[];
  /** The iptables the script finds first on PATH (and the test reads the rules with). */
  iptables: string;
  env: NodeJS.ProcessEnv;
}

/** Connects from a namespace; returns 'CONNECTED hello <port>', an errno code or 'TIMEOUT'. */
async function connect(
  topo: Topology,
  from: string,
  host: string,
  port: number,
  localAddress = '',
): Promise<{ result: string; ms: number }> {
  const out = await must('ip', [
    'netns',
    'exec',
    from,
    process.execPath,
    join(topo.dir, 'client.cjs'),
    host,
    String(port),
    localAddress,
  ]);
  return JSON.parse(out.trim()) as { result: string; ms: number };
}

/** Where "the pod" connects from: its own namespace (tunnel) or the node with its address (VPC). */
function fromPod(topo: Topology, host: string, port: number) {
  return topo.mode === 'tunnel'
    ? connect(topo, topo.names.pod ?? '', host, port)
    : connect(topo, topo.names.node, host, port, POD_IP);
}

function startServer(topo: Topology, ns: string, ports: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, join(topo.dir, 'server.cjs'), ...ports.map(String)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    topo.servers.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server in ${ns} did not start`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server in ${ns} exited with ${code}`));
    });
  });
}

async function buildTopology(mode: IptablesNetwork, topo: Topology): Promise<void> {
  const { pod, node, api, other } = topo.names;
  await writeFile(join(topo.dir, 'client.cjs'), CLIENT);
  await writeFile(join(topo.dir, 'server.cjs'), SERVER);
  for (const ns of [node, api, other, pod]) {
    if (ns === null) continue;
    await must('ip', ['netns', 'add', ns]);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // One veth pair per neighbour, created inside the node namespace (no names in the root one).
  const links: [string | null, string, string, string][] = [
    [api, 'api0', '10.250.0.1/24', `${API_IP}/24`],
    [other, 'oth0', '10.251.0.1/24', `${OTHER_IP}/24`],
    [pod, 'pod0', '10.240.1.1/24', `${POD_IP}/24`],
  ];
  for (const [peer, dev, nodeAddr, peerAddr] of links) {
    if (peer === null) continue;
    await must('ip', [
      '-n',
      node,
      'link',
      'add',
      dev,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      peer,
    ]);
    await must('ip', ['-n', node, 'addr', 'add', nodeAddr, 'dev', dev]);
    await must('ip', ['-n', node, 'link', 'set', dev, 'up']);
    await must('ip', ['-n', peer, 'addr', 'add', peerAddr, 'dev', 'eth0']);
    await must('ip', ['-n', peer, 'link', 'set', 'eth0', 'up']);
    await must('ip', ['-n', peer, 'route', 'add', 'default', 'via', nodeAddr.split('/')[0] ?? '']);
  }
  if (mode === 'tunnel') {
    await must('ip', ['netns', 'exec', node, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  } else {
    // The pod's address, on the node: connections bound to it are locally originated (OUTPUT).
    await must('ip', ['-n', node, 'addr', 'add', `${POD_IP}/32`, 'dev', 'lo']);
  }
  await startServer(topo, api, [API_PORT, OTHER_API_PORT]);
  await startServer(topo, other, [API_PORT]);
}

async function teardown(topo: Topology): Promise<void> {
  for (const s of topo.servers) s.kill('SIGKILL');
  for (const ns of Object.values(topo.names)) {
    if (ns !== null) await run('ip', ['netns', 'del', ns]);
  }
  await rm(topo.dir, { recursive: true, force: true });
}

function newTopology(mode: IptablesNetwork, tag: string): Topology {
  const id = `${tag}${randomBytes(3).toString('hex')}`;
  return {
    mode,
    names: {
      pod: mode === 'tunnel' ? `ch-${id}-pod` : null,
      node: `ch-${id}-node`,
      api: `ch-${id}-api`,
      other: `ch-${id}-oth`,
    },
    dir: '',
    servers: [],
    iptables: 'iptables',
    env: process.env,
  };
}

async function renderFor(mode: IptablesNetwork, format: IptablesFormat, portOnly = false) {
  const model = buildIptablesModel({
    apiServer: { ip: API_IP, port: API_PORT },
    containerCidrs: CONTAINER_CIDRS,
    network: mode,
    portOnly,
  });
  return {
    model,
    text: renderIptables(model, format, await loadTemplates(templatesForFormat(format))),
  };
}

async function cceHardenRules(topo: Topology, chain: string): Promise<string[]> {
  const out = await must('ip', ['netns', 'exec', topo.names.node, topo.iptables, '-S', chain]);
  return out.split('\n').filter((l) => l.includes('cce-harden:'));
}

it.runIf(inCI)('has root, iptables and iproute2 under CI (never skipped there)', () => {
  expect(missing).toEqual([]);
});

const scenarios: {
  name: string;
  mode: IptablesNetwork;
  chain: string;
  otherChain: string;
  portOnly: boolean;
  /** Put this binary first on PATH as `iptables` (the other backend). */
  iptables?: string;
}[] = [
  {
    name: 'tunnel network: FORWARD chain',
    mode: 'tunnel',
    chain: 'FORWARD',
    otherChain: 'OUTPUT',
    portOnly: false,
  },
  {
    name: 'VPC network: OUTPUT chain',
    mode: 'vpc',
    chain: 'OUTPUT',
    otherChain: 'FORWARD',
    portOnly: false,
  },
  {
    name: 'VPC network: OUTPUT chain, --port-only',
    mode: 'vpc',
    chain: 'OUTPUT',
    otherChain: 'FORWARD',
    portOnly: true,
  },
  // Not a prerequisite: only where the other backend is installed and works in a namespace.
  ...(other
    ? [
        {
          name: `tunnel network: FORWARD chain, with ${other.label} as iptables`,
          mode: 'tunnel' as const,
          chain: 'FORWARD',
          otherChain: 'OUTPUT',
          portOnly: false,
          iptables: other.bin,
        },
      ]
    : []),
];

describe.skipIf(skip)(`generated iptables script in network namespaces (${defaultBackend})`, () => {
  describe.each(scenarios)('$name', (sc) => {
    const topo = newTopology(sc.mode, sc.iptables ? 'b' : sc.portOnly ? 'p' : (sc.mode[0] ?? 'x'));
    let scriptPath = '';

    beforeAll(async () => {
      if (missing.length > 0) throw new Error(`CI=true but missing: ${missing.join(', ')}`);
      topo.dir = await mkdtemp(join(tmpdir(), 'cce-harden-netns-'));
      if (sc.iptables) {
        // xtables multi-binaries act on the name they are called by: a link named iptables.
        await must('mkdir', [join(topo.dir, 'bin')]);
        await symlink(sc.iptables, join(topo.dir, 'bin', 'iptables'));
        topo.iptables = join(topo.dir, 'bin', 'iptables');
        topo.env = { ...process.env, PATH: `${join(topo.dir, 'bin')}:${process.env.PATH ?? ''}` };
      }
      await buildTopology(sc.mode, topo);
      scriptPath = join(topo.dir, 'harden.sh');
      await writeFile(scriptPath, (await renderFor(sc.mode, 'script', sc.portOnly)).text);
    });
    afterAll(async () => {
      await teardown(topo);
    });

    it('before the script, the pod reaches the API server (the topology works)', async () => {
      expect((await fromPod(topo, API_IP, API_PORT)).result).toBe(`CONNECTED hello ${API_PORT}`);
    });

    it('the script runs and inserts one tagged rule per container CIDR on the right chain', async () => {
      const r = await run('ip', ['netns', 'exec', topo.names.node, 'sh', scriptPath], topo.env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`2 rule(s) on ${sc.chain}`);
      const rules = await cceHardenRules(topo, sc.chain);
      expect(rules).toHaveLength(2);
      for (const cidr of CONTAINER_CIDRS) {
        expect(rules.some((l) => l.includes(`-s ${cidr} -d ${API_IP}/32`))).toBe(true);
      }
      expect(rules.every((l) => l.includes('-j REJECT'))).toBe(true);
      expect(rules.every((l) => l.includes(`--dport ${API_PORT}`))).toBe(sc.portOnly);
      expect(await cceHardenRules(topo, sc.otherChain)).toEqual([]);
    });

    it('the pod cannot connect to the API server: refused at once, not a timeout', async () => {
      const c = await fromPod(topo, API_IP, API_PORT);
      expect(REFUSED).toContain(c.result);
      expect(c.ms).toBeLessThan(2000);
    });

    it(
      sc.portOnly
        ? 'port-only: the pod still reaches other API server ports'
        : 'default: every port of the API server is blocked for the pod',
      async () => {
        const c = await fromPod(topo, API_IP, OTHER_API_PORT);
        if (sc.portOnly) expect(c.result).toBe(`CONNECTED hello ${OTHER_API_PORT}`);
        else expect(REFUSED).toContain(c.result);
      },
    );

    it('the pod can still reach another host', async () => {
      expect((await fromPod(topo, OTHER_IP, API_PORT)).result).toBe(`CONNECTED hello ${API_PORT}`);
    });

    it('the node itself can still reach the API server', async () => {
      const c = await connect(topo, topo.names.node, API_IP, API_PORT);
      expect(c.result).toBe(`CONNECTED hello ${API_PORT}`);
    });

    it('a second run adds no duplicate rule', async () => {
      const all = () => must('ip', ['netns', 'exec', topo.names.node, topo.iptables, '-S']);
      const before = await all();
      const r = await run('ip', ['netns', 'exec', topo.names.node, 'sh', scriptPath], topo.env);
      expect(r.code).toBe(0);
      expect(await cceHardenRules(topo, sc.chain)).toHaveLength(2);
      expect(await all()).toBe(before);
      expect(REFUSED).toContain((await fromPod(topo, API_IP, API_PORT)).result);
    });
  });

  describe('post-install block on a new tunnel-mode node, persisted through rc.local', () => {
    const topo = newTopology('tunnel', 'i');
    let postInstall = '';
    let rcLocal = '';
    let marker = '';

    // Runs a script on the node with systemd hidden (a private tmpfs over /run/systemd in the
    // mount namespace `ip netns exec` creates), so nothing on the host is enabled.
    const runOnNode = (path: string) =>
      run(
        'ip',
        [
          'netns',
          'exec',
          topo.names.node,
          'sh',
          '-c',
          'if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi; exec sh "$0"',
          path,
        ],
        { ...process.env, CCE_HARDEN_RC_LOCAL: rcLocal },
      );

    beforeAll(async () => {
      if (missing.length > 0) throw new Error(`CI=true but missing: ${missing.join(', ')}`);
      topo.dir = await mkdtemp(join(tmpdir(), 'cce-harden-netns-'));
      await buildTopology('tunnel', topo);
      rcLocal = join(topo.dir, 'rc.local');
      marker = join(topo.dir, 'user-script-ran');
      // An rc.local as Ubuntu ships it: the block must land before "exit 0".
      await writeFile(rcLocal, '#!/bin/sh -e\n# local commands\necho booted >/dev/null\nexit 0\n');
      const block = (await renderFor('tunnel', 'post-install')).text;
      postInstall = join(topo.dir, 'post-install.sh');
      await writeFile(postInstall, upsertBlock(`#!/bin/bash\ntouch ${marker}\n`, block));
    });
    afterAll(async () => {
      await teardown(topo);
    });

    it('runs with the user content, blocks the pod and writes the block into rc.local once', async () => {
      const r = await runOnNode(postInstall);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      await expect(stat(marker)).resolves.toBeTruthy();
      expect(await cceHardenRules(topo, 'FORWARD')).toHaveLength(2);
      expect(REFUSED).toContain((await fromPod(topo, API_IP, API_PORT)).result);
      expect((await fromPod(topo, OTHER_IP, API_PORT)).result).toBe(`CONNECTED hello ${API_PORT}`);

      const text = await readFile(rcLocal, 'utf8');
      expect(text.split('# >>> cce-harden rc.local (managed; do not edit) >>>')).toHaveLength(2);
      expect(text.startsWith('#!/bin/sh -e\n# local commands\necho booted >/dev/null\n')).toBe(
        true,
      );
      expect(text.trimEnd().endsWith('# <<< cce-harden rc.local <<<\nexit 0')).toBe(true);
      expect((await stat(rcLocal)).mode & 0o111).not.toBe(0);
    });

    it('a second run keeps one block in rc.local and one rule per CIDR', async () => {
      const before = await readFile(rcLocal, 'utf8');
      const r = await runOnNode(postInstall);
      expect(r.code).toBe(0);
      expect(await readFile(rcLocal, 'utf8')).toBe(before);
      expect(await cceHardenRules(topo, 'FORWARD')).toHaveLength(2);
    });

    it('after a "reboot" (rules flushed), rc.local restores the rules', async () => {
      await must('ip', ['netns', 'exec', topo.names.node, 'iptables', '-F', 'FORWARD']);
      expect((await fromPod(topo, API_IP, API_PORT)).result).toBe(`CONNECTED hello ${API_PORT}`);
      await chmod(rcLocal, 0o755);
      const r = await run('ip', ['netns', 'exec', topo.names.node, rcLocal]);
      expect(r.code).toBe(0);
      expect(await cceHardenRules(topo, 'FORWARD')).toHaveLength(2);
      expect(REFUSED).toContain((await fromPod(topo, API_IP, API_PORT)).result);
    });
  });

  describe('failure modes', () => {
    let dir = '';
    let script = '';
    beforeAll(async () => {
      if (missing.length > 0) throw new Error(`CI=true but missing: ${missing.join(', ')}`);
      dir = await mkdtemp(join(tmpdir(), 'cce-harden-netns-'));
      script = join(dir, 'harden.sh');
      await writeFile(script, (await renderFor('tunnel', 'script')).text);
      await chmod(dir, 0o755);
      await chmod(script, 0o644);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('fails clearly when not run as root', async () => {
      const r = await new Promise<RunResult>((resolve) => {
        const child = spawn('/bin/sh', [script], { uid: 65534, gid: 65534, cwd: '/' });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('must run as root');
    });

    it('fails clearly when iptables is missing', async () => {
      // A PATH with `id` and nothing else: the root check passes, iptables is not found.
      const bin = join(dir, 'bin');
      await must('mkdir', ['-p', bin]);
      await must('ln', [
        '-sf',
        (await must('sh', ['-c', 'command -v id'])).trim(),
        join(bin, 'id'),
      ]);
      const r = await run('/bin/sh', [script], { PATH: bin });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('iptables not found');
    });
  });
});

/**
 * Contention, self-cleaning and the rc.local writer, in a bare namespace (rules only, no
 * traffic). What really makes iptables fail here (iptables 1.8.9):
 * - iptables-legacy takes the xtables lock (flock on /run/xtables.lock, or XTABLES_LOCKFILE);
 *   with the lock held, `-w 10` gives up after 10 s with exit 4. The test holds a private lock
 *   file (XTABLES_LOCKFILE) so nothing else on the host waits.
 * - iptables-nft does not use the xtables lock at all (the kernel serialises nf_tables
 *   transactions and iptables-nft retries on its own), so a held lock is no failure there. A
 *   real nft failure that is not "absent" is exit 4 without CAP_NET_ADMIN ("Permission denied"),
 *   which the test produces with setpriv as uid 0.
 */
describe.skipIf(skip)('contention, stale rules and rc.local writes', () => {
  const ns = `ch-c${randomBytes(3).toString('hex')}`;
  let dir = '';
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, ...extra });

  const render = async (
    format: IptablesFormat,
    cidrs: string[],
    opts: { ip?: string; network?: IptablesNetwork; portOnly?: boolean; ports?: number[] } = {},
  ) => {
    const model = buildIptablesModel({
      apiServer: { ip: opts.ip ?? API_IP, port: API_PORT },
      containerCidrs: cidrs,
      network: opts.network ?? 'tunnel',
      portOnly: opts.portOnly,
      ports: opts.ports,
    });
    const file = join(dir, `s-${randomBytes(3).toString('hex')}.sh`);
    await writeFile(
      file,
      renderIptables(model, format, await loadTemplates(templatesForFormat(format))),
    );
    return file;
  };
  // systemd hidden (a private tmpfs over /run/systemd in the namespace's mount namespace).
  const runInNs = (script: string, e: NodeJS.ProcessEnv = env(), prefix: string[] = []) =>
    run(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'sh',
        '-c',
        'if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi; exec "$@"',
        'sh',
        ...prefix,
        'sh',
        script,
      ],
      e,
    );
  const rules = async (bin = 'iptables') => {
    const out = await must('ip', ['netns', 'exec', ns, bin, '-S']);
    return out.split('\n').filter((l) => l.includes('cce-harden:'));
  };

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`CI=true but missing: ${missing.join(', ')}`);
    dir = await mkdtemp(join(tmpdir(), 'cce-harden-netns-'));
    await must('ip', ['netns', 'add', ns]);
  });
  afterAll(async () => {
    await run('ip', ['netns', 'del', ns]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a changed CIDR, API server IP, port match or network mode leaves no stale rule; other rules stay', async () => {
    await must('ip', ['netns', 'exec', ns, 'iptables', '-F']);
    // Not ours: no comment, and a comment that is not cce-harden's.
    await must('ip', [
      'netns',
      'exec',
      ns,
      'iptables',
      '-A',
      'FORWARD',
      '-s',
      '10.9.0.0/16',
      '-j',
      'DROP',
    ]);
    await must('ip', [
      'netns',
      'exec',
      ns,
      'iptables',
      '-A',
      'OUTPUT',
      '-d',
      '10.9.9.9',
      '-m',
      'comment',
      '--comment',
      'site: keep me',
      '-j',
      'REJECT',
    ]);
    const first = await runInNs(await render('script', ['10.240.0.0/16', '10.241.0.0/16']));
    expect(first.code).toBe(0);
    expect((await rules()).sort()).toEqual([
      `-A FORWARD -s 10.240.0.0/16 -d ${API_IP}/32 -m comment --comment "cce-harden: reject 10.240.0.0/16 to ${API_IP}" -j REJECT --reject-with icmp-port-unreachable`,
      `-A FORWARD -s 10.241.0.0/16 -d ${API_IP}/32 -m comment --comment "cce-harden: reject 10.241.0.0/16 to ${API_IP}" -j REJECT --reject-with icmp-port-unreachable`,
    ]);

    // 10.241.0.0/16 replaced by 10.242.0.0/16.
    const second = await runInNs(await render('script', ['10.240.0.0/16', '10.242.0.0/16']));
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    let now = await rules();
    expect(now.some((l) => l.includes('10.241.0.0/16'))).toBe(false);
    expect(now.filter((l) => l.includes('10.242.0.0/16'))).toHaveLength(1);
    expect(now.filter((l) => l.includes('10.240.0.0/16'))).toHaveLength(1);

    // New API server IP, port-only with two ports: every older rule goes.
    const third = await runInNs(
      await render('script', ['10.240.0.0/16'], {
        ip: '10.250.0.9',
        portOnly: true,
        ports: [5443, 5444],
      }),
    );
    expect(third.code).toBe(0);
    now = await rules();
    expect(now).toEqual([
      '-A FORWARD -s 10.240.0.0/16 -d 10.250.0.9/32 -p tcp -m multiport --dports 5443,5444 -m comment --comment "cce-harden: reject 10.240.0.0/16 to 10.250.0.9:5443,5444/tcp" -j REJECT --reject-with icmp-port-unreachable',
    ]);

    // Tunnel -> VPC network: the FORWARD rule goes, the OUTPUT rule comes.
    const fourth = await runInNs(await render('script', ['10.240.0.0/16'], { network: 'vpc' }));
    expect(fourth.code).toBe(0);
    now = await rules();
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/^-A OUTPUT -s 10\.240\.0\.0\/16 -d 10\.250\.0\.2\/32 /);

    const all = await must('ip', ['netns', 'exec', ns, 'iptables', '-S']);
    expect(all).toContain('-A FORWARD -s 10.9.0.0/16 -j DROP');
    expect(all).toContain('--comment "site: keep me"');
  });

  it('iptables-nft ignores the xtables lock; without CAP_NET_ADMIN -C fails (exit 4) and no -I is tried', async () => {
    const version = await must('iptables', ['--version']);
    if (!version.includes('nf_tables')) return;
    await must('ip', ['netns', 'exec', ns, 'iptables', '-F']);
    const script = await render('script', ['10.240.0.0/16', '10.241.0.0/16']);

    const lock = join(dir, 'nft.lock');
    const holder = spawn('flock', [lock, 'sh', '-c', 'echo held; sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const held = await runInNs(script, env({ XTABLES_LOCKFILE: lock }));
    holder.kill('SIGKILL');
    expect(held.code).toBe(0);
    expect(await rules()).toHaveLength(2);
    await must('ip', ['netns', 'exec', ns, 'iptables', '-F']);

    const noCap = ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin'];
    const r = await runInNs(script, env(), noCap);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'iptables failed (exit 4): FORWARD cce-harden: reject 10.240.0.0/16',
    );
    expect(r.stderr).toContain(
      'iptables failed (exit 4): FORWARD cce-harden: reject 10.241.0.0/16',
    );
    // -C's own message goes to /dev/null: a "Permission denied" here would come from an -I.
    expect(r.stderr).not.toContain('Permission denied');
    expect(await rules()).toEqual([]);
  });

  it('rc.local with a half marker is refused and left byte for byte as it was', async () => {
    const rc = join(dir, 'rc.local.half');
    const text =
      '#!/bin/sh -e\necho mine\n# >>> cce-harden rc.local (managed; do not edit) >>>\necho also mine\nexit 0\n';
    await writeFile(rc, text, { mode: 0o750 });
    const r = await runInNs(
      await render('rc-local', ['10.240.0.0/16']),
      env({ CCE_HARDEN_RC_LOCAL: rc }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('has a broken cce-harden block');
    expect(await readFile(rc, 'utf8')).toBe(text);
    expect((await stat(rc)).mode & 0o777).toBe(0o750);
    expect(
      (await must('ls', ['-A', dir])).split('\n').filter((n) => n.startsWith('.rc.local')),
    ).toEqual([]);
  });

  it('rc.local: written through a symlink to its target, mode and owner kept, block before exit 0 and its comments', async () => {
    const real = join(dir, 'rc.real');
    const link = join(dir, 'rc.link');
    await writeFile(real, '#!/bin/sh -e\necho mine\nexit 0\n# end\n\n', { mode: 0o700 });
    await must('chown', ['65534:65534', real]);
    await symlink(real, link);
    const r = await runInNs(
      await render('rc-local', ['10.240.0.0/16']),
      env({ CCE_HARDEN_RC_LOCAL: link }),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await must('readlink', [link])).trim()).toBe(real);
    const text = await readFile(real, 'utf8');
    expect(text.startsWith('#!/bin/sh -e\necho mine\n# >>> cce-harden rc.local')).toBe(true);
    expect(text.endsWith('# <<< cce-harden rc.local <<<\nexit 0\n# end\n\n')).toBe(true);
    const st = await stat(real);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o700, 65534, 65534]);
  });

  it('rc.local on a full disk (a small tmpfs): the script fails and rc.local stays intact', async () => {
    const mnt = join(dir, 'full');
    await must('mkdir', [mnt]);
    await must('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const rc = join(mnt, 'rc.local');
      const text = '#!/bin/sh -e\necho mine\nexit 0\n';
      await writeFile(rc, text, { mode: 0o755 });
      await run('dd', ['if=/dev/zero', `of=${join(mnt, 'fill')}`, 'bs=4k']);
      const r = await runInNs(
        await render('rc-local', ['10.240.0.0/16']),
        env({ CCE_HARDEN_RC_LOCAL: rc }),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/No space left on device/);
      expect(await readFile(rc, 'utf8')).toBe(text);
      expect((await must('ls', ['-A', mnt])).trim().split('\n').sort()).toEqual([
        'fill',
        'rc.local',
      ]);
    } finally {
      await run('umount', [mnt]);
    }
  });
  // Last: once legacy tables exist in the namespace, iptables-nft warns about them on stderr.
  it.runIf(other?.label === 'iptables-legacy')(
    'iptables-legacy with the xtables lock held: -C fails with exit 4, nothing is inserted, the script fails',
    async () => {
      const bin = join(dir, 'legacy-bin');
      await must('mkdir', ['-p', bin]);
      await symlink(other?.bin ?? '', join(bin, 'iptables'));
      const lock = join(dir, 'xtables.lock');
      const e = env({ PATH: `${bin}:${process.env.PATH ?? ''}`, XTABLES_LOCKFILE: lock });
      await must('ip', ['netns', 'exec', ns, other?.bin ?? '', '-F']);
      const script = await render('script', ['10.240.0.0/16']);
      expect((await runInNs(script, e)).code).toBe(0);
      expect(await rules(other?.bin)).toHaveLength(1);

      // Held for 12 s: -C gives up after its 10 s wait; an -I that followed (as `-C || -I` did)
      // would get the lock at 12 s and insert a duplicate.
      const holder = spawn('flock', [lock, 'sh', '-c', 'echo held; sleep 12'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      const started = Date.now();
      const r = await runInNs(script, e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        'cce-harden: iptables failed (exit 4): FORWARD cce-harden: reject 10.240.0.0/16',
      );
      expect(r.stderr).toContain('cce-harden: FAILED');
      await new Promise<void>((resolve) => holder.once('exit', () => resolve()));
      expect(await rules(other?.bin)).toHaveLength(1);
      await must('ip', ['netns', 'exec', ns, other?.bin ?? '', '-F']);
    },
    40_000,
  );
});
