// Hyper-V Replica health by the published thresholds (DOMAIN.md rule 5, numbers table rows 7-9):
// each threshold is pinned on both sides of its boundary.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hours, minutes, seconds, type Instant } from '../../model/index.js';
import { CycleWindow, evaluateHealth, HEALTH_MONITORING_INTERVAL_DEFAULT, type HealthInput } from '../../engine/providers/hyperv-replica/health.js';

const NOW = hours(100) as number as Instant;
const at = (micros: number) => micros as Instant;

/** A replicating VM that synchronised a minute ago and missed no cycle. */
function healthy(overrides: Partial<HealthInput> = {}): HealthInput {
  return { phase: 'replicating', now: NOW, lastSyncedAt: (NOW - minutes(1)) as Instant, cycleOutcomes: [false, false, false], sendFailures: 0, ...overrides };
}

/** `missed` missed cycles among `total`, the missed ones first. */
const outcomes = (missed: number, total: number): boolean[] => Array.from({ length: total }, (_, i) => i < missed);

describe('evaluateHealth: missed cycles (more than 20% is a warning)', () => {
  it('is normal with no missed cycle, and with no cycle at all', () => {
    expect(evaluateHealth(healthy())).toEqual({ state: 'normal', reasons: [] });
    expect(evaluateHealth(healthy({ cycleOutcomes: [] }))).toEqual({ state: 'normal', reasons: [] });
  });

  it('is normal at exactly 20% missed and a warning just above', () => {
    expect(evaluateHealth(healthy({ cycleOutcomes: outcomes(1, 5) })).state).toBe('normal');
    expect(evaluateHealth(healthy({ cycleOutcomes: outcomes(2, 10) })).state).toBe('normal');
    const above = evaluateHealth(healthy({ cycleOutcomes: outcomes(2, 9) }));
    expect(above).toEqual({ state: 'warning', reasons: ['2 of 9 replication cycles missed (more than 20%)'] });
    expect(evaluateHealth(healthy({ cycleOutcomes: outcomes(1, 1) })).reasons).toEqual(['1 of 1 replication cycles missed (more than 20%)']);
  });

  it('warns exactly when the missed fraction exceeds one fifth (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(200), (total, m) => {
        const missed = m % (total + 1);
        const state = evaluateHealth(healthy({ cycleOutcomes: outcomes(missed, total) })).state;
        expect(state).toBe(missed * 5 > total ? 'warning' : 'normal');
      }),
    );
  });
});

describe('evaluateHealth: last synchronisation (more than 1 h is a warning)', () => {
  it('is normal at exactly one hour and a warning one microsecond later', () => {
    expect(evaluateHealth(healthy({ lastSyncedAt: (NOW - hours(1)) as Instant })).state).toBe('normal');
    const late = evaluateHealth(healthy({ lastSyncedAt: (NOW - hours(1) - 1) as Instant }));
    expect(late).toEqual({ state: 'warning', reasons: ['last synchronised 1.0 h ago (more than 1 h)'] });
    expect(evaluateHealth(healthy({ lastSyncedAt: (NOW - hours(2.5)) as Instant })).reasons).toEqual(['last synchronised 2.5 h ago (more than 1 h)']);
  });

  it('does not judge the age before the first synchronisation', () => {
    expect(evaluateHealth(healthy({ lastSyncedAt: null })).state).toBe('normal');
  });
});

describe('evaluateHealth: phases and send failures', () => {
  it('warns while initial replication, a resync or a pause is in progress', () => {
    expect(evaluateHealth(healthy({ phase: 'initial-replication' })).reasons).toEqual(['initial replication is not complete']);
    expect(evaluateHealth(healthy({ phase: 'waiting-initial-replication' })).reasons).toEqual(['initial replication is not complete']);
    expect(evaluateHealth(healthy({ phase: 'resyncing' })).reasons).toEqual(['resynchronization in progress']);
    expect(evaluateHealth(healthy({ phase: 'paused' })).reasons).toEqual(['replication is paused on the primary']);
    for (const phase of ['initial-replication', 'resyncing', 'paused'] as const) expect(evaluateHealth(healthy({ phase })).state).toBe('warning');
  });

  it('is critical when resync is required, whatever else holds', () => {
    const health = evaluateHealth(healthy({ phase: 'resync-required', cycleOutcomes: outcomes(5, 5) }));
    expect(health).toEqual({ state: 'critical', reasons: ['resynchronization required'] });
  });

  it('is critical from the third failed send, not before', () => {
    expect(evaluateHealth(healthy({ sendFailures: 2 })).state).toBe('normal');
    expect(evaluateHealth(healthy({ sendFailures: 3 }))).toEqual({ state: 'critical', reasons: ['replication cannot send changes to the replica server'] });
    expect(evaluateHealth(healthy({ phase: 'resync-required', sendFailures: 7 })).reasons).toEqual([
      'resynchronization required',
      'replication cannot send changes to the replica server',
    ]);
  });

  it('lists every warning reason together', () => {
    const health = evaluateHealth(healthy({ phase: 'paused', cycleOutcomes: outcomes(3, 3), lastSyncedAt: (NOW - hours(3)) as Instant }));
    expect(health.state).toBe('warning');
    expect(health.reasons).toEqual(['3 of 3 replication cycles missed (more than 20%)', 'last synchronised 3.0 h ago (more than 1 h)', 'replication is paused on the primary']);
  });
});

describe('CycleWindow', () => {
  it('keeps the outcomes of the monitoring interval (12 h by default), in order', () => {
    expect(HEALTH_MONITORING_INTERVAL_DEFAULT).toBe(hours(12));
    const window = new CycleWindow();
    window.record(0 as Instant, true);
    window.record(at(hours(6)), false);
    window.record(at(hours(12)), false); // the first is exactly 12 h old: still inside
    expect(window.outcomes()).toEqual([true, false, false]);
    window.record((hours(12) + 1) as Instant, true);
    expect(window.outcomes()).toEqual([false, false, true]);
    window.record(at(hours(30)), false);
    expect(window.outcomes()).toEqual([false]);
  });

  it('honours a custom interval', () => {
    const window = new CycleWindow(seconds(60));
    for (let t = 0; t <= 300; t += 30) window.record(at(seconds(t)), t % 60 === 0);
    expect(window.outcomes()).toEqual([true, false, true]); // 240 s, 270 s and 300 s
  });
});
