/** Default endpoints, built for any region id (not only those the SDK's region tables know). */
export function defaultEndpoints(region: string): { cce: string; vpc: string; iam: string } {
  return {
    cce: `https://cce.${region}.myhuaweicloud.com`,
    vpc: `https://vpc.${region}.myhuaweicloud.com`,
    iam: `https://iam.${region}.myhuaweicloud.com`,
  };
}
