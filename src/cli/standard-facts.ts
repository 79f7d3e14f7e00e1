import { clusterArg } from '../core/shell-words.js';
import type { ClusterFacts } from '../core/cluster.js';
import { CloudError, NotApplicableError } from '../core/errors.js';
import {
  buildIptablesModel,
  networkForContainerMode,
  type IptablesModel,
} from '../core/iptables.js';
import type { StandardFacts } from '../core/standard-check.js';
import { renderIptables, templatesForFormat } from '../render/iptables.js';
import { loadTemplates } from './templates-dir.js';

/** The iptables model of a standard cluster, from what the CCE API says about it. */
export function modelForCluster(
  facts: ClusterFacts,
  portOnly: boolean,
  ports?: readonly string[],
): IptablesModel {
  if (facts.isTurbo) {
    throw new NotApplicableError(
      `${facts.name} is a CCE Turbo cluster: pods use ENIs, so node iptables rules do not apply.`,
      `Harden it through its ENI security group: cce-harden apply ${clusterArg(facts)}`,
    );
  }
  const network = networkForContainerMode(facts.networkMode);
  if (!network) {
    throw new NotApplicableError(
      `${facts.name} uses container network mode "${facts.networkMode ?? 'unknown'}", which cce-harden has no iptables recipe for.`,
      'Pass --network vpc|tunnel with --api-server and --container-cidr to render it yourself.',
    );
  }
  if (!facts.apiServer) {
    throw new CloudError(
      `Cluster ${facts.name}: ${facts.apiServerProblem ?? 'no API server address'}.`,
    );
  }
  if (facts.containerCidrs.length === 0) {
    throw new CloudError(
      `Cluster ${facts.name} reports no container CIDR.`,
      {},
      'Pass --container-cidr with --api-server and --network to render the rules offline.',
    );
  }
  return buildIptablesModel({
    apiServer: facts.apiServer,
    containerCidrs: facts.containerCidrs,
    network,
    portOnly,
    ports,
  });
}

/** Loads the post-install templates once, then builds each standard cluster's desired block. */
export async function standardFactsBuilder(
  portOnly = false,
  ports?: readonly string[],
): Promise<(facts: ClusterFacts) => StandardFacts> {
  const templates = await loadTemplates(templatesForFormat('post-install'));
  return (facts) => {
    const model = modelForCluster(facts, portOnly, ports);
    return { model, postInstallBlock: renderIptables(model, 'post-install', templates) };
  };
}
