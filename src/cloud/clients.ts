import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { withCredentials, type CredentialProvider, type Credentials } from './credentials.js';
import type { AnswerReading } from './answer-text.js';
import { ANSWER_READING, guardedAxiosConfig } from './http.js';

/** Everything a cloud client needs; the CLI builds it from flags, environment and .env. */
export interface CloudConfig {
  /** Shared by every region of a run (cloud/credentials.ts): refreshes temporary credentials. */
  credentials: CredentialProvider;
  projectId: string;
  region: string;
  cceEndpoint: string;
  vpcEndpoint: string;
  /**
   * Deadline of one whole call (request and answer body); the SDK has none (docs/cloud-api.md,
   * "SDK behaviour").
   */
  timeoutMs: number;
  userAgent: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the SDK ships loose typings; its
   responses are plain snake_case JSON anyway (docs/cloud-api.md, "SDK behaviour"), typed in
   cce.ts and vpc.ts. */
export type SdkClient = any;

const require = createRequire(import.meta.url);

let silenced = false;
/**
 * The SDK configures log4js at import time to print every failed request, Authorization and
 * X-Security-Token included, to stdout (docs/cloud-api.md, "SDK behaviour"). Reconfigure it off,
 * after the import.
 */
function silenceSdkLogger(): void {
  if (silenced) return;
  const log4js = require('log4js') as { configure(c: unknown): void };
  log4js.configure({
    appenders: { off: { type: 'stderr' } },
    categories: { default: { appenders: ['off'], level: 'off' } },
  });
  silenced = true;
}

interface SdkModules {
  core: any;
  cce: any;
  vpc: any;
}

let modules: SdkModules | undefined;
/** The SDKs load only when a command calls the cloud, so --help and offline rendering stay fast. */
function loadSdk(): SdkModules {
  if (!modules) {
    modules = {
      core: require('@huaweicloud/huaweicloud-sdk-core'),
      // The client modules only: the packages' indexes also load every model class (~7 MB).
      cce: require('@huaweicloud/huaweicloud-sdk-cce/v3/CceClient'),
      vpc: require('@huaweicloud/huaweicloud-sdk-vpc/v3/VpcClient'),
    };
    silenceSdkLogger();
  }
  return modules;
}

function agentFor(url: string): { httpAgent?: http.Agent; httpsAgent?: https.Agent } {
  // Keep-alive: a fleet check makes hundreds of calls to the same two hosts.
  return url.startsWith('https:')
    ? { httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }) }
    : { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }) };
}

/** Expiry of the set each SDK credential object holds: an older set never replaces a newer one. */
const installed = new WeakMap<object, number>();

/** Puts one set of credentials on the SDK's credential object, in one synchronous step. */
function install(sdkCredentials: any, creds: Credentials): void {
  const expiresAt = creds.expiresAt ?? Number.POSITIVE_INFINITY;
  const current = installed.get(sdkCredentials);
  if (current !== undefined && current > expiresAt) return;
  installed.set(sdkCredentials, expiresAt);
  sdkCredentials.withAk(creds.ak).withSk(creds.sk);
  // The SDK only sends X-Security-Token when the field is set; clear it for permanent keys.
  sdkCredentials.securityToken = creds.securityToken;
}

/**
 * Every method call on the client first installs the provider's current credentials (refreshed
 * before they expire), and on an "expired" answer refreshes once and calls again
 * (credentials.ts withCredentials). The SDK reads the fields when it signs, so a call in flight
 * always signs with one consistent set.
 *
 * One method is added: `callReading(method, request, reading)` makes the SDK's own call `method`
 * (its URL, query and signature from the SDK's request builder) with the answer read as it
 * arrives into what is kept of it (answer-text.ts), before the SDK sees it: the SDK then handles
 * (and, for its debug log, re-serialises) only what is kept, never the whole answer. And
 * `sendSigned(options)` sends a request the SDK has no method for (VPC v1 ListSubnets) through
 * the SDK's signing HTTP client, with the same fresh credentials and refresh-once as every other
 * call.
 */
function withFreshCredentials(
  client: SdkClient,
  sdkCredentials: any,
  provider: CredentialProvider,
  paramCreater: () => Record<string, (request: unknown) => Record<string, unknown>>,
): SdkClient {
  const callReading = (
    method: string,
    request: unknown,
    reading: AnswerReading,
  ): Promise<unknown> => {
    const build = paramCreater()[method];
    if (typeof build !== 'function') throw new Error(`the SDK has no call ${method}`);
    return withCredentials(provider, (creds) => {
      install(sdkCredentials, creds);
      const options = build(request);
      options.axiosRequestConfig = { [ANSWER_READING]: reading };
      return client.hcClient.sendRequest(options) as Promise<unknown>;
    });
  };
  const sendSigned = (options: Record<string, unknown>): Promise<unknown> =>
    withCredentials(provider, (creds) => {
      install(sdkCredentials, creds);
      return client.hcClient.sendRequest(options) as Promise<unknown>;
    });
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'callReading') return callReading;
      if (prop === 'sendSigned') return sendSigned;
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor') {
        return value;
      }
      return (...args: unknown[]) =>
        withCredentials(provider, (creds) => {
          install(sdkCredentials, creds);
          return value.apply(target, args);
        });
    },
  });
}

function build(builder: any, paramCreater: any, config: CloudConfig, endpoint: string): SdkClient {
  const { core } = loadSdk();
  // Placeholders until the first call installs the provider's credentials.
  const credentials = new core.BasicCredentials()
    .withAk('-')
    .withSk('-')
    // An explicit project id: the SDK never looks up (or creates) IAM projects (docs/cloud-api.md,
    // "SDK behaviour").
    .withProjectId(config.projectId);
  const client = builder
    .withCredential(credentials)
    // withEndpoint, never withRegion: withRegion would replace it and enable the IAM lookup.
    .withEndpoint(endpoint)
    .withOptions({
      // A custom user agent also stops the SDK writing ~/.huaweicloud/application_id.
      customUserAgent: config.userAgent,
      // One deadline per whole call, no redirects, no other host, bounded answers (http.ts).
      axiosRequestConfig: {
        ...guardedAxiosConfig({ endpoint, deadlineMs: config.timeoutMs }),
        ...agentFor(endpoint),
      },
    })
    .build();
  return withFreshCredentials(client, credentials, config.credentials, paramCreater);
}

export function createCceClient(config: CloudConfig): SdkClient {
  const { cce } = loadSdk();
  return build(cce.CceClient.newBuilder(), cce.ParamCreater, config, config.cceEndpoint);
}

export function createVpcClient(config: CloudConfig): SdkClient {
  const { vpc } = loadSdk();
  return build(vpc.VpcClient.newBuilder(), vpc.ParamCreater, config, config.vpcEndpoint);
}
