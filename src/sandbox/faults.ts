/**
 * Fault injection for tests: make chosen requests slow, throttled, failing, cut off, garbled,
 * redirected, or paginated in ways a careless client would trust. Rules match by operation name
 * (`ListClusters`, ...), method and path (substring or RegExp on the wire path, query excluded).
 * A rule applies to every matching request, to the next `times` ones, or only to the `nth` one.
 * Everything here is opt-in: a sandbox without rules answers like the documented API.
 */
export interface FaultSpec {
  /** Operation name(s) as in SPEC.md (`ListClusters`, `ListSecurityGroups`, ...). */
  operation?: string | string[];
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
  /**
   * 200 with a body that is not the documented shape: `html` (an HTML error page), `empty` (no
   * body at all), `truncated` (the real answer cut in half), `empty-object` (`{}`),
   * `empty-array` (`[]`).
   */
  garbage?: GarbageKind;
  /**
   * The real answer, but its body trickles: `bytes` (default 1) every `intervalMs`. Headers,
   * with the full Content-Length, go out at once.
   */
  slowDrip?: { intervalMs: number; bytes?: number };
  /**
   * A redirect instead of the answer: `status` with `Location: <to><path and query of the
   * request>` (`to` is an origin such as `http://127.0.0.1:4000`) unless `keepPath: false`, then
   * `Location: <to>` verbatim. Nothing is processed.
   */
  redirect?: { status: 301 | 302 | 307 | 308; to: string; keepPath?: boolean };
  /** Marker-paginated lists (VPC v3): at most this many items per page, whatever `limit` says. */
  pageSize?: number;
  /** Marker-paginated lists: each page after the first starts with the previous page's last item. */
  repeatAcrossPages?: boolean;
  /**
   * Marker-paginated lists: `next_marker` cycles A -> B -> A forever (A and B are the ids of the
   * first two items; no marker -> A, A -> B, B -> A), so a client that trusts it never ends.
   */
  markerCycle?: boolean;
  /** Apply to the next N matching requests, then stop. */
  times?: number;
  /** Apply only to the Nth matching request (1-based). */
  nth?: number;
  /**
   * `before` (default): the request never reaches the API. `after`: it is processed, state
   * changes, and only the answer is replaced (a write whose answer was lost). `truncated` and
   * `slowDrip` are always `after`: they need the real answer.
   */
  when?: 'before' | 'after';
}

export type GarbageKind = 'html' | 'empty' | 'truncated' | 'empty-object' | 'empty-array';

export type FaultAction =
  | { kind: 'throttle'; flavor: 'apigw' | 'cce' }
  | { kind: 'server-error'; status: number; body: unknown }
  | { kind: 'drop' }
  | { kind: 'malformed'; text: string }
  | { kind: 'garbage'; garbage: GarbageKind }
  | { kind: 'slow-drip'; intervalMs: number; bytes: number }
  | { kind: 'redirect'; status: number; to: string; keepPath: boolean };

/** How a marker-paginated list misbehaves (see `paginate`). Empty = as documented. */
export interface PagingQuirks {
  pageSize?: number;
  repeatAcrossPages?: boolean;
  markerCycle?: boolean;
}

export interface FaultDecision {
  latencyMs: number;
  action?: FaultAction;
  when: 'before' | 'after';
  paging: PagingQuirks;
}

export interface FaultHandle {
  /** Requests that matched so far. */
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

  /** Shorthand: a 200 with a garbage body for this operation (e.g. `ListClusters`). */
  garbage(
    operation: string,
    kind: GarbageKind,
    opts: Omit<FaultSpec, 'garbage'> = {},
  ): FaultHandle {
    return this.add({ ...opts, operation, garbage: kind });
  }

  /** Remove every rule and the global latency. */
  clear(): void {
    this.rules = [];
    this.latencyMs = 0;
  }

  /** Decide what happens to one request; counts it against every matching rule. */
  decide(method: string, path: string, operation?: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: this.latencyMs, when: 'before', paging: {} };
    for (const rule of this.rules) {
      const s = rule.spec;
      if (s.method && s.method.toUpperCase() !== method.toUpperCase()) continue;
      if (s.path !== undefined && !matchesPath(s.path, path)) continue;
      if (s.operation !== undefined && !matchesOperation(s.operation, operation)) continue;
      rule.matched++;
      if (s.nth !== undefined && rule.matched !== s.nth) continue;
      if (s.times !== undefined && rule.applied >= s.times) continue;
      rule.applied++;
      decision.latencyMs += s.latencyMs ?? 0;
      if (s.pageSize !== undefined) decision.paging.pageSize = s.pageSize;
      if (s.repeatAcrossPages) decision.paging.repeatAcrossPages = true;
      if (s.markerCycle) decision.paging.markerCycle = true;
      const action = actionOf(s);
      if (action && !decision.action) {
        decision.action = action;
        const needsAnswer =
          action.kind === 'slow-drip' ||
          (action.kind === 'garbage' && action.garbage === 'truncated');
        decision.when = needsAnswer ? 'after' : (s.when ?? 'before');
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

function matchesOperation(want: string | string[], operation: string | undefined): boolean {
  if (operation === undefined) return false;
  return Array.isArray(want) ? want.includes(operation) : want === operation;
}

function actionOf(s: FaultSpec): FaultAction | undefined {
  if (s.drop) return { kind: 'drop' };
  if (s.redirect) {
    return {
      kind: 'redirect',
      status: s.redirect.status,
      to: s.redirect.to,
      keepPath: s.redirect.keepPath ?? true,
    };
  }
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
  if (s.garbage) return { kind: 'garbage', garbage: s.garbage };
  if (s.slowDrip) {
    return { kind: 'slow-drip', intervalMs: s.slowDrip.intervalMs, bytes: s.slowDrip.bytes ?? 1 };
  }
  return undefined;
}
