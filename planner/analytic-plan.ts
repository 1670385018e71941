// The analytic plan: every figure with the rule that produced it, the constraints with their
// utilisation, and the binding one (the constraint with the least headroom: the first to need
// another server or more bandwidth as the workload grows, or the one already exceeded).
import { buildChurnSeries, percentile, type ChurnSeries } from './churn-series.js';
import { backlogAt, planLinks, type LinkPlan } from './link-plan.js';
import { machineDemands, type MachineDemand } from './machine-demand.js';
import { decimalSizeText, durationText, gib, mbps, rateText, round, sizeText } from './plan-format.js';
import { planHyperV, type HyperVPlan } from './hyperv-sizing.js';
import {
  FAILBACK_RETENTION_SECONDS,
  SCOUT_CHURN_PER_DISK_WARN_BYTES_PER_SECOND,
  SCOUT_CHURN_PER_MACHINE_WARN_BYTES_PER_SECOND,
  SECONDS_PER_DAY,
} from './rules.js';
import {
  configurationServers,
  planMasterTargets,
  planProcessServers,
  processServerCacheBytes,
  type MasterTargetPlan,
  type ProcessServerPlan,
} from './scout-sizing.js';
import type { Workload } from './workload.js';

export interface Figure {
  /** The JSON path of the figure in the plan document (masterTargets.secondary, ...). */
  readonly key: string;
  readonly label: string;
  readonly value: number | string | null;
  readonly unit: string;
  readonly rule: string;
}

export interface Constraint {
  readonly id: string;
  readonly component: string;
  readonly description: string;
  readonly demand: number;
  readonly capacity: number;
  readonly utilisation: number;
}

export interface ProcessServerCache {
  readonly id: string;
  readonly bytes: number;
  readonly backlogBytes: number;
}

export interface AnalyticPlan {
  readonly workload: Workload;
  readonly series: ChurnSeries;
  readonly demands: readonly MachineDemand[];
  readonly masterTargets: { readonly secondary: MasterTargetPlan | null; readonly primary: MasterTargetPlan | null };
  readonly processServers: ProcessServerPlan | null;
  /** Process servers at the secondary site that failback needs (rule 16). */
  readonly processServersFailback: ProcessServerPlan | null;
  readonly configurationServers: number;
  readonly links: readonly LinkPlan[];
  readonly bandwidth: { readonly rpo100: number | null; readonly rpo90: number | null; readonly percentile: number; readonly mean: number; readonly initialReplication: number };
  readonly retentionBytes: number;
  readonly processServerCaches: readonly ProcessServerCache[];
  readonly processServerCacheBytes: number | null;
  readonly hyperv: HyperVPlan | null;
  readonly constraints: readonly Constraint[];
  readonly binding: Constraint;
  readonly figures: readonly Figure[];
  readonly warnings: readonly string[];
}

export function analyticPlan(workload: Workload): AnalyticPlan {
  const series = buildChurnSeries(workload);
  const demands = machineDemands(workload, series);
  const links = planLinks(workload, series, demands);
  const scout = workload.provider === 'inmage-scout';
  const secondary = scout ? planMasterTargets(workload, demands, 'secondary', workload.retentionSeconds) : null;
  const primary = scout && workload.failback ? planMasterTargets(workload, demands, 'primary', FAILBACK_RETENTION_SECONDS) : null;
  const processServers = scout ? planProcessServers(workload, demands, 'primary') : null;
  const processServersFailback = scout && workload.failback ? planProcessServers(workload, demands, 'secondary') : null;
  const cs = scout ? configurationServers(workload, demands.length) : null;
  const caches = processServers === null ? [] : processServerCaches(workload, processServers, links, demands);
  const hyperv = scout ? null : planHyperV(workload, series, demands, links);
  const retentionBytes = retention(workload, demands);
  const sum = (pick: (l: LinkPlan) => number | null) => (links.some((l) => pick(l) === null) ? null : links.reduce((s, l) => s + pick(l)!, 0));
  const allArrivals = new Float64Array(series.minutes);
  for (const link of links) for (let m = 0; m < series.minutes; m++) allArrivals[m] += link.arrivals[m];
  const bandwidth = {
    rpo100: sum((l) => l.rpo100BitsPerSecond),
    rpo90: sum((l) => l.rpo90BitsPerSecond),
    percentile: percentile(allArrivals, workload.percentile) * 8 * (1 - workload.compression),
    mean: sum((l) => l.meanBitsPerSecond)!,
    initialReplication: sum((l) => l.initialReplication.bitsPerSecondForGoal)!,
  };
  const constraints = constraintsOf(workload, demands, links, secondary, processServers, cs, hyperv);
  const plan = {
    workload,
    series,
    demands,
    masterTargets: { secondary, primary },
    processServers,
    processServersFailback,
    configurationServers: cs?.count ?? 0,
    links,
    bandwidth,
    retentionBytes,
    processServerCaches: caches,
    processServerCacheBytes: caches.length === 0 ? null : Math.max(...caches.map((c) => c.bytes)),
    hyperv,
    constraints,
    binding: bindingOf(constraints, workload),
  };
  return { ...plan, figures: figuresOf(plan), warnings: warningsOf(plan) };
}

/** Row 22 for Scout (churn/day × retention window); row 13 for Hyper-V (churn over the history). */
function retention(workload: Workload, demands: readonly MachineDemand[]): number {
  const churn = demands.reduce((s, d) => s + d.churnBytesPerDay, 0);
  const window = workload.provider === 'inmage-scout' ? workload.retentionSeconds : workload.hyperv.recoveryPoints * 3600;
  return (churn * window) / SECONDS_PER_DAY;
}

/** Each process server holds its machines' share of each link's peak backlog at the planned bandwidth. */
function processServerCaches(workload: Workload, servers: ProcessServerPlan, links: readonly LinkPlan[], demands: readonly MachineDemand[]): ProcessServerCache[] {
  const linkOf = new Map<number, LinkPlan>();
  for (const link of links) for (const m of link.machineIndexes) linkOf.set(m, link);
  const linkBacklog = new Map(links.map((l) => [l.link.id, backlogAt(l, l.plannedBitsPerSecond)]));
  const linkChurn = new Map(links.map((l) => [l.link.id, l.machineIndexes.reduce((s, m) => s + demands[m].meanBytesPerSecond, 0)]));
  return servers.assignments.map((ps) => {
    let backlog = 0;
    for (const m of ps.machineIndexes) {
      const link = linkOf.get(m)!;
      const churn = linkChurn.get(link.link.id)!;
      if (churn > 0) backlog += (linkBacklog.get(link.link.id)! * demands[m].meanBytesPerSecond) / churn;
    }
    return { id: ps.id, bytes: processServerCacheBytes(workload, backlog, ps.churnBytesPerDay).bytes, backlogBytes: backlog };
  });
}

function constraintsOf(
  workload: Workload,
  demands: readonly MachineDemand[],
  links: readonly LinkPlan[],
  mt: MasterTargetPlan | null,
  ps: ProcessServerPlan | null,
  cs: { count: number; machinesMax: number } | null,
  hyperv: HyperVPlan | null,
): Constraint[] {
  const list: Constraint[] = [];
  const add = (id: string, component: string, description: string, demand: number, capacity: number) =>
    list.push({ id, component, description, demand, capacity, utilisation: capacity > 0 ? demand / capacity : Number.POSITIVE_INFINITY });
  for (const link of links) {
    if (link.link.bandwidthBitsPerSecond === null) continue;
    const need = link.rpo100BitsPerSecond ?? Number.POSITIVE_INFINITY;
    add(`wan-bandwidth:${link.link.id}`, `links.${link.link.id}`, `bandwidth to meet the RPO 100% of the time vs the link's ${rateText(link.link.bandwidthBitsPerSecond)}`, need, link.link.bandwidthBitsPerSecond);
  }
  if (mt !== null && mt.count > 0) {
    add('mt-disk-slots', 'masterTargets.secondary', `protected disks vs ${mt.count} × ${mt.slotsPerMasterTarget} slots`, mt.totals.disks, mt.count * mt.slotsPerMasterTarget);
    add('mt-os-family', 'masterTargets.secondary', 'OS families (one master target each) vs master targets', mt.bounds['os-family'], mt.count);
    add('mt-retention-capacity', 'masterTargets.secondary', `retention journal vs ${mt.count} retention volumes of ${sizeText(workload.masterTarget.retentionVolumeBytes)}`, mt.totals.retentionBytes, mt.count * workload.masterTarget.retentionVolumeBytes);
    add('mt-retention-iops', 'masterTargets.secondary', `target write IOPS (2 per source write) vs ${mt.count} × ${workload.masterTarget.retentionIops}`, mt.totals.retentionIops, mt.count * workload.masterTarget.retentionIops);
    if (mt.binding === 'indivisibility') add('mt-indivisibility', 'masterTargets.secondary', 'packing whole machines and replication groups needs more master targets than any capacity bound', mt.count, mt.count);
  }
  if (ps !== null) {
    add('ps-daily-churn', 'processServers', `churn a day vs ${ps.count} × ${decimalSizeText(ps.churnPerDayMax)}`, ps.totalChurnBytesPerDay, ps.count * ps.churnPerDayMax);
    if (Number.isFinite(ps.machinesMax)) add('ps-machines', 'processServers', `machines vs ${ps.count} × ${ps.machinesMax}`, demands.length, ps.count * ps.machinesMax);
  }
  if (cs !== null) add('cs-machines', 'configurationServers', `machines vs ${cs.count} × ${cs.machinesMax}`, demands.length, cs.count * cs.machinesMax);
  if (hyperv !== null) {
    for (const volume of hyperv.volumes) {
      if (volume.freeBytes !== null) add(`volume-free:${volume.volume}`, `hyperv.volumes.${volume.volume}`, `free space needed vs ${sizeText(volume.freeBytes)} free`, volume.freeNeededBytes, volume.freeBytes);
    }
    add('copy-interval', 'hyperv.copyFrequency', `copy interval vs the RPO target (the recovery point is at least one interval old before its log ships)`, workload.hyperv.copyFrequencySeconds, workload.rpoSeconds);
  }
  return list;
}

/** The constraint with the least headroom; the RPO target when nothing else limits the plan. */
function bindingOf(constraints: readonly Constraint[], workload: Workload): Constraint {
  let best: Constraint | null = null;
  for (const c of constraints) if (best === null || c.utilisation > best.utilisation + 1e-9) best = c;
  if (best !== null && best.utilisation >= 0.5) return best;
  return {
    id: 'rpo-target',
    component: 'bandwidthMbps.rpo100',
    description: `the RPO target of ${durationText(workload.rpoSeconds)} sizes the WAN; no server or stated capacity is more than half used`,
    demand: workload.rpoSeconds,
    capacity: workload.rpoSeconds,
    utilisation: best?.utilisation ?? 1,
  };
}

type PlanParts = Omit<AnalyticPlan, 'figures' | 'warnings'>;

function figuresOf(plan: PlanParts): Figure[] {
  const { workload, demands, bandwidth } = plan;
  const figures: Figure[] = [];
  const add = (key: string, label: string, value: number | string | null, unit: string, rule: string) => figures.push({ key, label, value, unit, rule });
  const growth = `× ${round(1 + workload.growth, 2)} growth`;
  const churnDay = demands.reduce((s, d) => s + d.churnBytesPerDay, 0);
  const disks = demands.reduce((s, d) => s + d.disks, 0);
  add('workload.machines', 'machines', demands.length, '', 'machines in the workload file, fleets expanded');
  add('workload.disks', 'protected disks', disks, '', 'disks of all machines');
  add('workload.churnGiBPerDay', 'churn a day', gib(churnDay), 'GiB', `Σ per machine: the ${workload.percentile}th percentile of its daily totals ${growth} (rule 26, row 39)`);
  add('workload.churnMBpsPercentile', `churn rate, ${workload.percentile}th percentile`, round(bandwidth.percentile / 8 / (1 - workload.compression) / 1e6, 2), 'MB/s', `${workload.percentile}th percentile of the per-minute sum over all machines ${growth}`);
  const scout = workload.provider === 'inmage-scout';
  masterTargetFigures(plan, add, scout);
  serverFigures(plan, add, scout);
  const targetText = durationText(workload.rpoSeconds);
  const lagRule = scout ? 'lag = backlog ÷ drain rate + latency' : `lag = ${workload.hyperv.copyFrequencySeconds}s copy interval + (backlog + one interval of churn) ÷ drain rate + latency`;
  add('bandwidthMbps.rpo100', 'WAN bandwidth, RPO met 100% of the time', mbps(bandwidth.rpo100), 'Mbps', `smallest bandwidth whose per-minute fluid queue keeps the lag ≤ ${targetText} in every minute of the horizon; ${lagRule}; drain rate = bandwidth ÷ 8 ÷ (1 − ${round(workload.compression * 100, 0)}% compression); summed over links`);
  add('bandwidthMbps.rpo90', 'WAN bandwidth, RPO met 90% of the time', mbps(bandwidth.rpo90), 'Mbps', `as rpo100, but the lag may exceed ${targetText} in 10% of the minutes`);
  add('bandwidthMbps.percentile', `WAN bandwidth, ${workload.percentile}th percentile churn`, mbps(bandwidth.percentile), 'Mbps', `derived formula "delta bandwidth": ${workload.percentile}th percentile churn ${growth} × 8 × (1 − compression); the steady-state need, no RPO margin`);
  add('bandwidthMbps.initialReplication', `WAN bandwidth, initial replication within ${durationText(workload.initialReplicationGoalSeconds)}`, mbps(bandwidth.initialReplication), 'Mbps', 'Σ used bytes × 8 × (1 − compression) ÷ goal + the mean deltas of all machines');
  for (const link of plan.links) {
    if (link.impossible !== null) add(`links.${link.link.id}.rpo`, `link ${link.link.id}`, 'impossible', '', link.impossible);
    if (link.atGiven !== null) {
      const at = link.atGiven;
      add(
        `links.${link.link.id}.achievableRpo`,
        `RPO on ${link.link.id} at ${rateText(at.bitsPerSecond)}`,
        at.unbounded ? 'unbounded' : `${durationText(at.rpo100Seconds)} (90%: ${durationText(at.rpo90Seconds)})`,
        '',
        at.unbounded ? 'the link carries less than the churn over the horizon: the backlog grows without end' : `largest and 90th-percentile lag of the fluid queue at the stated bandwidth; ${at.minutesOverTarget} of ${link.arrivals.length} minutes over ${targetText}`,
      );
    }
    const ir = link.initialReplication;
    add(
      `initialReplication.${link.link.id}`,
      `initial replication on ${link.link.id}`,
      ir.seconds === null ? 'never finishes' : `${durationText(ir.seconds)} in ${ir.batches.length} batch${ir.batches.length === 1 ? '' : 'es'}`,
      '',
      ir.problem ?? `${sizeText(ir.bytes)} used data at ${rateText(ir.bitsPerSecond)} less the deltas of machines already protected; smallest machines first, a batch finishes within ${durationText(workload.initialReplicationGoalSeconds)}`,
    );
  }
  add('retentionGiB', scout ? 'retention journal' : 'recovery history storage', gib(plan.retentionBytes), 'GiB', scout ? `Σ churn a day × retention ${durationText(workload.retentionSeconds)} (row 22)` : `Σ churn a day × ${workload.hyperv.recoveryPoints} hourly recovery points ÷ 24 (row 13: churn-dependent on WS2012 R2)`);
  if (plan.hyperv !== null) hypervFigures(plan.hyperv, add);
  return figures;
}

type AddFigure = (key: string, label: string, value: number | string | null, unit: string, rule: string) => void;

function masterTargetFigures(plan: PlanParts, add: AddFigure, scout: boolean): void {
  if (!scout) {
    add('masterTargets.secondary', 'master targets, secondary site', 0, '', 'Hyper-V Replica (VMM to VMM) has no master targets: the replica Hyper-V hosts apply the logs');
    add('masterTargets.primary', 'master targets, primary site', 0, '', 'not used by Hyper-V Replica');
    return;
  }
  const describe = (mt: MasterTargetPlan) => {
    const b = mt.bounds;
    return (
      `max(disk slots ⌈${mt.totals.disks} ÷ ${mt.slotsPerMasterTarget}⌉ = ${b['disk-slots']} (60 per MT incl. its own ${60 - mt.slotsPerMasterTarget}, row 20); one per OS family = ${b['os-family']} (rule 17); ` +
      `retention ⌈${sizeText(mt.totals.retentionBytes)} ÷ ${sizeText(plan.workload.masterTarget.retentionVolumeBytes)}⌉ = ${b['retention-capacity']} (row 22); ` +
      `IOPS ⌈${Math.round(mt.totals.retentionIops)} ÷ ${plan.workload.masterTarget.retentionIops}⌉ = ${b['retention-iops']} (rows 23-24); ` +
      `packing whole machines and groups = ${b.indivisibility}); binding: ${mt.binding}`
    );
  };
  const secondary = plan.masterTargets.secondary!;
  add('masterTargets.secondary', 'master targets, secondary site', secondary.count, '', describe(secondary));
  const primary = plan.masterTargets.primary;
  if (primary === null) add('masterTargets.primary', 'master targets, primary site', 0, '', 'failback not required (rule 16: failback needs a master target at the primary site)');
  else add('masterTargets.primary', 'master targets, primary site (failback)', primary.count, '', `${describe(primary)}; retention ${durationText(primary.retentionSeconds)} of the failback policy (row 38)`);
}

function serverFigures(plan: PlanParts, add: AddFigure, scout: boolean): void {
  if (!scout) {
    add('processServers', 'process servers', 0, '', 'Hyper-V Replica has no process servers: each primary host ships its own logs');
    add('configurationServers', 'configuration servers', 0, '', 'Hyper-V Replica is managed by VMM, not a configuration server');
    add('processServerCacheGiB', 'process-server cache', null, 'GiB', 'not used by Hyper-V Replica');
    return;
  }
  const ps = plan.processServers!;
  const vcpus = [...new Set(ps.assignments.map((a) => a.vcpus))].sort((a, b) => a - b).join('/');
  const machinesRule = Number.isFinite(ps.machinesMax) ? `⌈${plan.demands.length} machines ÷ ${ps.machinesMax}⌉ = ${ps.bounds.machines} (row 27)` : 'no machine limit in the legacy table';
  add(
    'processServers',
    'process servers, primary site',
    ps.count,
    '',
    `max(⌈${decimalSizeText(ps.totalChurnBytesPerDay)}/day ÷ ${decimalSizeText(ps.churnPerDayMax)}/day⌉ = ${ps.bounds['daily-churn']} (row ${plan.workload.tiers === 'legacy' ? 25 : 27}); ${machinesRule}; one machine on one process server = ${ps.bounds.indivisibility}); ${vcpus} vCPU; binding: ${ps.binding}`,
  );
  if (plan.processServersFailback !== null) add('processServersFailback', 'process servers, secondary site (failback)', plan.processServersFailback.count, '', 'the same rule for the reverse direction: failback needs a process server on the DR side (rule 16)');
  const legacy = plan.workload.tiers === 'legacy';
  add('configurationServers', 'configuration servers', plan.configurationServers, '', `⌈${plan.demands.length} machines ÷ ${legacy ? 100 : 650}⌉ (row ${legacy ? 29 : 28})`);
  const worst = plan.processServerCaches.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  add(
    'processServerCacheGiB',
    'process-server cache (each)',
    gib(plan.processServerCacheBytes!),
    'GiB',
    `max(${legacy ? '300 GB / 600 GB / 1 TB by the tier of its churn (rows 25, 30)' : '600 GB recommended (row 30)'}, peak backlog share ÷ 70% so the cache stays above the 30% free warning (row 32)); largest: ${worst.id} with ${sizeText(worst.backlogBytes)} of backlog at the planned bandwidth`,
  );
}

function hypervFigures(hyperv: HyperVPlan, add: AddFigure): void {
  for (const volume of hyperv.volumes) {
    add(
      `hyperv.volumes.${volume.volume}.freeNeededGiB`,
      `free space on volume ${volume.volume}`,
      gib(volume.freeNeededBytes),
      'GiB',
      `max(initial replication: 100% of the VHDs of its largest batch = ${sizeText(volume.freeForInitialReplicationBytes)} (row 5), delta: 50% of ${sizeText(volume.vhdBytes)} of VHDs = ${sizeText(volume.freeForDeltaBytes)} (row 6))${volume.freeBytes === null ? '' : `; ${sizeText(volume.freeBytes)} free stated`}`,
    );
  }
  const min = hyperv.resyncDeadlineMin;
  if (min !== null) {
    add(
      'hyperv.resyncDeadlineHours',
      'resync deadline after a link loss',
      round(min.seconds / 3600, 2),
      'h',
      min.limit === 'log-threshold'
        ? `${min.machine}: (50% of its VHD size − one interval of log) ÷ churn, from the worst minute of the horizon (row 4); logs beyond that force a resync`
        : `${min.machine}: its volume's free space fills with logs first (derived formula, constrained by free space)`,
    );
  }
}

function warningsOf(plan: PlanParts): string[] {
  const warnings: string[] = [];
  const { workload } = plan;
  if (workload.provider === 'inmage-scout') {
    plan.demands.forEach((demand, i) => {
      if (demand.percentileBytesPerSecond > SCOUT_CHURN_PER_MACHINE_WARN_BYTES_PER_SECOND) warnings.push(`${demand.id}: ${round(demand.percentileBytesPerSecond / 1e6, 1)} MB/s is above the 25 MB/s per machine Scout is documented for (row 35)`);
      const disks = workload.machines[i].disks.length;
      if (demand.percentileBytesPerSecond / disks > SCOUT_CHURN_PER_DISK_WARN_BYTES_PER_SECOND) warnings.push(`${demand.id}: about ${round(demand.percentileBytesPerSecond / disks / 1e6, 1)} MB/s per disk is above the 10 MB/s per disk Scout is documented for (row 35)`);
    });
    for (const mt of [plan.masterTargets.secondary, plan.masterTargets.primary]) {
      for (const a of mt?.assignments ?? []) if (a.overCapacity) warnings.push(`${a.id} (${a.machines.join(', ')}): needs more retention capacity or IOPS than one master target has; give it a larger retention volume`);
    }
    for (const a of plan.processServers?.assignments ?? []) if (a.overCapacity) warnings.push(`${a.id} (${a.machines.join(', ')}): one machine writes more a day than a process server carries`);
  }
  for (const link of plan.links) {
    if (link.impossible !== null) warnings.push(`link ${link.link.id}: ${link.impossible}`);
    if (link.atGiven !== null && link.rpo100BitsPerSecond !== null && link.atGiven.bitsPerSecond < link.rpo100BitsPerSecond) {
      warnings.push(`link ${link.link.id}: ${rateText(link.atGiven.bitsPerSecond)} is below the ${rateText(link.rpo100BitsPerSecond)} the RPO needs 100% of the time`);
    }
    if (link.initialReplication.problem !== null) warnings.push(`link ${link.link.id}: ${link.initialReplication.problem}`);
    for (const batch of link.initialReplication.batches) if (batch.overGoal) warnings.push(`link ${link.link.id}: ${batch.machines.join(', ')} alone takes ${durationText(batch.seconds)} to replicate initially, beyond the goal`);
  }
  for (const volume of plan.hyperv?.volumes ?? []) {
    if (volume.freeBytes !== null && volume.freeBytes < volume.freeNeededBytes) warnings.push(`volume ${volume.volume}: ${sizeText(volume.freeBytes)} free, ${sizeText(volume.freeNeededBytes)} needed`);
  }
  return warnings;
}
