// One simulated day of Hyper-V Replica for the confirmation: the real engine on the simulated
// world (through scenarios/), replication already established when the day starts, one WAN link
// of the given bandwidth, and the exposure each primary reports sampled once a simulated minute.
// Reading engine state never changes it.
import { DEFAULT_HYPERV_POLICY, MICROS_PER_MINUTE, MICROS_PER_SECOND, days, millis, minutes, type Instant, type Topology } from '../model/index.js';
import { buildHyperVLab, type HyperVLab, type HyperVLabOptions } from '../scenarios/index.js';

export type SimProfile = Exclude<HyperVLabOptions['workload'], (vmId: string) => unknown>;

export interface SimMachine {
  readonly id: string;
  readonly os: 'windows' | 'linux';
  readonly disks: ReadonlyArray<{ readonly sizeBytes: number; readonly usedBytes: number }>;
  readonly profile: SimProfile;
}

export interface HyperVDayOptions {
  readonly machines: readonly SimMachine[];
  readonly bandwidthBitsPerSecond: number;
  readonly latencySeconds: number;
  readonly copyFrequencySeconds: 30 | 300 | 900;
  readonly seed: number;
  readonly blockSizeBytes: number;
  /** Samples before this are dropped: the first cycles have no confirmed cut yet. */
  readonly warmupSeconds: number;
}

export interface MachineSamples {
  readonly machine: string;
  /** Exposure (seconds) once a minute after the warm-up. */
  readonly rpoSeconds: number[];
  readonly logBytesMax: number;
  readonly cyclesMissed: number;
  readonly resyncs: number;
}

const MACHINES_PER_HOST = 10;

export interface HyperVDayResult {
  readonly machines: readonly MachineSamples[];
  /** Log chunks the primaries resent because no answer came in time (engine coverage mark). */
  readonly retransmits: number;
}

export function simulateHyperVDay(options: HyperVDayOptions): HyperVDayResult {
  const lab = buildHyperVLab({
    seed: options.seed,
    topology: topologyOf(options),
    blockSizeBytes: options.blockSizeBytes,
    workload: (vmId) => options.machines.find((m) => m.id === vmId)!.profile,
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: options.copyFrequencySeconds },
    replicasPreSeeded: true,
  });
  for (const vm of lab.vms) lab.controller.adoptInSync(vm.vmId, () => undefined);
  lab.world.run(MICROS_PER_SECOND as Instant);
  lab.world.startGuests();
  const samples = options.machines.map((m) => ({ machine: m.id, rpoSeconds: [] as number[], logBytesMax: 0, cyclesMissed: 0, resyncs: 0 }));
  const warmupMicros = options.warmupSeconds * MICROS_PER_SECOND;
  const sample = () => {
    const now = lab.world.now();
    lab.vms.forEach((vm, i) => {
      const primary = primarySession(lab, vm.vmId, vm.primaryHost);
      if (primary === null) return;
      samples[i].logBytesMax = Math.max(samples[i].logBytesMax, primary.logBytes());
      if (now < warmupMicros) return;
      const cut = primary.stats.lastSyncedCut;
      samples[i].rpoSeconds.push(cut === null ? now / MICROS_PER_SECOND : (now - cut) / MICROS_PER_SECOND);
    });
    lab.world.kernel.schedule(MICROS_PER_MINUTE, 'planner:sample', sample);
  };
  lab.world.kernel.schedule(MICROS_PER_MINUTE, 'planner:sample', sample);
  lab.world.run(days(1) as number as Instant);
  lab.vms.forEach((vm, i) => {
    const primary = primarySession(lab, vm.vmId, vm.primaryHost);
    samples[i].cyclesMissed = primary?.stats.cyclesMissed ?? 0;
    samples[i].resyncs = primary?.stats.resyncs ?? 0;
  });
  return { machines: samples, retransmits: lab.world.tracer.marks().get('retransmit') ?? 0 };
}

function primarySession(lab: HyperVLab, vmId: string, host: string) {
  const session = lab.services.get(host)?.sessionOf(vmId);
  return session !== undefined && 'logBytes' in session ? session : null;
}

function topologyOf(options: HyperVDayOptions): Topology {
  const hostsPerSite = Math.max(1, Math.ceil(options.machines.length / MACHINES_PER_HOST));
  const primaryHosts = Array.from({ length: hostsPerSite }, (_, i) => `hv-a${i + 1}`);
  const secondaryHosts = Array.from({ length: hostsPerSite }, (_, i) => `hv-b${i + 1}`);
  const volumeBytes = (hosts: number) => Math.max(2 ** 41, (2 * options.machines.reduce((s, m) => s + m.disks.reduce((t, d) => t + d.sizeBytes, 0), 0)) / hosts);
  return {
    sites: [
      { id: 'primary', role: 'primary' },
      { id: 'secondary', role: 'secondary' },
    ],
    links: [{ id: 'wan', siteA: 'primary', siteB: 'secondary', bandwidthBitsPerSecond: Math.max(1, Math.round(options.bandwidthBitsPerSecond)), latency: millis(options.latencySeconds * 1000), jitter: millis(Math.min(2, (options.latencySeconds * 1000) / 10)) }],
    vmmServers: [
      { id: 'vmm-a', site: 'primary', clouds: [{ id: 'cloud-a', hosts: primaryHosts }] },
      { id: 'vmm-b', site: 'secondary', clouds: [{ id: 'cloud-b', hosts: secondaryHosts }] },
    ],
    cloudMappings: [{ primaryCloud: 'cloud-a', secondaryCloud: 'cloud-b' }],
    hosts: [
      ...primaryHosts.map((id) => ({ id, site: 'primary', kind: 'hyperv' as const, fsCapacityBytes: volumeBytes(hostsPerSite) })),
      ...secondaryHosts.map((id) => ({ id, site: 'secondary', kind: 'hyperv' as const, fsCapacityBytes: volumeBytes(hostsPerSite) })),
    ],
    vms: options.machines.map((machine, i) => ({
      id: machine.id,
      host: primaryHosts[i % hostsPerSite],
      replicaHost: secondaryHosts[i % hostsPerSite],
      osFamily: machine.os,
      disks: machine.disks.map((d) => ({ sizeBytes: d.sizeBytes, usedBytes: d.usedBytes })),
    })),
  };
}
