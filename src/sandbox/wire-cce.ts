/**
 * The sandbox's own CCE v3 wire shapes: what the emulated API stores and returns, in the field
 * names CCE uses on the wire (camelCase, with its irregular capitals such as `SecurityGroup`,
 * `subnetID`, `Reason`). Deliberately independent of the client's types so the emulator keeps
 * serving what the documentation shows, whatever the client expects (docs/cloud-api.md, "CCE: clusters").
 */

/** `status.endpoints` in the variants the public docs show (see SPEC.md, "Cluster endpoints"). */
export type WireClusterEndpoints = Record<string, string>[] | WireEndpointsObject;

/** The single-object form (lowercase keys). Numeric keys never occur; typed so `[0]` reads. */
export interface WireEndpointsObject {
  internal?: string;
  external?: string;
  external_otc?: string;
  [i: number]: undefined;
}

export interface WireCluster {
  kind: string;
  apiVersion: string;
  metadata: { name: string; uid: string; [k: string]: unknown };
  spec: {
    category?: string;
    type?: string;
    version?: string;
    containerNetwork?: { mode?: string; cidr?: string; cidrs?: { cidr: string }[] };
    eniNetwork?: {
      /** The IPv4 (neutron) subnet id, like `subnets[].subnetID`. */
      eniSubnetId?: string;
      eniSubnetCIDR?: string;
      subnets?: { subnetID: string }[];
    };
    hostNetwork?: {
      vpc?: string;
      /** The VPC subnet of the nodes (the subnet's own `id`). */
      subnet?: string;
      /** The node security group id. */
      SecurityGroup?: string;
      /** The control-plane (master) security group id. */
      controlPlaneSecurityGroup?: string;
    };
    [k: string]: unknown;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    endpoints?: WireClusterEndpoints;
    [k: string]: unknown;
  };
}

export interface WireAddon {
  kind: string;
  apiVersion: string;
  metadata: { uid: string; name: string; [k: string]: unknown };
  spec: { addonTemplateName: string; version?: string; clusterID?: string; [k: string]: unknown };
  status?: { status?: string; [k: string]: unknown };
}

export interface WireNodePool {
  kind: string;
  apiVersion: string;
  metadata: { name: string; uid: string; [k: string]: unknown };
  spec: {
    type?: string;
    initialNodeCount?: number;
    nodeTemplate?: { extendParam?: Record<string, unknown>; [k: string]: unknown };
    podSecurityGroups?: { id: string }[];
    [k: string]: unknown;
  };
  status?: { currentNode?: number; phase?: string; [k: string]: unknown };
}
