import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * The closed set of errors cce-harden reports. Each has a stable string code that appears in
 * JSON output (`error.code`) and maps to one exit code. Anything that is not one of these is a
 * bug: main prints a one-line message and the stack only under --debug.
 */
export type ErrorCode =
  'USAGE' | 'AUTH' | 'CLOUD' | 'NOT_FOUND' | 'CANCELLED' | 'NOT_APPLICABLE' | 'UNSAFE' | 'FILE';

export abstract class CceHardenError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly exitCode: ExitCodeValue;
  /** What the user can do about it; printed under the message. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** A flag, variable or argument is missing or invalid. `problems` lists every problem found. */
export class UsageError extends CceHardenError {
  readonly code = 'USAGE' as const;
  readonly exitCode = ExitCode.usage;
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[], hint?: string) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? (list[0] ?? '') : list.map((p) => `- ${p}`).join('\n'), hint);
    this.problems = list;
  }
}

/** Details a cloud error carries so the user can quote it to support. */
export interface CloudErrorDetails {
  httpStatus?: number | undefined;
  errorCode?: string | undefined;
  requestId?: string | undefined;
  retryable?: boolean | undefined;
  operation?: string | undefined;
}

/** The cloud answered with an error, or could not be reached. */
export class CloudError extends CceHardenError {
  readonly code: ErrorCode = 'CLOUD';
  readonly exitCode: ExitCodeValue = ExitCode.error;
  readonly httpStatus: number | undefined;
  readonly errorCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  readonly operation: string | undefined;

  constructor(message: string, details: CloudErrorDetails = {}, hint?: string) {
    super(message, hint);
    this.httpStatus = details.httpStatus;
    this.errorCode = details.errorCode;
    this.requestId = details.requestId;
    this.retryable = details.retryable ?? false;
    this.operation = details.operation;
  }
}

/** Credentials were refused (bad AK/SK, expired token, clock skew) or lack a permission. */
export class AuthError extends CloudError {
  override readonly code = 'AUTH' as const;
}

/** A cluster, security group or rule that was asked for does not exist. */
export class NotFoundError extends CceHardenError {
  readonly code = 'NOT_FOUND' as const;
  readonly exitCode = ExitCode.error;
}

/** The user cancelled (Ctrl+C or declined). */
export class CancelledError extends CceHardenError {
  readonly code = 'CANCELLED' as const;
  readonly exitCode = ExitCode.cancelled;

  constructor(message = 'Cancelled; nothing was changed.') {
    super(message);
  }
}

/** The command does not apply to this cluster (e.g. iptables on a Turbo cluster). */
export class NotApplicableError extends CceHardenError {
  readonly code = 'NOT_APPLICABLE' as const;
  readonly exitCode = ExitCode.error;
}

/** Refused because doing it could break the cluster (e.g. writing to a -cce-node- group). */
export class UnsafeError extends CceHardenError {
  readonly code = 'UNSAFE' as const;
  readonly exitCode = ExitCode.error;
}

/** A file or stream could not be written (or read); the message names the path. */
export class FileError extends CceHardenError {
  readonly code = 'FILE' as const;
  readonly exitCode = ExitCode.error;
}

export function isCceHardenError(err: unknown): err is CceHardenError {
  return err instanceof CceHardenError;
}
