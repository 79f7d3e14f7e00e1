#!/usr/bin/env node
// npm run demo: the main jobs of cce-harden against the built-in sandbox cloud, start to finish.
// It uses a fresh sandbox state in a temp directory, so it never touches a real cloud or your
// own `--sandbox` state, and can be run again and again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'cce-harden.js');
const work = mkdtempSync(path.join(tmpdir(), 'cce-harden-demo-'));
const env = {
  ...process.env,
  CCE_HARDEN_SANDBOX_STATE: path.join(work, 'sandbox-state.json'),
};
const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[22m` : s);

function step(title, args, note) {
  process.stdout.write(`\n${bold(`── ${title}`)}\n${bold(`$ cce-harden ${args.join(' ')}`)}\n\n`);
  const r = spawnSync(process.execPath, [bin, ...args, '--sandbox'], {
    env,
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  // The sandbox banner is noise here; everything else the CLI says on stderr is shown: progress
  // ("Waiting for ...") before the result, as it appeared, and notes after it.
  const lines = (r.stderr ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('(sandbox: '));
  const progress = lines.filter((l) => l.trimEnd().endsWith('...'));
  const notes = lines.filter((l) => !l.trimEnd().endsWith('...'));
  if (progress.length > 0) process.stdout.write(`${progress.join('\n')}\n`);
  process.stdout.write(r.stdout ?? '');
  if (notes.length > 0) process.stdout.write(`${notes.join('\n')}\n`);
  process.stdout.write(`\n→ exit code ${r.status}${note ? ` (${note})` : ''}\n`);
  return r.status;
}

process.stdout.write(
  bold('cce-harden demo') +
    ' — against the built-in sandbox (a local CCE + VPC v3 emulator; no real cloud is called).\n' +
    'Every command below also takes --json for scripts; run `cce-harden --help` for more.\n',
);

step(
  'The whole fleet at a glance',
  ['check', '--all', '--output', 'table'],
  '1 = a cluster could not be checked: demo-sleepy is hibernating',
);
step('CCE Turbo: check demo-turbo', ['check', '--cluster', 'demo-turbo'], '2 = drift');
step(
  'Prove it from inside the cluster: probe pods try to reach the API server',
  ['verify', '--cluster', 'demo-turbo'],
  '2 = a pod reached the API server',
);
step(
  'Preview the fix',
  ['apply', '--cluster', 'demo-turbo', '--dry-run'],
  '2 = changes pending, nothing written',
);
step('Apply it', ['apply', '--cluster', 'demo-turbo', '--yes'], '0 = done and verified');
step('Check again', ['check', '--cluster', 'demo-turbo'], '0 = compliant');
step(
  'Verify again: the guide covers 5443, but the kubernetes Service points at 5444',
  ['verify', '--cluster', 'demo-turbo'],
  '2 = in-cluster clients still reach kube-apiserver',
);
// Deny rules for several ports (`apply --port`): run that part when this build has the flag.
const applyHelp = spawnSync(process.execPath, [bin, 'apply', '--help'], { encoding: 'utf8' });
if (/--port\b/.test(applyHelp.stdout ?? '')) {
  step('Cover both ports', [
    'apply',
    '--cluster',
    'demo-turbo',
    '--port',
    '5443',
    '--port',
    '5444',
    '--yes',
  ]);
  step('Verify once more', ['verify', '--cluster', 'demo-turbo'], '0 = every probe blocked');
}
step(
  'CCE standard (VPC network): verify demo-vpc before hardening',
  ['verify', '--cluster', 'demo-vpc'],
  '2 = pods on every node reach the API server',
);
step('The iptables script for demo-vpc', [
  'iptables',
  '--cluster',
  'demo-vpc',
  '--format',
  'script',
]);
step('Put it in the node pools so new nodes get it', [
  'iptables',
  '--cluster',
  'demo-vpc',
  '--install',
  '--yes',
]);
step(
  'Check demo-vpc',
  ['check', '--cluster', 'demo-vpc'],
  '0 = every node pool carries the current block',
);
step(
  'Verify demo-vpc: the node pools are ready for new nodes, the existing ones are not yet',
  ['verify', '--cluster', 'demo-vpc'],
  '2 = existing nodes still need the script run once (sh harden.sh as root)',
);
step(
  'demo-vpc-mixed: the script ran on two of three nodes; only verify can tell which',
  ['verify', '--cluster', 'demo-vpc-mixed', '--output', 'table'],
  '2 = one node never ran it',
);

rmSync(work, { recursive: true, force: true });
process.stdout.write(
  `\n${bold('Next')}: \`cce-harden --sandbox\` keeps a sandbox between runs (\`cce-harden sandbox --reset\` restores it);\n` +
    'for a real cloud, copy .env.example to .env and fill in your credentials.\n',
);
