// The workload file of `lab plan` (YAML), validated by zod with the same quantity fields as
// scenario files (`100Mbps`, `8GiB/day`, `15m`, `30%`). It states what is protected (machines,
// their disks and churn), over what (WAN links), with which provider and for which objectives.
import { z } from 'zod';
import { bandwidthField, durationField, fractionField, rateField, sizeField } from '../scenarios/index.js';
import {
  COMPRESSION_DEFAULT,
  GROWTH_DEFAULT,
  INITIAL_REPLICATION_GOAL_DEFAULT_SECONDS,
  MASTER_TARGET_OWN_DISKS_DEFAULT,
  PERCENTILE_DEFAULT,
  RETENTION_VOLUME_BYTES_DEFAULT,
  RETENTION_VOLUME_IOPS_DEFAULT,
  RPO_TARGET_DEFAULT_SECONDS,
} from './rules.js';

const MICROS = 1_000_000;
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'names are letters, digits, dot, dash and underscore' });

const Bursts = z.strictObject({ every: durationField, length: durationField, multiplier: z.number().min(1) });

/** Churn of one disk described by parameters: the mean, optionally the diurnal peak, shape and bursts. */
const ParametricChurn = z.strictObject({
  mean: rateField,
  /** The rate at the busiest hour of the diurnal shape (bursts excluded); stretches the shape. */
  peak: rateField.optional(),
  diurnal: z.union([z.enum(['flat', 'office-hours']), z.array(z.number().nonnegative()).length(24)]).default('office-hours'),
  bursts: Bursts.optional(),
  hotSet: fractionField.optional(),
  hotSetShare: fractionField.optional(),
});

/** Churn of one disk measured per minute, from a CSV file (MB/s, one row a minute). */
const SeriesChurn = z.strictObject({
  series: z.string().min(1),
  column: z.string().min(1).optional(),
  /** Multiplies every value of the series (a copy of a measured disk at another size). */
  scale: z.number().positive().default(1),
});

const Churn = z.union([id, ParametricChurn, SeriesChurn]);

const DiskList = z.array(z.strictObject({ size: sizeField, used: fractionField.default(0.5), churn: Churn })).min(1);
const DiskFleet = z.strictObject({ count: z.int().positive(), size: sizeField, used: fractionField.default(0.5), churn: Churn });

const Machine = z.strictObject({
  name: id,
  /** Identical machines named <name>-001, <name>-002, ... */
  count: z.int().positive().max(100_000).default(1),
  os: z.enum(['windows', 'linux']).default('windows'),
  disks: z.union([DiskFleet, DiskList]),
  /** Machines of one replication group share one master target and are never split. */
  group: id.optional(),
  link: id.optional(),
  /** Hyper-V Replica: the primary host volume that holds the VHDs and their logs. */
  volume: id.optional(),
  writeSize: sizeField.default(8 * 1024),
});

const Link = z.strictObject({ id, bandwidth: bandwidthField.optional(), latency: durationField.default(20_000) });

const MasterTarget = z.strictObject({
  ownDisks: z.int().min(1).max(59).default(MASTER_TARGET_OWN_DISKS_DEFAULT),
  retentionVolume: sizeField.default(RETENTION_VOLUME_BYTES_DEFAULT),
  retentionIops: z.number().positive().default(RETENTION_VOLUME_IOPS_DEFAULT),
});

const HyperV = z.strictObject({
  copyFrequency: z.enum(['30s', '5m', '15m']).default('5m'),
  recoveryPoints: z.int().min(0).max(24).default(0),
  volumes: z.array(z.strictObject({ id, free: sizeField })).default([]),
});

const Simulation = z.strictObject({
  enabled: z.boolean().default(true),
  seeds: z.int().min(1).max(20).default(3),
  /** Machines simulated per master target (Scout) or in all (Hyper-V Replica). */
  sampleMachines: z.int().min(1).max(200).default(8),
  blockSize: sizeField.default(1024 * 1024),
});

export const WorkloadSchema = z.strictObject({
  name: id,
  description: z.string().optional(),
  provider: z.enum(['inmage-scout', 'hyperv-replica']),
  rpo: durationField.default(RPO_TARGET_DEFAULT_SECONDS * MICROS),
  growth: fractionField.default(GROWTH_DEFAULT),
  percentile: z.number().min(50).max(100).default(PERCENTILE_DEFAULT),
  initialReplicationGoal: durationField.default(INITIAL_REPLICATION_GOAL_DEFAULT_SECONDS * MICROS),
  failback: z.boolean().default(false),
  retention: durationField.default(24 * 3600 * MICROS),
  compression: fractionField.default(COMPRESSION_DEFAULT),
  tiers: z.enum(['current', 'legacy']).default('current'),
  links: z.array(Link).min(1).default([{ id: 'wan', latency: 20_000 }]),
  masterTarget: MasterTarget.default(MasterTarget.parse({})),
  hyperv: HyperV.default(HyperV.parse({})),
  simulation: Simulation.default(Simulation.parse({})),
  profiles: z.record(id, z.union([ParametricChurn, SeriesChurn])).default({}),
  machines: z.array(Machine).min(1),
});

export type WorkloadFile = z.output<typeof WorkloadSchema>;
export type ChurnSpec = z.output<typeof Churn>;
export type ParametricChurnSpec = z.output<typeof ParametricChurn>;
export type SeriesChurnSpec = z.output<typeof SeriesChurn>;
export type MachineSpec = z.output<typeof Machine>;

/** The JSON Schema editors use to complete and check workload files. */
export function workloadJsonSchema(): unknown {
  return z.toJSONSchema(WorkloadSchema, { io: 'input', unrepresentable: 'any' });
}
