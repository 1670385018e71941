import { afterEach, describe, expect, it } from 'vitest';
import { hours, minutes, type Instant } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { setPlantedBug } from '../../engine/testing.js';
import { advance, hashesAtBoot, replicaEqualsSourceAt, settle, smallScoutLab } from './scout-helpers.js';

afterEach(() => setPlantedBug(null));

function protectedLab(seed: number) {
  const l = smallScoutLab(seed, { vmCount: 3 });
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  advance(l, hours(1));
  return l;
}

/** Crashes the master target's host in the middle of applies and checks what survived. */
function crashAndCheck(seed: number, kind: 'host-crash' | 'power-loss'): { exact: boolean; pointExact: boolean } {
  const l = protectedLab(seed);
  // Crash while batches are being applied: step until one is.
  for (let i = 0; i < 10_000 && !l.vms.some((vm) => l.masterTargets.get('mt-b1')!.statusOf(vm.vmId)!.applying); i++) advance(l, 7_000);
  const crashedAt = l.world.now();
  if (kind === 'host-crash') l.world.faults.hostCrash({ kind, host: 'mt-b1', restartAfter: minutes(5) });
  else l.world.faults.powerLoss({ kind, host: 'mt-b1', restartAfter: minutes(5) });
  advance(l, hours(1));
  let exact = true;
  for (const vm of l.vms) {
    expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
    settle(l, vm.vmId, 'mt-b1');
    const status = l.masterTargets.get('mt-b1')!.statusOf(vm.vmId)!;
    exact &&= l.world.now() - status.latestConsistentAt! < minutes(2) && replicaEqualsSourceAt(l, vm.vmId, 'mt-b1', status.latestConsistentAt!);
  }
  // The retention journal survived: an instant before the crash is still recovered exactly.
  const chosen = (crashedAt - minutes(20) - 77_777) as Instant;
  const boot = hashesAtBoot(l, 'vm1');
  const recovered = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', { target: { kind: 'instant', at: chosen } }, done), hours(1));
  const pointExact = recovered.ok && boot.hashes.join() === l.world.guest('vm1').truths.map((t) => t.oracle.imageHashAt(chosen)).join();
  expect(l.world.tracer.reached('mt-journal-replayed')).toBe(true);
  return { exact, pointExact };
}

describe('Scout master target crash and restart', () => {
  it('loses nothing it acknowledged after a host crash', () => {
    expect(crashAndCheck(41, 'host-crash')).toEqual({ exact: true, pointExact: true });
  });

  it('loses nothing it acknowledged after a power loss that drops the disks\u2019 write caches', () => {
    expect(crashAndCheck(42, 'power-loss')).toEqual({ exact: true, pointExact: true });
  });

  it('catches a master target that acknowledges before its writes are durable (planted bug)', () => {
    setPlantedBug('scout-ack-before-flush');
    const outcomes = [43, 44, 45].map((seed) => crashAndCheck(seed, 'power-loss'));
    expect(outcomes.some((o) => !o.exact || !o.pointExact)).toBe(true);
  });
});
