// From a validated scenario file to the lab's inputs: topology with defaults filled in, the
// replication policy, and the workload profile.
import { DEFAULT_HYPERV_POLICY, hours, type HyperVReplicaPolicy, type Topology, type VmSpec } from '../model/index.js';
import { workloadProfile, type WorkloadProfile } from '../sim/index.js';
import type { Scenario } from './schema.js';

export function scenarioTopology(scenario: Scenario): Topology {
  const sites = scenario.sites;
  const primarySites = sites.filter((s) => s.role === 'primary').map((s) => s.id);
  const secondarySites = sites.filter((s) => s.role === 'secondary').map((s) => s.id);
  const hosts =
    scenario.hosts ??
    [...primarySites.map((site, i) => ({ id: `hv-a${i + 1}`, site, cores: 8, volume: 2 * 1024 ** 4 })), ...secondarySites.map((site, i) => ({ id: `hv-b${i + 1}`, site, cores: 8, volume: 2 * 1024 ** 4 }))];
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
    hosts: hosts.map((h) => ({ id: h.id, site: h.site, kind: 'hyperv' as const, cores: h.cores, fsCapacityBytes: h.volume })),
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
