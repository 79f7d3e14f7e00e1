import { UsageError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

export async function runWizard(_ctx: CommandContext): Promise<number> {
  throw new UsageError(
    'The interactive wizard is not available in this build.',
    'Run `cce-harden --help` for the commands.',
  );
}
