import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rootStream } from '../../sim/random.js';
import { applicableFaultKinds, randomFaultPlan, swarmFaultKinds } from '../../sim/faults/random-fault-plan.js';
import { validateFaultPlan, type FaultUniverse } from '../../sim/faults/validate-fault-plan.js';
import { FAULT_KINDS, type FaultKind } from '../../sim/faults/fault.js';
import { hours } from '../../model/index.js';

const scout: FaultUniverse = {
  sites: ['primary', 'secondary', 'branch'],
  links: ['primary-secondary', 'branch-secondary'],
  hosts: ['esx1', 'esx2', 'mt1'],
  disks: [
    { id: 'vm1/0', blockCount: 1000 },
    { id: 'vm1/1', blockCount: 1 },
  ],
  processServers: ['ps1'],
  items: ['vm1', 'vm2'],
};
const hyperv: FaultUniverse = { sites: ['primary', 'secondary'], links: ['wan'], hosts: ['hv1', 'hv2'], disks: [{ id: 'vm1/0', blockCount: 64 }] };

const universe = fc.record({
  sites: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 }),
  links: fc.uniqueArray(fc.constantFrom('l1', 'l2'), { maxLength: 2 }),
  hosts: fc.uniqueArray(fc.constantFrom('h1', 'h2', 'h3'), { maxLength: 3 }),
  disks: fc.uniqueArray(fc.record({ id: fc.constantFrom('d1', 'd2', 'd3'), blockCount: fc.integer({ min: 1, max: 10_000 }) }), { maxLength: 3, selector: (d) => d.id }),
  processServers: fc.uniqueArray(fc.constantFrom('ps1', 'ps2'), { maxLength: 2 }),
  items: fc.uniqueArray(fc.constantFrom('vm1', 'vm2'), { maxLength: 2 }),
});

describe('randomFaultPlan', () => {
  it('draws the same plan for the same seed and another plan for another seed', () => {
    const draw = (seed: number) => randomFaultPlan(rootStream(seed).fork('faults'), { horizon: hours(6), kinds: 'swarm', intensity: 4, known: scout });
    const a = draw(1);
    expect(a.length).toBeGreaterThan(5);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
  });

  it('draws only valid, sorted plans inside the horizon, whatever the seed and the topology', () => {
    fc.assert(
      fc.property(fc.integer(), universe, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: hours(1) }), (seed, known, intensity, start) => {
        const horizon = hours(3);
        const plan = randomFaultPlan(rootStream(seed), { horizon, kinds: 'swarm', intensity, known, start: start as never });
        expect(validateFaultPlan(plan, known)).toEqual([]);
        for (const { at } of plan) {
          expect(at).toBeGreaterThanOrEqual(start);
          expect(at).toBeLessThanOrEqual(start + horizon);
        }
        const kinds = new Set(plan.map(({ fault }) => fault.kind));
        for (const kind of kinds) if (kind !== 'heal') expect(applicableFaultKinds(known)).toContain(kind);
      }),
      { numRuns: 200 },
    );
  });

  it('draws only the listed kinds, closes every partition with a heal, and follows the intensity', () => {
    const kinds: FaultKind[] = ['partition', 'clog', 'ps-cache-loss'];
    const plan = randomFaultPlan(rootStream(3), { horizon: hours(100), kinds, intensity: 2, known: hyperv });
    const drawn = plan.filter(({ fault }) => fault.kind !== 'heal');
    expect(new Set(drawn.map(({ fault }) => fault.kind))).toEqual(new Set(['partition', 'clog']));
    expect(Math.abs(drawn.length / 200 - 1)).toBeLessThan(0.2);
    const partitions = plan.filter(({ fault }) => fault.kind === 'partition').length;
    expect(plan.filter(({ fault }) => fault.kind === 'heal')).toHaveLength(partitions);
    expect(randomFaultPlan(rootStream(3), { horizon: hours(10), kinds, intensity: 0, known: hyperv })).toEqual([]);
  });

  it('in swarm mode enables a seed-dependent subset of the applicable kinds', () => {
    const subsets = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const enabled = swarmFaultKinds(rootStream(seed), scout);
      expect(enabled.length).toBeGreaterThan(0);
      for (const kind of enabled) expect(applicableFaultKinds(scout)).toContain(kind);
      subsets.add(enabled.join(','));
    }
    expect(subsets.size).toBeGreaterThan(10);
    expect(applicableFaultKinds(scout)).toEqual(FAULT_KINDS.filter((kind) => kind !== 'heal' && kind !== 'host-restart'));
    expect(applicableFaultKinds(hyperv)).not.toContain('ps-cache-loss');
    expect(applicableFaultKinds(hyperv)).not.toContain('operator-mistake');
  });
});
