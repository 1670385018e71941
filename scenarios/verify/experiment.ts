// One whole experiment as data: topology, policy, workload, a timeline of operations and faults,
// and the seed of the simulated world. Property tests generate and shrink experiments; swarm mode
// derives one from a seed; either way the experiment becomes an ordinary Scenario (so that
// ScenarioRun runs it exactly like a scenario file) and prints as a short timeline.
import { MICROS_PER_SECOND } from '../../model/index.js';
import { ScenarioSchema, type Scenario, type ScenarioInput, type ScenarioOperation } from '../schema.js';

export type CopyFrequency = '30s' | '5m' | '15m';
export type InitialReplication = 'network-now' | 'network-scheduled' | 'existing-vm';

export interface ExperimentShape {
  readonly vmCount: number;
  readonly disksPerVm: number;
  readonly diskSizeMiB: number;
  /** Share of each disk holding data at the start, in percent. */
  readonly usedPercent: number;
  readonly bandwidthMbps: number;
}

export interface ExperimentPolicy {
  readonly copyFrequency: CopyFrequency;
  readonly recoveryPoints: number;
  /** Every how many hours a recovery point is app-consistent (0: never). */
  readonly appConsistentHours: number;
  readonly compression: boolean;
  readonly initialReplication: InitialReplication;
  /** For network-scheduled initial replication. */
  readonly initialDelayMinutes: number;
}

export interface ExperimentWorkload {
  /** Bytes each VM writes a day, as a percentage of its disks' total size (small disks must not
   *  outgrow the log limit, half the VHD size, within one copy interval). */
  readonly churnPercentPerDay: number;
  readonly diurnal: 'flat' | 'office-hours';
  readonly hotSetPercent: number;
  readonly hotSetSharePercent: number;
  readonly bursts: boolean;
  readonly dependentWritesPercent: number;
}

/** An operation at a minute of simulated time (the scenario operation, in minutes). */
export interface ExperimentOperation {
  readonly atMinutes: number;
  readonly op: ScenarioOperation['op'];
  readonly vm: string;
  readonly point?: 'latest' | number;
  readonly shutDownAndSync?: boolean;
  readonly expect: 'ok' | 'refused';
  /** InMage Scout unplanned failover: recover to this consistency tag (a group tag). */
  readonly tag?: string;
  /** start-vm / shutdown-vm on the VM's old primary (a stale copy: split brain). */
  readonly on?: 'old-primary';
  /** Why this operation is there (for the timeline): 'failback', 'commit without failover'... */
  readonly note?: string;
}

export type ExperimentFaultKind =
  | 'partition'
  | 'clog'
  | 'loss'
  | 'duplication'
  | 'reordering'
  | 'corruption'
  | 'throttle'
  | 'host-crash'
  | 'power-loss'
  | 'clock-skew';

export interface ExperimentFault {
  readonly atMinutes: number;
  readonly fault: ExperimentFaultKind;
  readonly host?: string;
  readonly forMinutes?: number;
  readonly probabilityPercent?: number;
  readonly bandwidthMbps?: number;
  /** reordering: the longest extra delay; clock-skew: the signed offset. */
  readonly offsetSeconds?: number;
  readonly restartAfterMinutes?: number;
  readonly direction?: 'both' | 'a-to-b' | 'b-to-a';
}

/** What an experiment of either provider has. */
export interface ExperimentBase {
  readonly name: string;
  /** The world's seed: workload, network jitter, loss draws... */
  readonly seed: number;
  readonly shape: ExperimentShape;
  readonly workload: ExperimentWorkload;
  readonly durationMinutes: number;
  readonly operations: readonly ExperimentOperation[];
  readonly faults: readonly ExperimentFault[];
  /** Lifecycle state each VM must end in when it is not `protected` (then RPO is checked). */
  readonly finalStates: Readonly<Record<string, string>>;
  readonly expectDataLoss: 'none' | 'bounded';
}

export interface Experiment extends ExperimentBase {
  /** Hyper-V Replica (the default); an InMage Scout experiment is a ScoutExperiment. */
  readonly provider?: 'hyperv-replica';
  readonly policy: ExperimentPolicy;
}

export const MINUTE = 60 * MICROS_PER_SECOND;
export const PRIMARY_HOST = 'hv-a1';
export const SECONDARY_HOST = 'hv-b1';

/** The experiment as a scenario, validated by the scenario schema. */
export function experimentScenario(experiment: Experiment): Scenario {
  const { shape, policy, workload } = experiment;
  const input: ScenarioInput = {
    ...scenarioBase(experiment, `generated experiment: ${experiment.operations.length} operations and ${experiment.faults.length} faults on ${shape.vmCount} VMs`),
    policy: {
      copyFrequency: policy.copyFrequency,
      recoveryPoints: policy.recoveryPoints,
      appConsistentEvery: policy.appConsistentHours === 0 || policy.recoveryPoints === 0 ? 0 : policy.appConsistentHours * 60 * MINUTE,
      compression: policy.compression,
      initialReplication: policy.initialReplication,
      ...(policy.initialReplication === 'network-scheduled' ? { initialReplicationStartAfter: policy.initialDelayMinutes * MINUTE } : {}),
      autoResync: true,
    },
    workload: workloadInput(shape, workload),
    timeline: [...experiment.operations.map(operationEvent), ...experiment.faults.map((f) => faultEvent(f, PRIMARY_HOST))],
    expect: { dataLoss: experiment.expectDataLoss, finalState: experiment.finalStates as never },
  };
  return ScenarioSchema.parse(input);
}

type TimelineInput = NonNullable<ScenarioInput['timeline']>[number];

/** What the scenario of either provider's experiment starts with: name, seed, length, block
 *  size, the WAN and the machines. */
export function scenarioBase(experiment: Pick<Experiment, 'name' | 'seed' | 'durationMinutes' | 'shape'>, description: string): Pick<ScenarioInput, 'name' | 'description' | 'seed' | 'duration' | 'blockSize' | 'links' | 'vms'> {
  const { shape } = experiment;
  return {
    name: experiment.name,
    description,
    seed: experiment.seed,
    duration: experiment.durationMinutes * MINUTE,
    blockSize: 4096,
    links: [{ id: 'wan', between: ['primary', 'secondary'], bandwidth: shape.bandwidthMbps * 1e6 }],
    vms: { count: shape.vmCount, disks: shape.disksPerVm, size: shape.diskSizeMiB * 1024 * 1024, used: shape.usedPercent / 100 },
  };
}

/** The scenario workload of an experiment's workload on its shape (both providers). */
export function workloadInput(shape: ExperimentShape, workload: ExperimentWorkload): NonNullable<ScenarioInput['workload']> {
  return {
    churn: Math.round((workload.churnPercentPerDay / 100) * shape.disksPerVm * shape.diskSizeMiB * 1024 * 1024),
    diurnal: workload.diurnal,
    hotSet: workload.hotSetPercent / 100,
    hotSetShare: workload.hotSetSharePercent / 100,
    ...(workload.bursts ? { bursts: { every: 90 * MINUTE, length: 10 * MINUTE, multiplier: 4 } } : {}),
    dependentWrites: workload.dependentWritesPercent / 100,
    tick: MINUTE,
  };
}

export function operationEvent(o: ExperimentOperation): TimelineInput {
  return {
    at: o.atMinutes * MINUTE,
    op: o.op,
    vm: o.vm,
    point: o.point ?? 'latest',
    shutDownAndSync: o.shutDownAndSync ?? false,
    ...(o.tag !== undefined ? { tag: o.tag } : {}),
    ...(o.on !== undefined ? { on: o.on } : {}),
    expect: o.expect,
  };
}

/** A fault as a scenario timeline event; host faults without a host go to `defaultHost`. */
export function faultEvent(f: ExperimentFault, defaultHost: string): TimelineInput {
  const at = f.atMinutes * MINUTE;
  const forMicros = (f.forMinutes ?? 10) * MINUTE;
  const probability = (f.probabilityPercent ?? 10) / 100;
  switch (f.fault) {
    case 'partition':
      return { at, fault: 'partition', between: ['primary', 'secondary'], direction: f.direction ?? 'both' };
    case 'clog':
      return { at, fault: 'clog', link: 'wan', for: forMicros };
    case 'loss':
    case 'duplication':
    case 'corruption':
      return { at, fault: f.fault, link: 'wan', for: forMicros, probability };
    case 'reordering':
      return { at, fault: 'reordering', link: 'wan', for: forMicros, probability, offset: (f.offsetSeconds ?? 5) * MICROS_PER_SECOND };
    case 'throttle':
      return { at, fault: 'throttle', link: 'wan', for: forMicros, bandwidth: (f.bandwidthMbps ?? 1) * 1e6 };
    case 'host-crash':
    case 'power-loss':
      return { at, fault: f.fault, host: f.host ?? defaultHost, ...(f.restartAfterMinutes !== undefined ? { restartAfter: f.restartAfterMinutes * MINUTE } : {}) };
    case 'clock-skew':
      return { at, fault: 'clock-skew', host: f.host ?? defaultHost, offset: Math.round((f.offsetSeconds ?? 30) * MICROS_PER_SECOND) };
  }
}

/** The largest clock skew the experiment injects, in microseconds (checkers allow for it). */
export function skewMaxMicros(experiment: Experiment): number {
  let skew = 0;
  for (const f of experiment.faults) if (f.fault === 'clock-skew') skew = Math.max(skew, Math.abs(f.offsetSeconds ?? 30) * MICROS_PER_SECOND);
  return skew;
}

// --- the timeline a person reads ---------------------------------------------------------------

const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(Math.round(minutes % 60)).padStart(2, '0')}`;

export const topologyLine = (shape: ExperimentShape): string =>
  `  topology: ${shape.vmCount} VM x ${shape.disksPerVm} disk x ${shape.diskSizeMiB} MiB (${shape.usedPercent}% used), wan ${shape.bandwidthMbps} Mbps`;

export const workloadLine = (workload: ExperimentWorkload): string =>
  `  workload: ${workload.churnPercentPerDay}% of the disks a day, ${workload.diurnal}, hot set ${workload.hotSetPercent}% takes ${workload.hotSetSharePercent}%${workload.bursts ? ', bursts' : ''}${workload.dependentWritesPercent > 0 ? `, ${workload.dependentWritesPercent}% dependent writes` : ''}`;

function describeFault(f: ExperimentFault, defaultHost: string): string {
  const span = f.forMinutes !== undefined ? ` for ${f.forMinutes}m` : '';
  switch (f.fault) {
    case 'partition':
      return `partition primary|secondary (${f.direction ?? 'both'}) until the faults heal`;
    case 'loss':
    case 'duplication':
    case 'corruption':
      return `${f.fault} ${f.probabilityPercent ?? 10}% on wan${span}`;
    case 'reordering':
      return `reordering ${f.probabilityPercent ?? 10}% up to ${f.offsetSeconds ?? 5}s on wan${span}`;
    case 'throttle':
      return `throttle wan to ${f.bandwidthMbps ?? 1} Mbps${span}`;
    case 'clog':
      return `clog wan${span}`;
    case 'host-crash':
    case 'power-loss':
      return `${f.fault} ${f.host ?? defaultHost}${f.restartAfterMinutes !== undefined ? `, restart after ${f.restartAfterMinutes}m` : ', restart when the faults heal'}`;
    case 'clock-skew':
      return `clock-skew ${f.host ?? defaultHost} by ${f.offsetSeconds ?? 30}s`;
  }
}

function describeOperation(o: ExperimentOperation): string {
  const options = [
    o.point !== undefined && o.point !== 'latest' ? `point ${o.point}` : '',
    o.shutDownAndSync ? 'shut down and sync' : '',
    o.tag !== undefined ? `tag ${o.tag}` : '',
    o.on !== undefined ? `on the ${o.on.replace('-', ' ')}` : '',
    o.note ?? '',
  ].filter((s) => s !== '');
  return `${o.op} ${o.vm}${options.length > 0 ? ` (${options.join(', ')})` : ''}${o.expect === 'refused' ? ' -> must be refused' : ''}`;
}

/** The experiment as a few lines: the knobs, then one line per operation or fault, in time order. */
export function formatExperiment(experiment: Experiment): string {
  const { shape, policy, workload } = experiment;
  const head = [
    `experiment ${experiment.name} seed ${experiment.seed}, ${experiment.durationMinutes}m simulated`,
    topologyLine(shape),
    `  policy: copy every ${policy.copyFrequency}, ${policy.recoveryPoints} recovery points, app-consistent every ${policy.appConsistentHours}h, compression ${policy.compression ? 'on' : 'off'}, initial ${policy.initialReplication}${policy.initialReplication === 'network-scheduled' ? ` after ${policy.initialDelayMinutes}m` : ''}`,
    workloadLine(workload),
  ];
  return [...head, ...timelineLines(experiment, PRIMARY_HOST)].join('\n');
}

/** Something else on the timeline (an InMage Scout group tag), already described. */
export interface TimelineNote {
  readonly atMinutes: number;
  readonly text: string;
}

/** The timeline of either provider's experiment: one line per operation, fault or note in time
 *  order, then what the run must end with. */
export function timelineLines(
  experiment: Pick<Experiment, 'operations' | 'faults' | 'finalStates' | 'expectDataLoss'>,
  defaultHost: string,
  notes: readonly TimelineNote[] = [],
): string[] {
  const events = [
    ...experiment.operations.map((o, i) => ({ at: o.atMinutes, order: i, text: describeOperation(o) })),
    ...notes.map((n, i) => ({ at: n.atMinutes, order: 500 + i, text: n.text })),
    ...experiment.faults.map((f, i) => ({ at: f.atMinutes, order: 1000 + i, text: `fault ${describeFault(f, defaultHost)}` })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);
  const lines = events.map((e) => `  ${clock(e.at)}  ${e.text}`);
  const final = Object.entries(experiment.finalStates).map(([vm, state]) => `${vm} ${state}`);
  return [...(lines.length > 0 ? lines : ['  (no operations, no faults)']), `  expect: data loss ${experiment.expectDataLoss}${final.length > 0 ? `, final ${final.join(', ')}` : ''}`];
}
