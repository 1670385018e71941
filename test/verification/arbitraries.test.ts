// The experiment generators themselves (issue: verification, point 1): timelines are valid by
// construction (operations follow the statechart, mistakes are refused by it, faults sit in quiet
// windows and are all tolerated kinds), experiments are valid scenarios, swarm mode is a pure
// function of the seed, and a failing property shrinks to a minimal timeline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../../scenarios/schema.js';
import { TOLERATED_FAULT_KINDS } from '../../scenarios/tolerated-faults.js';
import { BROAD_PROFILE, experimentArbitrary, profile } from '../../scenarios/verify/arbitraries.js';
import { experimentScenario, formatExperiment, type Experiment } from '../../scenarios/verify/experiment.js';
import { OPERATOR_EVENTS, initialLifecycle, settle, step, type OperatorEvent } from '../../scenarios/verify/lifecycle-walk.js';
import { swarmExperiment } from '../../scenarios/verify/swarm.js';
import { SETTLE_MINUTES } from '../../scenarios/verify/timeline-plan.js';

const EVENT_OF = Object.fromEntries(Object.entries(OPERATOR_EVENTS).map(([event, op]) => [op, event])) as Record<string, OperatorEvent>;

/** Replays the operations on the statechart: ok ones must be enabled, refused ones not. */
function replayOnStatechart(experiment: Experiment): void {
  const vms = new Map<string, ReturnType<typeof initialLifecycle>>();
  for (let i = 1; i <= experiment.shape.vmCount; i++) vms.set(`vm${i}`, settle(step(initialLifecycle(), 'ENABLE')));
  for (const o of experiment.operations) {
    if (o.op === 'shutdown-vm' || o.op === 'start-vm') continue;
    const snapshot = vms.get(o.vm)!;
    const event = EVENT_OF[o.op];
    if (o.expect === 'refused') {
      // Refused for the world, not the statechart: the primary VM runs, or its stale copy does.
      const splitBrain = o.op === 'unplanned-failover' || (o.op === 'reverse-replicate' && o.note === 'reverse replication while the old primary runs');
      expect(splitBrain || !snapshot.can({ type: event }), `${o.op} refused at ${o.atMinutes}m`).toBe(true);
    } else {
      expect(snapshot.can({ type: event }), `${o.op} at ${o.atMinutes}m`).toBe(true);
      vms.set(o.vm, settle(step(snapshot, event)));
    }
  }
}

describe('experiment arbitraries', () => {
  it('plan timelines that are valid by construction', () => {
    fc.assert(
      fc.property(experimentArbitrary(BROAD_PROFILE), (experiment) => {
        replayOnStatechart(experiment);
        const times = experiment.operations.map((o) => o.atMinutes);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const last = times.length === 0 ? 0 : Math.max(...times);
        for (const f of experiment.faults) {
          expect(TOLERATED_FAULT_KINDS).toContain(f.fault);
          if (f.fault === 'partition') expect(f.atMinutes).toBeGreaterThanOrEqual(last);
          // A timed fault is over well before the next operation meets the deployment.
          const next = times.find((t) => t > f.atMinutes);
          const crashStyle = f.fault === 'host-crash' && experiment.operations.some((o) => o.op === 'unplanned-failover' && o.atMinutes === f.atMinutes + 2);
          if (next !== undefined && f.forMinutes !== undefined && !crashStyle) expect(f.atMinutes + f.forMinutes).toBeLessThanOrEqual(next - SETTLE_MINUTES);
          expect(f.atMinutes).toBeLessThan(experiment.durationMinutes);
        }
        expect(() => ScenarioSchema.parse(experimentScenario(experiment))).not.toThrow();
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('derive swarm experiments from the seed alone', () => {
    expect(swarmExperiment(42)).toEqual(swarmExperiment(42));
    expect(swarmExperiment(42)).not.toEqual(swarmExperiment(43));
    expect(swarmExperiment(42).seed).toBe(42);
  });

  it('shrink a failure to a minimal timeline', () => {
    // A stand-in property that fails as soon as a failback appears: the counterexample must
    // shrink to the shortest walk that reaches one.
    const details = fc.check(
      fc.property(experimentArbitrary(profile('shrink', { faults: [0, 4], steps: [0, 8] })), (e) => !e.operations.some((o) => o.note === 'failback')),
      { seed: 5, numRuns: 500 },
    );
    expect(details.failed).toBe(true);
    const [minimal] = details.counterexample!;
    expect(minimal.operations.map((o) => o.op)).toEqual(['planned-failover', 'commit', 'reverse-replicate', 'planned-failover']);
    expect(minimal.faults).toEqual([]);
    expect(minimal.shape).toMatchObject({ vmCount: 1, disksPerVm: 1 });
    expect(formatExperiment(minimal)).toMatch(/planned-failover vm1 \(failback\)/);
  });
});
