import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel.js';
import { ratio } from '../../sim/random.js';
import { applyFaultPlan, type AppliedFault } from '../../sim/faults/apply-fault-plan.js';
import { FAULT_KINDS, sortFaultPlan, type Fault, type FaultKind, type FaultPlan } from '../../sim/faults/fault.js';
import type { FaultTarget } from '../../sim/faults/fault-target.js';
import { describeFault, describeFaultPlan } from '../../sim/faults/describe-fault.js';
import { digestValue, seconds, type Instant } from '../../model/index.js';

const METHODS: readonly (keyof FaultTarget)[] = [
  'partition', 'heal', 'clog', 'endClog', 'loss', 'endLoss', 'duplication', 'endDuplication', 'reordering', 'endReordering',
  'corruption', 'endCorruption', 'throttle', 'endThrottle', 'hostCrash', 'powerLoss', 'hostRestart', 'clockSkew',
  'latentSectorError', 'tornWrite', 'lostWrite', 'bitRot', 'misdirectedWrite', 'psCacheLoss', 'operatorMistake',
];

interface Call {
  readonly time: number;
  readonly method: keyof FaultTarget;
  readonly fault: Fault;
}

/** A FaultTarget that records every call with the kernel time. */
function recordingTarget(kernel: Kernel): { target: FaultTarget; calls: Call[] } {
  const calls: Call[] = [];
  const target = Object.fromEntries(METHODS.map((method) => [method, (fault: Fault) => calls.push({ time: kernel.now(), method, fault })])) as unknown as FaultTarget;
  return { target, calls };
}

const at = (s: number) => seconds(s) as number as Instant;

/** One example of every fault kind, and the target method it must reach. */
const EXAMPLES: Readonly<Record<FaultKind, readonly [Fault, keyof FaultTarget]>> = {
  partition: [{ kind: 'partition', siteA: 'primary', siteB: 'secondary', direction: 'a-to-b' }, 'partition'],
  heal: [{ kind: 'heal', siteA: 'secondary', siteB: 'primary' }, 'heal'],
  clog: [{ kind: 'clog', link: 'wan', duration: seconds(5) }, 'clog'],
  loss: [{ kind: 'loss', link: 'wan', ratio: ratio(1, 10), duration: seconds(1) }, 'loss'],
  duplication: [{ kind: 'duplication', link: 'wan', ratio: ratio(1, 2), duration: seconds(2) }, 'duplication'],
  reordering: [{ kind: 'reordering', link: 'wan', ratio: ratio(1, 3), extraDelayMax: seconds(1), duration: seconds(3) }, 'reordering'],
  corruption: [{ kind: 'corruption', link: 'wan', ratio: ratio(1, 100), duration: seconds(4) }, 'corruption'],
  throttle: [{ kind: 'throttle', link: 'wan', bandwidthBitsPerSecond: 10e6, duration: seconds(6) }, 'throttle'],
  'host-crash': [{ kind: 'host-crash', host: 'h1', restartAfter: seconds(7) }, 'hostCrash'],
  'power-loss': [{ kind: 'power-loss', host: 'h2' }, 'powerLoss'],
  'host-restart': [{ kind: 'host-restart', host: 'h2' }, 'hostRestart'],
  'latent-sector-error': [{ kind: 'latent-sector-error', disk: 'vm1/0', block: 12 }, 'latentSectorError'],
  'torn-write': [{ kind: 'torn-write', disk: 'vm1/0' }, 'tornWrite'],
  'lost-write': [{ kind: 'lost-write', disk: 'vm1/1' }, 'lostWrite'],
  'bit-rot': [{ kind: 'bit-rot', disk: 'vm1/1', block: 3 }, 'bitRot'],
  'misdirected-write': [{ kind: 'misdirected-write', disk: 'vm1/0', offsetBlocks: -2 }, 'misdirectedWrite'],
  'clock-skew': [{ kind: 'clock-skew', host: 'h1', offset: -seconds(30) }, 'clockSkew'],
  'ps-cache-loss': [{ kind: 'ps-cache-loss', processServer: 'ps1' }, 'psCacheLoss'],
  'operator-mistake': [{ kind: 'operator-mistake', operation: 'unplanned-failover-while-primary-running', item: 'vm1' }, 'operatorMistake'],
};

describe('applyFaultPlan', () => {
  it('reaches the target method of every fault kind, at the planned instant', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...FAULT_KINDS].sort());
    const plan = FAULT_KINDS.map((kind, i) => ({ at: at(100 * (i + 1)), fault: EXAMPLES[kind][0] }));
    const kernel = new Kernel();
    const { target, calls } = recordingTarget(kernel);
    applyFaultPlan(kernel, plan, target);
    kernel.run();
    // Injections fall on whole hundreds of seconds; the undoes of the timed examples 1-7s later.
    const injections = calls.filter((call) => call.time % seconds(100) === 0);
    expect(calls.length - injections.length).toBe(7);
    expect(injections.map((call) => [call.time, call.method, call.fault])).toEqual(
      FAULT_KINDS.map((kind, i) => [seconds(100 * (i + 1)), EXAMPLES[kind][1], EXAMPLES[kind][0]]),
    );
  });

  it('undoes timed faults after their duration and restarts crashed hosts after restartAfter', () => {
    const clog = EXAMPLES.clog[0];
    const loss = EXAMPLES.loss[0];
    const crash = EXAMPLES['host-crash'][0];
    const plan: FaultPlan = [
      { at: at(10), fault: clog },
      { at: at(12), fault: loss },
      { at: at(20), fault: crash },
      { at: at(30), fault: EXAMPLES['power-loss'][0] },
    ];
    const kernel = new Kernel();
    const { target, calls } = recordingTarget(kernel);
    const applied: AppliedFault[] = [];
    const handle = applyFaultPlan(kernel, plan, target, (event) => applied.push(event));
    kernel.run();
    expect(calls.map((call) => [call.time / 1e6, call.method])).toEqual([
      [10, 'clog'],
      [12, 'loss'],
      [13, 'endLoss'],
      [15, 'endClog'],
      [20, 'hostCrash'],
      [27, 'hostRestart'],
      [30, 'powerLoss'],
    ]);
    expect(calls[2].fault).toBe(loss);
    expect(calls[5].fault).toEqual({ kind: 'host-restart', host: 'h1' });
    expect(applied.map((event) => [event.at / 1e6, event.index, event.phase])).toEqual([
      [10, 0, 'inject'],
      [12, 1, 'inject'],
      [13, 1, 'heal'],
      [15, 0, 'heal'],
      [20, 2, 'inject'],
      [27, 2, 'heal'],
      [30, 3, 'inject'],
    ]);
    expect(handle.injectedCount).toBe(4);
  });

  it('names each event fault:<kind> or fault-heal:<kind> in the trace, with the digest of the fault', () => {
    const clog = EXAMPLES.clog[0];
    const kernel = new Kernel({ captureTrace: true });
    applyFaultPlan(kernel, [{ at: at(1), fault: clog }], recordingTarget(kernel).target);
    kernel.run();
    expect(kernel.capturedTrace.map((entry) => entry.label)).toEqual(['fault:clog', 'fault-heal:clog']);
    expect(kernel.capturedTrace[0].digest).toBe(digestValue(clog));
    expect(kernel.capturedTrace[1].digest).not.toBe(digestValue(clog));
  });

  it('lets a planned host-restart pre-empt the scheduled restart of a crash', () => {
    const kernel = new Kernel();
    const { target, calls } = recordingTarget(kernel);
    applyFaultPlan(kernel, [
      { at: at(1), fault: { kind: 'host-crash', host: 'h1', restartAfter: seconds(10) } },
      { at: at(3), fault: { kind: 'host-restart', host: 'h1' } },
    ], target);
    kernel.run();
    expect(calls.map((call) => [call.time / 1e6, call.method])).toEqual([
      [1, 'hostCrash'],
      [3, 'hostRestart'],
    ]);
  });

  it('healAll cancels what is pending and undoes everything in force, but not disk damage', () => {
    const plan: FaultPlan = sortFaultPlan([
      { at: at(1), fault: EXAMPLES.partition[0] },
      { at: at(2), fault: { kind: 'throttle', link: 'wan', bandwidthBitsPerSecond: 1e6, duration: seconds(100) } },
      { at: at(3), fault: { kind: 'host-crash', host: 'h1', restartAfter: seconds(100) } },
      { at: at(4), fault: { kind: 'power-loss', host: 'h2' } },
      { at: at(5), fault: EXAMPLES['clock-skew'][0] },
      { at: at(6), fault: EXAMPLES['bit-rot'][0] },
      { at: at(7), fault: { kind: 'partition', siteA: 'dr', siteB: 'primary', direction: 'both' } },
      { at: at(8), fault: { kind: 'heal', siteA: 'primary', siteB: 'dr' } },
      { at: at(50), fault: EXAMPLES.clog[0] },
    ]);
    const kernel = new Kernel();
    const { target, calls } = recordingTarget(kernel);
    const applied: AppliedFault[] = [];
    const handle = applyFaultPlan(kernel, plan, target, (event) => applied.push(event));
    kernel.run({ until: at(10) });
    calls.length = 0;
    handle.healAll();
    expect(calls.map((call) => [call.method, call.fault])).toEqual([
      ['endThrottle', plan[1].fault],
      ['heal', { kind: 'heal', siteA: 'primary', siteB: 'secondary' }],
      ['hostRestart', { kind: 'host-restart', host: 'h1' }],
      ['hostRestart', { kind: 'host-restart', host: 'h2' }],
      ['clockSkew', { kind: 'clock-skew', host: 'h1', offset: 0 }],
    ]);
    expect(applied.filter((event) => event.phase === 'heal').map((event) => event.index)).toEqual([1, 0, 2, 3, 4]);
    kernel.run();
    expect(calls).toHaveLength(5);
    expect(handle.injectedCount).toBe(8);
    expect(kernel.pendingCount).toBe(0);
  });

  it('refuses an unsorted plan or one that starts in the past', () => {
    const kernel = new Kernel();
    const { target } = recordingTarget(kernel);
    const clog = EXAMPLES.clog[0];
    expect(() => applyFaultPlan(kernel, [{ at: at(5), fault: clog }, { at: at(4), fault: clog }], target)).toThrow(/not sorted/);
    kernel.schedule(seconds(10), 'later', () => {});
    kernel.run();
    expect(() => applyFaultPlan(kernel, [{ at: at(4), fault: clog }], target)).toThrow(/before now/);
  });

  it('keeps plans as plain JSON: a plan survives a JSON round trip unchanged', () => {
    const plan = FAULT_KINDS.map((kind, i) => ({ at: at(i), fault: EXAMPLES[kind][0] }));
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('describeFault', () => {
  it('gives every kind its own one-line text', () => {
    const lines = FAULT_KINDS.map((kind) => describeFault(EXAMPLES[kind][0]));
    for (const line of lines) expect(line).toMatch(/^[^\n]{8,}$/);
    expect(new Set(lines).size).toBe(lines.length);
    expect(describeFault(EXAMPLES.throttle[0])).toBe('throttle link wan to 10 Mbit/s for 6s');
    expect(describeFault(EXAMPLES.partition[0])).toBe('partition primary -> secondary (one way)');
    expect(describeFault(EXAMPLES['clock-skew'][0])).toBe('skew the clock of host h1 behind by 30s');
    expect(describeFault(EXAMPLES['host-crash'][0])).toBe('crash host h1, restarts after 7s');
    expect(describeFaultPlan([{ at: at(90), fault: EXAMPLES['torn-write'][0] }])).toEqual(['     1m30s  arm a torn write on disk vm1/0 (tears at its host\'s next power loss)']);
  });
});
