import type { VerifyDetails } from './verify/verdict.js';

/**
 * The result document. `--output json` prints exactly one RunReport; the other formats (text,
 * table, prometheus, junit) are renderings of the same data. Schema changes extend, never break;
 * docs/report.schema.json publishes the document's shape.
 */
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import type { SgRuleSpec } from './types.js';

export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  /** Stable kebab-case code, e.g. `rule-missing`, `addon-needs-apiserver`. */
  code: string;
  severity: Severity;
  message: string;
}

/** `skipped`: the cluster could not be looked at for a reason that is not a fault (hibernated). */
export type ClusterStatus = 'compliant' | 'drift' | 'error' | 'not-applicable' | 'skipped';
/** `skipped` only when every cluster of the run was skipped. */
export type RunStatus = 'compliant' | 'drift' | 'error' | 'skipped';

/** The rule as shown in reports: the VPC rule in the contract's field names. */
export interface RuleView {
  id: string;
  priority: number;
  action: 'allow' | 'deny';
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  ports: string | null;
  destination: string | null;
  enabled: boolean;
  description?: string;
  /** How the rule satisfies the desired rule, when it does. */
  match?: 'equivalent' | 'stronger';
}

/** What happened to a change: set by the runner; `applied` only after a re-read shows it. */
export type ChangeOutcome = 'applied' | 'failed' | 'not-attempted' | 'skipped';

interface ChangeBase {
  /** Human name of the target: security group or node pool. */
  target: string;
  targetId: string;
  /** True once the change was made and verified (apply/remove without --dry-run). */
  applied: boolean;
  /** Absent in a plan that was never run (check, --dry-run) and in older documents. */
  outcome?: ChangeOutcome;
  /** With outcome `failed`: why. */
  error?: ReportError;
  /** With outcome `skipped`: why. */
  reason?: string;
}

/** A security-group rule as planned for creation (no id yet), in core's field names. */
export type RuleSpecView = SgRuleSpec;

export interface RuleChange extends ChangeBase {
  kind: 'security-group-rule';
  action: 'create' | 'delete';
  before: RuleView | null;
  after: RuleSpecView | null;
}

/** One side of a node-pool change: the pool and its post-install script, nothing else. */
export interface PoolScriptView {
  poolId: string;
  poolName: string;
  postInstallScript: string;
}

export interface PoolScriptChange extends ChangeBase {
  kind: 'nodepool-post-install';
  action: 'update';
  before: PoolScriptView;
  after: PoolScriptView;
}

export type Change = RuleChange | PoolScriptChange;

export interface ReportError {
  code: string;
  message: string;
  requestId: string | null;
  httpStatus?: number | null;
  errorCode?: string | null;
  hint?: string | null;
}

export interface ClusterReport {
  id: string;
  name: string;
  region?: string;
  category: string;
  networkMode: string | null;
  phase: string | null;
  apiServer: { ip: string; port: number } | null;
  securityGroup: { id: string; name: string } | null;
  rule: RuleView | null;
  status: ClusterStatus;
  findings: Finding[];
  changes: Change[];
  error?: ReportError;
  /** Why the cluster was skipped (status `skipped`). */
  reason?: string;
  /** `verify`: what was probed from inside the cluster and what came back. */
  verify?: VerifyDetails;
}

export interface RunReport {
  schemaVersion: 1;
  command: string;
  status: RunStatus;
  /** ISO-8601 time the run started. */
  startedAt?: string;
  dryRun?: boolean;
  clusters: ClusterReport[];
  /** A failure that happened before any cluster could be looked at (bad config, auth). */
  error?: ReportError;
  /** `iptables` without --install: what was rendered (format, text, and the rule model). */
  rendered?: { format: string; text: string; model: unknown };
  /** `--out`: what was written where (`kind` file or device; `mode` of a file, else null). */
  written?: {
    path: string;
    target: string;
    kind: string;
    mode: string | null;
    bytes: number;
    replaced: boolean;
  };
}

/**
 * A run report whose clusters are built one at a time as they are written out, so a large fleet's
 * report is never held whole (docs/fleet.md, "Memory"). Its `status` is known before the clusters
 * are built (summarizeStatus of their statuses); `clusters` is iterated once.
 */
export interface ReportInPieces extends Omit<RunReport, 'clusters'> {
  clusters: Iterable<ClusterReport>;
}

/** The report whole: its clusters built, if they are still to come. */
export function wholeReport(report: RunReport | ReportInPieces): RunReport {
  return Array.isArray(report.clusters)
    ? (report as RunReport)
    : { ...report, clusters: Array.from(report.clusters) };
}

/**
 * Run status from cluster statuses: any error wins, then drift; `skipped` when every cluster was
 * skipped; else compliant. A skipped cluster never makes the run fail.
 */
export function summarizeStatus(clusters: readonly { status: ClusterStatus }[]): RunStatus {
  if (clusters.some((c) => c.status === 'error')) return 'error';
  if (clusters.some((c) => c.status === 'drift')) return 'drift';
  if (clusters.length > 0 && clusters.every((c) => c.status === 'skipped')) return 'skipped';
  return 'compliant';
}

/** The exit code of a run that only looks (check, verify): 1 on error, else 2 on drift, else 0. */
export function observedExitCode(status: RunStatus): ExitCodeValue {
  if (status === 'error') return ExitCode.error;
  return status === 'drift' ? ExitCode.drift : ExitCode.ok;
}
