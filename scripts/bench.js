// `npm run bench`: the fleet check against the sandbox with a fixed latency added to every
// request, for fleets of several sizes, side by side with a sequential baseline (one cluster at a
// time, as a naive script would do it), plus the startup time of `cce-harden --help` against a
// bare `node -e 0`. The sandbox runs in this process; the built CLI and the baseline each run in
// a child process, so each one's peak memory (maxRSS) is its own.
//
//   npm run bench                              fleets of 10, 100 and 500 clusters, 50 ms
//   npm run bench -- --sizes 10,100 --latency 20 --runs 5
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SANDBOX_CREDENTIALS, WorldBuilder, startSandbox } from '../dist/sandbox/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/cce-harden.js');
const BASELINE = path.join(ROOT, 'scripts/bench-baseline.js');
const RSS_PROBE = pathToFileURL(path.join(ROOT, 'scripts/bench-rss.mjs')).href;
const REGION = SANDBOX_CREDENTIALS.region;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,500' },
    latency: { type: 'string', default: '50' },
    runs: { type: 'string', default: '9' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const LATENCY_MS = Number(args.latency);
const STARTUP_RUNS = Number(args.runs);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cce-harden-bench-'));
let failures = 0;

/** Every 10th cluster is left unhardened, so the check has drift to find. */
function fleetWorld(n) {
  const b = new WorldBuilder().project({ region: REGION });
  for (let i = 1; i <= n; i++) {
    b.turboCluster({ name: `fleet-${String(i).padStart(4, '0')}`, hardened: i % 10 !== 0 });
  }
  return b.build();
}

/**
 * Runs a node script in a child; wall time from spawn to exit. With `probe`, the child also
 * reports its peak RSS (startup timings run without it, so both sides stay bare).
 */
function runChild(argv, env, { probe = true } = {}) {
  const rssFile = path.join(tmp, `rss-${performance.now()}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, probe ? ['--import', RSS_PROBE, ...argv] : argv, {
      env: { ...env, BENCH_RSS_OUT: rssFile },
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    let stderr = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      let rssMb = NaN;
      try {
        rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // No probe output: reported as n/a.
      }
      resolve({ code, wallMs, rssMb, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

function cliEnv(url) {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    NO_COLOR: '1',
    HUAWEICLOUD_SDK_AK: SANDBOX_CREDENTIALS.ak,
    HUAWEICLOUD_SDK_SK: SANDBOX_CREDENTIALS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: SANDBOX_CREDENTIALS.projectId,
    HUAWEICLOUD_SDK_REGION: REGION,
    CCE_HARDEN_CCE_ENDPOINT: url,
    CCE_HARDEN_VPC_ENDPOINT: url,
    CCE_HARDEN_IAM_ENDPOINT: url,
  };
}

/** API calls from the sandbox's request log: all, and the security-group part. */
function countCalls(log) {
  const sg = log.filter((e) => /\/vpc\/security-group(s|-rules)$/.test(e.path)).length;
  return { all: log.length, sg };
}

function expectSummary(label, n, got) {
  const want = { clusters: n, compliant: n - Math.floor(n / 10), drift: Math.floor(n / 10) };
  const ok =
    got.clusters === want.clusters && got.compliant === want.compliant && got.drift === want.drift;
  if (!ok) {
    failures++;
    console.error(
      `${label}: wrong result ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
  }
}

async function benchFleet(n) {
  const world = fleetWorld(n);
  const groups = world.projects[0].securityGroups.length;
  const handle = await startSandbox({ world });
  handle.faults.latencyMs = LATENCY_MS;
  try {
    const env = cliEnv(handle.url);
    handle.clearLog();
    const check = await runChild([BIN, 'check', '--all', '--output', 'json'], env);
    const checkCalls = countCalls(handle.log);
    const doc = JSON.parse(check.stdout || '{"clusters":[]}');
    const count = (s) => doc.clusters.filter((c) => c.status === s).length;
    if (check.code !== 2) {
      failures++;
      console.error(`check --all (${n}) exited ${check.code}: ${check.stderr.slice(0, 500)}`);
    }
    expectSummary(`check --all (${n})`, n, {
      clusters: doc.clusters.length,
      compliant: count('compliant'),
      drift: count('drift'),
    });

    handle.clearLog();
    const base = await runChild([BASELINE], env);
    const baseCalls = countCalls(handle.log);
    if (base.code !== 0) {
      failures++;
      console.error(`baseline (${n}) exited ${base.code}: ${base.stderr.slice(0, 500)}`);
    }
    expectSummary(`baseline (${n})`, n, JSON.parse(base.stdout || '{}'));
    return {
      n,
      groups,
      check: { ...check, calls: checkCalls },
      base: { ...base, calls: baseCalls },
      // What the security-group part must cost: pages of groups, plus one rules request per
      // 40 ENI groups (each fits one page here).
      sgPages: Math.ceil(groups / 2000) + Math.ceil(n / 40),
    };
  } finally {
    await handle.close();
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function benchStartup() {
  const env = { PATH: process.env.PATH, HOME: tmp, NO_COLOR: '1' };
  const node = [];
  const help = [];
  // Interleaved, after one warm-up of each, so disk cache and CPU frequency treat both alike.
  const bare = { probe: false };
  await runChild(['-e', '0'], env, bare);
  await runChild([BIN, '--help'], env, bare);
  for (let i = 0; i < STARTUP_RUNS; i++) {
    node.push((await runChild(['-e', '0'], env, bare)).wallMs);
    help.push((await runChild([BIN, '--help'], env, bare)).wallMs);
  }
  return { node: median(node), help: median(help) };
}

const pad = (s, w) => String(s).padStart(w);
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a');

console.log(
  `cce-harden fleet benchmark: sandbox on 127.0.0.1 with ${LATENCY_MS} ms added to every request; ` +
    `Node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
);
console.log(
  '(one region; every 10th cluster has no deny rule; calls counted in the sandbox log)\n',
);

const rows = [];
for (const n of SIZES) {
  process.stderr.write(`  fleet of ${n}...\n`);
  rows.push(await benchFleet(n));
}

const header = [
  pad('clusters', 8),
  pad('check --all', 11),
  pad('calls', 6),
  pad('SG calls', 8),
  pad('peak RSS', 8),
  '|',
  pad('sequential', 10),
  pad('calls', 6),
  pad('SG calls', 8),
  pad('peak RSS', 8),
  '|',
  pad('speed-up', 8),
  pad('fewer calls', 11),
].join('  ');
console.log(header);
console.log('-'.repeat(header.length));
for (const r of rows) {
  console.log(
    [
      pad(r.n, 8),
      pad(secs(r.check.wallMs), 11),
      pad(r.check.calls.all, 6),
      pad(r.check.calls.sg, 8),
      pad(mb(r.check.rssMb), 8),
      '|',
      pad(secs(r.base.wallMs), 10),
      pad(r.base.calls.all, 6),
      pad(r.base.calls.sg, 8),
      pad(mb(r.base.rssMb), 8),
      '|',
      pad(`${(r.base.wallMs / r.check.wallMs).toFixed(1)}x`, 8),
      pad(`${(r.base.calls.all / r.check.calls.all).toFixed(1)}x`, 11),
    ].join('  '),
  );
}

const startup = await benchStartup();
const startupRatio = startup.help / startup.node;
console.log(
  `\nstartup (median of ${STARTUP_RUNS}): node -e 0 ${startup.node.toFixed(0)} ms, ` +
    `cce-harden --help ${startup.help.toFixed(0)} ms: ${startupRatio.toFixed(2)}x`,
);

// The speed targets are stated for 500 clusters; other sizes are shown, not judged.
const largest = rows.find((r) => r.n === 500);
const verdict = (ok) => (ok ? 'met   ' : 'MISSED');
const targets = [];
if (!largest) console.log('\n(no fleet of 500 in this run: the speed targets are not judged)');
if (largest) {
  const speedup = largest.base.wallMs / largest.check.wallMs;
  targets.push([
    speedup >= 20,
    `${largest.n} clusters: check --all ${speedup.toFixed(1)}x faster than the sequential baseline (target >= 20x)`,
  ]);
  targets.push([
    largest.check.wallMs < 3000,
    `${largest.n} clusters: check --all ${secs(largest.check.wallMs)} wall (target < 3 s on 2 cores)`,
  ]);
}
targets.push([
  rows.every((r) => r.check.calls.sg === r.sgPages),
  `security-group calls ${rows.map((r) => `${r.check.calls.sg} for ${r.n}`).join(', ')} clusters = ` +
    `pages of groups + ceil(ENI groups / 40) (${rows.map((r) => r.sgPages).join(', ')}); the baseline makes ` +
    `${rows.map((r) => r.base.calls.sg).join(', ')}`,
]);
const peak = Math.max(...rows.map((r) => r.check.rssMb));
targets.push([peak < 150, `check --all peak memory ${mb(peak)} (target < 150 MB)`]);
targets.push([
  startupRatio <= 1.5,
  `--help ${startupRatio.toFixed(2)}x bare node (target <= 1.5x)`,
]);
console.log('\ntargets:');
for (const [ok, text] of targets) console.log(`  [${verdict(ok)}] ${text}`);

rmSync(tmp, { recursive: true, force: true });
if (failures > 0) {
  console.error(`\n${failures} run(s) gave a wrong result: the figures above are not valid.`);
  process.exitCode = 1;
}
