import { defineCommand, flag, portNumber } from '../command.js';

export const sandboxCommand = defineCommand({
  name: 'sandbox',
  description:
    'run the built-in CCE + VPC emulator in the foreground and print the variables that point cce-harden (or any SDK program) at it',
  flags: {
    port: flag.number('--port <n>', 'port to listen on (default: a free one)', portNumber),
    reset: flag.boolean('--reset', 'restore the demo world in the --sandbox state file and exit'),
  },
  options: (flags) => ({ port: flags.port, reset: flags.reset }),
  async run(ctx, opts) {
    const { runSandboxCommand } = await import('../sandbox-mode.js');
    return runSandboxCommand(ctx, opts);
  },
});
