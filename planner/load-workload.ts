// Loading a workload file: YAML syntax, the schema, then the checks a schema cannot express (a
// machine too large for any master target, a replication group that cannot be kept on one, an
// unknown profile or link, a peak the diurnal shape cannot reach, a bad CSV series). Every error
// names file, line and column; nothing is planned unless the whole file is valid.
import { nearMiss, type OsFamily } from '../model/index.js';
import { errorAt, InputErrors, parseYaml, validateYaml, type InputError, type ParsedYaml } from '../scenarios/index.js';
import { parseCsvSeries, type CsvSeries } from './csv-series.js';
import { HYPERV_DISKS_PER_VM_MAX, MASTER_TARGET_DISK_SLOTS } from './rules.js';
import { WorkloadSchema, type ChurnSpec, type MachineSpec, type ParametricChurnSpec, type SeriesChurnSpec, type WorkloadFile } from './workload-schema.js';
import type { DiskChurn, PlannedDisk, PlannedMachine, Workload } from './workload.js';

/** How the loader reads a CSV series named in the file (the cli resolves it beside the file). */
export type SeriesReader = (path: string) => { ok: true; file: string; text: string } | { ok: false; error: string };

const OFFICE_HOURS = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.2, 2, 2, 2, 1.8, 2, 2, 2, 2, 1.6, 1, 0.6, 0.4, 0.3, 0.2, 0.2];
type Path = (string | number)[];

export function loadWorkload(file: string, text: string, readSeries: SeriesReader): Workload {
  const parsed = parseYaml(file, text);
  const spec = validateYaml(parsed, WorkloadSchema);
  const loader = new WorkloadLoader(parsed, spec, readSeries);
  const machines = loader.machines();
  if (loader.errors.length > 0) throw new InputErrors(loader.errors);
  return {
    file,
    name: spec.name,
    description: spec.description ?? '',
    provider: spec.provider,
    rpoSeconds: spec.rpo / 1e6,
    growth: spec.growth,
    percentile: spec.percentile,
    initialReplicationGoalSeconds: spec.initialReplicationGoal / 1e6,
    failback: spec.failback,
    retentionSeconds: spec.retention / 1e6,
    compression: spec.compression,
    tiers: spec.tiers,
    links: spec.links.map((l) => ({ id: l.id, bandwidthBitsPerSecond: l.bandwidth ?? null, latencySeconds: l.latency / 1e6 })),
    masterTarget: { ownDisks: spec.masterTarget.ownDisks, retentionVolumeBytes: spec.masterTarget.retentionVolume, retentionIops: spec.masterTarget.retentionIops },
    hyperv: {
      copyFrequencySeconds: ({ '30s': 30, '5m': 300, '15m': 900 } as const)[spec.hyperv.copyFrequency],
      recoveryPoints: spec.hyperv.recoveryPoints,
      volumes: new Map(spec.hyperv.volumes.map((v) => [v.id, v.free])),
    },
    simulation: { enabled: spec.simulation.enabled, seeds: spec.simulation.seeds, sampleMachines: spec.simulation.sampleMachines, blockSizeBytes: spec.simulation.blockSize },
    machines,
  };
}

class WorkloadLoader {
  readonly errors: InputError[] = [];
  private readonly csvCache = new Map<string, CsvSeries | null>();
  private readonly resolvedProfiles = new Map<string, DiskChurn | null>();

  constructor(
    private readonly parsed: ParsedYaml,
    private readonly spec: WorkloadFile,
    private readonly readSeries: SeriesReader,
  ) {}

  private at(path: Path, message: string): void {
    this.errors.push(errorAt(this.parsed, path, message));
  }

  machines(): PlannedMachine[] {
    const spec = this.spec;
    this.checkNames();
    const machines: PlannedMachine[] = [];
    const linkIds = new Set(spec.links.map((l) => l.id));
    const volumeIds = new Set(spec.hyperv.volumes.map((v) => v.id));
    spec.machines.forEach((machine, i) => {
      const path: Path = ['machines', i];
      if (machine.link !== undefined && !linkIds.has(machine.link)) this.at([...path, 'link'], `unknown link "${machine.link}"${nearMiss(machine.link, linkIds)}`);
      if (machine.volume !== undefined && volumeIds.size > 0 && !volumeIds.has(machine.volume)) this.at([...path, 'volume'], `unknown volume "${machine.volume}"${nearMiss(machine.volume, volumeIds)}`);
      const disks = this.disks(machine, path);
      if (disks === null) return;
      this.checkDiskCount(machine, disks.length, path);
      for (let n = 1; n <= machine.count; n++) {
        machines.push({
          id: machine.count === 1 ? machine.name : `${machine.name}-${String(n).padStart(String(machine.count).length < 3 ? 3 : String(machine.count).length, '0')}`,
          os: machine.os,
          group: machine.group ?? null,
          link: machine.link ?? spec.links[0].id,
          volume: machine.volume ?? 'default',
          writeSizeBytes: machine.writeSize,
          disks,
        });
      }
    });
    if (this.errors.length === 0) this.checkGroups();
    return machines;
  }

  private checkNames(): void {
    const seen = new Map<string, number>();
    this.spec.machines.forEach((machine, i) => {
      if (seen.has(machine.name)) this.at(['machines', i, 'name'], `duplicate machine name "${machine.name}" (also machines[${seen.get(machine.name)}])`);
      seen.set(machine.name, i);
    });
  }

  private ownDisks(): number {
    return this.spec.masterTarget.ownDisks;
  }

  /** A machine is never split across master targets (rule 17), and a VM has at most 16 VHDs (row 14). */
  private checkDiskCount(machine: MachineSpec, count: number, path: Path): void {
    const diskPath = [...path, 'disks'];
    if (this.spec.provider === 'inmage-scout') {
      const room = MASTER_TARGET_DISK_SLOTS - this.ownDisks();
      if (count > room) {
        this.at(
          diskPath,
          `machine "${machine.name}" has ${count} disks, but a master target holds at most ${MASTER_TARGET_DISK_SLOTS} disks including its own ${this.ownDisks()} (OS and retention), ` +
            `so one machine can bring at most ${room}; a machine is never split across master targets (DOMAIN.md rule 17, row 20)`,
        );
      }
    } else if (count > HYPERV_DISKS_PER_VM_MAX) {
      this.at(diskPath, `machine "${machine.name}" has ${count} disks, but ASR VMM to VMM protects at most ${HYPERV_DISKS_PER_VM_MAX} virtual disks per VM (DOMAIN.md row 14)`);
    }
  }

  /** A replication group sits on one master target, which serves one OS family (rule 17). */
  private checkGroups(): void {
    if (this.spec.provider !== 'inmage-scout') return;
    const groups = new Map<string, { os: Set<OsFamily>; disks: number; first: number }>();
    this.spec.machines.forEach((machine, i) => {
      if (machine.group === undefined) return;
      const group = groups.get(machine.group) ?? { os: new Set<OsFamily>(), disks: 0, first: i };
      groups.set(machine.group, group);
      group.disks += machine.count * diskCount(machine);
      if (group.os.size > 0 && !group.os.has(machine.os)) {
        this.at(['machines', i, 'os'], `replication group "${machine.group}" mixes ${[...group.os].join(' and ')} with ${machine.os}: a group is kept on one master target, and a master target serves one OS family (DOMAIN.md rule 17)`);
      }
      group.os.add(machine.os);
    });
    const room = MASTER_TARGET_DISK_SLOTS - this.ownDisks();
    for (const [name, group] of groups) {
      if (group.disks > room) {
        this.at(['machines', group.first, 'group'], `replication group "${name}" has ${group.disks} disks, more than the ${room} one master target can take besides its own ${this.ownDisks()}; a group is never split across master targets (DOMAIN.md rule 17, row 20)`);
      }
    }
  }

  private disks(machine: MachineSpec, path: Path): PlannedDisk[] | null {
    const list = Array.isArray(machine.disks)
      ? machine.disks.map((disk, j) => ({ disk, churnPath: [...path, 'disks', j, 'churn'] }))
      : Array.from({ length: machine.disks.count }, () => ({ disk: machine.disks as Exclude<MachineSpec['disks'], unknown[]>, churnPath: [...path, 'disks', 'churn'] }));
    const disks: PlannedDisk[] = [];
    for (const { disk, churnPath } of list) {
      const churn = this.churn(disk.churn, churnPath);
      if (churn === null) return null;
      disks.push({ sizeBytes: disk.size, usedBytes: Math.round(disk.size * disk.used), churn });
    }
    return disks;
  }

  private churn(spec: ChurnSpec, path: Path): DiskChurn | null {
    if (typeof spec === 'string') return this.profile(spec, path);
    if ('series' in spec) return this.series(spec, path);
    return this.parametric(spec, path);
  }

  private profile(name: string, path: Path): DiskChurn | null {
    const profiles = this.spec.profiles;
    if (!(name in profiles)) {
      this.at(path, `unknown churn profile "${name}"${nearMiss(name, Object.keys(profiles))}${Object.keys(profiles).length > 0 ? ` (profiles: ${Object.keys(profiles).join(', ')})` : ': define it under profiles'}`);
      return null;
    }
    if (!this.resolvedProfiles.has(name)) {
      const spec = profiles[name];
      const profilePath = ['profiles', name];
      this.resolvedProfiles.set(name, 'series' in spec ? this.series(spec, profilePath) : this.parametric(spec, profilePath));
    }
    return this.resolvedProfiles.get(name)!;
  }

  private parametric(spec: ParametricChurnSpec, path: Path): DiskChurn | null {
    const raw = spec.diurnal === 'flat' ? new Array<number>(24).fill(1) : spec.diurnal === 'office-hours' ? OFFICE_HOURS : spec.diurnal;
    const sum = raw.reduce((a, b) => a + b, 0);
    if (sum === 0) {
      this.at([...path, 'diurnal'], 'the 24 hourly weights must not all be zero');
      return null;
    }
    let weights = raw.map((w) => (w * 24) / sum);
    if (spec.peak !== undefined) {
      const stretched = stretchToPeak(weights, spec.peak / Math.max(spec.mean, 1e-9));
      if (typeof stretched === 'string') {
        this.at([...path, 'peak'], stretched);
        return null;
      }
      weights = stretched;
    }
    const bursts = spec.bursts === undefined ? null : { everySeconds: spec.bursts.every / 1e6, lengthSeconds: spec.bursts.length / 1e6, multiplier: spec.bursts.multiplier };
    if (bursts !== null && (bursts.everySeconds < 60 || bursts.lengthSeconds < 60)) {
      this.at([...path, 'bursts'], 'bursts are planned per minute: every and length must be at least 1m');
      return null;
    }
    return { kind: 'parametric', meanBytesPerDay: spec.mean, weights, bursts, hotSet: spec.hotSet ?? null, hotSetShare: spec.hotSetShare ?? null };
  }

  private series(spec: SeriesChurnSpec, path: Path): DiskChurn | null {
    const csv = this.csv(spec.series, [...path, 'series']);
    if (csv === null) return null;
    const column = spec.column ?? csv.firstColumn;
    const values = csv.columns.get(column);
    if (values === undefined) {
      this.at([...path, 'column'], `${csv.file} has no column "${column}"${nearMiss(column, csv.columns.keys())} (columns: ${[...csv.columns.keys()].join(', ')})`);
      return null;
    }
    const scaled = spec.scale === 1 ? values : values.map((v) => v * spec.scale);
    return { kind: 'series', source: `${csv.file}#${column}`, bytesPerSecond: scaled };
  }

  private csv(name: string, path: Path): CsvSeries | null {
    if (!this.csvCache.has(name)) {
      const read = this.readSeries(name);
      if (!read.ok) {
        this.at(path, `cannot read the churn series "${name}": ${read.error}`);
        this.csvCache.set(name, null);
      } else {
        const result = parseCsvSeries(read.file, read.text);
        if (result.ok) this.csvCache.set(name, result.series);
        else {
          this.errors.push(...result.errors);
          this.csvCache.set(name, null);
        }
      }
    }
    return this.csvCache.get(name)!;
  }
}

function diskCount(machine: MachineSpec): number {
  return Array.isArray(machine.disks) ? machine.disks.length : machine.disks.count;
}

/**
 * Stretches a shape (mean 1) about its mean so that its busiest hour is `ratio` times the mean:
 * w' = 1 + (w - 1)(ratio - 1)/(max - 1). The mean, and so the daily churn, is unchanged.
 */
export function stretchToPeak(weights: readonly number[], ratio: number): number[] | string {
  const max = Math.max(...weights);
  const min = Math.min(...weights);
  if (ratio < 1 - 1e-9) return `the peak must be at least the mean (peak ÷ mean = ${ratio.toFixed(2)})`;
  if (max - 1 < 1e-9) {
    if (ratio - 1 < 1e-9) return [...weights];
    return 'a flat diurnal shape has no peak hour: use office-hours or 24 hourly weights, or drop peak';
  }
  const factor = (ratio - 1) / (max - 1);
  const limit = 1 + (max - 1) / (1 - min);
  if (min < 1 && 1 + (min - 1) * factor < -1e-9) {
    return `this diurnal shape reaches at most ${limit.toFixed(2)}× its mean without negative hours, got ${ratio.toFixed(2)}×: give 24 hourly weights instead`;
  }
  return weights.map((w) => Math.max(0, 1 + (w - 1) * factor));
}
