// Cancel semantics of Hyper-V Replica (DOMAIN.md rules 7, 10, 11), checked against the guest
// truth's oracle: a cancelled unplanned failover leaves the replica exactly as before it, so a
// second failover to an older point is exact; a failover job cancelled in flight leaves the item
// unprotected until enabled again; a cancelled resync goes back to Resync Required and the next
// resync converges from zero.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, millis, minutes, seconds, type HyperVReplicaPolicy, type Instant } from '../../model/index.js';
import type { PrimarySession, ReplicaSession, OperationResult } from '../../engine/index.js';
import { contentOf, matchingInstant } from '../../scenarios/checkers/image-match.js';
import { buildHyperVLab, runOperation, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { ScenarioRun, loadScenario } from '../../scenarios/index.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';

const VM = 'vm1';
const COPY_SECONDS = 30;

function lab(seed: number, options: { autoResync?: boolean; policy?: Partial<HyperVReplicaPolicy> } = {}): HyperVLab {
  const l = buildHyperVLab({
    seed,
    topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 2, diskSizeBytes: 16 * MiB, diskUsedBytes: 4 * MiB, bandwidthBitsPerSecond: 20e6 }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 512 * MiB, diurnal: 'flat' }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: COPY_SECONDS, additionalRecoveryPoints: 4, ...options.policy },
    autoResync: options.autoResync ?? true,
  });
  l.world.startGuests();
  expect(run(l, (done) => l.controller.enable(VM, done))).toMatchObject({ ok: true });
  return l;
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);
const run = (l: HyperVLab, start: (done: (result: OperationResult) => void) => void) => runOperation(l, start, hours(1));
const sessionOn = (l: HyperVLab, host: string) => l.services.get(host)!.sessionOf(VM);
const replicaOn = (l: HyperVLab, host: string) => sessionOn(l, host) as ReplicaSession;
const diskHashes = (l: HyperVLab, host: string) => l.world.guest(VM).truths.map((_, i) => l.world.disk(VM, i, host).imageHash());
const truthHashesAt = (l: HyperVLab, at: number) => l.world.guest(VM).truths.map((truth) => truth.oracle.imageHashAt(at));

function shutDownPrimary(l: HyperVLab): void {
  let answered = false;
  l.world.management.request('hv-a1', 'hvr', { op: 'shutdown-vm', vmId: VM }, () => (answered = true));
  while (!answered) advance(l, seconds(1));
}

/** Records the disk hashes when the VM boots on `host`, then makes that image the guest's truth
 *  (it sees the recovered image from then on), as the scenario runner does. */
function watchBoot(l: HyperVLab, host: string): { hashes: string[] | null } {
  const seen: { hashes: string[] | null } = { hashes: null };
  const guest = l.world.guest(VM);
  guest.onStart = (started, on) => {
    if (on !== host) return;
    guest.onStart = null;
    seen.hashes = diskHashes(l, host);
    started.truths.forEach((truth, i) => truth.rebase(l.world.now(), contentOf(l.world.disk(VM, i, host))));
  };
  return seen;
}

describe('cancel an unplanned failover before commit (rule 10)', () => {
  it('cancels a failover to the latest point, fails over again to an older point exactly, commits and reverses', () => {
    const l = lab(31);
    advance(l, hours(4) + minutes(20));
    const points = replicaOn(l, 'hv-b1').history.points();
    expect(points.length).toBeGreaterThanOrEqual(4);
    const latest = points[points.length - 1];
    const older = points[points.length - 3];
    const latestImage = diskHashes(l, 'hv-b1');
    expect(latestImage).toEqual(truthHashesAt(l, latest.cutAt)); // the replica is the latest point

    // The disaster: the primary stops; fail over to the latest point.
    shutDownPrimary(l);
    const failedAt = l.world.now();
    const firstBoot = watchBoot(l, 'hv-b1');
    expect(run(l, (done) => l.controller.unplannedFailover(VM, {}, done))).toMatchObject({ ok: true });
    expect(firstBoot.hashes).toEqual(truthHashesAt(l, latest.cutAt));
    expect(failedAt - latest.cutAt).toBeLessThanOrEqual(seconds(2 * COPY_SECONDS + 5)); // loss within the policy bound
    advance(l, minutes(10)); // the failed-over VM writes on its layer
    expect(diskHashes(l, 'hv-b1')).not.toEqual(latestImage);

    // Cancel: the VM goes off and every change since the failover is discarded.
    const cancelled = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(cancelled).toMatchObject({ ok: true, job: { kind: 'cancel-failover', status: 'succeeded' } });
    expect(l.controller.stateOf(VM).value).toBe('failoverCancelled');
    expect(l.world.guest(VM).runningOn).toBeNull();
    expect(diskHashes(l, 'hv-b1')).toEqual(latestImage);
    expect(replicaOn(l, 'hv-b1').history.points()).toEqual(points); // the history survived
    expect(l.world.tracer.reached('failover-cancelled')).toBe(true);

    // A second failover to an older point: exactly the source image at that point's cut.
    const secondBoot = watchBoot(l, 'hv-b1');
    expect(run(l, (done) => l.controller.unplannedFailover(VM, { pointId: older.id }, done))).toMatchObject({ ok: true });
    expect(secondBoot.hashes).toEqual(truthHashesAt(l, older.cutAt));
    expect(l.world.tracer.reached('failover-chosen-point')).toBe(true);

    // Commit merges the layer and keeps only the point failed over to; cancel is refused now.
    expect(run(l, (done) => l.controller.commit(VM, done))).toMatchObject({ ok: true });
    expect(replicaOn(l, 'hv-b1').history.points().map((p) => p.id)).toEqual([older.id]);
    expect(l.world.tracer.reached('failover-layer-merged')).toBe(true);
    const late = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(late).toMatchObject({ ok: false, job: null });
    expect(late.ok ? '' : late.error).toMatch(/cancel-failover is not allowed while vm1 is committed/);

    // Reverse replication: the old primary converges to the running VM, within the policy bound.
    expect(run(l, (done) => l.controller.reverseReplicate(VM, done))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf(VM)).toMatchObject({ value: 'protected', direction: 'reverse' });
    const now = l.world.now();
    const bound = seconds(2 * COPY_SECONDS + 5);
    expect(matchingInstant(l.world.guest(VM).truths, diskHashes(l, 'hv-a1'), now - bound, now)).not.toBeNull();
  });

  it('refuses to cancel a completed planned failover', () => {
    const l = lab(32);
    advance(l, hours(1));
    expect(run(l, (done) => l.controller.plannedFailover(VM, done))).toMatchObject({ ok: true });
    const refused = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(refused.ok ? '' : refused.error).toMatch(/cancel-failover is not allowed while vm1 is failedOver/);
    expect(l.controller.stateOf(VM).value).toBe('failedOver');
    expect(l.world.guest(VM).runningOn).toBe('hv-b1');
  });

  it('a commit while the replica host is down fails and stays to be retried; the retry after its restart commits', () => {
    const l = lab(33);
    advance(l, hours(2));
    shutDownPrimary(l);
    expect(run(l, (done) => l.controller.unplannedFailover(VM, {}, done))).toMatchObject({ ok: true });
    l.world.faults.hostCrash({ kind: 'host-crash', host: 'hv-b1', restartAfter: minutes(10) });
    const refused = run(l, (done) => l.controller.commit(VM, done));
    expect(refused).toMatchObject({ ok: false, job: { kind: 'commit', status: 'failed' } });
    expect(refused.ok ? '' : refused.error).toMatch(/host hv-b1: host-down/);
    expect(l.controller.stateOf(VM).value).toBe('failedOver'); // not committed: the portal says so
    advance(l, minutes(15)); // the host is back; its session is still failed over (durably)
    expect(run(l, (done) => l.controller.commit(VM, done))).toMatchObject({ ok: true, job: { kind: 'commit', status: 'succeeded' } });
    expect(replicaOn(l, 'hv-b1').history.points()).toHaveLength(1);
  });
});

describe('cancel a failover job in progress (rule 11)', () => {
  it('cancelling a planned failover during its final sync leaves the VM unreplicated; enabling again protects it', () => {
    const l = lab(33);
    advance(l, hours(1));
    // The WAN clogs: the final log cannot reach the replica, so the job waits in its final sync.
    l.world.applyFaults([{ at: l.world.now(), fault: { kind: 'clog', link: 'wan', duration: minutes(30) } }]);
    let planned: OperationResult | null = null;
    l.controller.plannedFailover(VM, (result) => (planned = result));
    const job = l.controller.jobs.all().at(-1)!;
    while (job.steps.at(-1)?.name !== 'send the final changes') advance(l, seconds(1));
    advance(l, seconds(30));
    expect(job.status).toBe('in-progress');

    const cancelled = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(cancelled).toMatchObject({ ok: true, job: { kind: 'cancel-failover-job', status: 'succeeded' } });
    expect(planned).toMatchObject({ ok: false, job: { status: 'cancelled' } });
    expect(job.steps.at(-1)).toMatchObject({ name: 'send the final changes', status: 'cancelled' });
    expect(l.controller.stateOf(VM)).toMatchObject({ value: 'unprotected', busy: false, direction: 'forward' });
    expect([sessionOn(l, 'hv-a1'), sessionOn(l, 'hv-b1')]).toEqual([undefined, undefined]);
    expect(l.world.guest(VM).runningOn).toBeNull();
    expect(l.world.tracer.reached('failover-job-cancelled')).toBe(true);
    advance(l, minutes(40)); // the clog ends; nothing replicates
    expect(l.controller.stateOf(VM).value).toBe('unprotected');
    expect(job.status).toBe('cancelled');

    // Re-enable: the VM starts on the primary again and initial replication protects it.
    l.world.management.request('hv-a1', 'hvr', { op: 'start-vm', vmId: VM }, () => undefined);
    expect(run(l, (done) => l.controller.enable(VM, done))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf(VM).value).toBe('protected');
    const replica = replicaOn(l, 'hv-b1');
    expect(diskHashes(l, 'hv-b1')).toEqual(truthHashesAt(l, replica.status.appliedCut!));
  });

  it('cancelling an unplanned failover before the replica failed over leaves the replica untouched and unprotected', () => {
    const l = lab(34);
    advance(l, hours(1));
    shutDownPrimary(l);
    advance(l, minutes(1));
    const before = diskHashes(l, 'hv-b1');
    let unplanned: OperationResult | null = null;
    l.controller.unplannedFailover(VM, {}, (result) => (unplanned = result));
    const cancelled = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(cancelled).toMatchObject({ ok: true });
    expect(unplanned).toMatchObject({ ok: false, job: { kind: 'unplanned-failover', status: 'cancelled' } });
    advance(l, minutes(10));
    expect(l.controller.stateOf(VM).value).toBe('unprotected');
    expect(l.world.guest(VM).runningOn).toBeNull();
    expect(diskHashes(l, 'hv-b1')).toEqual(before);
  });

  it('refuses to cancel a failover job once the replica has failed over', () => {
    const l = lab(35);
    advance(l, hours(1));
    shutDownPrimary(l);
    let unplanned: OperationResult | null = null;
    l.controller.unplannedFailover(VM, {}, (result) => (unplanned = result));
    const job = l.controller.jobs.all().at(-1)!;
    while (job.steps.at(-1)?.name !== 'start the replica VM') advance(l, millis(100));
    const refused = run(l, (done) => l.controller.cancelFailover(VM, done));
    expect(refused.ok ? '' : refused.error).toMatch(/point of no return/);
    advance(l, minutes(2));
    expect(unplanned).toMatchObject({ ok: true });
    expect(l.controller.stateOf(VM).value).toBe('failedOver');
  });
});

describe('cancel a resync (rule 7)', () => {
  it('returns to Resync Required, holds automatic resync, and the next resync starts from zero and converges', () => {
    const l = lab(36);
    advance(l, hours(1));
    // A primary host crash leaves the log not closed cleanly: resync required, then automatic.
    l.world.applyFaults([{ at: l.world.now(), fault: { kind: 'host-crash', host: 'hv-a1', restartAfter: minutes(1) } }]);
    let waited = 0;
    while (l.controller.stateOf(VM).value !== 'resyncing' && waited++ < 600) advance(l, seconds(5));
    expect(l.controller.stateOf(VM).value).toBe('resyncing');
    l.world.applyFaults([{ at: l.world.now(), fault: { kind: 'clog', link: 'wan', duration: minutes(10) } }]);
    const primary = sessionOn(l, 'hv-a1') as PrimarySession;
    const generation = replicaOn(l, 'hv-b1').status.generation;

    const cancelled = run(l, (done) => l.controller.cancelResync(VM, done));
    expect(cancelled).toMatchObject({ ok: true, job: { kind: 'cancel-resync' } });
    expect(l.controller.stateOf(VM).value).toBe('resyncRequired');
    expect(primary.currentPhase).toBe('resync-required');
    expect(l.world.tracer.reached('resync-cancelled')).toBe(true);
    advance(l, minutes(20));
    expect(l.controller.stateOf(VM).value).toBe('resyncRequired'); // automatic resync holds off
    const again = run(l, (done) => l.controller.cancelResync(VM, done));
    expect(again.ok ? '' : again.error).toMatch(/cancel-resync is not allowed while vm1 is resyncRequired/);

    expect(run(l, (done) => l.controller.resync(VM, done))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf(VM).value).toBe('protected');
    const replica = replicaOn(l, 'hv-b1');
    expect(replica.status.generation).toBeGreaterThan(generation);
    expect(diskHashes(l, 'hv-b1')).toEqual(truthHashesAt(l, replica.status.appliedCut!));
  });
});

describe('cancel operations in scenarios', () => {
  it('inmage-scout refuses them cleanly, as a later event', () => {
    const text = [
      'name: scout-cancel-refused',
      'description: InMage Scout has no cancel of a failover or a resync; both are refused.',
      'provider: inmage-scout',
      'duration: 40m',
      'blockSize: 4KiB',
      'vms: { count: 1, size: 16MiB, used: 25% }',
      'workload: { churn: 256MiB/day, diurnal: flat }',
      'timeline:',
      '  - { at: 30m, op: cancel-failover, vm: vm1, expect: refused }',
      '  - { at: 31m, op: cancel-resync, vm: vm1, expect: refused }',
    ].join('\n');
    const scenario = loadScenario('scout-cancel-refused.yaml', text);
    const answers: string[] = [];
    const runner = new ScenarioRun(scenario);
    const record = runner.run();
    expect(record.violations).toEqual([]);
    runner.adapter.cancelFailover('vm1', (r) => answers.push(r.ok ? 'ok' : r.error));
    runner.adapter.cancelResync('vm1', (r) => answers.push(r.ok ? 'ok' : r.error));
    expect(answers).toEqual([]); // never re-entrant
    runner.world.run((runner.world.now() + seconds(1)) as Instant);
    expect(answers).toEqual(['cancel-failover is not supported by inmage-scout', 'cancel-resync is not supported by inmage-scout']);
  });
});
