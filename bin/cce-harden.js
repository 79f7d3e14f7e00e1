#!/usr/bin/env node
// Thin shim: everything lives in the built entry point. Only this file sets the exit code.
import { readFileSync } from 'node:fs';

/** `--help`, `-h`, `<command> --help` and `--version` alone are served from dist/help.json. */
function prebuiltHelp(args) {
  if (args.length > 2) return undefined;
  try {
    const help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'));
    if (args.length === 1 && args[0] === '--version') return help.version;
    const [first, second] = args;
    const isHelp = (a) => a === '--help' || a === '-h';
    if (args.length === 1 && isHelp(first)) return help.commands[''];
    if (args.length === 2 && isHelp(second)) return help.commands[first];
  } catch {
    // No prebuilt help (e.g. a partial build): the program renders it.
  }
  return undefined;
}

// A reader that goes away (`cce-harden check --all | head`) is not worth a stack trace, and
// neither is a full or broken output (`> /dev/full`): one line on stderr, exit 1.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) {
      try {
        process.stderr.write(
          `cce-harden: could not write to standard output: ${err.code ?? err.message}\n`,
        );
      } catch {
        // stderr is gone too: the exit code is all that is left.
      }
    }
    process.exit(1);
  });
}

const args = process.argv.slice(2);
const text = prebuiltHelp(args);
if (text !== undefined) {
  process.stdout.write(text);
} else {
  const { run } = await import('../dist/main.js');
  const code = await run(args);
  // Cancelled (nothing was written): do not wait for a read still in flight to time out.
  if (code === 130) process.exit(code);
  process.exitCode = code;
}
