/**
 * What the wizard asks, as data, and how the answers become the options the scripted commands
 * take. Pure: no prompts, no I/O, so the mapping is tested without a terminal.
 */
import type { ClusterReport } from '../../core/report.js';
import type { HardenOptions } from '../cluster-targets.js';
import type { IptablesOptions } from '../iptables-run.js';
import type { EnvSettings } from '../config.js';

/** Flags of `cce-harden wizard` (plus the global ones, read from the context). */
export interface WizardFlags {
  cluster?: string | undefined;
}

export type ScriptFormat = 'script' | 'rc-local' | 'systemd' | 'post-install';

/** Standard clusters: where the rendered script goes, if anywhere. */
export type ScriptAnswer =
  | { target: 'file'; format: ScriptFormat; path: string }
  | { target: 'stdout'; format: ScriptFormat };

export type WizardAnswers =
  | {
      kind: 'turbo';
      region: string;
      /** Cluster id (names can repeat across projects; ids cannot). */
      cluster: string;
      /** The ENI group picked when several matched; otherwise the name match decides. */
      securityGroupId?: string | undefined;
    }
  | {
      kind: 'standard';
      region: string;
      cluster: string;
      script: ScriptAnswer | null;
      install: boolean;
    };

/** The scripted path's own options, ready for runChange / runIptables. */
export type WizardRun =
  | {
      kind: 'harden';
      region: string;
      securityGroupId: string | undefined;
      options: HardenOptions;
    }
  | {
      kind: 'iptables';
      region: string;
      /** Render the script (stdout or a file); null when not asked for. */
      render: IptablesOptions | null;
      /** Install the block into the node pools; null when not asked for. */
      install: IptablesOptions | null;
    };

/** The answers as the options `apply` and `iptables` take; nothing here is wizard-only. */
export function optionsFromAnswers(answers: WizardAnswers): WizardRun {
  if (answers.kind === 'turbo') {
    return {
      kind: 'harden',
      region: answers.region,
      securityGroupId: answers.securityGroupId,
      // Never `yes`: the plan is shown and confirmed like an interactive `apply`.
      options: { clusters: [answers.cluster], all: false, dryRun: false, yes: false },
    };
  }
  const base: IptablesOptions = {
    cluster: answers.cluster,
    apiServer: undefined,
    containerCidrs: [],
    network: undefined,
    format: 'script',
    out: undefined,
    portOnly: false,
    install: false,
    nodepools: [],
    dryRun: false,
    yes: false,
  };
  const script = answers.script;
  return {
    kind: 'iptables',
    region: answers.region,
    render: script
      ? {
          ...base,
          format: script.format,
          out: script.target === 'file' ? script.path : undefined,
        }
      : null,
    install: answers.install ? { ...base, install: true } : null,
  };
}

/** A setting the wizard cannot work without, as the `.env` line that provides it. */
export interface MissingSetting {
  variable: string;
  example: string;
  note: string;
}

/**
 * The cheap check before the first question. The region can still be answered in the wizard, so
 * it is reported apart from the credentials.
 */
export function missingSettings(
  env: EnvSettings,
  flags: { region?: string | undefined; projectId?: string | undefined },
): { credentials: MissingSetting[]; region: MissingSetting | null } {
  const credentials: MissingSetting[] = [];
  // OIDC federation replaces the key pair (cloud/credentials.ts).
  const federated = Boolean(env.idpId && env.idTokenFile);
  if (!federated && !env.ak) {
    credentials.push({
      variable: 'HUAWEICLOUD_SDK_AK',
      example: '<access key id>',
      note: 'or HW_ACCESS_KEY',
    });
  }
  if (!federated && !env.sk) {
    credentials.push({
      variable: 'HUAWEICLOUD_SDK_SK',
      example: '<secret access key>',
      note: 'or HW_SECRET_KEY',
    });
  }
  // With the key pair, a missing project id is looked up read-only in IAM unless that is off.
  if (!flags.projectId && !env.projectId && !env.projectLookup) {
    credentials.push({
      variable: 'HUAWEICLOUD_SDK_PROJECT_ID',
      example: '<project id>',
      note: 'CCE_HARDEN_PROJECT_LOOKUP=off: set it (console: My Credentials), or --project-id',
    });
  }
  const region =
    flags.region || env.region
      ? null
      : {
          variable: 'HUAWEICLOUD_SDK_REGION',
          example: 'cn-north-4',
          note: 'or --region',
        };
  return { credentials, region };
}

/** `.env` lines for what is missing, aligned, with a comment each. */
export function envInstructions(missing: readonly MissingSetting[]): string[] {
  const lines = missing.map((m) => `${m.variable}=${m.example}`);
  const width = Math.max(0, ...lines.map((l) => l.length));
  return missing.map((m, i) => `  ${(lines[i] ?? '').padEnd(width)}  # ${m.note}`);
}

const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/** Why a typed region is not usable, or null when it is. */
export function regionProblem(value: string): string | null {
  const v = value.trim();
  if (v === '') return 'Enter a region id, e.g. cn-north-4.';
  if (!REGION_ID.test(v)) return `"${v}" does not look like a region id (e.g. cn-north-4).`;
  return null;
}

/** The regions offered: the flag's, else the environment's (comma-separated in both). */
export function regionCandidates(
  flag: string | undefined,
  env: Pick<EnvSettings, 'region'>,
): { fromFlag: boolean; regions: string[] } {
  const split = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const fromFlag = split(flag);
  if (fromFlag.length > 0) return { fromFlag: true, regions: fromFlag };
  return { fromFlag: false, regions: split(env.region) };
}

/** How a cluster reads in the list: hardened or not, in words. */
export function hardeningLabel(report: ClusterReport): string {
  switch (report.status) {
    case 'compliant':
      return 'hardened';
    case 'drift':
      return 'not hardened';
    case 'not-applicable':
      return 'not applicable';
    case 'error':
      return 'cannot check';
  }
}

export interface ClusterChoice {
  value: string;
  name: string;
  short: string;
  /** A reason when the cluster cannot be worked on at all (e.g. hibernating). */
  disabled?: string;
}

function categoryWord(category: string): string {
  return category === 'Turbo' ? 'Turbo' : category === 'CCE' ? 'standard' : category;
}

/**
 * One row per cluster: name, category, phase and whether it is hardened, in columns. Clusters
 * that are not Available cannot be read reliably, so they are shown but cannot be picked.
 */
export function clusterChoices(
  reports: readonly ClusterReport[],
  clean: (s: string) => string = (s) => s,
): ClusterChoice[] {
  const rows = reports.map((r) => [
    clean(r.name),
    categoryWord(r.category),
    clean(r.phase ?? 'unknown'),
    hardeningLabel(r),
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return reports.map((r, i) => {
    const row = rows[i] ?? [];
    const name = row
      .map((cell, col) => (col < 3 ? cell.padEnd(widths[col] ?? 0) : cell))
      .join('  ');
    const choice: ClusterChoice = { value: r.id, name, short: clean(r.name) };
    if (r.phase !== 'Available') choice.disabled = `(${clean(r.phase ?? 'unknown phase')})`;
    return choice;
  });
}

/** The preselected cluster: the first one that is not hardened yet, else the first usable one. */
export function defaultClusterId(reports: readonly ClusterReport[]): string | undefined {
  const usable = reports.filter((r) => r.phase === 'Available');
  return (usable.find((r) => r.status === 'drift') ?? usable[0])?.id;
}

/** Where the script is written unless the user says otherwise. */
export function defaultScriptPath(clusterName: string, format: ScriptFormat): string {
  const safe = clusterName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'cluster';
  const suffix =
    format === 'script'
      ? ''
      : format === 'systemd'
        ? '-systemd-install'
        : format === 'rc-local'
          ? '-rc-local'
          : '-post-install';
  return `cce-harden-iptables-${safe}${suffix}.sh`;
}

/** The check from inside the cluster: a throwaway pod that must NOT reach the API server. */
export function verifyFromPodCommand(apiServer: { ip: string; port: number }): string {
  return `kubectl run cce-harden-verify --rm -it --image=curlimages/curl --restart=Never -- curl -k -m 5 https://${apiServer.ip}:${apiServer.port}`;
}
