import { CancelledError } from '../core/errors.js';
import type { Io } from './io.js';

/**
 * The message sink: progress, messages, the plan before a confirmation and prompts, all on
 * stderr. Results leave only through output.ts (stdout or --out).
 */
export interface Ui {
  /** True when a person can answer prompts (stdin and stderr are terminals). */
  interactive: boolean;
  /** A log line; --quiet and machine-readable output silence it. */
  info(message: string): void;
  /** Text the person must see (the plan before a question, the wizard's lines). */
  say(text?: string): void;
  debug(message: string): void;
  step<T>(text: string, work: () => Promise<T>): Promise<T>;
  confirm(message: string, defaultYes: boolean): Promise<boolean>;
}

export interface UiSettings {
  spinners: boolean;
  debug: boolean;
  quietLogs: boolean;
}

/** Ctrl+C inside an inquirer prompt rejects with ExitPromptError. */
export function isPromptExit(err: unknown): boolean {
  return err instanceof Error && err.name === 'ExitPromptError';
}

export function createUi(io: Io, settings: UiSettings): Ui {
  const interactive = Boolean(io.stdin.isTTY && io.stderr.isTTY);
  return {
    interactive,
    info(message) {
      if (!settings.quietLogs) io.stderr.write(`${message}\n`);
    },
    say(text = '') {
      io.stderr.write(`${text}\n`);
    },
    debug(message) {
      if (settings.debug) io.stderr.write(`debug: ${message}\n`);
    },
    async step(text, work) {
      if (!settings.spinners || !io.stderr.isTTY) return work();
      const { default: ora } = await import('ora');
      const spinner = ora({ text, stream: io.stderr }).start();
      try {
        const result = await work();
        spinner.succeed();
        return result;
      } catch (err) {
        spinner.fail();
        throw err;
      }
    },
    async confirm(message, defaultYes) {
      const { confirm } = await import('@inquirer/prompts');
      try {
        return await confirm(
          { message, default: defaultYes },
          { input: io.stdin, output: io.stderr },
        );
      } catch (err) {
        if (isPromptExit(err)) throw new CancelledError();
        throw err;
      }
    },
  };
}
