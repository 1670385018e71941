// Scout test failover: a test copy boots from a chosen tag at the replica site on an isolated
// network while replication goes on; the copy sees exactly the source image of the tag, its
// writes never reach the replica, the primary or the retention journal, and cleanup discards it.
import { describe, expect, it } from 'vitest';
import { hours, minutes, type Instant } from '../../model/index.js';
import { runScoutOperation, type ScoutLab } from '../../scenarios/scout-lab.js';
import { SymbolicPayload, type VirtualDisk } from '../../sim/index.js';
import { retentionVolumeId, type BlockDevice, type Payload } from '../../engine/index.js';
import { advance, hashesAtBoot, replicaEqualsSourceAt, settle, smallScoutLab } from './scout-helpers.js';

function protectedLab(seed: number): ScoutLab {
  const l = smallScoutLab(seed);
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  advance(l, hours(2));
  for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
  return l;
}

/** Every block of `disk` as the test VM sees it now (read through its differencing layer). */
function readAll(l: ScoutLab, disk: BlockDevice): Uint32Array {
  let content: Payload | null = null;
  disk.read(0, disk.blockCount, (result) => {
    expect(result.ok).toBe(true);
    if (result.ok) content = result.value;
  });
  while (content === null) advance(l, 1_000_000);
  expect(content).toBeInstanceOf(SymbolicPayload);
  return (content as SymbolicPayload).ids;
}

/** Blocks of the test copy that differ from the source image at `at`, the test VM's own writes
 *  left out. */
function differingFromSource(l: ScoutLab, vmId: string, disks: readonly BlockDevice[], at: number): number {
  let differing = 0;
  disks.forEach((disk, i) => {
    const ids = readAll(l, disk);
    const oracle = l.world.guest(vmId).truths[i].oracle;
    for (let b = 0; b < ids.length; b++) if (!l.world.testWriteIds.has(ids[b]) && ids[b] !== oracle.idAt(b, at)) differing++;
  });
  return differing;
}

function testWritesOn(disks: Iterable<VirtualDisk>, testIds: ReadonlySet<number>): number {
  let found = 0;
  for (const disk of disks) for (const [, id] of disk.writtenBlocks()) if (testIds.has(id)) found++;
  return found;
}

describe('Scout test failover', () => {
  it('boots a test copy at a chosen tag while replication goes on, and cleanup discards it', () => {
    const l = protectedLab(31);
    const mt = l.masterTargets.get('mt-b1')!;
    const tags = mt.tagsOf('vm1');
    const chosen = tags[tags.length - 3];
    const started = runScoutOperation(l, (done) => l.controller.testFailover('vm1', { target: { kind: 'tag', name: chosen.name } }, done), hours(1));
    expect(started).toMatchObject({ ok: true });
    expect(started.job!.facts).toMatchObject({ recoveredAt: chosen.at, tag: chosen.name });
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: true });
    // One test at a time per machine.
    expect(runScoutOperation(l, (done) => l.controller.testFailover('vm1', {}, done), minutes(5))).toMatchObject({ ok: false });

    const before = mt.statusOf('vm1')!;
    advance(l, minutes(45));
    const during = mt.statusOf('vm1')!;
    expect(during.batchesApplied).toBeGreaterThan(before.batchesApplied); // replication goes on
    expect(during.latestConsistentAt!).toBeGreaterThan(before.latestConsistentAt!);
    expect(l.world.testGuests.get('vm1')!.writes).toBeGreaterThan(0);

    const disks = mt.testDisksOf('vm1')!;
    expect(disks).not.toBeNull();
    // The copy is the source image of the tag, although the replica under it moved on.
    expect(differingFromSource(l, 'vm1', disks, chosen.at)).toBe(0);
    const changedSince = l.world.guest('vm1').truths.some((truth) => truth.oracle.imageHashAt(chosen.at) !== truth.imageHash());
    expect(changedSince).toBe(true);
    expect(testWritesOn(l.world.disks.values(), l.world.testWriteIds)).toBe(0); // test-failover-isolation

    expect(runScoutOperation(l, (done) => l.controller.testCleanup('vm1', done), minutes(5))).toMatchObject({ ok: true });
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: false });
    expect(mt.testDisksOf('vm1')).toBeNull();
    expect(l.world.testGuests.has('vm1')).toBe(false);
    expect(l.world.tracer.reached('scout-test-failover-tag')).toBe(true);
    expect(l.world.tracer.reached('scout-test-failover-cleaned-up')).toBe(true);

    // The production replica and the retention journal are untouched: the replica is exact at its
    // newest consistent instant, and recovering to the tag the test used is exact too.
    settle(l, 'vm1', 'mt-b1');
    expect(replicaEqualsSourceAt(l, 'vm1', 'mt-b1', mt.statusOf('vm1')!.latestConsistentAt!)).toBe(true);
    expect(mt.journalIndexOf('vm1')).not.toBeNull();
    const sourceAtTag = l.world.guest('vm1').truths.map((truth) => truth.oracle.imageHashAt(chosen.at));
    const boot = hashesAtBoot(l, 'vm1');
    expect(runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', { target: { kind: 'tag', name: chosen.name } }, done), hours(1))).toMatchObject({ ok: true });
    expect(boot.hashes).toEqual(sourceAtTag);
    expect(testWritesOn(l.world.disks.values(), l.world.testWriteIds)).toBe(0);
  });

  it('cleans a running test up before a failover leaves protection', () => {
    const l = protectedLab(32);
    expect(runScoutOperation(l, (done) => l.controller.testFailover('vm2', { network: 'none' }, done), hours(1))).toMatchObject({ ok: true });
    advance(l, minutes(10));
    const boot = hashesAtBoot(l, 'vm2');
    const failover = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm2', { target: { kind: 'latest' } }, done), hours(1));
    expect(failover).toMatchObject({ ok: true });
    expect(failover.job!.steps[0].name).toBe('clean up the running test failover');
    expect(l.world.testGuests.has('vm2')).toBe(false);
    expect(boot.host).toBe('mt-b1');
    expect(l.controller.stateOf('vm2').value).toBe('failedOver');
    expect(l.world.tracer.reached('test-failover-cleaned-up-before-leaving-protected')).toBe(true);
    expect(l.world.tracer.reached('scout-test-failover-latest-tag')).toBe(true);
  });

  it('refuses a test failover to a tag that does not exist, and before protection', () => {
    const l = smallScoutLab(33);
    l.world.startGuests();
    expect(runScoutOperation(l, (done) => l.controller.testFailover('vm1', {}, done), minutes(5))).toMatchObject({ ok: false });
    for (const vm of l.vms) runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1));
    advance(l, hours(2));
    const refused = runScoutOperation(l, (done) => l.controller.testFailover('vm1', { target: { kind: 'tag', name: 'no-such-tag' } }, done), minutes(5));
    expect(refused.ok ? '' : refused.error).toMatch(/no tag "no-such-tag"/);
    expect(l.controller.stateOf('vm1').testing).toBe(false);
    expect((l.world.now() as Instant) > 0).toBe(true);
  });
});

describe('Scout test failover and a damaged retention volume', () => {
  it('fails the test failover (an operating error, not a crash) and replication goes on', () => {
    const l = protectedLab(33);
    const tags = l.masterTargets.get('mt-b1')!.tagsOf('vm1');
    const volume = l.world.disks.get(retentionVolumeId('mt-b1'))!;
    for (const [block] of volume.writtenBlocks()) volume.injectLatentSectorError(block);
    const started = runScoutOperation(l, (done) => l.controller.testFailover('vm1', { target: { kind: 'tag', name: tags[0].name } }, done), hours(1));
    expect(started.ok).toBe(false);
    expect(started.ok ? '' : started.error).toMatch(/retention volume of mt-b1 could not be read \(media-error\)/);
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: false });
    expect(l.world.testGuests.has('vm1')).toBe(false);
    const applied = l.masterTargets.get('mt-b1')!.statusOf('vm1')!.batchesApplied;
    advance(l, hours(1));
    expect(l.masterTargets.get('mt-b1')!.statusOf('vm1')!.batchesApplied).toBeGreaterThan(applied);
  });
});
