/** Every command, in --help order. Each file declares its flags, typed options and handler. */
import type { CommandDefinition } from '../command.js';
import { applyCommand } from './apply.js';
import { checkCommand } from './check.js';
import { iptablesCommand } from './iptables.js';
import { removeCommand } from './remove.js';
import { sandboxCommand } from './sandbox.js';
import { verifyCommand } from './verify.js';
import { wizardCommand } from './wizard.js';

export const COMMANDS: readonly CommandDefinition[] = [
  checkCommand,
  applyCommand,
  removeCommand,
  iptablesCommand,
  verifyCommand,
  sandboxCommand,
  wizardCommand,
];

export { wizardCommand };
