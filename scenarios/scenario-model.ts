// From a validated scenario file to the lab's inputs: topology with defaults filled in, the
// replication policy, and the workload profile.
import {
  DEFAULT_HYPERV_POLICY,
  DEFAULT_SCOUT_POLICY,
  MT_DISKS_MAX,
  MT_OWN_DISKS_DEFAULT,
  hours,
  type Duration,
  type HostSpec,
  type HyperVReplicaPolicy,
  type MasterTargetSpec,
  type OsFamily,
  type ScoutPolicy,
  type ScoutTopology,
  type Topology,
  type VmSpec,
} from '../model/index.js';
import { workloadProfile, type WorkloadProfile } from '../sim/index.js';
import { scoutSection, type Scenario } from './schema.js';

/** Sites, links, source hosts and machines. Source hosts are Hyper-V hosts (hv-a1, hv-b1 by
 *  default), or ESXi hosts at the primary sites only for InMage Scout (esx-a1 by default). */
export function scenarioTopology(scenario: Scenario, sourceKind: 'hyperv' | 'esx' = scenario.provider === 'inmage-scout' ? 'esx' : 'hyperv'): Topology {
  const sites = scenario.sites;
  const primarySites = sites.filter((s) => s.role === 'primary').map((s) => s.id);
  const secondarySites = sites.filter((s) => s.role === 'secondary').map((s) => s.id);
  const hosts =
    scenario.hosts ??
    (sourceKind === 'esx'
      ? primarySites.map((site, i) => ({ id: `esx-a${i + 1}`, site, cores: 8, volume: 2 * 1024 ** 4 }))
      : [...primarySites.map((site, i) => ({ id: `hv-a${i + 1}`, site, cores: 8, volume: 2 * 1024 ** 4 })), ...secondarySites.map((site, i) => ({ id: `hv-b${i + 1}`, site, cores: 8, volume: 2 * 1024 ** 4 }))]);
  const links = scenario.links ?? [{ id: 'wan', between: [primarySites[0], secondarySites[0]] as [string, string], bandwidth: 100e6, latency: 20_000, jitter: 2_000 }];
  const primaryHosts = hosts.filter((h) => primarySites.includes(h.site)).map((h) => h.id);
  const vms: VmSpec[] = Array.isArray(scenario.vms)
    ? scenario.vms.map((vm) => ({
        id: vm.id,
        host: vm.host,
        replicaHost: vm.replicaHost,
        osFamily: vm.os,
        disks: vm.disks.map((d) => ({ sizeBytes: d.size, usedBytes: Math.round(d.size * d.used) })),
      }))
    : Array.from({ length: scenario.vms.count }, (_, i) => {
        const fleet = scenario.vms as Exclude<Scenario['vms'], unknown[]>;
        return {
          id: `vm${i + 1}`,
          host: primaryHosts[i % Math.max(1, primaryHosts.length)],
          osFamily: fleet.os,
          disks: Array.from({ length: fleet.disks }, () => ({ sizeBytes: fleet.size, usedBytes: Math.round(fleet.size * fleet.used) })),
        };
      });
  return {
    sites,
    links: links.map((l) => ({ id: l.id, siteA: l.between[0], siteB: l.between[1], bandwidthBitsPerSecond: l.bandwidth, latency: l.latency as never, jitter: l.jitter as never })),
    vmmServers: [],
    cloudMappings: [],
    hosts: hosts.map((h) => ({ id: h.id, site: h.site, kind: sourceKind === 'esx' ? ('esxi' as const) : ('hyperv' as const), cores: h.cores, fsCapacityBytes: h.volume })),
    vms,
  };
}

export function scenarioPolicy(scenario: Scenario): HyperVReplicaPolicy {
  const p = scenario.policy;
  const seconds = { '30s': 30, '5m': 300, '15m': 900 } as const;
  return {
    ...DEFAULT_HYPERV_POLICY,
    copyFrequencySeconds: seconds[p.copyFrequency],
    additionalRecoveryPoints: p.recoveryPoints,
    appConsistentFrequencyHours: p.appConsistentEvery === 0 ? 0 : Math.round(p.appConsistentEvery / hours(1)),
    compression: p.compression,
    initialReplication: {
      method: p.initialReplication,
      startDelay: p.initialReplication === 'network-scheduled' ? ((p.initialReplicationStartAfter ?? hours(1)) as never) : undefined,
      shippingDelay: p.initialReplication === 'offline-media' ? (p.mediaShippingTime as never) : undefined,
    },
  };
}

export function scenarioWorkload(scenario: Scenario): WorkloadProfile {
  const w = scenario.workload;
  return workloadProfile({
    churnBytesPerDay: w.churn,
    diurnal: w.diurnal,
    hotSetFraction: w.hotSet,
    hotSetWriteShare: w.hotSetShare,
    ...(w.writeSizes ? { writeSizeMix: w.writeSizes.map((s) => ({ sizeBytes: s.size, weight: s.weight })) } : {}),
    ...(w.bursts ? { bursts: { meanInterval: w.bursts.every as never, meanLength: w.bursts.length as never, multiplier: w.bursts.multiplier } } : {}),
    dependentWriteShare: w.dependentWrites,
  });
}

// --- InMage Scout ----------------------------------------------------------------------------------

/** The Scout deployment of a scenario, and where each generated part came from in the file (so
 *  a problem validateScoutTopology finds is reported at the line a person wrote). */
export interface ScoutScenarioModel {
  readonly topology: ScoutTopology;
  readonly policy: ScoutPolicy;
  /** Maps a validateScoutTopology field (`topology.scout.masterTargets[2].ownDisks`) to a path
   *  in the scenario file. */
  readonly pathOf: (field: string) => Array<string | number>;
}

const GENERATED_HOST_VOLUME = 2 * 1024 ** 4;

export function scenarioScoutPolicy(scenario: Scenario): ScoutPolicy {
  const scout = scoutSection(scenario);
  return {
    ...DEFAULT_SCOUT_POLICY,
    rpoThreshold: scout.rpoThreshold as Duration,
    retentionWindow: scout.retentionWindow as Duration,
    crashTagInterval: scout.crashTagInterval as Duration,
    appTagInterval: scout.appTagInterval as Duration,
    resyncWindow: scout.resyncWindow === false ? null : { from: scout.resyncWindow.from as Duration, to: scout.resyncWindow.to as Duration },
  };
}

export function scenarioScoutModel(scenario: Scenario): ScoutScenarioModel {
  const scout = scoutSection(scenario);
  const base = scenarioTopology(scenario, 'esx');
  const primarySite = base.sites.find((s) => s.role === 'primary')!.id;
  const secondarySite = base.sites.find((s) => s.role === 'secondary')!.id;
  const failbackAuto = scout.failback === true;
  const declaredPs = scout.processServers ?? [{ id: 'ps-a1', site: primarySite, cache: undefined }];
  const processServers = [...declaredPs.map((p) => ({ id: p.id, site: p.site ?? primarySite, cache: p.cache ?? scout.cacheSize }))];
  if (failbackAuto) processServers.push({ id: 'ps-b1', site: secondarySite, cache: scout.cacheSize });
  const firstOs = base.vms[0]?.osFamily ?? 'windows';
  const masterTargets: Array<{ id: string; site: string; os: OsFamily; ownDisks: number; retention: number; setup?: MasterTargetSetup }> = (scout.masterTargets ?? []).map((m) => ({
    id: m.id,
    site: m.site ?? secondarySite,
    os: m.os,
    ownDisks: m.ownDisks,
    retention: m.retention ?? scout.retentionSize,
    setup: masterTargetSetup(m),
  }));
  const declaredMts = masterTargets.length;
  const failbackNamed = typeof scout.failback === 'object' ? scout.failback : null;
  const failbackMt = failbackAuto ? 'mt-a1' : (failbackNamed?.masterTarget ?? null);
  const protections = placeOnMasterTargets(scenario, base, masterTargets, scout.masterTargets === undefined, secondarySite, failbackMt, scout.retentionSize);
  if (failbackAuto) masterTargets.push({ id: 'mt-a1', site: primarySite, os: firstOs, ownDisks: MT_OWN_DISKS_DEFAULT, retention: scout.retentionSize });
  const siteOfHost = new Map(base.hosts.map((h) => [h.id, h.site]));
  const vmsWithPs = protections.map((p) => {
    const vm = base.vms.find((v) => v.id === p.vm)!;
    const explicit = Array.isArray(scenario.vms) ? scenario.vms.find((v) => v.id === p.vm)?.processServer : undefined;
    const ps = explicit ?? processServers.find((s) => s.site === siteOfHost.get(vm.host))?.id ?? processServers[0].id;
    return { ...p, processServer: ps };
  });
  const hosts: HostSpec[] = [
    ...base.hosts,
    ...processServers.map((p) => ({ id: p.id, site: p.site, kind: 'process-server' as const, ...(p.cache !== undefined ? { fsCapacityBytes: p.cache } : { fsCapacityBytes: GENERATED_HOST_VOLUME }) })),
    { id: scout.configurationServer, site: secondarySite, kind: 'configuration-server' as const },
    ...masterTargets.map((m) => ({ id: m.id, site: m.site, kind: 'master-target' as const, osFamily: m.os })),
  ];
  const topology: ScoutTopology = {
    ...base,
    hosts,
    scout: {
      configurationServer: scout.configurationServer,
      processServers: processServers.map((p) => ({ host: p.id })),
      masterTargets: masterTargets.map((m) => ({ host: m.id, osFamily: m.os, ownDisks: m.ownDisks, retentionBytes: m.retention, ...m.setup })),
      protections: vmsWithPs,
      groups: scout.groups,
      failbackWanted: scout.failback !== false,
      ...(failbackAuto ? { failback: { processServer: 'ps-b1', masterTarget: 'mt-a1' } } : failbackNamed !== null ? { failback: failbackNamed } : {}),
    },
  };
  const section = scenario.scout === undefined ? ['provider'] : ['scout'];
  const pathOf = (field: string): Array<string | number> => {
    const parts = field.replace(/^topology\./, '').split(/[.[\]]+/).filter((s) => s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (parts[0] !== 'scout') return parts;
    const [, kind, index, leaf] = parts;
    if (kind === 'processServers') return typeof index === 'number' && index < declaredPs.length && scout.processServers !== undefined ? ['scout', 'processServers', index, 'id'] : section;
    const mtFields = ['ownDisks', 'hasSnapshots', 'storageVMotion', 'scsiController', 'diskEnableUuid', 'vmfsDatastores'];
    if (kind === 'masterTargets') return typeof index === 'number' && index < declaredMts ? ['scout', 'masterTargets', index, ...(typeof leaf === 'string' && mtFields.includes(leaf) ? [leaf] : [])] : section;
    if (kind === 'protections' && typeof index === 'number') {
      if (!Array.isArray(scenario.vms)) return ['vms'];
      const vmIndex = scenario.vms.findIndex((v) => v.id === protections[index]?.vm);
      const stated = leaf === 'processServer' || leaf === 'masterTarget' ? scenario.vms[vmIndex]?.[leaf] !== undefined : false;
      return vmIndex < 0 ? ['vms'] : ['vms', vmIndex, ...(stated ? [leaf as string] : [])];
    }
    if (kind === 'groups') return scenario.scout === undefined ? section : parts.slice(0);
    return scenario.scout === undefined ? section : ['scout', ...(kind === undefined ? [] : [kind])];
  };
  return { topology, policy: scenarioScoutPolicy(scenario), pathOf };
}

type MasterTargetSetup = Pick<MasterTargetSpec, 'hasSnapshots' | 'storageVMotion' | 'scsiController' | 'diskEnableUuid' | 'vmfsDatastores'>;

/** Rule 25's settings of a declared master target, as the file states them. */
function masterTargetSetup(m: NonNullable<ReturnType<typeof scoutSection>['masterTargets']>[number]): MasterTargetSetup {
  const setup: { -readonly [K in keyof MasterTargetSetup]: MasterTargetSetup[K] } = {};
  if (m.hasSnapshots !== undefined) setup.hasSnapshots = m.hasSnapshots;
  if (m.storageVMotion !== undefined) setup.storageVMotion = m.storageVMotion;
  if (m.scsiController !== undefined) setup.scsiController = m.scsiController;
  if (m.diskEnableUuid !== undefined) setup.diskEnableUuid = m.diskEnableUuid;
  if (m.vmfsDatastores !== undefined) setup.vmfsDatastores = m.vmfsDatastores;
  return setup;
}

/** The master target of each machine: the one the file names, else the first master target of
 *  its OS family at the secondary site with room left (a replication group stays together);
 *  with no master targets declared, new ones (mt-b1, mt-b2, ...) are added as the disks need. */
function placeOnMasterTargets(
  scenario: Scenario,
  base: Topology,
  masterTargets: Array<{ id: string; site: string; os: OsFamily; ownDisks: number; retention: number }>,
  generate: boolean,
  secondarySite: string,
  failbackMt: string | null,
  retention: number,
): Array<{ vm: string; masterTarget: string }> {
  const stated = new Map(Array.isArray(scenario.vms) ? scenario.vms.filter((v) => v.masterTarget !== undefined).map((v) => [v.id, v.masterTarget!]) : []);
  const groupOf = new Map(scoutSection(scenario).groups.flatMap((g) => g.vms.map((vm) => [vm, g.vms] as const)));
  const load = new Map<string, number>();
  for (const vm of base.vms) {
    const mt = stated.get(vm.id);
    if (mt !== undefined) load.set(mt, (load.get(mt) ?? 0) + vm.disks.length);
  }
  const placed = new Map<string, string>(stated);
  const diskCount = (id: string) => base.vms.find((v) => v.id === id)?.disks.length ?? 0;
  for (const vm of base.vms) {
    if (placed.has(vm.id)) continue;
    const unit = (groupOf.get(vm.id) ?? [vm.id]).filter((id) => !placed.has(id) && base.vms.some((v) => v.id === id));
    const disks = unit.reduce((sum, id) => sum + diskCount(id), 0);
    const fits = (m: (typeof masterTargets)[number]) => m.site === secondarySite && m.id !== failbackMt && m.os === vm.osFamily && (load.get(m.id) ?? 0) + disks + m.ownDisks <= MT_DISKS_MAX;
    let target = masterTargets.find(fits);
    if (target === undefined && generate) {
      target = { id: `mt-b${masterTargets.length + 1}`, site: secondarySite, os: vm.osFamily, ownDisks: MT_OWN_DISKS_DEFAULT, retention };
      masterTargets.push(target);
    }
    // No room on a declared master target: place it anyway, validation names the overflow.
    target ??= masterTargets.find((m) => m.site === secondarySite && m.id !== failbackMt && m.os === vm.osFamily) ?? masterTargets.find((m) => m.id !== failbackMt) ?? masterTargets[0];
    const id = target?.id ?? 'no-master-target';
    for (const member of unit) placed.set(member, id);
    load.set(id, (load.get(id) ?? 0) + disks);
  }
  return base.vms.map((vm) => ({ vm: vm.id, masterTarget: placed.get(vm.id)! }));
}
