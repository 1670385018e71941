// The scenario file format (YAML), validated by zod. Quantities are written as a person would
// (`100Mbps`, `2TB/day`, `5m`, `200GiB`) and parsed here; defaults let a short file describe a
// realistic two-site deployment. scripts/ publishes the JSON Schema generated from this one.
import { z } from 'zod';
import { parseBandwidth, parseDuration, parsePercent, parseRate, parseSize } from './quantities.js';

const quantity = (parse: (text: string) => { ok: true; value: number } | { ok: false; error: string }, example: string) =>
  z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const parsed = parse(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.value;
  }).meta({ description: `a number or a string such as "${example}"` });

export const durationField = quantity(parseDuration, '2h30m');
export const sizeField = quantity(parseSize, '200GiB');
export const bandwidthField = quantity(parseBandwidth, '100Mbps');
export const rateField = quantity(parseRate, '2TB/day');
export const fractionField = z.union([z.number().min(0).max(1), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = parsePercent(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'ids are letters, digits, dot, dash and underscore' });

const Site = z.strictObject({ id, role: z.enum(['primary', 'secondary']) });
const Link = z.strictObject({
  id,
  between: z.tuple([id, id]),
  bandwidth: bandwidthField,
  latency: durationField.default(20_000),
  jitter: durationField.default(2_000),
});
const Host = z.strictObject({ id, site: id, cores: z.int().positive().default(8), volume: sizeField.default(2 * 1024 ** 4) });
const Disk = z.strictObject({ size: sizeField, used: fractionField.default(0.5) });
const Vm = z.strictObject({
  id,
  host: id,
  replicaHost: id.optional(),
  disks: z.array(Disk).min(1).max(16, { error: 'a VM has at most 16 disks (Hyper-V Replica with VMM)' }),
  os: z.enum(['windows', 'linux']).default('windows'),
  /** InMage Scout: the process server and master target this machine replicates through
   *  (default: the first process server at its site, master targets filled in order). */
  processServer: id.optional(),
  masterTarget: id.optional(),
});
/** Shorthand: `count` identical VMs spread round-robin over the primary hosts. */
const VmFleet = z.strictObject({
  count: z.int().positive().max(1000),
  disks: z.int().positive().max(16).default(1),
  size: sizeField,
  used: fractionField.default(0.5),
  os: z.enum(['windows', 'linux']).default('windows'),
});

const Policy = z.strictObject({
  copyFrequency: z.enum(['30s', '5m', '15m']).default('5m'),
  recoveryPoints: z.int().min(0).max(24).default(0),
  appConsistentEvery: z.union([z.literal(0), durationField]).default(0),
  compression: z.boolean().default(true),
  initialReplication: z.enum(['network-now', 'network-scheduled', 'offline-media', 'existing-vm']).default('network-now'),
  initialReplicationStartAfter: durationField.optional(),
  /** offline-media: how long the courier takes from the primary to the replica site. */
  mediaShippingTime: durationField.default(24 * 3_600_000_000),
  autoResync: z.boolean().default(true),
});

const Workload = z.strictObject({
  churn: rateField.default(20 * 1024 ** 3),
  diurnal: z.union([z.enum(['flat', 'office-hours']), z.array(z.number().nonnegative()).length(24)]).default('office-hours'),
  hotSet: fractionField.default(0.1),
  hotSetShare: fractionField.default(0.8),
  writeSizes: z.array(z.strictObject({ size: sizeField, weight: z.number().positive() })).min(1).optional(),
  bursts: z.strictObject({ every: durationField, length: durationField, multiplier: z.number().min(1) }).optional(),
  dependentWrites: fractionField.default(0),
  tick: durationField.default(60_000_000),
});

export const OPERATIONS = [
  'enable',
  'planned-failover',
  'unplanned-failover',
  'commit',
  'reverse-replicate',
  'pause',
  'resume',
  'resync',
  'shutdown-vm',
  'start-vm',
  'edit-vhd-offline',
  'test-failover',
  'test-cleanup',
  /** Hyper-V Replica: cancel a failover job still running (the item ends unprotected), or a
   *  completed unplanned failover before commit (fail over again to another point after it). */
  'cancel-failover',
  /** Hyper-V Replica: cancel a resync before its merge (back to Resync Required). */
  'cancel-resync',
] as const;

const Operation = z.strictObject({
  at: durationField,
  op: z.enum(OPERATIONS),
  vm: id,
  /** For unplanned failover: latest, or the n-th newest retained point (0 = latest). */
  point: z.union([z.literal('latest'), z.int().min(0)]).default('latest'),
  shutDownAndSync: z.boolean().default(false),
  /** InMage Scout unplanned failover: recover to this consistency tag (e.g. a group tag; a name
   *  taken more than once means its newest tag). */
  tag: z.string().min(1).optional(),
  /** InMage Scout unplanned failover: recover to this instant of the run (continuous data
   *  protection: any instant of the retention window is a crash-consistent point). */
  instant: durationField.optional(),
  /** start-vm / shutdown-vm: on the host where the VM is active, or on its old primary (the
   *  other host of its pair, where it ran before a failover). Starting it there after an
   *  unplanned failover makes a stale copy, a split brain: reverse replication must be refused
   *  until the copy is shut down. */
  on: z.enum(['active', 'old-primary']).default('active'),
  /** What the operation must do: succeed, or be refused (an operator mistake). */
  expect: z.enum(['ok', 'refused']).default('ok'),
});

/** InMage Scout: a common consistency point across a replication group (quiesce all, tag all). */
const GroupTagEvent = z.strictObject({
  at: durationField,
  groupTag: z.string().min(1),
  group: id,
  expect: z.enum(['ok', 'refused']).default('ok'),
});

/** Runs a recovery plan, or acknowledges the manual action it waits for. */
const PlanEvent = z.strictObject({
  at: durationField,
  plan: id,
  action: z.enum(['planned-failover', 'unplanned-failover', 'test-failover', 'acknowledge']),
  expect: z.enum(['ok', 'refused']).default('ok'),
});

const PlanAction = z.union([
  z.strictObject({ script: z.string(), duration: durationField.default(30_000_000), fails: z.boolean().default(false) }),
  z.strictObject({ manual: z.string() }),
]);

const RecoveryPlanSpec = z.strictObject({
  name: id,
  groups: z
    .array(z.strictObject({ vms: z.array(id).min(1), pre: z.array(PlanAction).default([]), post: z.array(PlanAction).default([]) }))
    .min(1)
    .max(7, { error: 'a recovery plan has at most 7 groups' }),
});

const FAULT_NAMES = [
  'partition',
  'clog',
  'loss',
  'duplication',
  'reordering',
  'corruption',
  'throttle',
  'host-crash',
  'power-loss',
  'latent-sector-error',
  'bit-rot',
  'clock-skew',
] as const;

const FaultEvent = z.strictObject({
  at: durationField,
  fault: z.enum(FAULT_NAMES),
  /** partition: two sites; link faults: the link id; host faults: the host id. */
  between: z.tuple([id, id]).optional(),
  direction: z.enum(['both', 'a-to-b', 'b-to-a']).default('both'),
  link: id.optional(),
  host: id.optional(),
  vm: id.optional(),
  disk: z.int().min(0).default(0),
  for: durationField.optional(),
  probability: fractionField.optional(),
  bandwidth: bandwidthField.optional(),
  offset: durationField.optional(),
  restartAfter: durationField.optional(),
});

const Knob = z.strictObject({ name: z.string(), value: z.union([z.number(), z.string(), z.boolean()]), reason: z.string().min(10, { error: 'say why the knob is overridden' }) });

const Expectations = z.strictObject({
  dataLoss: z.enum(['none', 'bounded']).default('none'),
  rpoMax: durationField.optional(),
  marks: z.array(z.string()).default([]),
  finalState: z.record(z.string(), z.enum(['unprotected', 'initialReplication', 'protected', 'paused', 'resyncRequired', 'resyncing', 'failedOver', 'failoverCancelled', 'committed'])).default({}),
  /** Liveness: after faults heal every item must be protected with RPO in target within this bound. */
  healedWithin: durationField.default(2 * 3_600_000_000),
});

const ScoutProcessServer = z.strictObject({
  id,
  /** Defaults to the first primary site. */
  site: id.optional(),
  /** The cache volume the process server buffers on when the WAN is slow or down. */
  cache: sizeField.optional(),
});
const ScoutMasterTarget = z.strictObject({
  id,
  /** Defaults to the first secondary site. */
  site: id.optional(),
  os: z.enum(['windows', 'linux']).default('windows'),
  /** Its own disks (OS, retention), counted against the 60-disk limit. */
  ownDisks: z.int().positive().default(2),
  /** Its retention volume (default: scout.retentionSize). */
  retention: sizeField.optional(),
  /** Rule 25, how the master target VM is set up (each defaults to the supported setting):
   *  snapshots, Storage vMotion, SCSI controller, disk.EnableUUID, VMFS datastores reached. */
  hasSnapshots: z.boolean().optional(),
  storageVMotion: z.boolean().optional(),
  scsiController: z.enum(['lsi-logic', 'lsi-logic-sas', 'paravirtual', 'buslogic']).optional(),
  diskEnableUuid: z.boolean().optional(),
  vmfsDatastores: z.int().min(0).optional(),
});
/** InMage Scout deployment: every field has a default, so `scout: {}` is a whole deployment
 *  (one process server at the primary site, one configuration server and as many master
 *  targets at the secondary site as the protected disks need). */
const ScoutDeployment = z.strictObject({
  configurationServer: id.default('cs-b1'),
  processServers: z.array(ScoutProcessServer).min(1).optional(),
  masterTargets: z.array(ScoutMasterTarget).min(1).optional(),
  groups: z.array(z.strictObject({ id, vms: z.array(id).min(1) })).default([]),
  /** Failback: true adds a master target at the primary site and a process server on the DR
   *  side (mt-a1, ps-b1); or name them (they must be declared above). */
  failback: z.union([z.boolean(), z.strictObject({ processServer: id, masterTarget: id })]).default(false),
  /** Process-server cache size for process servers that do not state their own. */
  cacheSize: sizeField.optional(),
  retentionWindow: durationField.default(24 * 3_600_000_000),
  retentionSize: sizeField.default(512 * 1024 ** 3),
  crashTagInterval: durationField.default(5 * 60_000_000),
  appTagInterval: z.union([z.literal(0), durationField]).default(60 * 60_000_000),
  rpoThreshold: durationField.default(15 * 60_000_000),
  /** How often the configuration server polls the servers' status. */
  pollInterval: durationField.default(60_000_000),
  /** Rule 22: automatic full resyncs run only in this daily window (times of day, `from` after
   *  `to` spans midnight); false runs them at once. A `resync` operation always starts at once. */
  resyncWindow: z
    .union([
      z.literal(false),
      z.strictObject({ from: durationField, to: durationField }).refine((w) => w.from < 24 * 3_600_000_000 && w.to < 24 * 3_600_000_000, { error: 'from and to are times of day, below 24h' }),
    ])
    .default({ from: 20 * 3_600_000_000, to: 6 * 3_600_000_000 }),
});

export const ScenarioSchema = z.strictObject({
  name: id,
  description: z.string().min(20, { error: 'describe the goal and the method of the scenario' }),
  provider: z.enum(['hyperv-replica', 'inmage-scout']).default('hyperv-replica'),
  seed: z.int().default(1),
  duration: durationField,
  blockSize: sizeField.default(64 * 1024),
  sites: z.array(Site).min(2).default([
    { id: 'primary', role: 'primary' },
    { id: 'secondary', role: 'secondary' },
  ]),
  links: z.array(Link).optional(),
  hosts: z.array(Host).optional(),
  vms: z.union([z.array(Vm).min(1), VmFleet]),
  policy: Policy.default(Policy.parse({})),
  scout: ScoutDeployment.optional(),
  workload: Workload.default(Workload.parse({})),
  timeline: z.array(z.union([Operation, FaultEvent, PlanEvent, GroupTagEvent])).default([]),
  recoveryPlans: z.array(RecoveryPlanSpec).default([]),
  randomFaults: z.strictObject({ intensity: z.number().positive(), kinds: z.union([z.literal('swarm'), z.array(z.enum(FAULT_NAMES))]).default('swarm') }).optional(),
  knobs: z.array(Knob).default([]),
  expect: Expectations.default(Expectations.parse({})),
});

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioOperation = z.output<typeof Operation>;
export type ScenarioFault = z.output<typeof FaultEvent>;

export type ScenarioPlanEvent = z.output<typeof PlanEvent>;
export type ScenarioRecoveryPlan = z.output<typeof RecoveryPlanSpec>;
export type ScenarioGroupTag = z.output<typeof GroupTagEvent>;
export type ScenarioScout = z.output<typeof ScoutDeployment>;
export type TimelineEvent = ScenarioOperation | ScenarioFault | ScenarioPlanEvent | ScenarioGroupTag;

export function isOperation(event: TimelineEvent): event is ScenarioOperation {
  return 'op' in event;
}

export function isPlanEvent(event: TimelineEvent): event is ScenarioPlanEvent {
  return 'plan' in event;
}

export function isGroupTag(event: TimelineEvent): event is ScenarioGroupTag {
  return 'groupTag' in event;
}

/** The Scout deployment section with every default filled in (a file may omit it). */
export function scoutSection(scenario: Scenario): ScenarioScout {
  return scenario.scout ?? ScoutDeployment.parse({});
}

export function isFault(event: TimelineEvent): event is ScenarioFault {
  return 'fault' in event;
}

/** The JSON Schema editors use to complete and check scenario files. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' });
}
