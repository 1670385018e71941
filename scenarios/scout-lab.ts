// Composes an InMage Scout deployment: the simulated world (sim/) with the real engine (engine/)
// installed on its hosts (the unified agent on every ESXi host, physical server and master
// target, the process servers, the master targets with their retention volumes) and the
// configuration server's control plane on the vault's ports. Also a topology builder for tests
// and benchmarks.
import {
  DEFAULT_SCOUT_POLICY,
  MT_DISKS_MAX,
  MT_OWN_DISKS_DEFAULT,
  RETENTION_BYTES_DEFAULT,
  millis,
  validateScoutTopology,
  type HostSpec,
  type OsFamily,
  type ScoutPolicy,
  type ScoutProtection,
  type ScoutTopology,
} from '../model/index.js';
import {
  MasterTargetService,
  ProcessServerService,
  SCOUT_AGENT_SERVICE,
  SCOUT_MT_SERVICE,
  SCOUT_PS_SERVICE,
  ScoutController,
  UnifiedAgentService,
  retentionVolumeId,
  type OperationResult,
  type ScoutProtectedVm,
} from '../engine/index.js';
import { World, type WorldOptions } from '../sim/index.js';
import { runOperation } from './hyperv-lab.js';

export interface ScoutLabOptions extends Omit<WorldOptions, 'topology' | 'volumes'> {
  readonly topology: ScoutTopology;
  readonly policy?: ScoutPolicy;
  readonly autoResync?: boolean;
  /** How often the configuration server polls status (default 60 s). */
  readonly pollInterval?: number;
}

export interface ScoutLab {
  readonly world: World;
  readonly controller: ScoutController;
  readonly agents: Map<string, UnifiedAgentService>;
  readonly processServers: Map<string, ProcessServerService>;
  readonly masterTargets: Map<string, MasterTargetService>;
  readonly vms: readonly ScoutProtectedVm[];
  readonly topology: ScoutTopology;
}

export class InvalidScoutTopology extends Error {
  override readonly name = 'InvalidScoutTopology';
}

export function buildScoutLab(options: ScoutLabOptions): ScoutLab {
  const errors = validateScoutTopology(options.topology);
  if (errors.length > 0) throw new InvalidScoutTopology(errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  const scout = options.topology.scout;
  const protectionOf = new Map(scout.protections.map((p) => [p.vm, p]));
  // The replica disks of each machine are attached to its master target (`vm/dI@mt`).
  const topology: ScoutTopology = { ...options.topology, vms: options.topology.vms.map((vm) => ({ ...vm, replicaHost: protectionOf.get(vm.id)?.masterTarget ?? vm.replicaHost })) };
  const volumes = scout.masterTargets.map((mt) => ({ hostId: mt.host, deviceId: retentionVolumeId(mt.host), sizeBytes: mt.retentionBytes ?? RETENTION_BYTES_DEFAULT }));
  const world = new World({ ...options, topology, volumes });
  const agents = new Map<string, UnifiedAgentService>();
  const processServers = new Map<string, ProcessServerService>();
  const masterTargets = new Map<string, MasterTargetService>();
  for (const host of topology.hosts) {
    if (host.kind === 'esxi' || host.kind === 'physical' || host.kind === 'master-target') {
      world.install(host.id, SCOUT_AGENT_SERVICE, (ports) => {
        const service = new UnifiedAgentService(ports);
        agents.set(host.id, service);
        return service;
      });
    }
    if (host.kind === 'process-server') {
      world.install(host.id, SCOUT_PS_SERVICE, (ports) => {
        const service = new ProcessServerService(ports);
        processServers.set(host.id, service);
        return service;
      });
    }
    if (host.kind === 'master-target') {
      world.install(host.id, SCOUT_MT_SERVICE, (ports) => {
        const service = new MasterTargetService(ports);
        masterTargets.set(host.id, service);
        return service;
      });
    }
  }
  const controller = new ScoutController(world.controlPorts(), (options.pollInterval ?? 60_000_000) as never);
  const policy = options.policy ?? DEFAULT_SCOUT_POLICY;
  const vms: ScoutProtectedVm[] = scout.protections.map((p) => {
    const vm = topology.vms.find((v) => v.id === p.vm)!;
    return {
      vmId: p.vm,
      primaryHost: vm.host,
      diskCount: vm.disks.length,
      processServer: p.processServer,
      masterTarget: p.masterTarget,
      failback: scout.failback === undefined ? null : { processServer: scout.failback.processServer, masterTarget: scout.failback.masterTarget },
      policy,
      autoResync: options.autoResync ?? true,
    };
  });
  for (const vm of vms) controller.register(vm);
  return { world, controller, agents, processServers, masterTargets, vms, topology };
}

/** Runs the world until `done` has been called or `limit` of simulated time passed. */
export const runScoutOperation: (lab: ScoutLab, start: (done: (result: OperationResult) => void) => void, limitMicros: number) => OperationResult = runOperation;

export interface TwoSiteScoutOptions {
  readonly vmCount: number;
  readonly disksPerVm: number;
  readonly diskSizeBytes: number;
  readonly diskUsedBytes: number;
  readonly esxHosts?: number;
  readonly processServers?: number;
  readonly masterTargets?: number;
  /** Protected disks per master target before the next one is used (default: as many as fit). */
  readonly disksPerMasterTarget?: number;
  readonly failback?: boolean;
  readonly bandwidthBitsPerSecond?: number;
  readonly latencyMillis?: number;
  readonly os?: OsFamily;
  /** The process servers' cache volume (their host file-system capacity). */
  readonly psCacheBytes?: number;
  readonly retentionBytes?: number;
  /** Machines grouped for common consistency points (consecutive, on one master target). */
  readonly groupSize?: number;
}

/** Two sites joined by one WAN: ESXi hosts and process servers at the primary site, the
 *  configuration server and master targets at the secondary site; with failback, a master
 *  target at the primary site and a process server on the DR side. Machines fill the master
 *  targets in order, as many disks as fit (60 minus the MT's own). */
export function twoSiteScout(options: TwoSiteScoutOptions): ScoutTopology {
  const os = options.os ?? 'windows';
  const esx = Array.from({ length: options.esxHosts ?? 1 }, (_, i) => `esx-a${i + 1}`);
  const ps = Array.from({ length: options.processServers ?? 1 }, (_, i) => `ps-a${i + 1}`);
  const mts = Array.from({ length: options.masterTargets ?? 1 }, (_, i) => `mt-b${i + 1}`);
  const host = (id: string, site: string, kind: HostSpec['kind'], extra: Partial<HostSpec> = {}): HostSpec => ({ id, site, kind, ...extra });
  const hosts: HostSpec[] = [
    ...esx.map((id) => host(id, 'primary', 'esxi')),
    ...ps.map((id) => host(id, 'primary', 'process-server', options.psCacheBytes !== undefined ? { fsCapacityBytes: options.psCacheBytes } : {})),
    host('cs-b1', 'secondary', 'configuration-server'),
    ...mts.map((id) => host(id, 'secondary', 'master-target', { osFamily: os })),
  ];
  if (options.failback) {
    hosts.push(host('mt-a1', 'primary', 'master-target', { osFamily: os }), host('ps-b1', 'secondary', 'process-server', options.psCacheBytes !== undefined ? { fsCapacityBytes: options.psCacheBytes } : {}));
  }
  const vms = Array.from({ length: options.vmCount }, (_, i) => ({
    id: `vm${i + 1}`,
    host: esx[i % esx.length],
    osFamily: os,
    disks: Array.from({ length: options.disksPerVm }, () => ({ sizeBytes: options.diskSizeBytes, usedBytes: options.diskUsedBytes })),
  }));
  const slots = options.disksPerMasterTarget ?? MT_DISKS_MAX - MT_OWN_DISKS_DEFAULT;
  const protections: ScoutProtection[] = [];
  let mtIndex = 0;
  let used = 0;
  const groupSize = options.groupSize ?? 1;
  vms.forEach((vm, i) => {
    // A group starts on a fresh master target when it would not fit on the current one.
    const groupDisks = i % groupSize === 0 ? Math.min(groupSize, vms.length - i) * vm.disks.length : vm.disks.length;
    if ((i % groupSize === 0 && used + groupDisks > slots && used > 0) || (used + vm.disks.length > slots && used > 0)) {
      mtIndex = Math.min(mtIndex + 1, mts.length - 1);
      used = 0;
    }
    used += vm.disks.length;
    protections.push({ vm: vm.id, processServer: ps[i % ps.length], masterTarget: mts[mtIndex] });
  });
  const groups = groupSize > 1 ? Array.from({ length: Math.ceil(vms.length / groupSize) }, (_, g) => ({ id: `group${g + 1}`, vms: vms.slice(g * groupSize, (g + 1) * groupSize).map((v) => v.id) })) : [];
  return {
    sites: [
      { id: 'primary', role: 'primary' },
      { id: 'secondary', role: 'secondary' },
    ],
    links: [{ id: 'wan', siteA: 'primary', siteB: 'secondary', bandwidthBitsPerSecond: options.bandwidthBitsPerSecond ?? 100e6, latency: millis(options.latencyMillis ?? 20), jitter: millis(2) }],
    vmmServers: [],
    cloudMappings: [],
    hosts,
    vms,
    scout: {
      configurationServer: 'cs-b1',
      processServers: [...ps, ...(options.failback ? ['ps-b1'] : [])].map((h) => ({ host: h })),
      masterTargets: [...mts, ...(options.failback ? ['mt-a1'] : [])].map((h) => ({ host: h, osFamily: os, ...(options.retentionBytes !== undefined ? { retentionBytes: options.retentionBytes } : {}) })),
      protections,
      groups,
      failbackWanted: options.failback ?? false,
      ...(options.failback ? { failback: { processServer: 'ps-b1', masterTarget: 'mt-a1' } } : {}),
    },
  };
}
