import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, seconds, type Instant } from '../../model/index.js';
import { buildHyperVLab, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';
import { validateRecoveryPlan, type PlanRun, type RecoveryPlan } from '../../engine/index.js';

function lab(vms: number): HyperVLab {
  const l = buildHyperVLab({
    seed: 5,
    topology: twoSiteHyperV({ vmCount: vms, disksPerVm: 1, diskSizeBytes: 32 * MiB, diskUsedBytes: 8 * MiB }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 512 * MiB, diurnal: 'flat' }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30 },
  });
  l.world.startGuests();
  for (const vm of l.vms) l.controller.enable(vm.vmId, () => undefined);
  l.world.run(hours(1) as number as Instant);
  return l;
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);

const threeGroups: RecoveryPlan = {
  name: 'erp',
  groups: [
    { items: ['vm1'], pre: [{ kind: 'script', name: 'stop-app-tier', duration: seconds(30) }] },
    { items: ['vm2', 'vm3'], post: [{ kind: 'manual', name: 'check the database' }] },
    { items: ['vm4'], post: [{ kind: 'script', name: 'start-web', duration: seconds(10) }] },
  ],
};

describe('recovery plans (DOMAIN.md rule 14)', () => {
  it('runs three groups in order, in parallel inside a group, and pauses on a manual action', () => {
    const l = lab(4);
    let ended: PlanRun | null = null;
    const run = l.controller.runRecoveryPlan(threeGroups, 'planned', (r) => (ended = r));
    advance(l, hours(1));
    expect(run.status()).toBe('waitingForAction'); // paused by the manual action after group 2
    expect(l.controller.stateOf('vm1').value).toBe('failedOver');
    expect(l.controller.stateOf('vm2').value).toBe('failedOver');
    expect(l.controller.stateOf('vm4').value).toBe('protected'); // group 3 waits
    expect(run.acknowledge()).toBe(true);
    advance(l, hours(1));
    expect(ended).not.toBeNull();
    expect(run.job.status).toBe('succeeded');
    expect(l.controller.stateOf('vm4').value).toBe('failedOver');
    const failovers = l.controller.jobs.all().filter((j) => j.kind === 'planned-failover');
    const byItem = new Map(failovers.map((j) => [j.target, j]));
    // Group order: every failover of group n ends before group n+1 starts.
    expect(byItem.get('vm1')!.endedAt!).toBeLessThanOrEqual(byItem.get('vm2')!.startedAt);
    expect(byItem.get('vm3')!.endedAt!).toBeLessThanOrEqual(byItem.get('vm4')!.startedAt);
    // Parallel inside a group: vm2 and vm3 overlap.
    expect(byItem.get('vm3')!.startedAt).toBeLessThan(byItem.get('vm2')!.endedAt!);
    expect(run.job.steps.map((s) => s.name)).toEqual([
      'group 1: script action stop-app-tier',
      'group 1: fail over vm1',
      'group 2: fail over vm2, vm3',
      'group 2: manual action check the database',
      'group 3: fail over vm4',
      'group 3: script action start-web',
    ]);
  });

  it('stops a planned run at the first error and lets an unplanned run go on', () => {
    const failing: RecoveryPlan = { name: 'p', groups: [{ items: ['vm1'], post: [{ kind: 'script', name: 'broken', duration: seconds(5), fails: true }] }, { items: ['vm2'] }] };
    const planned = lab(2);
    const run = planned.controller.runRecoveryPlan(failing, 'planned');
    advance(planned, hours(1));
    expect(run.job.status).toBe('failed');
    expect(planned.controller.stateOf('vm2').value).toBe('protected');

    const unplanned = lab(2);
    for (const host of ['hv-a1']) unplanned.world.faults.hostCrash({ kind: 'host-crash', host });
    const run2 = unplanned.controller.runRecoveryPlan(failing, 'unplanned');
    advance(unplanned, hours(1));
    expect(run2.job.status).toBe('failed'); // completed with errors
    expect(run2.status()).toBe('completedWithErrors');
    expect(unplanned.controller.stateOf('vm2').value).toBe('failedOver');
  });

  it('validates the limits: at most 7 groups and 100 items', () => {
    const tooMany: RecoveryPlan = { name: 'big', groups: Array.from({ length: 8 }, (_, g) => ({ items: [`vm${g}`] })) };
    expect(validateRecoveryPlan(tooMany)).toEqual(['a recovery plan has at most 7 groups, got 8']);
    const items: RecoveryPlan = { name: 'wide', groups: [{ items: Array.from({ length: 101 }, (_, i) => `vm${i}`) }] };
    expect(validateRecoveryPlan(items)).toEqual(['a recovery plan has at most 100 protected items, got 101']);
  });
});
