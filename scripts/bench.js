// `npm run bench`: the fleet check against the sandbox with a fixed latency added to every
// request, for fleets of several sizes in one region and for many regions at once, side by side
// with a sequential baseline (one cluster at a time, as a naive script would do it), plus the
// startup time of `cce-harden --help` against a bare `node -e 0`. The sandbox runs in this
// process; the built CLI and the baseline each run in a child process, so each one's peak memory
// (maxRSS) and CPU time are its own.
//
//   npm run bench                       fleets of 10, 100, 500, 2500 and 5000 clusters, and 10
//                                       regions x 500, 50 ms, each check run 3 times (medians)
//   npm run bench -- --sizes 10,100 --regions '' --latency 20 --repeat 5 --baseline-max 100
//   npm run bench -- --against ../cce-harden-main   also runs that checkout's built CLI, turn about
//                                       with this one on the same sandbox, and prints the ratios
//
// The baseline makes several calls per cluster; above --baseline-max clusters it is not run but
// extrapolated: the calls it would make (computed from the world) times the wall time per call it
// took at the largest size it was run at.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
/** Region ids for the multi-region run (the first is the sandbox credentials' own). */
const REGION_IDS = [
  REGION,
  'cn-north-1',
  'cn-east-3',
  'cn-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'af-south-1',
  'la-south-2',
  'tr-west-1',
  'me-east-1',
  'la-north-2',
];
/** ListSecurityGroups / ListSecurityGroupRules page size the VPC adapter asks for. */
const PAGE = 2000;
/** ENI group ids per ListSecurityGroupRules request when rules are read group by group. */
const CHUNK = 40;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,500,2500,5000' },
    regions: { type: 'string', default: '10x500' },
    latency: { type: 'string', default: '50' },
    runs: { type: 'string', default: '9' },
    repeat: { type: 'string', default: '3' },
    'baseline-max': { type: 'string', default: '500' },
    against: { type: 'string' },
  },
});
/** Another checkout's built CLI to measure side by side (its own `npm run build` first). */
const AGAINST = args.against ? path.resolve(args.against, 'bin/cce-harden.js') : undefined;
if (args.against && !existsSync(path.resolve(args.against, 'dist/main.js'))) {
  console.error(
    `--against ${args.against}: no built CLI there (bin/cce-harden.js and dist/main.js); run npm run build in it first.`,
  );
  process.exit(64);
}
const SIZES = args.sizes.split(',').filter(Boolean).map(Number);
const [REGION_COUNT, PER_REGION] = args.regions ? args.regions.split('x').map(Number) : [0, 0];
const LATENCY_MS = Number(args.latency);
const STARTUP_RUNS = Number(args.runs);
const REPEAT = Math.max(1, Number(args.repeat));
const BASELINE_MAX = Number(args['baseline-max']);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cce-harden-bench-'));
let failures = 0;

/**
 * Every 10th cluster is left unhardened, so the check has drift to find. Each ENI group also has
 * one ordinary allow rule at priority 1, as groups in use have.
 */
function addFleet(b, n, prefix) {
  for (let i = 1; i <= n; i++) {
    b.turboCluster({
      name: `${prefix}-${String(i).padStart(4, '0')}`,
      hardened: i % 10 !== 0,
      eniAllowRule: true,
    });
  }
  return b;
}

function fleetWorld(n) {
  return addFleet(new WorldBuilder().project({ region: REGION }), n, 'fleet').build();
}

function regionsWorld(count, per) {
  const b = new WorldBuilder();
  for (const region of REGION_IDS.slice(0, count)) addFleet(b.project({ region }), per, 'fleet');
  return b.build();
}

/**
 * Runs a node script in a child; wall time from spawn to exit. With `probe`, the child also
 * reports its peak RSS and CPU time (startup timings run without it, so both sides stay bare).
 */
function runChild(argv, env, { probe = true } = {}) {
  const probeFile = path.join(tmp, `probe-${performance.now()}`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, probe ? ['--import', RSS_PROBE, ...argv] : argv, {
      env: { ...env, BENCH_RSS_OUT: probeFile },
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
      let cpuMs = NaN;
      try {
        const p = JSON.parse(readFileSync(probeFile, 'utf8'));
        rssMb = p.maxRSS / 1024;
        cpuMs = p.cpuUs / 1000;
      } catch {
        // No probe output: reported as n/a.
      }
      resolve({ code, wallMs, rssMb, cpuMs, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

function cliEnv(url, projectIds = SANDBOX_CREDENTIALS.projectId, region = REGION) {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    NO_COLOR: '1',
    HUAWEICLOUD_SDK_AK: SANDBOX_CREDENTIALS.ak,
    HUAWEICLOUD_SDK_SK: SANDBOX_CREDENTIALS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: projectIds,
    HUAWEICLOUD_SDK_REGION: region,
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

/**
 * What the security-group part must cost, from the world: pages of groups, then the rules that
 * decide compliance. Up to 40 Turbo clusters: one request per 40 ENI group ids. More: pages of the
 * project's egress rules at priority 1, read while the groups are listed, unless that takes more
 * requests than 40 ids at a time; then those pages and the requests by id. Per region.
 */
function expectedSgCalls(world) {
  let total = 0;
  for (const p of world.projects) {
    const turbo = p.clusters.filter((c) => c.cluster.spec.category === 'Turbo').length;
    const eni = p.securityGroups.filter((g) => /-cce-eni-/.test(g.name)).length;
    const deciding = p.securityGroupRules.filter(
      (r) => r.direction === 'egress' && r.priority === 1,
    ).length;
    const groupPages = Math.max(1, Math.ceil(p.securityGroups.length / PAGE));
    const limit = Math.ceil(turbo / CHUNK);
    const byGroup = Math.ceil(eni / CHUNK);
    const projectPages = Math.max(1, Math.ceil(deciding / PAGE));
    total += groupPages;
    total += limit <= 1 ? byGroup : projectPages <= limit ? projectPages : limit + byGroup;
  }
  return total;
}

/** Calls the sequential baseline makes on this world: per cluster, show + group pages + rules. */
function baselineCalls(world) {
  let total = 0;
  for (const p of world.projects) {
    const pages = Math.max(1, Math.ceil(p.securityGroups.length / PAGE));
    total += 1 + p.clusters.length * (1 + pages + 1);
  }
  return total;
}

/** Every 10th cluster of each region drifts. */
function expectSummary(label, per, regions, got) {
  const drift = Math.floor(per / 10) * regions;
  const want = { clusters: per * regions, compliant: per * regions - drift, drift };
  const ok =
    got.clusters === want.clusters && got.compliant === want.compliant && got.drift === want.drift;
  if (!ok) {
    failures++;
    console.error(
      `${label}: wrong result ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** `check --all` REPEAT times on the same sandbox: medians of wall, CPU and peak RSS. */
async function runChecks(label, handle, env, argv, clustersPerRegion, regions) {
  const runs = [];
  const others = [];
  let calls;
  for (let i = 0; i < REPEAT; i++) {
    // The other build goes first every other time, so neither always meets a warmer machine.
    const runOther = async () => {
      if (!AGAINST) return;
      const other = await runChild([AGAINST, 'check', '--all', '--output', 'json', ...argv], env);
      if (other.code !== 2) {
        failures++;
        console.error(`${label} (--against) exited ${other.code}: ${other.stderr.slice(0, 500)}`);
      }
      others.push(other);
    };
    if (i % 2 === 1) await runOther();
    handle.clearLog();
    const check = await runChild([BIN, 'check', '--all', '--output', 'json', ...argv], env);
    calls = countCalls(handle.log);
    if (check.code !== 2) {
      failures++;
      console.error(`${label} exited ${check.code}: ${check.stderr.slice(0, 500)}`);
    }
    const doc = JSON.parse(check.stdout || '{"clusters":[]}');
    const count = (s) => doc.clusters.filter((c) => c.status === s).length;
    expectSummary(label, clustersPerRegion, regions, {
      clusters: doc.clusters.length,
      compliant: count('compliant'),
      drift: count('drift'),
    });
    runs.push(check);
    if (i % 2 === 0) await runOther();
  }
  const medians = (list) => ({
    wallMs: median(list.map((r) => r.wallMs)),
    cpuMs: median(list.map((r) => r.cpuMs)),
    rssMb: median(list.map((r) => r.rssMb)),
  });
  return {
    ...medians(runs),
    walls: runs.map((r) => r.wallMs),
    calls,
    against: others.length > 0 ? medians(others) : undefined,
  };
}

let baselinePerCallMs;
async function benchFleet(n) {
  const world = fleetWorld(n);
  const groups = world.projects[0].securityGroups.length;
  const handle = await startSandbox({ world });
  handle.faults.latencyMs = LATENCY_MS;
  try {
    const env = cliEnv(handle.url);
    const check = await runChecks(`check --all (${n})`, handle, env, [], n, 1);
    let base;
    if (n <= BASELINE_MAX) {
      handle.clearLog();
      const run = await runChild([BASELINE], env);
      const calls = countCalls(handle.log);
      if (run.code !== 0) {
        failures++;
        console.error(`baseline (${n}) exited ${run.code}: ${run.stderr.slice(0, 500)}`);
      }
      expectSummary(`baseline (${n})`, n, 1, JSON.parse(run.stdout || '{}'));
      baselinePerCallMs = run.wallMs / calls.all;
      base = { ...run, calls, extrapolated: false };
    } else if (baselinePerCallMs !== undefined) {
      const all = baselineCalls(world);
      base = {
        wallMs: all * baselinePerCallMs,
        rssMb: NaN,
        calls: { all, sg: all - 1 - 2 * n },
        extrapolated: true,
      };
    }
    return { n, groups, check, base, sgExpected: expectedSgCalls(world) };
  } finally {
    await handle.close();
  }
}

async function benchRegions(count, per) {
  const world = regionsWorld(count, per);
  const handle = await startSandbox({ world });
  handle.faults.latencyMs = LATENCY_MS;
  try {
    const regions = world.projects.map((p) => p.region);
    const env = cliEnv(
      handle.url,
      world.projects.map((p) => `${p.region}=${p.id}`).join(','),
      regions.join(','),
    );
    const check = await runChecks(
      `check --all (${count} regions x ${per})`,
      handle,
      env,
      ['--region', regions.join(',')],
      per,
      count,
    );
    return { count, per, check, sgExpected: expectedSgCalls(world) };
  } finally {
    await handle.close();
  }
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
const secs = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');
const mb = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a');

console.log(
  `cce-harden fleet benchmark: sandbox on 127.0.0.1 with ${LATENCY_MS} ms added to every request; ` +
    `Node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
);
console.log(
  `(every 10th cluster has no deny rule; one ordinary allow rule per ENI group; calls counted in ` +
    `the sandbox log; check figures are medians of ${REPEAT} run(s); ~ = extrapolated)\n`,
);

const rows = [];
for (const n of SIZES) {
  process.stderr.write(`  fleet of ${n}...\n`);
  rows.push(await benchFleet(n));
}
let multi;
if (REGION_COUNT > 0) {
  process.stderr.write(`  ${REGION_COUNT} regions x ${PER_REGION}...\n`);
  multi = await benchRegions(REGION_COUNT, PER_REGION);
}

const header = [
  pad('clusters', 8),
  pad('check --all', 11),
  pad('CPU', 7),
  pad('calls', 6),
  pad('SG calls', 8),
  pad('peak RSS', 8),
  '|',
  pad('sequential', 10),
  pad('calls', 7),
  pad('peak RSS', 8),
  '|',
  pad('speed-up', 8),
  pad('fewer calls', 11),
].join('  ');
console.log(header);
console.log('-'.repeat(header.length));
for (const r of rows) {
  const b = r.base;
  const tilde = b?.extrapolated ? '~' : '';
  console.log(
    [
      pad(r.n, 8),
      pad(secs(r.check.wallMs), 11),
      pad(secs(r.check.cpuMs), 7),
      pad(r.check.calls.all, 6),
      pad(r.check.calls.sg, 8),
      pad(mb(r.check.rssMb), 8),
      '|',
      pad(b ? tilde + secs(b.wallMs) : 'n/a', 10),
      pad(b ? tilde + b.calls.all : 'n/a', 7),
      pad(mb(b?.rssMb), 8),
      '|',
      pad(b ? `${tilde}${(b.wallMs / r.check.wallMs).toFixed(1)}x` : 'n/a', 8),
      pad(b ? `${tilde}${(b.calls.all / r.check.calls.all).toFixed(1)}x` : 'n/a', 11),
    ].join('  '),
  );
}
if (multi) {
  const m = multi.check;
  console.log(
    `\n${multi.count} regions x ${multi.per} clusters: check --all ${secs(m.wallMs)} wall, ` +
      `${secs(m.cpuMs)} CPU, ${m.calls.all} calls (${m.calls.sg} security-group), peak RSS ${mb(m.rssMb)}`,
  );
}
console.log(
  `\ncheck --all wall per run: ${[...rows.map((r) => [r.n, r.check]), ...(multi ? [[`${multi.count}x${multi.per}`, multi.check]] : [])].map(([n, c]) => `${n}: ${c.walls.map((w) => (w / 1000).toFixed(2)).join('/')}`).join('; ')} s`,
);

const bySize = (n) => rows.find((r) => r.n === n);
const small = bySize(10);
const mid = bySize(2500);
const big = bySize(5000);
let growth;
if (small && mid && big) {
  growth = (big.check.cpuMs - small.check.cpuMs) / (mid.check.cpuMs - small.check.cpuMs);
  console.log(
    `CPU above the 10-cluster run: ${secs(mid.check.cpuMs - small.check.cpuMs)} at 2500, ` +
      `${secs(big.check.cpuMs - small.check.cpuMs)} at 5000: ${growth.toFixed(2)}x`,
  );
}

if (AGAINST) {
  console.log(
    `\nside by side with ${AGAINST} (medians of ${REPEAT} runs each, taking turns; ratio = this / that):`,
  );
  const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');
  const line = (name, c) =>
    console.log(
      `  ${pad(name, 8)}  wall ${secs(c.wallMs)} / ${secs(c.against.wallMs)} ${ratio(c.wallMs, c.against.wallMs)}` +
        `   CPU ${secs(c.cpuMs)} / ${secs(c.against.cpuMs)} ${ratio(c.cpuMs, c.against.cpuMs)}` +
        `   peak RSS ${mb(c.rssMb)} / ${mb(c.against.rssMb)} ${ratio(c.rssMb, c.against.rssMb)}`,
    );
  for (const r of rows) if (r.check.against) line(r.n, r.check);
  if (multi?.check.against) line(`${multi.count}x${multi.per}`, multi.check);
}

const startup = await benchStartup();
const startupRatio = startup.help / startup.node;
console.log(
  `\nstartup (median of ${STARTUP_RUNS}): node -e 0 ${startup.node.toFixed(0)} ms, ` +
    `cce-harden --help ${startup.help.toFixed(0)} ms: ${startupRatio.toFixed(2)}x`,
);

// Targets are stated for given sizes; a size missing from this run is not judged.
const verdict = (ok) => (ok ? 'met   ' : 'MISSED');
const targets = [];
const r500 = bySize(500);
if (r500?.base) {
  const speedup = r500.base.wallMs / r500.check.wallMs;
  targets.push([
    speedup >= 20,
    `500 clusters: check --all ${speedup.toFixed(1)}x faster than the sequential baseline (target >= 20x)`,
  ]);
}
if (r500) {
  targets.push([
    r500.check.wallMs < 3000,
    `500 clusters: check --all ${secs(r500.check.wallMs)} wall (target < 3 s on 2 cores)`,
  ]);
}
if (big) {
  targets.push([
    big.check.calls.all <= 20,
    `5000 clusters: ${big.check.calls.all} calls (target <= 20)`,
  ]);
  targets.push([
    big.check.wallMs < 3000,
    `5000 clusters: check --all ${secs(big.check.wallMs)} wall (target < 3 s)`,
  ]);
  targets.push([
    big.check.rssMb < 150,
    `5000 clusters: peak RSS ${mb(big.check.rssMb)} (target < 150 MB)`,
  ]);
}
if (growth !== undefined) {
  targets.push([
    growth <= 2.6,
    `CPU above a 10-cluster run grows ${growth.toFixed(2)}x from 2500 to 5000 clusters (target <= 2.6x)`,
  ]);
}
if (multi) {
  targets.push([
    multi.check.wallMs < 2000,
    `${multi.count} regions x ${multi.per} clusters: ${secs(multi.check.wallMs)} wall (target < 2 s)`,
  ]);
}
const all = [...rows, ...(multi ? [multi] : [])];
targets.push([
  all.every((r) => r.check.calls.sg === r.sgExpected),
  `security-group calls ${all.map((r) => r.check.calls.sg).join(', ')} = pages of groups + ` +
    `the rules that decide compliance (by ${CHUNK} group ids up to ${CHUNK} Turbo clusters, else ` +
    `pages of the project's priority-1 egress rules while no more than that): ` +
    `${all.map((r) => r.sgExpected).join(', ')}`,
]);
const peak = Math.max(...all.map((r) => r.check.rssMb));
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
