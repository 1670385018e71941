// One simulated day of InMage Scout for the confirmation: the real engine on the simulated world
// (through scenarios/), the sampled machines of one master target replicating through one process
// server over one WAN link, pairs adopted in sync when the day starts (continuous protection, not
// initial replication). Once a simulated minute it reads each machine's recovery-point age at
// its master target and the process server's cache; reading never changes engine state.
import { DEFAULT_SCOUT_POLICY, MICROS_PER_MINUTE, MICROS_PER_SECOND, days, millis, minutes, type HostSpec, type Instant, type OsFamily, type ScoutTopology } from '../model/index.js';
import { buildScoutLab, type ScoutLab } from '../scenarios/index.js';
import type { SimMachine } from './hyperv-simulation.js';

export interface ScoutDayOptions {
  readonly machines: readonly SimMachine[];
  readonly os: OsFamily;
  readonly bandwidthBitsPerSecond: number;
  readonly latencySeconds: number;
  readonly processServerCacheBytes: number;
  readonly retentionVolumeBytes: number;
  readonly masterTargetOwnDisks: number;
  readonly retentionSeconds: number;
  readonly rpoTargetSeconds: number;
  readonly seed: number;
  readonly blockSizeBytes: number;
  readonly warmupSeconds: number;
  /** Crash the master target at this second of the day for `failedForSeconds` (the failure variant). */
  readonly masterTargetFailure?: { readonly atSeconds: number; readonly forSeconds: number };
}

export interface ScoutMachineSamples {
  readonly machine: string;
  readonly rpoSeconds: number[];
}

export interface ScoutDayResult {
  readonly machines: readonly ScoutMachineSamples[];
  readonly cacheHighWaterBytes: number;
  /** Largest age of the oldest batch waiting in the process-server cache. */
  readonly backlogSecondsMax: number;
  readonly cacheFullRefusals: number;
}

const MACHINES_PER_ESX = 10;
const PROCESS_SERVER = 'ps-a1';
const MASTER_TARGET = 'mt-b1';

export function simulateScoutDay(options: ScoutDayOptions): ScoutDayResult {
  const byId = new Map(options.machines.map((m) => [m.id, m]));
  const lab = buildScoutLab({
    seed: options.seed,
    topology: topologyOf(options),
    blockSizeBytes: options.blockSizeBytes,
    workload: (vmId) => byId.get(vmId)!.profile,
    tick: minutes(1),
    policy: { ...DEFAULT_SCOUT_POLICY, rpoThreshold: Math.round(options.rpoTargetSeconds * MICROS_PER_SECOND) as never, retentionWindow: Math.round(options.retentionSeconds * MICROS_PER_SECOND) as never },
    replicasPreSeeded: true,
    pollInterval: minutes(5),
  });
  for (const vm of lab.vms) lab.controller.adoptInSync(vm.vmId, () => undefined);
  lab.world.run(MICROS_PER_SECOND as Instant);
  if (options.masterTargetFailure !== undefined) {
    const { atSeconds, forSeconds } = options.masterTargetFailure;
    lab.world.applyFaults([{ at: Math.round(atSeconds * MICROS_PER_SECOND) as Instant, fault: { kind: 'host-crash', host: MASTER_TARGET, restartAfter: Math.round(forSeconds * MICROS_PER_SECOND) as never } }]);
  }
  lab.world.startGuests();
  const samples = options.machines.map((m) => ({ machine: m.id, rpoSeconds: [] as number[] }));
  let backlogSecondsMax = 0;
  const warmupMicros = options.warmupSeconds * MICROS_PER_SECOND;
  const sample = () => {
    const now = lab.world.now();
    const ps = lab.processServers.get(PROCESS_SERVER);
    if (ps !== undefined) backlogSecondsMax = Math.max(backlogSecondsMax, ps.status().backlogMicros / MICROS_PER_SECOND);
    if (now >= warmupMicros) lab.vms.forEach((vm, i) => samples[i].rpoSeconds.push(recoveryPointAge(lab, vm.vmId, now)));
    lab.world.kernel.schedule(MICROS_PER_MINUTE, 'planner:sample', sample);
  };
  lab.world.kernel.schedule(MICROS_PER_MINUTE, 'planner:sample', sample);
  lab.world.run(days(1) as number as Instant);
  const stats = lab.processServers.get(PROCESS_SERVER)?.status();
  return { machines: samples, cacheHighWaterBytes: stats?.cacheBytesPeak ?? 0, backlogSecondsMax, cacheFullRefusals: stats?.cacheFullRefusals ?? 0 };
}

/** Seconds since the newest instant the master target can recover the machine to (the day's
 *  start when it has none yet, or while the master target is down). */
function recoveryPointAge(lab: ScoutLab, vmId: string, now: number): number {
  const status = lab.masterTargets.get(MASTER_TARGET)?.statusOf(vmId) ?? null;
  const at = status?.latestConsistentAt ?? null;
  return (now - (at ?? 0)) / MICROS_PER_SECOND;
}

function topologyOf(options: ScoutDayOptions): ScoutTopology {
  const esx = Array.from({ length: Math.max(1, Math.ceil(options.machines.length / MACHINES_PER_ESX)) }, (_, i) => `esx-a${i + 1}`);
  const host = (id: string, site: string, kind: HostSpec['kind'], extra: Partial<HostSpec> = {}): HostSpec => ({ id, site, kind, ...extra });
  return {
    sites: [
      { id: 'primary', role: 'primary' },
      { id: 'secondary', role: 'secondary' },
    ],
    links: [{ id: 'wan', siteA: 'primary', siteB: 'secondary', bandwidthBitsPerSecond: Math.max(1, Math.round(options.bandwidthBitsPerSecond)), latency: millis(options.latencySeconds * 1000), jitter: millis(Math.min(2, (options.latencySeconds * 1000) / 10)) }],
    vmmServers: [],
    cloudMappings: [],
    hosts: [
      ...esx.map((id) => host(id, 'primary', 'esxi')),
      host(PROCESS_SERVER, 'primary', 'process-server', { fsCapacityBytes: Math.max(1, Math.round(options.processServerCacheBytes)) }),
      host('cs-b1', 'secondary', 'configuration-server'),
      host(MASTER_TARGET, 'secondary', 'master-target', { osFamily: options.os }),
    ],
    vms: options.machines.map((machine, i) => ({ id: machine.id, host: esx[i % esx.length], osFamily: options.os, disks: machine.disks.map((d) => ({ sizeBytes: d.sizeBytes, usedBytes: d.usedBytes })) })),
    scout: {
      configurationServer: 'cs-b1',
      processServers: [{ host: PROCESS_SERVER }],
      masterTargets: [{ host: MASTER_TARGET, osFamily: options.os, ownDisks: options.masterTargetOwnDisks, retentionBytes: Math.max(1, Math.round(options.retentionVolumeBytes)) }],
      protections: options.machines.map((m) => ({ vm: m.id, processServer: PROCESS_SERVER, masterTarget: MASTER_TARGET })),
      groups: [],
      failbackWanted: false,
    },
  };
}
