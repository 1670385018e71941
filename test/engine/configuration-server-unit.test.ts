// The Scout configuration server's registry and monitoring (DOMAIN.md rules 16, 19, 23; numbers
// table row 32: CPU/memory 80/95%, cache free 30/25%, backlog 30/45 min, heartbeat 15 min).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hours, minutes, type Duration, type Instant } from '../../model/index.js';
import { ConfigurationServer, evaluateProcessServerHealth, PS_THRESHOLDS } from '../../engine/providers/inmage-scout/configuration-server.js';
import type { ProcessServerStatus } from '../../engine/providers/inmage-scout/process-server.js';

const NOW = hours(10) as number as Instant;
const at = (micros: number) => micros as Instant;

function psStatus(overrides: Partial<ProcessServerStatus> = {}): ProcessServerStatus {
  return {
    host: 'ps-a1',
    cpuUtilisation: 0.1,
    memoryUtilisation: 0.1,
    cacheBytes: 0,
    cacheBytesMax: 1000,
    cacheFreeFraction: 1,
    backlogMicros: 0,
    pairs: [],
    batchesCached: 0,
    batchesForwarded: 0,
    batchesConfirmed: 0,
    bytesIn: 0,
    bytesOut: 0,
    cacheFullRefusals: 0,
    cacheBytesPeak: 0,
    ...overrides,
  };
}

const grade = (overrides: Partial<ProcessServerStatus>) => evaluateProcessServerHealth(psStatus(overrides), NOW, NOW);

describe('evaluateProcessServerHealth: the published thresholds', () => {
  it('uses the numbers of the table', () => {
    expect(PS_THRESHOLDS).toEqual({
      cpuWarning: 0.8,
      cpuCritical: 0.95,
      memoryWarning: 0.8,
      memoryCritical: 0.95,
      cacheFreeWarning: 0.3,
      cacheFreeCritical: 0.25,
      backlogWarning: minutes(30),
      backlogCritical: minutes(45),
      heartbeat: minutes(15),
    });
  });

  it('is normal for an idle, heartbeating process server', () => {
    expect(grade({})).toEqual({ level: 'normal', reasons: [] });
  });

  it('grades CPU above 80% as a warning and above 95% as critical', () => {
    expect(grade({ cpuUtilisation: 0.8 }).level).toBe('normal');
    expect(grade({ cpuUtilisation: 0.81 })).toEqual({ level: 'warning', reasons: ['CPU 81%'] });
    expect(grade({ cpuUtilisation: 0.95 })).toEqual({ level: 'warning', reasons: ['CPU 95%'] });
    expect(grade({ cpuUtilisation: 0.96 })).toEqual({ level: 'critical', reasons: ['CPU 96%'] });
  });

  it('grades memory above 80% as a warning and above 95% as critical', () => {
    expect(grade({ memoryUtilisation: 0.8 }).level).toBe('normal');
    expect(grade({ memoryUtilisation: 0.85 })).toEqual({ level: 'warning', reasons: ['memory 85%'] });
    expect(grade({ memoryUtilisation: 0.95 }).level).toBe('warning');
    expect(grade({ memoryUtilisation: 0.99 })).toEqual({ level: 'critical', reasons: ['memory 99%'] });
  });

  it('grades cache free below 30% as a warning and below 25% as critical', () => {
    expect(grade({ cacheFreeFraction: 0.3 }).level).toBe('normal');
    expect(grade({ cacheFreeFraction: 0.29 })).toEqual({ level: 'warning', reasons: ['cache free 29%'] });
    expect(grade({ cacheFreeFraction: 0.25 }).level).toBe('warning');
    expect(grade({ cacheFreeFraction: 0.24 })).toEqual({ level: 'critical', reasons: ['cache free 24%'] });
  });

  it('grades a backlog above 30 min as a warning and above 45 min as critical', () => {
    expect(grade({ backlogMicros: minutes(30) }).level).toBe('normal');
    expect(grade({ backlogMicros: minutes(30) + 1 })).toEqual({ level: 'warning', reasons: ['backlog 30 min'] });
    expect(grade({ backlogMicros: minutes(45) }).level).toBe('warning');
    expect(grade({ backlogMicros: minutes(50) })).toEqual({ level: 'critical', reasons: ['backlog 50 min'] });
  });

  it('is critical without a heartbeat in 15 minutes, status or not', () => {
    expect(evaluateProcessServerHealth(psStatus(), at(NOW - minutes(15)), NOW).level).toBe('normal');
    expect(evaluateProcessServerHealth(psStatus(), at(NOW - minutes(15) - 1), NOW)).toEqual({ level: 'critical', reasons: ['no heartbeat for 15 minutes'] });
    expect(evaluateProcessServerHealth(null, null, NOW)).toEqual({ level: 'critical', reasons: ['no heartbeat for 15 minutes'] });
    expect(evaluateProcessServerHealth(null, NOW, NOW)).toEqual({ level: 'normal', reasons: [] });
  });

  it('reports only the critical reasons when any is critical, and every warning otherwise', () => {
    expect(grade({ cpuUtilisation: 0.9, cacheFreeFraction: 0.1 })).toEqual({ level: 'critical', reasons: ['cache free 10%'] });
    expect(grade({ cpuUtilisation: 0.9, memoryUtilisation: 0.9, backlogMicros: minutes(40) })).toEqual({ level: 'warning', reasons: ['CPU 90%', 'memory 90%', 'backlog 40 min'] });
  });

  it('never grades better when a figure gets worse (property)', () => {
    const rank = { normal: 0, warning: 1, critical: 2 } as const;
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(rank[grade({ cpuUtilisation: high }).level]).toBeGreaterThanOrEqual(rank[grade({ cpuUtilisation: low }).level]);
        expect(rank[grade({ cacheFreeFraction: low }).level]).toBeGreaterThanOrEqual(rank[grade({ cacheFreeFraction: high }).level]);
      }),
    );
  });
});

describe('ConfigurationServer registry', () => {
  it('registers each server once per role, with no heartbeat yet', () => {
    const cs = new ConfigurationServer();
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    cs.registerPair('vm2', 'esx-a1', 'ps-a1', 'mt-b1');
    expect(cs.health('esx-a1', 'agent')).toEqual({ host: 'esx-a1', role: 'agent', lastHeartbeat: null, level: 'normal', reasons: [] });
    expect(cs.health('ps-a1', 'process-server')).toMatchObject({ role: 'process-server' });
    expect(cs.health('mt-b1', 'master-target')).toMatchObject({ role: 'master-target' });
    expect(cs.health('ps-a1', 'agent')).toBeUndefined();
    expect(cs.pairs().map((p) => p.vmId)).toEqual(['vm1', 'vm2']);
  });

  it('starts a pair in resync, and puts it back in resync when it is protected again', () => {
    const cs = new ConfigurationServer();
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    expect(cs.pair('vm1')).toEqual({ vmId: 'vm1', agentHost: 'esx-a1', processServer: 'ps-a1', masterTarget: 'mt-b1', state: 'resync', rpoMicros: null, rpoAlert: false });
    cs.observePair('vm1', 'streaming', NOW - minutes(1), NOW, minutes(15));
    expect(cs.pair('vm1')).toMatchObject({ state: 'differential', rpoMicros: minutes(1) });
    // Reverse protection: the pair now runs from the other site and starts over.
    cs.registerPair('vm1', 'esx-b1', 'ps-b1', 'mt-a1');
    expect(cs.pair('vm1')).toMatchObject({ agentHost: 'esx-b1', processServer: 'ps-b1', masterTarget: 'mt-a1', state: 'resync', rpoMicros: null });
    expect(cs.health('mt-a1', 'master-target')).toBeDefined();
  });

  it('maps agent phases to pair states', () => {
    const cs = new ConfigurationServer();
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    const stateFor = (phase: string | null, consistentAt: number | null) => {
      cs.observePair('vm1', phase, consistentAt, NOW, hours(1));
      return cs.pair('vm1')!.state;
    };
    expect(stateFor('streaming', null)).toBe('resync');
    expect(stateFor('streaming', NOW)).toBe('differential');
    expect(stateFor('bitmap', NOW)).toBe('bitmap');
    expect(stateFor('paused', NOW)).toBe('paused');
    expect(stateFor('resyncing', NOW)).toBe('resync');
    expect(stateFor(null, NOW)).toBe('unknown');
    expect(stateFor('stopped', NOW)).toBe('unknown');
    cs.observePair('nobody', 'streaming', NOW, NOW, hours(1)); // unknown pairs are ignored
    expect(cs.pair('nobody')).toBeUndefined();
  });

  it('raises one RPO alert per crossing of the threshold; replication itself goes on', () => {
    const cs = new ConfigurationServer();
    const threshold = minutes(15) as Duration;
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    cs.observePair('vm1', 'streaming', NOW - minutes(15), NOW, threshold);
    expect(cs.pair('vm1')).toMatchObject({ rpoMicros: minutes(15), rpoAlert: false });
    cs.observePair('vm1', 'streaming', NOW - minutes(20), NOW, threshold);
    cs.observePair('vm1', 'streaming', NOW - minutes(25), NOW, threshold);
    expect(cs.pair('vm1')).toMatchObject({ state: 'differential', rpoAlert: true });
    expect(cs.alerts).toEqual([{ at: NOW, subject: 'vm1', kind: 'rpo-threshold', message: 'RPO of vm1 is 20 min, above the 15 min threshold' }]);
    cs.observePair('vm1', 'streaming', NOW - minutes(1), NOW, threshold);
    expect(cs.pair('vm1')!.rpoAlert).toBe(false);
    cs.observePair('vm1', 'streaming', NOW - minutes(16), NOW, threshold);
    expect(cs.alerts.length).toBe(2);
    // A consistent instant in the future (a skewed clock) is an RPO of zero, not negative.
    cs.observePair('vm1', 'streaming', NOW + minutes(1), NOW, threshold);
    expect(cs.pair('vm1')!.rpoMicros).toBe(0);
  });
});

describe('ConfigurationServer.evaluate', () => {
  it('grades agents and master targets by heartbeat alone, and alerts on each change for the worse', () => {
    const cs = new ConfigurationServer();
    cs.registerServer('mt-b1', 'master-target');
    cs.heartbeat('mt-b1', 'master-target', at(0));
    cs.evaluate(at(minutes(15)));
    expect(cs.health('mt-b1', 'master-target')).toMatchObject({ lastHeartbeat: 0, level: 'normal', reasons: [] });
    expect(cs.alerts).toEqual([]);
    cs.evaluate(at(minutes(16)));
    expect(cs.health('mt-b1', 'master-target')).toMatchObject({ level: 'critical', reasons: ['no heartbeat for 15 minutes'] });
    cs.evaluate(at(minutes(17))); // still critical: no second alert
    expect(cs.alerts).toEqual([{ at: minutes(16), subject: 'mt-b1', kind: 'master-target-critical', message: 'no heartbeat for 15 minutes' }]);
    cs.heartbeat('mt-b1', 'master-target', at(minutes(18)));
    cs.evaluate(at(minutes(18)));
    expect(cs.health('mt-b1', 'master-target')!.level).toBe('normal');
    expect(cs.alerts.length).toBe(1); // recovering is no alert
  });

  it('grades a process server by its last status and heartbeat', () => {
    const cs = new ConfigurationServer();
    cs.heartbeat('ps-a1', 'process-server', NOW);
    expect(cs.health('ps-a1', 'process-server')!.lastHeartbeat).toBe(NOW);
    cs.observeProcessServer(psStatus({ cacheFreeFraction: 0.28 }));
    expect(cs.processServerStatus('ps-a1')!.cacheFreeFraction).toBe(0.28);
    cs.evaluate(NOW);
    expect(cs.health('ps-a1', 'process-server')).toMatchObject({ level: 'warning', reasons: ['cache free 28%'] });
    cs.observeProcessServer(psStatus({ cacheFreeFraction: 0.2 }));
    cs.evaluate(NOW);
    expect(cs.alerts.map((a) => [a.subject, a.kind, a.message])).toEqual([
      ['ps-a1', 'process-server-warning', 'cache free 28%'],
      ['ps-a1', 'process-server-critical', 'cache free 20%'],
    ]);
  });
});

describe('ConfigurationServer: edges', () => {
  it('is critical without any heartbeat even in the first 15 minutes', () => {
    expect(evaluateProcessServerHealth(psStatus(), null, at(0)).level).toBe('critical');
    const cs = new ConfigurationServer();
    cs.registerServer('mt-b1', 'master-target');
    cs.evaluate(at(minutes(1)));
    expect(cs.health('mt-b1', 'master-target')!.level).toBe('critical');
  });

  it('keeps what it knows of a server when a pair is registered again', () => {
    const cs = new ConfigurationServer();
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    cs.heartbeat('ps-a1', 'process-server', NOW);
    cs.registerPair('vm2', 'esx-a2', 'ps-a1', 'mt-b1');
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    expect(cs.health('ps-a1', 'process-server')!.lastHeartbeat).toBe(NOW);
  });

  it('has no RPO before the first consistent instant', () => {
    const cs = new ConfigurationServer();
    cs.registerPair('vm1', 'esx-a1', 'ps-a1', 'mt-b1');
    cs.observePair('vm1', 'streaming', null, NOW, minutes(15));
    expect(cs.pair('vm1')).toMatchObject({ rpoMicros: null, rpoAlert: false });
    expect(cs.alerts).toEqual([]);
  });

  it('joins every reason of an alert', () => {
    const cs = new ConfigurationServer();
    cs.heartbeat('ps-a1', 'process-server', NOW);
    cs.observeProcessServer(psStatus({ cpuUtilisation: 0.9, memoryUtilisation: 0.9 }));
    cs.evaluate(NOW);
    expect(cs.alerts.map((a) => a.message)).toEqual(['CPU 90%; memory 90%']);
  });
});
