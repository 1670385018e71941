// Self-test of the harness (issue: verification, point 6): every planted engine bug must be
// caught by a valid property within the default budget (30 experiments), and the shrunk,
// minimal timeline is shown in the test output and saved to test-output/planted/<bug>.txt. Each
// profile only narrows the space to where the bug can show; the property is the ordinary one
// (verdict pass with every checker), and the counterexample must pass once the bug is off, so a
// detection always means the bug.
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PLANTED_BUGS, setPlantedBug, type PlantedBug } from '../../engine/testing.js';
import { experimentArbitrary, profile, type ExperimentProfile } from '../../scenarios/verify/arbitraries.js';
import type { ProviderExperiment } from '../../scenarios/verify/provider-experiment.js';
import { counterexampleReport, experimentProperty, propertyParameters } from '../../scenarios/verify/property.js';
import { runExperiment } from '../../scenarios/verify/run-experiment.js';
import { scoutExperimentArbitrary, scoutProfile, type ScoutProfile } from '../../scenarios/verify/scout-arbitraries.js';

const FILE = 'test/verification/planted-bugs.test.ts';
const BUDGET = 30;
const cycle = ['PLANNED_FAILOVER', 'COMMIT', 'REVERSE_REPLICATE'] as const;

/** Where each Hyper-V Replica bug can show, and why there. */
const PROFILES: Partial<Record<PlantedBug, ExperimentProfile>> = {
  // Writes after the last cycle reach the replica only with the final log: 5-minute cycles
  // leave minutes of writes to lose.
  'skip-final-log-on-planned-failover': profile('final-log', { events: [...cycle], copyFrequencies: ['5m'], steps: [1, 4], faults: [0, 0], mistakePercent: 0 }),
  // A log outgrows one 16 MiB chunk only after a long pause at a high churn; loss or reordering
  // while it ships makes its chunks arrive out of order, and a small hot set makes them overlap.
  'apply-logs-out-of-order': profile('chunk-order', {
    vmCount: [1, 1],
    disksPerVm: [2, 2],
    diskSizesMiB: [64],
    copyFrequencies: ['15m'],
    churnPercentPerDay: [400, 400],
    diurnal: ['flat'],
    hotSetPercent: [5, 5],
    events: ['PAUSE', 'RESUME'],
    steps: [2, 2],
    gapMinutes: [40, 60],
    mistakePercent: 0,
    faults: [1, 2],
    faultWindow: 'tail',
    faultOffsetPermille: [0, 0],
    faultKinds: ['reordering', 'loss'],
    faultProbabilities: [100, 50],
    faultMinutes: [20, 40],
    tailMinutes: [30, 45],
    reorderSeconds: [5, 30],
  }),
  // A slow link keeps initial replication running while the guest writes.
  'untracked-writes-during-initial-replication': profile('initial-tracking', { bandwidthsMbps: [20], initialReplication: ['network-now'], steps: [0, 2], faults: [0, 0], churnPercentPerDay: [200, 400] }),
  // Hourly points must exist before a host crash forces a resync, and still be retained when
  // the run ends and the runner checks them.
  'keep-recovery-points-after-resync': profile('points-after-resync', { recoveryPoints: [2, 4], events: ['PAUSE', 'RESUME'], steps: [0, 1], mistakePercent: 0, faults: [1, 2], faultKinds: ['host-crash'], tailMinutes: [150, 200] }),
  // Reverse replication after an unplanned failover resynchronises: in the wrong direction it
  // copies the old primary over the running VM.
  'reverse-replication-wrong-direction': profile('wrong-direction', { events: ['UNPLANNED_FAILOVER', 'COMMIT', 'REVERSE_REPLICATE'], steps: [3, 5], faults: [0, 0], mistakePercent: 0 }),
  // Frames of the first pairing epoch, held back for hours by reordering during a scheduled
  // initial replication, reach the same host after a failover and a failback (two epochs later,
  // same roles): a stale bulk-begin then resets the replica and replication never resumes.
  'accept-stale-message': profile('stale-message', {
    events: [...cycle],
    initialReplication: ['network-scheduled'],
    vmCount: [1, 1],
    steps: [4, 7],
    gapMinutes: [3, 10],
    mistakePercent: 0,
    faults: [1, 2],
    faultWindow: 'first',
    faultKinds: ['reordering'],
    faultMinutes: [10, 30],
    reorderSeconds: [5400, 10800],
  }),
};

/** No operator step, no fault: steady continuous replication. */
const steady = { steps: [0, 0], faults: [0, 0], mistakePercent: 0 } as const;

/** Where each InMage Scout bug can show, and why there. */
const SCOUT_PROFILES: Partial<Record<PlantedBug, ScoutProfile>> = {
  // One write in a thousand goes missing: two 64 MiB disks at a high, flat churn (office hours
  // would write little in the first hours) write thousands in an hour, and the runner compares
  // the latest point and sampled tags with the source.
  'scout-agent-drops-write': scoutProfile('dropped-write', { ...steady, diskSizesMiB: [64], disksPerVm: [2, 2], diurnal: ['flat'], churnPercentPerDay: [800, 1600], tailMinutes: [60, 90] }),
  // Without the final tag the master target has no point to recover the planned failover to.
  'scout-skip-final-drain': scoutProfile('final-drain', { events: ['PLANNED_FAILOVER', 'COMMIT', 'REVERSE_REPLICATE'], steps: [1, 3], faults: [0, 0], mistakePercent: 0 }),
  // Without undo, a recovery to an earlier tag cannot roll the newer writes back.
  'scout-skip-retention-undo': scoutProfile('retention-undo', { events: ['UNPLANNED_FAILOVER'], recoveries: ['earlier-tag'], tagsBack: [1, 2], steps: [1, 1], faults: [0, 0], mistakePercent: 0 }),
  // A batch confirmed before its writes are durable is lost when the master target loses power
  // (its disks' write cache with it), and the process server does not send it again.
  'scout-ack-before-flush': scoutProfile('ack-before-flush', { ...steady, faults: [1, 2], faultKinds: ['power-loss'], hostPicks: [1, 1], faultWindow: 'tail', churnPercentPerDay: [800, 1600] }),
};

function arbitraryFor(bug: PlantedBug): fc.Arbitrary<ProviderExperiment> | null {
  const hyperV = PROFILES[bug];
  if (hyperV !== undefined) return experimentArbitrary(hyperV);
  const scout = SCOUT_PROFILES[bug];
  return scout === undefined ? null : scoutExperimentArbitrary(scout);
}

afterEach(() => setPlantedBug(null));

describe('planted engine bugs are caught with a minimal timeline', () => {
  for (const bug of PLANTED_BUGS) {
    const name = `catches ${bug}`;
    const arbitrary = arbitraryFor(bug);
    it(name, () => {
      expect(arbitrary, `${bug} has no profile`).not.toBeNull();
      const parameters = propertyParameters<[ProviderExperiment]>(name, FILE, process.env, { seed: 1, numRuns: BUDGET }, false);
      let details: fc.RunDetails<[ProviderExperiment]>;
      setPlantedBug(bug);
      let report: string;
      try {
        details = fc.check(experimentProperty(arbitrary!, { shrinkRunsMax: 40 }), parameters);
        report = counterexampleReport(details, name, FILE);
      } finally {
        setPlantedBug(null);
      }
      mkdirSync('test-output/planted', { recursive: true });
      writeFileSync(`test-output/planted/${bug}.txt`, `${report}\n`);
      console.log(report);
      expect(details.failed, `${bug} was not caught in ${BUDGET} experiments`).toBe(true);
      expect(details.numRuns).toBeLessThanOrEqual(BUDGET);
      // The same timeline passes without the bug: the detection is the bug's, not the harness's.
      const clean = runExperiment(details.counterexample![0]);
      expect(clean.record.violations, 'the counterexample also fails without the bug').toEqual([]);
    });
  }
});
