/**
 * Error bodies differ per service, and the SDK only understands some of them (docs/cloud-api.md,
 * "Errors"): the gateway, VPC and IAM send snake_case `error_code`/`error_msg`/`request_id`; CCE
 * sends camelCase `errorCode`/`errorMessage` (which the SDK does not parse: tests of the CLI must
 * cope with that, so the sandbox reproduces it).
 */
export type ErrorFlavor = 'snake' | 'cce';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly flavor: ErrorFlavor = 'snake',
  ) {
    super(message);
  }
}

export function errorBody(f: ApiFailure, requestId: string): Record<string, string> {
  return f.flavor === 'cce'
    ? { errorCode: f.code, errorMessage: f.message }
    : { error_msg: f.message, error_code: f.code, request_id: requestId };
}

export const vpcFail = (status: number, code: string, message: string): ApiFailure =>
  new ApiFailure(status, code, message, 'snake');

export const cceFail = (status: number, code: string, message: string): ApiFailure =>
  new ApiFailure(status, code, message, 'cce');

/** Gateway-level refusals (signature, routing, throttling). */
export const gatewayFail = (status: number, code: string, message: string): ApiFailure =>
  new ApiFailure(status, code, message, 'snake');

export const AUTH_FAILED_MESSAGE =
  'Incorrect IAM authentication information: verify aksk signature fail';
export const THROTTLED_MESSAGE =
  'The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 minute';
