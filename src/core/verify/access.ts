/**
 * What `verify` needs from the outside, as small interfaces: cloud/ implements them over the CCE
 * SDK and @kubernetes/client-node, and the command wires them.
 */
import type { InClusterApiPath, PodStatusView } from './probe.js';
import type { KubeNodeView } from './verdict.js';

/** A kubeconfig as CCE issues it, reduced to what a client needs. Kept in memory only. */
export interface IssuedKubeconfig {
  clusters: { name: string; server: string; caData: string | null; insecure: boolean }[];
  clientCertData: string;
  clientKeyData: string;
}

export interface KubeconfigIssuer {
  issue(clusterId: string): Promise<IssuedKubeconfig>;
}

/** The Kubernetes API calls verify makes, and nothing more (they are what the RBAC grants). */
export interface KubeAccess {
  /** The server URL in use (for messages). */
  readonly server: string;
  listNodes(): Promise<KubeNodeView[]>;
  readApiPath(): Promise<InClusterApiPath>;
  namespaceExists(ns: string): Promise<boolean>;
  createNamespace(ns: string, labels: Record<string, string>): Promise<void>;
  deleteNamespace(ns: string): Promise<void>;
  createPod(ns: string, manifest: Record<string, unknown>): Promise<void>;
  readPodStatus(ns: string, name: string): Promise<PodStatusView>;
  readPodLog(ns: string, name: string): Promise<string>;
  /** Pods of the namespace matching the selector (empty: all), with the uids of their owners. */
  listPods(ns: string, labelSelector: string): Promise<KubeObjectRef[]>;
  /** 'gone' when it was already deleted. */
  deletePod(ns: string, name: string): Promise<'deleted' | 'gone'>;
  /** Creates a ConfigMap and returns its uid (the owner of a run's pods). */
  createConfigMap(ns: string, manifest: Record<string, unknown>): Promise<string>;
  listConfigMaps(ns: string, labelSelector: string): Promise<KubeObjectRef[]>;
  deleteConfigMap(ns: string, name: string): Promise<'deleted' | 'gone'>;
}

/** An object as listed: its name, uid, labels and the uids its ownerReferences name. */
export interface KubeObjectRef {
  name: string;
  uid: string;
  labels: Record<string, string>;
  ownerUids: string[];
}
