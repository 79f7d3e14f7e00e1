import { AuthError, CloudError, isCceHardenError } from '../core/errors.js';

/**
 * The one place that knows the SDK's exception shapes (docs/cloud-api.md, "SDK behaviour" and
 * "Errors"): ClientRequestException (4xx), ServerResponseException (5xx) and
 * ServiceResponseException without a status (network).
 * Fields: httpStatusCode, errorCode, errorMsg, requestId (from the X-Request-Id header).
 * `instanceof` is avoided on purpose: two copies of the SDK core would break it.
 */
interface SdkErrorShape {
  name?: string;
  message?: string;
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

const THROTTLE_CODES = new Set(['APIGW.0308', 'CCE.02429001', 'CCE.01429002']);
const NETWORK_RETRYABLE =
  /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|timeout|EAI_AGAIN/i;
/** Refused by cloud/http.ts before sending: retrying cannot help. */
const NOT_RETRYABLE = /refused to send a request to|answer size limit|maxContentLength/i;

/** Strips anything that could carry a credential from a message before it is shown. */
function clean(text: string): string {
  return text
    .replace(/(Signature=)[0-9a-f]+/gi, '$1<redacted>')
    .replace(/(X-Security-Token["':\s]+)[^\s"',}]+/gi, '$1<redacted>');
}

function describe(status: number | undefined, code: string | undefined): string {
  if (status === undefined) return 'no answer';
  return code ? `HTTP ${status} ${code}` : `HTTP ${status}`;
}

export function isThrottle(err: CloudError): boolean {
  return (
    err.httpStatus === 429 || (err.errorCode !== undefined && THROTTLE_CODES.has(err.errorCode))
  );
}

/** Translates anything an SDK call threw into a CloudError or AuthError with a hint. */
export function translateSdkError(err: unknown, operation: string): Error {
  if (isCceHardenError(err)) return err;
  const e = (err ?? {}) as SdkErrorShape;
  if (e.name === 'RequiredError') {
    return new CloudError(
      `${operation}: the SDK refused the request (${clean(String(e.message))})`,
      {
        operation,
      },
    );
  }
  const status = typeof e.httpStatusCode === 'number' ? e.httpStatusCode : undefined;
  const code = e.errorCode || undefined;
  const requestId = e.requestId || undefined;
  const rawMsg = clean(e.errorMsg || e.message || String(err));
  const details = { httpStatus: status, errorCode: code, requestId, operation };
  const where = `${operation} failed (${describe(status, code)})`;

  if (status === undefined) {
    return new CloudError(
      `${where}: ${rawMsg}`,
      { ...details, retryable: NETWORK_RETRYABLE.test(rawMsg) && !NOT_RETRYABLE.test(rawMsg) },
      'The endpoint could not be reached. Check the network, --region, and any CCE_HARDEN_*_ENDPOINT override.',
    );
  }
  if (status >= 300 && status < 400) {
    return new CloudError(
      `${where}: ${rawMsg}`,
      details,
      'Check --region and any CCE_HARDEN_*_ENDPOINT override: the API answers directly, so a redirect means a wrong endpoint, a proxy or a captive portal.',
    );
  }
  if (status === 401) {
    return new AuthError(
      `${where}: the cloud refused the credentials: ${rawMsg}`,
      details,
      'Check HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary credentials: it may have expired), and that this machine clock is within 15 minutes of real time. Repeated failures lock the AK for 5 minutes.',
    );
  }
  if (status === 403) {
    return new AuthError(
      `${where}: permission denied: ${rawMsg}`,
      details,
      'The IAM user needs CCE read access (cce:cluster:list, cce:cluster:get, cce:addonInstance:list, cce:nodepool:list/update) and VPC security group access (vpc:securityGroups:get, vpc:securityGroupRules:get/create/delete) in this project.',
    );
  }
  const throttled = status === 429 || (code !== undefined && THROTTLE_CODES.has(code));
  if (throttled) {
    return new CloudError(
      `${where}: the API is throttling requests: ${rawMsg}`,
      { ...details, retryable: true },
      'Retry later, or check fewer clusters at once.',
    );
  }
  if (status >= 500) {
    return new CloudError(
      `${where}: the service had an internal error: ${rawMsg}`,
      { ...details, retryable: true },
      'This is usually temporary: retry in a minute. Quote the request id if it persists.',
    );
  }
  if (code === 'APIGW.0101') {
    return new CloudError(
      `${where}: the endpoint has no such API: ${rawMsg}`,
      details,
      'Check --region (or the CCE_HARDEN_*_ENDPOINT override): the service may not be offered there.',
    );
  }
  if (code === 'VPC.9905') {
    return new CloudError(
      `${where}: security group rule quota exceeded: ${rawMsg}`,
      details,
      'Delete unused rules in the group or raise the quota, then run apply again.',
    );
  }
  if (status === 404) {
    return new CloudError(
      `${where}: not found: ${rawMsg}`,
      details,
      'Check --project-id and --region: project ids are per region.',
    );
  }
  return new CloudError(`${where}: ${rawMsg}`, details);
}
