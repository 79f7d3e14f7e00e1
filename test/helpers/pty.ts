/**
 * Drives a program through a real pseudo-terminal, the way a person at a terminal would: wait
 * for a prompt to appear, type an answer, read the exit code. Output is matched with escape
 * sequences removed; a wait that times out fails with the screen so far.
 */
import pty from '@lydell/node-pty';

/** Keys as a terminal sends them. */
export const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  enter: '\r',
  ctrlC: '\x03',
} as const;

export interface PtyExit {
  exitCode: number;
  signal: number | undefined;
}

export interface PtyRun {
  /** Everything written to the terminal so far, escape sequences removed. */
  screen(): string;
  /** Everything written to the terminal so far, as written. */
  raw(): string;
  /**
   * Waits until `text` appears in output that came after the previous match, so the same prompt
   * text asked twice is waited for twice. Resolves with the screen up to the end of the match.
   */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Types keys one at a time, as a person would (escape sequences stay whole). */
  type(...keys: string[]): Promise<void>;
  /** Waits for the program to end. */
  exit(timeoutMs?: number): Promise<PtyExit>;
  kill(): void;
}

export interface PtyOptions {
  cwd: string;
  env: Record<string, string>;
  cols?: number;
  rows?: number;
}

// CSI (with private parameters), OSC and two-character escapes, plus carriage returns.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\r/g;

export function stripAnsi(text: string): string {
  return text.replace(ESCAPES, '');
}

const DEFAULT_TIMEOUT_MS = 15_000;
const KEY_GAP_MS = 40;

function tail(text: string, max = 4000): string {
  return text.length > max ? `...${text.slice(-max)}` : text;
}

export function spawnPty(file: string, args: readonly string[], opts: PtyOptions): PtyRun {
  const child = pty.spawn(file, [...args], {
    name: 'xterm-256color',
    cols: opts.cols ?? 120,
    rows: opts.rows ?? 40,
    cwd: opts.cwd,
    env: opts.env,
  });
  let raw = '';
  let cursor = 0;
  let exited: PtyExit | undefined;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.onData((data) => {
    raw += data;
    notify();
  });
  child.onExit(({ exitCode, signal }) => {
    exited = { exitCode, signal };
    notify();
  });

  const screen = () => stripAnsi(raw);

  function until<T>(
    test: () => T | undefined,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const value = test();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const fail = () => {
        cleanup();
        reject(new Error(`${describe()}\n--- screen so far ---\n${tail(screen())}\n---`));
      };
      const timer = setTimeout(fail, timeoutMs);
      // Once the program has ended, output still in flight gets a moment, then waiting is over.
      let exitTimer: NodeJS.Timeout | undefined;
      const listener = () => {
        if (!check() && exited && !exitTimer) exitTimer = setTimeout(() => check() || fail(), 500);
      };
      const cleanup = () => {
        clearTimeout(timer);
        clearTimeout(exitTimer);
        listeners.delete(listener);
      };
      listeners.add(listener);
      listener();
    });
  }

  return {
    screen,
    raw: () => raw,
    waitFor(text, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return until(
        () => {
          const s = screen();
          const rest = s.slice(cursor);
          if (typeof text === 'string') {
            const at = rest.indexOf(text);
            if (at < 0) return undefined;
            cursor += at + text.length;
            return s.slice(0, cursor);
          }
          const m = text.exec(rest);
          if (!m) return undefined;
          cursor += m.index + m[0].length;
          return s.slice(0, cursor);
        },
        timeoutMs,
        () =>
          `Timed out after ${timeoutMs} ms waiting for ${String(text)}${exited ? ` (the program had already exited with ${exited.exitCode})` : ''}.`,
      );
    },
    async type(...keys) {
      for (const key of keys) {
        if (exited) throw new Error(`Cannot type ${JSON.stringify(key)}: the program has exited.`);
        child.write(key);
        await new Promise((r) => setTimeout(r, KEY_GAP_MS));
      }
    },
    exit(timeoutMs = DEFAULT_TIMEOUT_MS) {
      return until(
        () => exited,
        timeoutMs,
        () => `Timed out after ${timeoutMs} ms waiting for the program to exit.`,
      );
    },
    kill() {
      if (!exited) child.kill();
    },
  };
}
