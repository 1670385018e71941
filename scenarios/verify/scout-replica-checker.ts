// Checks an InMage Scout run between its operations, as replica-checker.ts does for Hyper-V
// Replica: every time an agent inserts a consistency tag, each machine replicating forward whose
// master target is at rest (no batch half applied, no resync running) must hold, at its latest
// consistent point, exactly the source image of that instant. So a write the agent failed to
// capture (tracking-superset), or a pair that did not converge after a WAN outage, a crash or a
// resync, fails the run where it happens, not only if the end of the run still shows it.
//
// It listens to the world tracer's coverage marks (`tag-crash-consistent`, `tag-app-consistent`),
// so it adds no kernel event and leaves the trace hash unchanged.
import { MICROS_PER_SECOND } from '../../model/index.js';
import { matchNear } from '../checkers/image-match.js';
import type { ScenarioRun } from '../runner.js';
import type { ReplicaCheckerStats } from './replica-checker.js';

const TAG_MARKS = new Set(['tag-crash-consistent', 'tag-app-consistent']);

export class ScoutReplicaChecker {
  readonly stats: ReplicaCheckerStats = { checks: 0, afterBulk: 0 };
  private reported = false;

  constructor(private readonly run: ScenarioRun) {
    const tracer = run.world.tracer;
    const mark = tracer.mark.bind(tracer);
    tracer.mark = (name: string) => {
      mark(name);
      if (TAG_MARKS.has(name) && !this.reported) this.checkReplicas();
    };
  }

  private checkReplicas(): void {
    const { adapter, world } = this.run;
    for (const vm of adapter.vms) {
      const latest = adapter.recoveryPoints(vm.vmId).find((p) => p.kind === 'latest');
      const hashes = latest?.hashes() ?? null;
      if (latest === undefined || hashes === null) continue;
      this.stats.checks++;
      if (matchNear(world.guest(vm.vmId).truths, hashes, latest.cutAt, MICROS_PER_SECOND) !== null) continue;
      this.reported = true;
      const seconds = (micros: number) => Math.round(micros / 1000) / 1000;
      this.run.violations.push({
        invariant: 'tracking-superset',
        item: vm.vmId,
        atSeconds: seconds(world.now()),
        message: `the replica's latest consistent point (${seconds(latest.cutAt)}s) is not the source image at that instant`,
      });
      return;
    }
  }
}
