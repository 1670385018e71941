// VM network mapping between VMM clouds (DOMAIN.md rule 13): a replica gets the target VM
// network its source network is mapped to, on the subnet with the same name or else the first
// subnet; with no mapping it is disconnected; it can be placed only on hosts that see the mapped
// network.

export interface VmNetworkSpec {
  readonly id: string;
  readonly site: string;
  readonly subnets: readonly string[];
}

export interface NetworkMapping {
  readonly source: string;
  readonly target: string;
}

export interface NetworkAttachment {
  readonly network: string;
  readonly subnet: string;
}

export type ReplicaConnection = { readonly connected: true; readonly network: string; readonly subnet: string } | { readonly connected: false; readonly reason: string };

export function replicaConnection(
  source: NetworkAttachment | undefined,
  networks: readonly VmNetworkSpec[],
  mappings: readonly NetworkMapping[],
): ReplicaConnection {
  if (source === undefined) return { connected: false, reason: 'the VM has no network' };
  const mapping = mappings.find((m) => m.source === source.network);
  if (mapping === undefined) return { connected: false, reason: `network ${source.network} is not mapped` };
  const target = networks.find((n) => n.id === mapping.target);
  if (target === undefined || target.subnets.length === 0) return { connected: false, reason: `mapped network ${mapping.target} has no subnet` };
  const subnet = target.subnets.includes(source.subnet) ? source.subnet : target.subnets[0];
  return { connected: true, network: target.id, subnet };
}

/** Whether a host that sees `hostNetworks` may hold the replica of a VM on `source`. */
export function hostSeesMappedNetwork(hostNetworks: readonly string[] | undefined, source: NetworkAttachment | undefined, mappings: readonly NetworkMapping[]): boolean {
  if (hostNetworks === undefined || source === undefined) return true;
  const mapping = mappings.find((m) => m.source === source.network);
  return mapping === undefined || hostNetworks.includes(mapping.target);
}
