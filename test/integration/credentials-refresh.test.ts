/**
 * The credential provider under the SDK clients and the IAM look-up, against the sandbox over
 * HTTP: one provider shared by clients of two regions and the IAM resolver; an "expired" answer
 * (APIGW.0307) is followed by one refresh and a successful retry.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createVpcClient, type CloudConfig } from '../../src/cloud/clients.js';
import {
  MetadataProvider,
  OidcProvider,
  isExpiredCredentialAnswer,
} from '../../src/cloud/credentials.js';
import { IamProjectResolver } from '../../src/cloud/iam.js';
import { VpcAdapter } from '../../src/cloud/vpc.js';
import { Retrier } from '../../src/cloud/retry.js';
import { WorldBuilder, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';

const NORTH = 'cn-north-4';
const SOUTH = 'ap-southeast-1';
const NORTH_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const SOUTH_ID = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

describe('one provider for every client', () => {
  it('after the gateway answers "expired", refreshes once and the call succeeds', async () => {
    // The sandbox clock runs ahead on demand: credentials the client still thinks valid expire.
    let aheadMs = 0;
    const h = (handle = await startSandbox({
      world: new WorldBuilder()
        .project({ region: NORTH, id: NORTH_ID })
        .turboClusters(1, { hardened: true })
        .project({ region: SOUTH, id: SOUTH_ID })
        .turboClusters(1, { hardened: true })
        .build(),
      now: () => new Date(Date.now() + aheadMs),
      federation: { credentialLifetimeMs: 60_000 },
    }));
    const logged: string[] = [];
    const provider = new OidcProvider(
      {
        idpId: h.federation.idpId,
        idTokenFile: h.federation.writeIdTokenFile(),
        iamEndpoint: h.url,
        timeoutMs: 5000,
        userAgent: 'cce-harden',
      },
      (m) => logged.push(m),
    );
    const config = (region: string, projectId: string): CloudConfig => ({
      credentials: provider,
      projectId,
      region,
      cceEndpoint: h.url,
      vpcEndpoint: h.url,
      timeoutMs: 5000,
      userAgent: 'cce-harden',
    });
    const north = createVpcClient(config(NORTH, NORTH_ID));
    const south = createVpcClient(config(SOUTH, SOUTH_ID));
    const iam = new IamProjectResolver(
      { credentials: provider, endpoint: h.url, timeoutMs: 5000, userAgent: 'cce-harden' },
      new Retrier({ baseDelayMs: 1, maxDelayMs: 4 }),
    );

    await Promise.all([north.listSecurityGroups({}), south.listSecurityGroups({})]);
    expect(h.federation.issued()).toHaveLength(1);

    aheadMs = 120_000; // two minutes later for the gateway: the 60 s credentials have expired
    const [n, s] = await Promise.all([north.listSecurityGroups({}), south.listSecurityGroups({})]);
    expect(n.security_groups.length).toBeGreaterThan(0);
    expect(s.security_groups.length).toBeGreaterThan(0);
    // Both refused calls share one refresh.
    expect(h.log.filter((e) => e.errorCode === 'APIGW.0307')).toHaveLength(2);
    expect(h.federation.issued()).toHaveLength(2);
    expect(logged.some((m) => m.includes('the cloud answered that they expired'))).toBe(true);

    // The IAM look-up uses the same provider, and refreshes the same way.
    aheadMs = 240_000;
    expect(await iam.projectIdOf(SOUTH)).toBe(SOUTH_ID);
    expect(h.federation.issued()).toHaveLength(3);
    const projectCalls = h.log.filter((e) => e.path === '/v3/projects');
    expect(projectCalls.map((e) => e.status)).toEqual([401, 200]);
    // Nothing logged carries a secret.
    const secrets = h.federation.issued().flatMap((c) => [c.sk, c.securityToken]);
    for (const m of logged) for (const x of secrets) expect(m.includes(x)).toBe(false);
  });

  it('a call the SDK has no method for (VPC v1 ListSubnets) refreshes expired credentials too', async () => {
    let aheadMs = 0;
    const builder = new WorldBuilder()
      .project({ region: NORTH, id: NORTH_ID })
      .turboCluster({ name: 'pods' });
    const neutronId = builder.eniSubnet('pods').neutron_subnet_id;
    const h = (handle = await startSandbox({
      world: builder.build(),
      now: () => new Date(Date.now() + aheadMs),
      federation: { credentialLifetimeMs: 60_000 },
    }));
    const provider = new OidcProvider({
      idpId: h.federation.idpId,
      idTokenFile: h.federation.writeIdTokenFile(),
      iamEndpoint: h.url,
      timeoutMs: 5000,
      userAgent: 'cce-harden',
    });
    const client = createVpcClient({
      credentials: provider,
      projectId: NORTH_ID,
      region: NORTH,
      cceEndpoint: h.url,
      vpcEndpoint: h.url,
      timeoutMs: 5000,
      userAgent: 'cce-harden',
    });
    const vpc = new VpcAdapter(client, new Retrier({ baseDelayMs: 1, maxDelayMs: 4 }), 50, NORTH);
    await vpc.listSecurityGroups();
    aheadMs = 120_000; // the gateway now sees the first credentials as expired
    await vpc.listPodInterfaces([neutronId]);
    const subnets = h.log.filter((e) => e.operation === 'ListSubnets');
    expect(subnets.map((e) => e.status)).toEqual([401, 200]);
    expect(subnets[0]?.errorCode).toBe('APIGW.0307');
    expect(h.federation.issued()).toHaveLength(2);
  });

  it('reads the ID token file again for each exchange (the kubelet rotates it)', async () => {
    const h = (handle = await startSandbox());
    const file = h.federation.writeIdTokenFile();
    const provider = new OidcProvider({
      idpId: h.federation.idpId,
      idTokenFile: file,
      iamEndpoint: h.url,
      timeoutMs: 5000,
      userAgent: 'cce-harden',
    });
    const first = await provider.get();
    // Rotated to a token the identity provider did not sign: the next exchange must use it.
    const other = await startSandbox();
    writeFileSync(file, other.federation.issueIdToken());
    await other.close();
    const err = await provider.refresh(first).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('signature does not match');
    // Rotated to a valid one again: refreshed.
    writeFileSync(file, h.federation.issueIdToken());
    const second = await provider.refresh(first);
    expect(second.ak).not.toBe(first.ak);
    expect(h.federation.issued()).toHaveLength(2);
  });

  it('credentials that look expired on arrival (clock skew) are not fetched again for every call', async () => {
    const h = (handle = await startSandbox({ federation: { credentialLifetimeMs: 1 } }));
    const provider = new MetadataProvider({ endpoint: h.url, timeoutMs: 5000, userAgent: 'x' });
    const first = await provider.get();
    expect(await provider.get()).toBe(first);
    expect(h.federation.issued()).toHaveLength(1);
    // An "expired" answer still refreshes at once.
    expect(await provider.refresh(first)).not.toBe(first);
    expect(h.federation.issued()).toHaveLength(2);
  });

  it('recognises the expired answers and nothing else', () => {
    expect(isExpiredCredentialAnswer({ httpStatusCode: 401, errorCode: 'APIGW.0307' })).toBe(true);
    expect(
      isExpiredCredentialAnswer({
        httpStatusCode: 401,
        errorCode: 'APIGW.0301',
        errorMsg: 'Incorrect IAM authentication information: token expires, expires_at: x',
      }),
    ).toBe(true);
    expect(
      isExpiredCredentialAnswer({
        httpStatusCode: 401,
        errorCode: 'APIGW.0301',
        errorMsg: 'Incorrect IAM authentication information: verify aksk signature fail',
      }),
    ).toBe(false);
    expect(isExpiredCredentialAnswer({ httpStatusCode: 403, errorCode: 'APIGW.0307' })).toBe(false);
    expect(isExpiredCredentialAnswer(new Error('expired'))).toBe(false);
  });
});
