import type { Query } from './query.js';
import type { World, WorldProject } from '../world.js';
import type { ErrorFlavor } from './api-failure.js';
import type { PagingQuirks } from '../faults.js';

export interface RouteContext {
  world: World;
  /** The project the request acts in (from the path, or from X-Project-Id for add-ons). */
  project: WorldProject;
  params: Readonly<Record<string, string>>;
  query: Query;
  /** Parsed JSON, the raw string when it was not JSON, or null when empty. */
  body: unknown;
  requestId: string;
  now: Date;
  /** Pagination misbehaviour from fault injection; `{}` normally. */
  paging: PagingQuirks;
}

export interface Reply {
  status: number;
  /** Omitted for empty answers (204). */
  body?: unknown;
}

/**
 * How the request names its project: `path` (a `:pid` segment, which must equal X-Project-Id),
 * `header` (X-Project-Id only: the add-on API has no project in its path), or `none` (IAM).
 */
export type ProjectScope = 'path' | 'header' | 'none';

export interface Route {
  /** The API's operation name (the SDK method in PascalCase), e.g. `ListClusters`. */
  operation: string;
  method: string;
  pattern: string;
  scope: ProjectScope;
  flavor: ErrorFlavor;
  handle(ctx: RouteContext): Reply;
}

interface Compiled {
  route: Route;
  segments: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Segment-by-segment matching; `:name` captures one decoded segment. */
export class Router {
  private readonly compiled: Compiled[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) {
      this.compiled.push({ route, segments: route.pattern.split('/').filter(Boolean) });
    }
    return this;
  }

  /** Throws URIError on a malformed percent escape in the path. */
  match(method: string, wirePath: string): RouteMatch | undefined {
    const parts = wirePath.split('/').filter(Boolean);
    for (const c of this.compiled) {
      if (c.route.method !== method || c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i] ?? '';
        const part = parts[i] ?? '';
        if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(part);
        else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { route: c.route, params };
    }
    return undefined;
  }
}
