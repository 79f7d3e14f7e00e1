// The sequential baseline of `npm run bench`: what a naive script does to check a fleet, one
// cluster at a time, with the official SDK: list the clusters, then for each cluster show it,
// list every security group (all pages) to find its `<name>-cce-eni-` group, and list that
// group's egress rules. Prints a one-line JSON summary on stdout.
import { createRequire } from 'node:module';
import { URL } from 'node:url';

const require = createRequire(import.meta.url);
const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core');
const { CceClient } = require('@huaweicloud/huaweicloud-sdk-cce');
const { VpcClient } = require('@huaweicloud/huaweicloud-sdk-vpc/v3/public-api');

const env = process.env;
const credentials = new BasicCredentials()
  .withAk(env.HUAWEICLOUD_SDK_AK)
  .withSk(env.HUAWEICLOUD_SDK_SK)
  .withProjectId(env.HUAWEICLOUD_SDK_PROJECT_ID);
const build = (builder, endpoint) =>
  builder
    .withCredential(credentials)
    .withEndpoint(endpoint)
    .withOptions({ customUserAgent: 'cce-harden-bench-baseline' })
    .build();
const cce = build(CceClient.newBuilder(), env.CCE_HARDEN_CCE_ENDPOINT);
const vpc = build(VpcClient.newBuilder(), env.CCE_HARDEN_VPC_ENDPOINT);

async function allSecurityGroups() {
  const groups = [];
  let marker;
  for (;;) {
    const res = await vpc.listSecurityGroups({ limit: 2000, ...(marker ? { marker } : {}) });
    groups.push(...res.security_groups);
    marker = res.page_info?.next_marker;
    if (!marker) return groups;
  }
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const summary = { clusters: 0, compliant: 0, drift: 0, error: 0 };
const { items } = await cce.listClusters({});
for (const { metadata } of items) {
  summary.clusters++;
  const cluster = await cce.showCluster({ cluster_id: metadata.uid });
  const internal = (cluster.status?.endpoints ?? []).find((e) => e.type === 'Internal');
  const ip = internal ? new URL(internal.url).hostname : undefined;
  const eni = new RegExp(`^${escape(cluster.metadata.name)}-cce-eni-[A-Za-z0-9]+$`);
  const groups = (await allSecurityGroups()).filter((g) => eni.test(g.name));
  if (groups.length !== 1 || !ip) {
    summary.error++;
    continue;
  }
  const { security_group_rules: rules } = await vpc.listSecurityGroupRules({
    security_group_id: [groups[0].id],
    direction: 'egress',
  });
  const denied = rules.some(
    (r) =>
      r.action === 'deny' &&
      Number(r.priority) === 1 &&
      r.enabled !== false &&
      (r.remote_ip_prefix === ip || r.remote_ip_prefix === `${ip}/32`),
  );
  summary[denied ? 'compliant' : 'drift']++;
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
