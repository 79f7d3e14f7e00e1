import { CancelledError } from '../core/errors.js';
import { stripControl } from '../core/text-safety.js';
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
  /** A failure or usage message: always shown, control sequences stripped. */
  problem(message: string): void;
  /** Where prompts read and write (the wizard's questions use them too). */
  readonly prompt: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
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

export function createUi(io: Pick<Io, 'stdin' | 'stderr'>, settings: UiSettings): Ui {
  const interactive = Boolean(io.stdin.isTTY && io.stderr.isTTY);
  return {
    interactive,
    prompt: { input: io.stdin, output: io.stderr },
    problem(message) {
      io.stderr.write(`${stripControl(message, { keepLines: true })}\n`);
    },
    // Messages carry cloud-supplied names and errors: control sequences are stripped here.
    info(message) {
      if (!settings.quietLogs) io.stderr.write(`${stripControl(message, { keepLines: true })}\n`);
    },
    say(text = '') {
      io.stderr.write(`${text}\n`);
    },
    debug(message) {
      if (settings.debug) io.stderr.write(`debug: ${stripControl(message, { keepLines: true })}\n`);
    },
    async step(text, work) {
      if (!settings.spinners || !io.stderr.isTTY) return work();
      const { default: ora } = await import('ora');
      const spinner = ora({ text: stripControl(text), stream: io.stderr }).start();
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
          { message: stripControl(message, { keepLines: true }), default: defaultYes },
          { input: io.stdin, output: io.stderr },
        );
      } catch (err) {
        if (isPromptExit(err)) throw new CancelledError();
        throw err;
      }
    },
  };
}

/**
 * The same streams, with every string written through `redact` (credential values removed by
 * value, cli/main builds it from the configured AK, SK and token). Everything cce-harden prints
 * goes through these two streams, spinners and prompts included.
 */
export function redactingIo(io: Io, redact: (text: string) => string): Io {
  const wrap = <S extends NodeJS.WritableStream>(stream: S): S =>
    new Proxy(stream, {
      get(target, prop) {
        if (prop === 'write') {
          return (chunk: unknown, ...rest: unknown[]) =>
            (target.write as (...a: unknown[]) => boolean).call(
              target,
              typeof chunk === 'string'
                ? redact(chunk)
                : chunk instanceof Uint8Array
                  ? redact(Buffer.from(chunk).toString('utf8'))
                  : chunk,
              ...rest,
            );
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}
