// The plan as one JSON document (what `lab plan --json` prints and plan.json holds): the counts
// and bandwidths at fixed keys (masterTargets.secondary, bandwidthMbps.rpo100, ...), the details
// behind them, every figure with its rule, the binding constraint and the simulated confirmation.
import type { AnalyticPlan, Constraint, Figure } from './analytic-plan.js';
import type { Confirmation } from './confirm.js';
import { gib, mbps, round } from './plan-format.js';
import type { MasterTargetPlan } from './scout-sizing.js';

export interface PlanDocument {
  readonly workload: { readonly name: string; readonly file: string; readonly provider: string; readonly description: string; readonly machines: number; readonly disks: number; readonly horizonDays: number };
  readonly settings: {
    readonly rpoSeconds: number;
    readonly growth: number;
    readonly percentile: number;
    readonly initialReplicationGoalHours: number;
    readonly failback: boolean;
    readonly retentionHours: number;
    readonly compression: number;
    readonly tiers: string;
  };
  readonly masterTargets: { readonly secondary: number; readonly primary: number; readonly details: { readonly secondary: unknown; readonly primary: unknown } };
  readonly processServers: number;
  readonly processServersFailback: number;
  readonly processServerDetails: unknown;
  readonly configurationServers: number;
  readonly bandwidthMbps: {
    readonly rpo100: number | null;
    readonly rpo90: number | null;
    readonly percentile: number | null;
    readonly mean: number | null;
    readonly initialReplication: number | null;
    readonly links: readonly unknown[];
  };
  readonly retentionGiB: number;
  readonly processServerCacheGiB: number | null;
  readonly initialReplication: readonly unknown[];
  readonly hyperv: unknown;
  readonly bindingConstraint: Constraint;
  readonly constraints: readonly Constraint[];
  readonly figures: readonly Figure[];
  readonly warnings: readonly string[];
  readonly simulation: Confirmation;
}

export function planDocument(plan: AnalyticPlan, simulation: Confirmation): PlanDocument {
  const { workload } = plan;
  return {
    workload: {
      name: workload.name,
      file: workload.file,
      provider: workload.provider,
      description: workload.description,
      machines: plan.demands.length,
      disks: plan.demands.reduce((s, d) => s + d.disks, 0),
      horizonDays: plan.series.minutes / 1440,
    },
    settings: {
      rpoSeconds: workload.rpoSeconds,
      growth: workload.growth,
      percentile: workload.percentile,
      initialReplicationGoalHours: workload.initialReplicationGoalSeconds / 3600,
      failback: workload.failback,
      retentionHours: workload.retentionSeconds / 3600,
      compression: workload.compression,
      tiers: workload.tiers,
    },
    masterTargets: {
      secondary: plan.masterTargets.secondary?.count ?? 0,
      primary: plan.masterTargets.primary?.count ?? 0,
      details: { secondary: masterTargetDetails(plan.masterTargets.secondary), primary: masterTargetDetails(plan.masterTargets.primary) },
    },
    processServers: plan.processServers?.count ?? 0,
    processServersFailback: plan.processServersFailback?.count ?? 0,
    processServerDetails:
      plan.processServers === null
        ? null
        : {
            bounds: plan.processServers.bounds,
            binding: plan.processServers.binding,
            assignments: plan.processServers.assignments.map((a) => ({
              id: a.id,
              vcpus: a.vcpus,
              machines: a.machines,
              churnGiBPerDay: gib(a.churnBytesPerDay),
              cacheGiB: gib(plan.processServerCaches.find((c) => c.id === a.id)?.bytes ?? 0),
              overCapacity: a.overCapacity,
            })),
          },
    configurationServers: plan.configurationServers,
    bandwidthMbps: {
      rpo100: mbps(plan.bandwidth.rpo100),
      rpo90: mbps(plan.bandwidth.rpo90),
      percentile: mbps(plan.bandwidth.percentile),
      mean: mbps(plan.bandwidth.mean),
      initialReplication: mbps(plan.bandwidth.initialReplication),
      links: plan.links.map((l) => ({
        id: l.link.id,
        machines: l.machineIndexes.length,
        rpo100: mbps(l.rpo100BitsPerSecond),
        rpo90: mbps(l.rpo90BitsPerSecond),
        percentile: mbps(l.percentileBitsPerSecond),
        stated: mbps(l.link.bandwidthBitsPerSecond),
        impossible: l.impossible,
        achievableRpo:
          l.atGiven === null
            ? null
            : { rpo100Seconds: roundOrNull(l.atGiven.rpo100Seconds), rpo90Seconds: roundOrNull(l.atGiven.rpo90Seconds), minutesOverTarget: l.atGiven.minutesOverTarget, unbounded: l.atGiven.unbounded },
      })),
    },
    retentionGiB: gib(plan.retentionBytes),
    processServerCacheGiB: plan.processServerCacheBytes === null ? null : gib(plan.processServerCacheBytes),
    initialReplication: plan.links.map((l) => ({
      link: l.link.id,
      usedGiB: gib(l.initialReplication.bytes),
      bandwidthMbps: mbps(l.initialReplication.bitsPerSecond),
      hours: l.initialReplication.seconds === null ? null : round(l.initialReplication.seconds / 3600, 2),
      problem: l.initialReplication.problem,
      batches: l.initialReplication.batches.map((b) => ({ machines: b.machines, usedGiB: gib(b.bytes), hours: round(b.seconds / 3600, 2), availableMbps: mbps(b.availableBitsPerSecond), overGoal: b.overGoal })),
    })),
    hyperv:
      plan.hyperv === null
        ? null
        : {
            copyFrequencySeconds: workload.hyperv.copyFrequencySeconds,
            volumes: plan.hyperv.volumes.map((v) => ({
              volume: v.volume,
              machines: v.machines,
              vhdGiB: gib(v.vhdBytes),
              freeForInitialReplicationGiB: gib(v.freeForInitialReplicationBytes),
              freeForDeltaGiB: gib(v.freeForDeltaBytes),
              freeNeededGiB: gib(v.freeNeededBytes),
              freeGiB: v.freeBytes === null ? null : gib(v.freeBytes),
            })),
            resyncDeadlineHours: plan.hyperv.resyncDeadlineMin === null ? null : round(plan.hyperv.resyncDeadlineMin.seconds / 3600, 2),
            resyncDeadlineMachine: plan.hyperv.resyncDeadlineMin?.machine ?? null,
            resyncDeadlineLimit: plan.hyperv.resyncDeadlineMin?.limit ?? null,
          },
    bindingConstraint: roundConstraint(plan.binding),
    constraints: plan.constraints.map(roundConstraint),
    figures: plan.figures,
    warnings: plan.warnings,
    simulation,
  };
}

function masterTargetDetails(mt: MasterTargetPlan | null): unknown {
  if (mt === null) return null;
  return {
    slotsPerMasterTarget: mt.slotsPerMasterTarget,
    retentionHours: mt.retentionSeconds / 3600,
    bounds: mt.bounds,
    binding: mt.binding,
    assignments: mt.assignments.map((a) => ({ id: a.id, os: a.os, disks: a.disks, retentionGiB: gib(a.retentionBytes), retentionIops: Math.round(a.retentionIops), overCapacity: a.overCapacity, machines: a.machines })),
  };
}

function roundConstraint(c: Constraint): Constraint {
  return { ...c, demand: round(c.demand, 3), capacity: round(c.capacity, 3), utilisation: round(c.utilisation, 4) };
}

const roundOrNull = (v: number | null) => (v === null ? null : round(v, 1));
