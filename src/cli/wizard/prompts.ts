/**
 * The wizard's questions and its Ctrl+C handling. Prompts go to stderr (stdout carries only
 * results), and @inquirer/prompts is loaded on first use so `--help` never pays for it.
 */
import { CancelledError } from '../../core/errors.js';
import { isPromptExit, type Ui } from '../ui.js';

/**
 * Ctrl+C outside a prompt. While a prompt is open the terminal is in raw mode and Ctrl+C reaches
 * inquirer as a key (ExitPromptError); between prompts it is a SIGINT. Before anything was
 * confirmed, a SIGINT cancels at once (only reads are in flight). After a confirmation it is
 * noted and the change runs to its verified end, because stopping between a write and its
 * re-read is exactly the half-done state the wizard must never leave.
 */
export class CancelGuard {
  private requested = false;
  private writing = false;
  private readonly waiters = new Set<() => void>();
  private readonly onSigint = (): void => {
    this.requested = true;
    for (const wake of this.waiters) wake();
  };

  /** The SIGINT listener lives only while the wizard runs. */
  install(): void {
    process.on('SIGINT', this.onSigint);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSigint);
  }

  get cancelRequested(): boolean {
    return this.requested;
  }

  /** A change was confirmed: from now on a Ctrl+C waits for it to finish. */
  markWriting(): void {
    this.writing = true;
  }

  get isWriting(): boolean {
    return this.writing;
  }

  throwIfCancelled(): void {
    if (this.requested && !this.writing) throw new CancelledError();
  }

  /** Read-only work that a Ctrl+C abandons (the answer is simply not waited for). */
  async interruptible<T>(work: () => Promise<T>): Promise<T> {
    this.throwIfCancelled();
    if (this.writing) return work();
    let wake = (): void => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      wake = () => reject(new CancelledError());
    });
    this.waiters.add(wake);
    const running = work();
    // The abandoned request may still fail later; that must not surface as an unhandled rejection.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, cancelled]);
    } finally {
      this.waiters.delete(wake);
    }
  }

  /**
   * The context's Ui with Ctrl+C honoured: steps before a confirmation are interruptible, and a
   * confirmation that says yes switches to "finish what was started".
   */
  wrapUi(ui: Ui): Ui {
    return {
      ...ui,
      step: (text, work) => this.interruptible(() => ui.step(text, work)),
      confirm: async (message, defaultYes) => {
        this.throwIfCancelled();
        const yes = await ui.confirm(message, defaultYes);
        if (yes) this.markWriting();
        return yes;
      },
    };
  }
}

export interface SelectChoice<T> {
  value: T;
  name: string;
  short?: string;
  description?: string;
  disabled?: string | boolean;
}

/** The three kinds of question the wizard asks, each with a default. */
export interface Ask {
  select<T>(message: string, choices: readonly SelectChoice<T>[], defaultValue?: T): Promise<T>;
  input(
    message: string,
    defaultValue: string | undefined,
    validate?: (value: string) => string | null,
  ): Promise<string>;
  confirm(message: string, defaultYes: boolean): Promise<boolean>;
}

/** Plain prompt styling for --no-color (NO_COLOR itself is honoured by inquirer already). */
const plainTheme = {
  prefix: { idle: '?', done: '>' },
  style: {
    answer: (t: string) => t,
    message: (t: string) => t,
    error: (t: string) => `> ${t}`,
    defaultAnswer: (t: string) => `(${t})`,
    help: (t: string) => t,
    highlight: (t: string) => t,
    key: (t: string) => `<${t}>`,
    disabled: (t: string) => t,
    description: (t: string) => t,
  },
};

export function createAsk(streams: Ui['prompt'], guard: CancelGuard, color: boolean): Ask {
  const context = { input: streams.input, output: streams.output };
  const theme = color ? {} : { theme: plainTheme };
  async function prompt<T>(run: (p: typeof import('@inquirer/prompts')) => Promise<T>): Promise<T> {
    guard.throwIfCancelled();
    const prompts = await import('@inquirer/prompts');
    try {
      return await run(prompts);
    } catch (err) {
      if (isPromptExit(err)) throw new CancelledError();
      throw err;
    }
  }
  return {
    select: (message, choices, defaultValue) =>
      prompt((p) =>
        p.select(
          {
            message,
            choices: choices.map((c) => ({ ...c })),
            ...(defaultValue !== undefined ? { default: defaultValue } : {}),
            pageSize: 12,
            loop: false,
            ...theme,
          },
          context,
        ),
      ),
    input: (message, defaultValue, validate) =>
      prompt((p) =>
        p.input(
          {
            message,
            ...(defaultValue !== undefined ? { default: defaultValue } : {}),
            ...(validate ? { validate: (v: string) => validate(v) ?? true } : {}),
            ...theme,
          },
          context,
        ),
      ),
    confirm: (message, defaultYes) =>
      prompt((p) => p.confirm({ message, default: defaultYes, ...theme }, context)),
  };
}
