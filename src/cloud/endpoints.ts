import { createRequire } from 'node:module';

/** Where an endpoint came from, for --debug. */
export type EndpointSource = 'sdk-region-table' | 'guessed' | 'override';

export interface RegionEndpoint {
  url: string;
  source: EndpointSource;
}

const require = createRequire(import.meta.url);

interface RegionTable {
  valueOf(regionId: string): { endpoints?: string[] } | undefined;
}

/**
 * The endpoint the SDK's own region table gives for a region, or undefined when the table does not
 * know the region (CceRegion.valueOf throws "Unexpected regionId" then; docs/cloud-api.md, "SDK
 * behaviour"). The tables differ between SDK versions and services (e.g. newer tables put
 * eu-west-101 under myhuaweicloud.eu), so each service asks its own.
 */
function fromSdkTable(load: () => RegionTable, region: string): string | undefined {
  try {
    const url = load().valueOf(region)?.endpoints?.[0];
    return typeof url === 'string' && /^https:\/\//.test(url) ? url.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

const TABLES = {
  cce: () =>
    (require('@huaweicloud/huaweicloud-sdk-cce/v3/CceRegion') as { CceRegion: RegionTable })
      .CceRegion,
  vpc: () =>
    (require('@huaweicloud/huaweicloud-sdk-vpc/v3/VpcRegion') as { VpcRegion: RegionTable })
      .VpcRegion,
  // No IAM SDK package is installed: IAM uses the guess (or CCE_HARDEN_IAM_ENDPOINT).
  iam: undefined,
} as const;

function endpointFor(service: keyof typeof TABLES, region: string): RegionEndpoint {
  const table = TABLES[service];
  const known = table ? fromSdkTable(table, region) : undefined;
  if (known) return { url: known, source: 'sdk-region-table' };
  return { url: `https://${service}.${region}.myhuaweicloud.com`, source: 'guessed' };
}

/**
 * Endpoints for a region: from the SDKs' region tables where they know it, else the usual
 * `https://<service>.<region>.myhuaweicloud.com`. Overrides (CCE_HARDEN_*_ENDPOINT) are applied by
 * the caller and always win.
 */
export function regionEndpoints(region: string): {
  cce: RegionEndpoint;
  vpc: RegionEndpoint;
  iam: RegionEndpoint;
} {
  return {
    cce: endpointFor('cce', region),
    vpc: endpointFor('vpc', region),
    iam: endpointFor('iam', region),
  };
}

/** Default endpoints (URLs only) for a region; see regionEndpoints. */
export function defaultEndpoints(region: string): { cce: string; vpc: string; iam: string } {
  const e = regionEndpoints(region);
  return { cce: e.cce.url, vpc: e.vpc.url, iam: e.iam.url };
}

/** One --debug line naming the endpoints a region's clients use and where each came from. */
export function describeEndpoints(region: string, used: { cce: string; vpc: string }): string {
  const defaults = regionEndpoints(region);
  const one = (name: string, url: string, d: RegionEndpoint) =>
    `${name} ${url} (${url === d.url ? d.source : 'override'})`;
  return `endpoints for ${region}: ${one('CCE', used.cce, defaults.cce)}, ${one('VPC', used.vpc, defaults.vpc)}`;
}
