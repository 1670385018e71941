// InMage Scout sizing: master targets (rule 17, rows 20-24), process servers (rows 25-27, 30, 32)
// and configuration servers (rows 28-29). Each count is the largest of the lower bounds its rules
// give and of an actual packing that honours indivisibility (a machine, and a whole replication
// group, on one master target; one machine on one process server).
import type { OsFamily } from '../model/index.js';
import type { MachineDemand } from './machine-demand.js';
import { lowerBound, packFirstFitDecreasing, type PackItem } from './packing.js';
import {
  CONFIGURATION_SERVER_MACHINES_MAX,
  CONFIGURATION_SERVER_MACHINES_MAX_LEGACY,
  MASTER_TARGET_DISK_SLOTS,
  PROCESS_SERVER_CACHE_FREE_WARN,
  PROCESS_SERVER_CACHE_MIN_BYTES,
  PROCESS_SERVER_CHURN_PER_DAY_MAX,
  PROCESS_SERVER_CHURN_PER_DAY_MAX_LEGACY,
  PROCESS_SERVER_TIERS_CURRENT,
  PROCESS_SERVER_TIERS_LEGACY,
  SECONDS_PER_DAY,
  TARGET_WRITE_AMPLIFICATION,
} from './rules.js';
import type { Workload } from './workload.js';

export type MasterTargetRule = 'disk-slots' | 'os-family' | 'retention-capacity' | 'retention-iops' | 'indivisibility';

export interface MasterTargetAssignment {
  readonly id: string;
  readonly os: OsFamily;
  readonly machines: readonly string[];
  readonly machineIndexes: readonly number[];
  readonly disks: number;
  readonly retentionBytes: number;
  readonly retentionIops: number;
  /** A single machine or group that exceeds one master target's retention volume or IOPS. */
  readonly overCapacity: boolean;
}

export interface MasterTargetPlan {
  readonly site: 'secondary' | 'primary';
  readonly count: number;
  readonly slotsPerMasterTarget: number;
  readonly retentionSeconds: number;
  readonly bounds: Readonly<Record<MasterTargetRule, number>>;
  readonly binding: MasterTargetRule;
  readonly totals: { readonly disks: number; readonly retentionBytes: number; readonly retentionIops: number };
  readonly assignments: readonly MasterTargetAssignment[];
}

/** Master targets for one direction: `retentionSeconds` of journal on each (row 22). */
export function planMasterTargets(workload: Workload, demands: readonly MachineDemand[], site: 'secondary' | 'primary', retentionSeconds: number): MasterTargetPlan {
  const slots = MASTER_TARGET_DISK_SLOTS - workload.masterTarget.ownDisks;
  const capacity = [slots, workload.masterTarget.retentionVolumeBytes, workload.masterTarget.retentionIops];
  const bounds: Record<MasterTargetRule, number> = { 'disk-slots': 0, 'os-family': 0, 'retention-capacity': 0, 'retention-iops': 0, indivisibility: 0 };
  const assignments: MasterTargetAssignment[] = [];
  const totals = { disks: 0, retentionBytes: 0, retentionIops: 0 };
  for (const os of ['windows', 'linux'] as const) {
    const units = packingUnits(workload, demands, os, retentionSeconds);
    if (units.length === 0) continue;
    const items = units.map((u) => u.item);
    bounds['disk-slots'] += lowerBound(items, capacity, 0);
    bounds['retention-capacity'] += lowerBound(items, capacity, 1);
    bounds['retention-iops'] += lowerBound(items, capacity, 2);
    bounds['os-family'] += 1;
    for (const item of items) {
      totals.disks += item.demand[0];
      totals.retentionBytes += item.demand[1];
      totals.retentionIops += item.demand[2];
    }
    for (const bin of packFirstFitDecreasing(items, capacity)) {
      const machineIndexes = bin.items.flatMap((i) => units[i].machines).sort((a, b) => a - b);
      assignments.push({
        id: `mt-${site === 'secondary' ? 's' : 'p'}${assignments.length + 1}`,
        os,
        machines: machineIndexes.map((m) => demands[m].id),
        machineIndexes,
        disks: bin.load[0],
        retentionBytes: bin.load[1],
        retentionIops: bin.load[2],
        overCapacity: bin.overCapacity,
      });
    }
  }
  bounds.indivisibility = assignments.length;
  const order: MasterTargetRule[] = ['disk-slots', 'os-family', 'retention-capacity', 'retention-iops'];
  const largest = Math.max(...order.map((r) => bounds[r]));
  const binding = assignments.length > largest ? 'indivisibility' : order.find((r) => bounds[r] === largest)!;
  return { site, count: assignments.length, slotsPerMasterTarget: slots, retentionSeconds, bounds, binding, totals, assignments };
}

/** Replication groups and stand-alone machines of one OS family, as indivisible packing items. */
function packingUnits(workload: Workload, demands: readonly MachineDemand[], os: OsFamily, retentionSeconds: number): Array<{ item: PackItem; machines: number[] }> {
  const groups = new Map<string, number[]>();
  const units: Array<{ key: string; machines: number[] }> = [];
  workload.machines.forEach((machine, i) => {
    if (machine.os !== os) return;
    if (machine.group === null) {
      units.push({ key: machine.id, machines: [i] });
      return;
    }
    let members = groups.get(machine.group);
    if (members === undefined) {
      members = [];
      groups.set(machine.group, members);
      units.push({ key: `group:${machine.group}`, machines: members });
    }
    members.push(i);
  });
  return units.map(({ key, machines }) => {
    let disks = 0;
    let retention = 0;
    let iops = 0;
    for (const m of machines) {
      disks += demands[m].disks;
      retention += (demands[m].churnBytesPerDay * retentionSeconds) / SECONDS_PER_DAY;
      iops += demands[m].writeIops * TARGET_WRITE_AMPLIFICATION;
    }
    return { item: { key, demand: [disks, retention, iops] }, machines };
  });
}

export type ProcessServerRule = 'daily-churn' | 'machines' | 'indivisibility';

export interface ProcessServerAssignment {
  readonly id: string;
  readonly machines: readonly string[];
  readonly machineIndexes: readonly number[];
  readonly churnBytesPerDay: number;
  readonly vcpus: number;
  readonly overCapacity: boolean;
}

export interface ProcessServerPlan {
  readonly count: number;
  readonly churnPerDayMax: number;
  readonly machinesMax: number;
  readonly bounds: Readonly<Record<ProcessServerRule, number>>;
  readonly binding: ProcessServerRule;
  readonly totalChurnBytesPerDay: number;
  readonly assignments: readonly ProcessServerAssignment[];
}

/** Process servers: the larger of ⌈churn/day ÷ tier limit⌉ and ⌈machines ÷ tier limit⌉ (rows 25, 27). */
export function planProcessServers(workload: Workload, demands: readonly MachineDemand[], site: 'primary' | 'secondary' = 'primary'): ProcessServerPlan {
  const legacy = workload.tiers === 'legacy';
  const churnMax = legacy ? PROCESS_SERVER_CHURN_PER_DAY_MAX_LEGACY : PROCESS_SERVER_CHURN_PER_DAY_MAX;
  const machinesMax = legacy ? Number.POSITIVE_INFINITY : PROCESS_SERVER_TIERS_CURRENT[PROCESS_SERVER_TIERS_CURRENT.length - 1].machinesMax;
  const capacity = [churnMax, machinesMax];
  const items: PackItem[] = demands.map((d) => ({ key: d.id, demand: [d.churnBytesPerDay, 1] }));
  const bounds: Record<ProcessServerRule, number> = { 'daily-churn': lowerBound(items, capacity, 0), machines: legacy ? 0 : lowerBound(items, capacity, 1), indivisibility: 0 };
  const bins = packFirstFitDecreasing(items, capacity);
  const assignments = bins.map((bin, i) => {
    const machineIndexes = [...bin.items].sort((a, b) => a - b);
    return {
      id: `ps-${site === 'primary' ? 'p' : 's'}${i + 1}`,
      machines: machineIndexes.map((m) => demands[m].id),
      machineIndexes,
      churnBytesPerDay: bin.load[0],
      vcpus: processServerVcpus(legacy, bin.load[0], bin.load[1]),
      overCapacity: bin.overCapacity,
    };
  });
  bounds.indivisibility = assignments.length;
  const largest = Math.max(bounds['daily-churn'], bounds.machines);
  const binding: ProcessServerRule = assignments.length > largest ? 'indivisibility' : bounds['daily-churn'] >= bounds.machines ? 'daily-churn' : 'machines';
  const total = demands.reduce((s, d) => s + d.churnBytesPerDay, 0);
  return { count: assignments.length, churnPerDayMax: churnMax, machinesMax, bounds, binding, totalChurnBytesPerDay: total, assignments };
}

function processServerVcpus(legacy: boolean, churnPerDay: number, machines: number): number {
  if (legacy) return (PROCESS_SERVER_TIERS_LEGACY.find((t) => churnPerDay <= t.churnPerDayMax) ?? PROCESS_SERVER_TIERS_LEGACY[2]).vcpus;
  return (PROCESS_SERVER_TIERS_CURRENT.find((t) => machines <= t.machinesMax) ?? PROCESS_SERVER_TIERS_CURRENT[2]).vcpus;
}

/**
 * Cache of one process server: room for its share of the link's peak backlog at the planned
 * bandwidth while keeping 30% free (row 32), and never below the recommended disk (rows 25, 30).
 */
export function processServerCacheBytes(workload: Workload, backlogBytes: number, churnPerDay: number): { bytes: number; byBacklog: number; minimum: number } {
  const legacyTier = PROCESS_SERVER_TIERS_LEGACY.find((t) => churnPerDay <= t.churnPerDayMax) ?? PROCESS_SERVER_TIERS_LEGACY[2];
  const minimum = workload.tiers === 'legacy' ? legacyTier.cacheBytes : PROCESS_SERVER_CACHE_MIN_BYTES;
  const byBacklog = backlogBytes / (1 - PROCESS_SERVER_CACHE_FREE_WARN);
  return { bytes: Math.max(minimum, byBacklog), byBacklog, minimum };
}

export function configurationServers(workload: Workload, machines: number): { count: number; machinesMax: number } {
  const machinesMax = workload.tiers === 'legacy' ? CONFIGURATION_SERVER_MACHINES_MAX_LEGACY : CONFIGURATION_SERVER_MACHINES_MAX;
  return { count: Math.max(1, Math.ceil(machines / machinesMax)), machinesMax };
}
