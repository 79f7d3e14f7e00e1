import { CceHardenError, CloudError } from './errors.js';
import type { ReportError } from './report.js';

/** Any error as the `error` object of the JSON report. */
export function toReportError(err: unknown): ReportError {
  if (err instanceof CloudError) {
    return {
      code: err.code,
      message: err.message,
      requestId: err.requestId ?? null,
      httpStatus: err.httpStatus ?? null,
      errorCode: err.errorCode ?? null,
      hint: err.hint ?? null,
    };
  }
  if (err instanceof CceHardenError) {
    return { code: err.code, message: err.message, requestId: null, hint: err.hint ?? null };
  }
  return {
    code: 'INTERNAL',
    message: err instanceof Error ? err.message : String(err),
    requestId: null,
  };
}
