/**
 * Builds the official SDK clients exactly as production code does (endpoint override, AK/SK,
 * explicit project id, custom user agent so nothing is written to HOME), for tests that drive
 * the sandbox over real HTTP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { CceClient } from '@huaweicloud/huaweicloud-sdk-cce';
import { VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import log4js from 'log4js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/index.js';

// The SDK configures log4js to print errors (with secrets) to stdout at import time; turn that off
// after the import, which is the only order that sticks (docs/cloud-api.md, "SDK behaviour").
log4js.configure({
  appenders: { e: { type: 'stderr' } },
  categories: { default: { appenders: ['e'], level: 'off' } },
});
process.env['HOME'] = mkdtempSync(join(tmpdir(), 'cce-harden-sandbox-home-'));

export interface TestCredentials {
  ak: string;
  sk: string;
  projectId?: string;
}

function credentials(c: TestCredentials): BasicCredentials {
  const cred = new BasicCredentials().withAk(c.ak).withSk(c.sk);
  return c.projectId === undefined ? cred : cred.withProjectId(c.projectId);
}

export function cceClient(url: string, c: TestCredentials = SANDBOX_CREDENTIALS): CceClient {
  return CceClient.newBuilder()
    .withCredential(credentials(c))
    .withEndpoint(url)
    .withOptions({ customUserAgent: 'cce-harden-test' })
    .build();
}

export function vpcClient(url: string, c: TestCredentials = SANDBOX_CREDENTIALS): VpcClient {
  return VpcClient.newBuilder()
    .withCredential(credentials(c))
    .withEndpoint(url)
    .withOptions({ customUserAgent: 'cce-harden-test' })
    .build();
}

/**
 * SDK responses are plain JSON at runtime (docs/cloud-api.md, "SDK behaviour"): the typed getters do not exist, so
 * tests read the wire fields through this view.
 */
export function wire<T = Record<string, unknown>>(res: unknown): T {
  return res as T;
}

/** The fields the SDK puts on its exceptions (docs/cloud-api.md, "Errors"). */
export interface SdkError {
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

export async function sdkError(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}
