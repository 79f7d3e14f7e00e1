import type { Finding } from './report.js';
import type { Addon } from './types.js';

/**
 * Add-ons known to need kube-apiserver from their pods. The hardening guide names CCE Advanced
 * HPA; the others are controllers that watch the API by design, so they are reported as a
 * softer warning: it depends on whether their pods run on container (ENI) networking.
 */
const CONFIRMED: Record<string, string> = {
  'cce-hpa-controller': 'CCE Advanced HPA',
};
const LIKELY: Record<string, string> = {
  coredns: 'CoreDNS',
  autoscaler: 'CCE Cluster Autoscaler',
  'metrics-server': 'Kubernetes Metrics Server',
  everest: 'CCE Container Storage (Everest)',
  'log-agent': 'Cloud Native Log Collection',
  'nginx-ingress': 'NGINX Ingress Controller',
  'kube-prometheus-stack': 'Cloud Native Cluster Monitoring',
  volcano: 'Volcano Scheduler',
  npd: 'CCE Node Problem Detector',
};

const GONE = new Set(['deleting', 'deleteSuccess']);

export function addonFindings(addons: readonly Addon[]): Finding[] {
  const findings: Finding[] = [];
  for (const addon of addons) {
    const template = addon.templateName;
    if (GONE.has(String(addon.status))) continue;
    const confirmed = CONFIRMED[template];
    const likely = LIKELY[template];
    if (confirmed) {
      findings.push({
        code: 'addon-needs-apiserver',
        severity: 'warning',
        message: `Add-on ${template} (${confirmed}) needs kube-apiserver: its pods stop working if they are bound to this security group. Make sure they run on nodes that are not hardened, or do not apply.`,
      });
    } else if (likely) {
      findings.push({
        code: 'addon-may-need-apiserver',
        severity: 'info',
        message: `Add-on ${template} (${likely}) talks to kube-apiserver; it is affected only if its pods use container networking bound to this group.`,
      });
    }
  }
  return findings;
}
