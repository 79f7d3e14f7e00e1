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
  requestId: string;
  /** ISO time the request arrived. */
  time: string;
  /** Name of the fault that shaped the answer, if any. */
  fault?: string;
}
