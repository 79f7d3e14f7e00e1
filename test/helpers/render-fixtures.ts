/** Hand-built run reports for the renderer tests. */

import type { ClusterReport, RuleChange, RuleView, RunReport } from '../../src/core/report.js';

export const denyRule: RuleView = {
  id: 'rule-1',
  priority: 1,
  action: 'deny',
  direction: 'egress',
  ethertype: 'IPv4',
  protocol: 'tcp',
  ports: '5443',
  destination: '192.168.0.61/32',
  enabled: true,
  description: 'managed by cce-harden',
  match: 'equivalent',
};

export const createDeny: RuleChange = {
  action: 'create',
  kind: 'security-group-rule',
  target: 'demo-turbo-cce-eni-ab12c',
  targetId: 'sg-1',
  before: null,
  // The core's rule shape (remoteIpPrefix), as a planner would put it in a change.
  after: {
    securityGroupId: 'sg-1',
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ports: '5443',
    remoteIpPrefix: '192.168.0.61/32',
    action: 'deny',
    priority: 1,
    description: 'managed by cce-harden',
  },
  applied: false,
};

export function cluster(over: Partial<ClusterReport> = {}): ClusterReport {
  return {
    id: 'c-0001',
    name: 'demo-turbo',
    region: 'cn-north-4',
    category: 'Turbo',
    networkMode: 'eni',
    phase: 'Available',
    apiServer: { ip: '192.168.0.61', port: 5443 },
    securityGroup: { id: 'sg-1', name: 'demo-turbo-cce-eni-ab12c' },
    rule: denyRule,
    status: 'compliant',
    findings: [],
    changes: [],
    ...over,
  };
}

export const compliant = cluster();

export const drift = cluster({
  id: 'c-0002',
  name: 'prod-turbo',
  rule: null,
  status: 'drift',
  findings: [
    {
      code: 'addon-needs-apiserver',
      severity: 'warning',
      message: 'cce-hpa-controller needs the API server',
    },
    { code: 'rule-missing', severity: 'error', message: 'No deny rule toward the API server' },
  ],
  changes: [createDeny],
});

export const errored = cluster({
  id: 'c-0003',
  name: 'edge',
  region: 'ap-southeast-1',
  apiServer: null,
  securityGroup: null,
  rule: null,
  status: 'error',
  error: {
    code: 'CLOUD',
    message: 'Throttled after 5 attempts',
    requestId: 'req-42',
    httpStatus: 429,
    errorCode: 'APIGW.0308',
    hint: 'Lower --concurrency or try again later.',
  },
});

export const standard = cluster({
  id: 'c-0004',
  name: 'legacy',
  category: 'CCE',
  networkMode: 'vpc-router',
  securityGroup: null,
  rule: null,
  status: 'not-applicable',
  findings: [
    {
      code: 'use-iptables',
      severity: 'info',
      message: 'Standard cluster: use the iptables path',
    },
  ],
});

/** Quotes, backslashes, newlines, markup, an escape sequence and a bidi override. */
export const HOSTILE = 'a"b\\c\nd<e>&f\'g\u001b[31mred\u202e';

export function run(clusters: ClusterReport[], over: Partial<RunReport> = {}): RunReport {
  const status = clusters.some((c) => c.status === 'error')
    ? 'error'
    : clusters.some((c) => c.status === 'drift')
      ? 'drift'
      : 'compliant';
  return { schemaVersion: 1, command: 'check', status, clusters, ...over };
}

/** Removes SGR escape sequences. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
