/**
 * Fault injection for tests: make chosen requests slow, throttled, failing, cut off or garbled.
 * Rules match by method and path (substring or RegExp on the wire path, query excluded). A rule
 * applies to every matching request, to the next `times` ones, or only to the `nth` one.
 */
export interface FaultSpec {
  /** HTTP method, any case; omitted = every method. */
  method?: string;
  /** Substring of, or RegExp tested against, the path without the query; omitted = every path. */
  path?: string | RegExp;
  /** Delay before answering (adds to the global latency). */
  latencyMs?: number;
  /** 429: `true`/`'apigw'` = gateway APIGW.0308 (snake_case), `'cce'` = CCE.02429001 (camelCase). */
  throttle?: boolean | 'apigw' | 'cce';
  /** 500/502/503 with a gateway error body, or a status and body of your choice. */
  serverError?: 500 | 502 | 503 | { status: number; body: unknown };
  /** Destroy the socket without answering (the SDK sees ECONNRESET / socket hang up). */
  drop?: boolean;
  /** 200 with a body that is not JSON (or this string). */
  malformed?: boolean | string;
  /** Apply to the next N matching requests, then stop. */
  times?: number;
  /** Apply only to the Nth matching request (1-based). */
  nth?: number;
  /**
   * `before` (default): the request never reaches the API. `after`: it is processed, state
   * changes, and only the answer is replaced (a write whose answer was lost).
   */
  when?: 'before' | 'after';
}

export type FaultAction =
  | { kind: 'throttle'; flavor: 'apigw' | 'cce' }
  | { kind: 'server-error'; status: number; body: unknown }
  | { kind: 'drop' }
  | { kind: 'malformed'; text: string };

export interface FaultDecision {
  latencyMs: number;
  action?: FaultAction;
  when: 'before' | 'after';
}

export interface FaultHandle {
  /** Requests that matched method and path so far. */
  readonly matched: number;
  /** Requests the rule was applied to so far. */
  readonly applied: number;
  remove(): void;
}

interface ActiveRule {
  spec: FaultSpec;
  matched: number;
  applied: number;
}

const SERVER_ERROR_BODIES: Record<number, { error_code: string; error_msg: string }> = {
  500: { error_code: 'APIGW.0601', error_msg: 'Internal server error' },
  502: { error_code: 'APIGW.0201', error_msg: 'Backend unavailable' },
  503: { error_code: 'APIGW.0201', error_msg: 'Service temporarily unavailable' },
};

export class FaultInjector {
  /** Added to every request (the benchmark simulates a 50 ms round trip with it). */
  latencyMs = 0;
  private rules: ActiveRule[] = [];

  add(spec: FaultSpec): FaultHandle {
    const rule: ActiveRule = { spec, matched: 0, applied: 0 };
    this.rules.push(rule);
    return {
      get matched() {
        return rule.matched;
      },
      get applied() {
        return rule.applied;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  /** Shorthand: throttle matching requests (gateway flavour unless `flavor: 'cce'`). */
  throttle(
    path?: string | RegExp,
    opts: Omit<FaultSpec, 'path' | 'throttle'> & { flavor?: 'apigw' | 'cce' } = {},
  ): FaultHandle {
    const { flavor, ...rest } = opts;
    return this.add({
      ...rest,
      ...(path === undefined ? {} : { path }),
      throttle: flavor ?? 'apigw',
    });
  }

  /** Remove every rule and the global latency. */
  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
  }

  /** Decide what happens to one request; counts it against every matching rule. */
  decide(method: string, path: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: this.latencyMs, when: 'before' };
    for (const rule of this.rules) {
      const s = rule.spec;
      if (s.method && s.method.toUpperCase() !== method.toUpperCase()) continue;
      if (s.path !== undefined && !matchesPath(s.path, path)) continue;
      rule.matched++;
      if (s.nth !== undefined && rule.matched !== s.nth) continue;
      if (s.times !== undefined && rule.applied >= s.times) continue;
      rule.applied++;
      decision.latencyMs += s.latencyMs ?? 0;
      const action = actionOf(s);
      if (action && !decision.action) {
        decision.action = action;
        decision.when = s.when ?? 'before';
      }
    }
    return decision;
  }
}

function matchesPath(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return path.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(path);
}

function actionOf(s: FaultSpec): FaultAction | undefined {
  if (s.drop) return { kind: 'drop' };
  if (s.throttle) return { kind: 'throttle', flavor: s.throttle === 'cce' ? 'cce' : 'apigw' };
  if (s.serverError !== undefined) {
    if (typeof s.serverError === 'object') {
      return { kind: 'server-error', status: s.serverError.status, body: s.serverError.body };
    }
    return {
      kind: 'server-error',
      status: s.serverError,
      body: SERVER_ERROR_BODIES[s.serverError],
    };
  }
  if (s.malformed) {
    const text =
      typeof s.malformed === 'string' ? s.malformed : '<html><body>502 Bad Gateway</body>';
    return { kind: 'malformed', text };
  }
  return undefined;
}
