/** One request as the sandbox saw it, for tests to assert on. */
export interface RequestLogEntry {
  method: string;
  /** Wire path without the query. */
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON, the raw string when not JSON, or null when empty. */
  body: unknown;
  /** HTTP status answered; 0 when the connection was dropped by a fault. */
  status: number;
  /** `error_code` / `errorCode` of an error answer. */
  errorCode?: string;
  /** The project the request named (path segment or X-Project-Id). */
  projectId?: string;
  /** The operation the path and method name (`ListClusters`, ...), when it is a known route. */
  operation?: string;
  requestId: string;
  /** ISO time the request arrived. */
  time: string;
  /** Name of the fault that shaped the answer, if any. */
  fault?: string;
  /**
   * Names (lowercase) of the request headers received, e.g. to check that no `authorization` or
   * `x-security-token` reached a redirect target. Values are not kept: they may be secrets.
   */
  headerNames: string[];
}

/** The log entry of a request that just arrived; the pipeline fills in the rest. */
export function newLogEntry(
  method: string,
  path: string,
  requestId: string,
  arrived: Date,
  headers: Record<string, string | string[] | undefined>,
): RequestLogEntry {
  return {
    method,
    path,
    query: {},
    body: null,
    status: 0,
    requestId,
    time: arrived.toISOString(),
    headerNames: Object.keys(headers),
  };
}
