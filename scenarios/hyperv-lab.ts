// Composes a Hyper-V Replica deployment: the simulated world (sim/) with the real engine
// (engine/) installed on its hosts and the Site Recovery controller on the vault's ports.
import { DEFAULT_HYPERV_POLICY, hostSeesMappedNetwork, replicaConnection, type HyperVReplicaPolicy, type Topology, type VmSpec } from '../model/index.js';
import { HVR_SERVICE, HyperVReplicaController, HyperVReplicaService, type OperationResult, type ProtectedVm } from '../engine/index.js';
import { World, type WorldOptions } from '../sim/index.js';

export interface HyperVLabOptions extends Omit<WorldOptions, 'topology'> {
  readonly topology: Topology;
  readonly policy?: HyperVReplicaPolicy;
  readonly autoResync?: boolean;
}

export interface HyperVLab {
  readonly world: World;
  readonly controller: HyperVReplicaController;
  readonly services: Map<string, HyperVReplicaService>;
  readonly vms: readonly ProtectedVm[];
}

export function buildHyperVLab(options: HyperVLabOptions): HyperVLab {
  const topology = placeReplicas(options.topology);
  const world = new World({ ...options, topology, replicasPreSeeded: options.replicasPreSeeded ?? options.policy?.initialReplication.method === 'existing-vm' });
  const services = new Map<string, HyperVReplicaService>();
  for (const host of topology.hosts) {
    if (host.kind !== 'hyperv') continue;
    world.install(host.id, HVR_SERVICE, (ports) => {
      const service = new HyperVReplicaService(ports);
      services.set(host.id, service);
      return service;
    });
  }
  const controller = new HyperVReplicaController(world.controlPorts());
  const policy = options.policy ?? DEFAULT_HYPERV_POLICY;
  const vms = topology.vms.map((vm) => ({
    vmId: vm.id,
    primaryHost: vm.host,
    secondaryHost: vm.replicaHost!,
    policy,
    autoResync: options.autoResync ?? true,
    replicaConnection: replicaConnection(vm.network, topology.networks ?? [], topology.networkMappings ?? []),
  }));
  for (const vm of vms) controller.register(vm);
  return { world, controller, services, vms };
}

/** VMM placement: a VM without a replica host goes to the least loaded Hyper-V host of the
 *  secondary site (the mapped cloud's hosts when clouds are mapped). */
export function placeReplicas(topology: Topology): Topology {
  const secondarySites = new Set(topology.sites.filter((s) => s.role === 'secondary').map((s) => s.id));
  const candidates = topology.hosts.filter((h) => h.kind === 'hyperv' && secondarySites.has(h.site)).map((h) => h.id);
  const hostNetworks = new Map(topology.hosts.map((h) => [h.id, h.networks]));
  const load = new Map(candidates.map((id) => [id, 0]));
  for (const vm of topology.vms) if (vm.replicaHost !== undefined) load.set(vm.replicaHost, (load.get(vm.replicaHost) ?? 0) + 1);
  const vms: VmSpec[] = topology.vms.map((vm) => {
    if (vm.replicaHost !== undefined) return vm;
    // Only hosts that see the network the VM's network is mapped to (DOMAIN.md rule 13).
    const eligible = [...load.entries()].filter(([id]) => hostSeesMappedNetwork(hostNetworks.get(id), vm.network, topology.networkMappings ?? []));
    const host = eligible.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
    if (host === undefined) throw new Error(`no Hyper-V host at a secondary site can hold the replica of ${vm.id}`);
    load.set(host, load.get(host)! + 1);
    return { ...vm, replicaHost: host };
  });
  return { ...topology, vms };
}

/** Runs the world until `done` has been called or `limit` of simulated time passed (a lab of
 *  either provider). */
export function runOperation(lab: { readonly world: World }, start: (done: (result: OperationResult) => void) => void, limitMicros: number): OperationResult {
  let result: OperationResult | null = null;
  start((r) => {
    result = r;
    lab.world.kernel.stop();
  });
  const deadline = lab.world.now() + limitMicros;
  while (result === null && lab.world.now() < deadline) {
    const outcome = lab.world.run(deadline as never);
    if (outcome === 'idle' || outcome === 'time-limit') break;
  }
  if (result === null) return { ok: false, error: `no answer within ${limitMicros / 1e6}s of simulated time`, job: null };
  return result;
}
