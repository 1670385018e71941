import { afterEach, describe, expect, it } from 'vitest';
import { hours, minutes, type Instant } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { setPlantedBug } from '../../engine/testing.js';
import { advance, hashesAtBoot, smallScoutLab } from './scout-helpers.js';

function replicatingLab(seed: number) {
  const l = smallScoutLab(seed, { vmCount: 3, groupSize: 3 });
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  advance(l, hours(3));
  for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
  return l;
}

const sourceAt = (l: ReturnType<typeof smallScoutLab>, vmId: string, at: number) => l.world.guest(vmId).truths.map((truth) => truth.oracle.imageHashAt(at));

afterEach(() => setPlantedBug(null));

describe('Scout recovery (vContinuum recover)', () => {
  it('recovers to the latest tag: the booted image is the source image at the tag, exactly', () => {
    const l = replicatingLab(11);
    const tags = l.masterTargets.get('mt-b1')!.tagsOf('vm1');
    expect(tags.length).toBeGreaterThan(10);
    const boot = hashesAtBoot(l, 'vm1');
    const result = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', { target: { kind: 'latest-tag' } }, done), hours(1));
    expect(result).toMatchObject({ ok: true });
    const recoveredAt = result.job!.facts.recoveredAt as Instant;
    expect(result.job!.facts.tag).toBe(tags[tags.length - 1].name);
    expect(boot.host).toBe('mt-b1');
    expect(boot.hashes).toEqual(sourceAt(l, 'vm1', recoveredAt));
    expect(l.world.guest('vm1').runningOn).toBe('mt-b1');
    expect(l.controller.stateOf('vm1').value).toBe('failedOver');
    expect(l.world.tracer.reached('recovered-latest-tag')).toBe(true);
  });

  it('recovers to a chosen instant inside the retention window, exactly', () => {
    const l = replicatingLab(12);
    const chosen = (l.world.now() - minutes(97) - 123_457) as Instant; // not a tag, not a batch edge
    const boot = hashesAtBoot(l, 'vm2');
    const result = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm2', { target: { kind: 'instant', at: chosen } }, done), hours(1));
    expect(result).toMatchObject({ ok: true });
    expect(result.job!.facts.recoveredAt).toBe(chosen);
    expect(boot.hashes).toEqual(sourceAt(l, 'vm2', chosen));
    // ...and the image differs from the newest one: the roll-back really happened.
    expect(boot.hashes).not.toEqual(sourceAt(l, 'vm2', l.world.now()));
  });

  it('refuses an instant before the protection became consistent', () => {
    const l = replicatingLab(13);
    const result = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm3', { target: { kind: 'instant', at: 1 as Instant } }, done), hours(1));
    expect(result).toMatchObject({ ok: false });
    expect(l.controller.stateOf('vm3').value).toBe('protected');
  });

  it('takes a common consistency point across a replication group and recovers each member to it', () => {
    const l = replicatingLab(14);
    let outcome: unknown = null;
    l.controller.groupTag(['vm1', 'vm2', 'vm3'], 'quarter-end', (r) => (outcome = r));
    advance(l, minutes(5));
    expect(outcome).toMatchObject({ ok: true });
    const instants = (outcome as unknown as { instants: Record<string, Instant> }).instants;
    for (const vmId of ['vm1', 'vm2', 'vm3']) {
      const boot = hashesAtBoot(l, vmId);
      const result = runScoutOperation(l, (done) => l.controller.unplannedFailover(vmId, { target: { kind: 'tag', name: 'quarter-end' } }, done), hours(1));
      expect(result).toMatchObject({ ok: true });
      expect(boot.hashes).toEqual(sourceAt(l, vmId, instants[vmId]));
      // Every member was held by a quiesce from before its tag: the tag's image is the quiesced one.
      const quiesced = l.world.guest(vmId).quiesceInstants.filter((q) => q <= instants[vmId]).pop()!;
      expect(instants[vmId] - quiesced).toBeLessThan(minutes(1));
      expect(sourceAt(l, vmId, quiesced)).toEqual(sourceAt(l, vmId, instants[vmId]));
    }
    expect(l.world.tracer.reached('tag-group-common')).toBe(true);
  });

  it('catches a master target that skips the retention undo (planted bug)', () => {
    setPlantedBug('scout-skip-retention-undo');
    const l = replicatingLab(12);
    const chosen = (l.world.now() - minutes(97) - 123_457) as Instant;
    const boot = hashesAtBoot(l, 'vm2');
    const result = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm2', { target: { kind: 'instant', at: chosen } }, done), hours(1));
    expect(result).toMatchObject({ ok: true });
    expect(boot.hashes).not.toEqual(sourceAt(l, 'vm2', chosen));
  });
});
