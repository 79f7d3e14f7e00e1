import { CloudError } from '../core/errors.js';
import { isThrottle, translateSdkError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Bound on one operation, every attempt and wait included: no retry starts that could not end
   * (with a full `attemptTimeoutMs`) within it.
   */
  maxTotalMs: number;
  /** Deadline of one attempt (the HTTP whole-call deadline), used with maxTotalMs. */
  attemptTimeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each retry (for --debug logging). */
  onRetry?: (info: {
    operation: string;
    attempt: number;
    delayMs: number;
    error: CloudError;
  }) => void;
  /** --debug lines about the calls (e.g. the endpoints a session uses). */
  onDebug?: (message: string) => void;
  /** Called after each attempt (for --debug logging). */
  onCall?: (info: { operation: string; ms: number; ok: boolean }) => void;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 300,
  maxDelayMs: 8000,
  maxTotalMs: 60_000,
  attemptTimeoutMs: 15_000,
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs cloud calls with bounded retries and full-jitter exponential backoff. One Retrier is shared
 * by every client of a run: when the gateway throttles one call, all calls of the run wait until
 * the same moment, so a fleet check backs off as a whole instead of hammering the gateway.
 * The SDK itself never retries (docs/cloud-api.md, "SDK behaviour").
 */
export class Retrier {
  private pausedUntil = 0;
  private readonly opts: Required<Omit<RetryOptions, 'onRetry' | 'onCall' | 'onDebug'>> &
    Pick<RetryOptions, 'onRetry' | 'onCall' | 'onDebug'>;
  /** Calls made, retries included: the benchmark and tests read it. */
  calls = 0;
  retries = 0;

  constructor(opts: Partial<RetryOptions> = {}) {
    this.opts = {
      ...DEFAULT_RETRY,
      sleep: realSleep,
      random: Math.random,
      ...opts,
    };
  }

  /** A --debug line, when the run logs them. */
  debug(message: string): void {
    this.opts.onDebug?.(message);
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter, with a floor so a retry is never immediate.
    return Math.round(cap / 4 + this.opts.random() * (cap * 0.75));
  }

  async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const firstStarted = Date.now();
    for (let attempt = 1; ; attempt++) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) await this.opts.sleep(wait);
      this.calls++;
      const started = Date.now();
      try {
        const result = await call();
        this.opts.onCall?.({ operation, ms: Date.now() - started, ok: true });
        return result;
      } catch (raw) {
        this.opts.onCall?.({ operation, ms: Date.now() - started, ok: false });
        const err = translateSdkError(raw, operation);
        if (!(err instanceof CloudError) || !err.retryable || attempt >= this.opts.maxAttempts) {
          throw err;
        }
        const delayMs = this.backoff(attempt);
        const elapsed = Date.now() - firstStarted;
        if (elapsed + delayMs + this.opts.attemptTimeoutMs > this.opts.maxTotalMs) {
          throw new CloudError(
            `${err.message} (gave up after ${attempt} attempt(s) in ${Math.round(elapsed / 1000)} s: the bound for one call, retries included, is ${Math.round(this.opts.maxTotalMs / 1000)} s)`,
            {
              httpStatus: err.httpStatus,
              errorCode: err.errorCode,
              requestId: err.requestId,
              retryable: false,
              operation: err.operation,
            },
            err.hint,
          );
        }
        if (isThrottle(err)) {
          this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delayMs);
        }
        this.retries++;
        this.opts.onRetry?.({ operation, attempt, delayMs, error: err });
        await this.opts.sleep(delayMs);
      }
    }
  }
}
