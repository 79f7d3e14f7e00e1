import { UsageError } from '../../core/errors.js';
import { defineCommand, flag } from '../command.js';

/**
 * `cce-harden wizard` (and `cce-harden` alone in a terminal): asks for what flags left open, then
 * runs the same apply / iptables code as the scripted commands. Never prompts without a terminal.
 */
export const wizardCommand = defineCommand({
  name: 'wizard',
  description: 'the interactive wizard (also what `cce-harden` alone starts in a terminal)',
  flags: {
    cluster: flag.string('--cluster <name|id>', 'skip the cluster question'),
  },
  options: (flags) => ({ cluster: flags.cluster }),
  async run(ctx, flags) {
    if (!ctx.ui.interactive) {
      throw new UsageError(
        'The wizard asks questions and needs a terminal on stdin and stderr.',
        'In scripts, pass a command instead: cce-harden check|apply|iptables --cluster <name> (see cce-harden --help).',
      );
    }
    const { runWizardFlow } = await import('../wizard/flow.js');
    return runWizardFlow(ctx, flags);
  },
});
