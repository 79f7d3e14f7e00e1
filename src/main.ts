import { ExitCode } from './core/exit-codes.js';

/** Entry point: parses argv, runs a command, returns the exit code. Wiring only. */
export async function run(argv: readonly string[]): Promise<number> {
  if (argv.includes('--version')) {
    process.stdout.write('0.1.0\n');
    return ExitCode.ok;
  }
  process.stderr.write('cce-harden: not implemented yet\n');
  return ExitCode.usage;
}
