// A guest beside the protected one: the guest of a test VM ("<name> - Test", DOMAIN.md rule 8),
// booted from the disks the engine hands over (differencing disks over a recovery point), or a
// stale copy of the VM started on its old primary host after an unplanned failover (split
// brain). It writes to its disks with its own workload. Every id it writes is remembered, so a
// checker can prove none of a test VM's ever reaches a replica or a primary disk
// (test-failover-isolation), and that reverse replication erases a stale copy's.
//
// Fault model: none of its own; it dies with its host.
import type { BlockDevice } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { RandomStream } from '../random.js';
import { SymbolicPayload, type WriteIdAllocator } from '../disk/index.js';
import { WorkloadGenerator, type WorkloadProfile, type WriteSink } from '../workload/index.js';

export class TestGuest implements WriteSink {
  private readonly generator: WorkloadGenerator;
  private alive = true;
  writes = 0;

  constructor(
    readonly vmId: string,
    /** The name the generator reports, e.g. "vm1 - Test". */
    label: string,
    kernel: Kernel,
    random: RandomStream,
    private readonly writeIds: WriteIdAllocator,
    private readonly disks: readonly BlockDevice[],
    profile: WorkloadProfile,
    tick: number,
    private readonly writtenIds: Set<number>,
  ) {
    this.generator = new WorkloadGenerator(
      kernel,
      random,
      { vmId: label, disks: disks.map((d, i) => ({ diskIndex: i, blockCount: d.blockCount, blockSizeBytes: d.blockSizeBytes })) },
      profile,
      tick as never,
      this,
    );
    this.generator.start();
  }

  write(disk: number, start: number, count: number, done: (ok: boolean) => void): void {
    if (!this.alive) return;
    const first = this.writeIds.nextRange(count);
    const ids = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      ids[i] = first + i;
      this.writtenIds.add(first + i);
    }
    this.writes++;
    this.disks[disk].write(start, new SymbolicPayload(ids), (result) => {
      if (this.alive) done(result.ok);
    });
  }

  stop(): void {
    this.alive = false;
    this.generator.stop();
  }
}
