// Checks, every time a replica applies a log, that its disks hold exactly the source image at the
// log's cut instant (DESIGN.md section 5): change tracking missed no write (tracking-superset),
// the first log after a resync brings the replica back to the source (resync-converges), and
// nothing foreign, stale or reordered was applied (no-foreign-data). The runner checks failovers
// and recovery points; this checker watches the replicas in between, at every step of the run.
//
// It listens to the world tracer's coverage marks (the replica marks `log-applied` once the log
// is written, flushed and its state persisted), so it adds no kernel event and leaves the trace
// hash unchanged.
import { ReplicaSession } from '../../engine/index.js';
import { MICROS_PER_SECOND, type InvariantId, type RunViolation } from '../../model/index.js';
import { matchNear } from '../checkers/image-match.js';
import type { HyperVLab } from '../hyperv-lab.js';

/** What the checker watches and where it reports: a ScenarioRun, or a test's own lab. */
export interface CheckedRun {
  readonly lab: HyperVLab;
  readonly violations: RunViolation[];
}

const APPLY_MARKS = new Set(['log-applied', 'log-applied-app-consistent']);

export interface ReplicaCheckerStats {
  /** Applied logs whose replica image was compared with the source. */
  checks: number;
  /** Compared logs that were the first after a bulk copy (initial replication or resync). */
  afterBulk: number;
}

export class ReplicaChecker {
  readonly stats: ReplicaCheckerStats = { checks: 0, afterBulk: 0 };
  private readonly checked = new Map<string, string>();
  private reported = false;

  constructor(
    private readonly run: CheckedRun,
    /** Clock skew the scenario injects: cut instants are read on the primary's clock. */
    private readonly skewMaxMicros: number,
  ) {
    const tracer = run.lab.world.tracer;
    const mark = tracer.mark.bind(tracer);
    tracer.mark = (name: string) => {
      mark(name);
      if (APPLY_MARKS.has(name)) this.checkReplicas();
    };
  }

  private checkReplicas(): void {
    const { world, services, vms } = this.run.lab;
    for (const [host, service] of services) {
      for (const vm of vms) {
        const session = service.sessionOf(vm.vmId);
        if (!(session instanceof ReplicaSession)) continue;
        const status = session.status;
        if (status.phase !== 'receiving' || !status.bulkComplete || status.appliedCut === null) continue;
        // A replica restored in the middle of an apply has no point until the log comes again.
        if (session.history.latest?.cutAt !== status.appliedCut) continue;
        const key = `${host}/${vm.vmId}`;
        const version = `${status.generation}:${status.appliedSeq}:${status.appliedCut}`;
        if (this.checked.get(key) === version) continue;
        const firstAfterBulk = this.checked.get(key)?.split(':')[0] !== String(status.generation);
        this.checked.set(key, version);
        this.stats.checks++;
        if (firstAfterBulk) this.stats.afterBulk++;
        const guest = world.guest(vm.vmId);
        const hashes = guest.truths.map((_, i) => world.disk(vm.vmId, i, host).imageHash());
        const at = matchNear(guest.truths, hashes, status.appliedCut, this.skewMaxMicros + MICROS_PER_SECOND);
        if (at !== null) continue;
        const invariant: InvariantId = firstAfterBulk && status.generation > 1 ? 'resync-converges' : 'tracking-superset';
        this.violate(invariant, vm.vmId, `after applying log ${status.appliedSeq} (generation ${status.generation}) the replica on ${host} is not the source image at its cut ${seconds(status.appliedCut)}s`);
      }
    }
  }

  private violate(invariant: InvariantId, item: string, message: string): void {
    // One report per run is enough to fail it; later ones would only repeat the first.
    if (this.reported) return;
    this.reported = true;
    this.run.violations.push({ invariant, item, atSeconds: seconds(this.run.lab.world.now()), message });
  }
}

const seconds = (micros: number) => Math.round((micros / MICROS_PER_SECOND) * 1000) / 1000;
