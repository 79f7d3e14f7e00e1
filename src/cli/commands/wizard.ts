import { UsageError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import type { WizardFlags } from '../wizard/answers.js';

/**
 * `cce-harden wizard` (and `cce-harden` alone in a terminal): asks for what flags left open, then
 * runs the same apply / iptables code as the scripted commands. Never prompts without a terminal.
 */
export async function runWizard(ctx: CommandContext, flags: WizardFlags = {}): Promise<number> {
  if (!ctx.ui.interactive) {
    throw new UsageError(
      'The wizard asks questions and needs a terminal on stdin and stderr.',
      'In scripts, pass a command instead: cce-harden check|apply|iptables --cluster <name> (see cce-harden --help).',
    );
  }
  const { runWizardFlow } = await import('../wizard/flow.js');
  return runWizardFlow(ctx, flags);
}
