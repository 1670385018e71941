// The kernel keeps pending events in reused slots, named to callers by (generation, slot)
// handles. A model (the list of scheduled events with their instants and sequence numbers) runs
// beside it through random schedules (zero delays among them, which take the now-queue), cancels
// of pending, run, cancelled and stale handles, runs bounded by time and by event count, and
// schedules and cancels made from inside running events. Every run must take the model's order,
// (time, sequence), every cancel must answer as the model says, and the slot books must balance.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel, type EventHandle } from '../../sim/kernel.js';

type Step =
  | { kind: 'schedule'; delay: number; spawnDelay: number | null; cancelsPick: number | null }
  | { kind: 'cancel'; pick: number }
  | { kind: 'run-until'; by: number }
  | { kind: 'run-events'; count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 })),
      spawnDelay: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 3 }),
      cancelsPick: fc.option(fc.nat(), { freq: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'cancel' as const, pick })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 }).map((by) => ({ kind: 'run-until' as const, by })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 }).map((count) => ({ kind: 'run-events' as const, count })) },
);

interface ModelEvent {
  readonly name: number;
  readonly at: number;
  readonly seq: number;
  handle: EventHandle;
  state: 'pending' | 'ran' | 'cancelled';
}

describe('Kernel: events in reused slots', () => {
  it('runs in (time, sequence) order, answers cancels as a model does, and never takes a stale handle for a new event', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const kernel = new Kernel();
        const model: ModelEvent[] = [];
        const ran: number[] = [];
        let seq = 0;
        const schedule = (delay: number, spawnDelay: number | null, cancelsPick: number | null): void => {
          const event: ModelEvent = { name: model.length, at: kernel.now() + delay, seq: seq++, handle: 0 as EventHandle, state: 'pending' };
          model.push(event);
          event.handle = kernel.scheduleCall(delay, kernel.labelId(`e${event.name % 3}`), (name: number) => {
            expect(event.state).toBe('pending');
            event.state = 'ran';
            ran.push(name);
            // From inside an event: its own handle is already spent, and others answer as ever.
            expect(kernel.cancel(event.handle)).toBe(false);
            if (cancelsPick !== null && model.length > 0) cancel(cancelsPick);
            if (spawnDelay !== null) schedule(spawnDelay, null, null);
          }, event.name);
        };
        const cancel = (pick: number): void => {
          const target = model[pick % model.length];
          expect(kernel.cancel(target.handle)).toBe(target.state === 'pending');
          if (target.state === 'pending') target.state = 'cancelled';
        };
        const expectedOrder = (until: number, count: number): number[] =>
          model
            .filter((e) => e.state === 'pending' && e.at <= until)
            .sort((a, b) => a.at - b.at || a.seq - b.seq)
            .slice(0, count)
            .map((e) => e.name);
        for (const s of steps) {
          if (s.kind === 'schedule') schedule(s.delay, s.spawnDelay, s.cancelsPick);
          else if (s.kind === 'cancel') {
            if (model.length > 0) cancel(s.pick);
          } else {
            // Events spawned or cancelled while running change what follows; check the prefix
            // that the model fixes before the run: the first event at least runs as predicted.
            const until = s.kind === 'run-until' ? kernel.now() + s.by : Number.MAX_SAFE_INTEGER;
            const count = s.kind === 'run-events' ? s.count : Number.MAX_SAFE_INTEGER;
            const predicted = expectedOrder(until, count);
            const before = ran.length;
            kernel.run(s.kind === 'run-until' ? { until: until as never } : { maxEvents: count });
            const took = ran.slice(before);
            if (predicted.length > 0) expect(took[0]).toBe(predicted[0]);
            for (let i = 1; i < took.length; i++) {
              const previous = model[took[i - 1]];
              const next = model[took[i]];
              expect(previous.at < next.at || (previous.at === next.at && previous.seq < next.seq)).toBe(true);
            }
            // Nothing left pending that the run should have taken.
            if (s.kind === 'run-until') expect(model.some((e) => e.state === 'pending' && e.at <= until)).toBe(false);
          }
          kernel.invariants();
          expect(kernel.pendingCount).toBeGreaterThanOrEqual(model.filter((e) => e.state === 'pending').length);
        }
        kernel.run();
        expect(model.every((e) => e.state !== 'pending')).toBe(true);
        expect(kernel.pendingCount).toBe(0);
        // Every handle is stale now, whatever its slot holds next.
        const late = kernel.schedule(1, 'late', () => undefined);
        for (const e of model) expect(kernel.cancel(e.handle)).toBe(false);
        expect(kernel.cancel(late)).toBe(true);
        kernel.invariants();
      }),
    );
  });

  it('retires a slot whose generations ran out instead of letting a stale handle match again', () => {
    const kernel = new Kernel({ slotGenerationsMax: 3 });
    const handles: EventHandle[] = [];
    for (let i = 0; i < 10; i++) {
      handles.push(kernel.schedule(0, 'e', () => undefined));
      kernel.run();
      kernel.invariants();
    }
    // One slot served generations 1, 2 and 3, then a new one took over, and so on: no two
    // handles alike, and none of them cancels anything now.
    expect(new Set(handles).size).toBe(handles.length);
    const fresh = kernel.schedule(1, 'f', () => undefined);
    for (const handle of handles) expect(kernel.cancel(handle)).toBe(false);
    expect(kernel.cancel(fresh)).toBe(true);
    kernel.invariants();
  });

  it('refuses handles it never issued', () => {
    const kernel = new Kernel();
    const handle = kernel.schedule(5, 'a', () => undefined);
    for (const other of [0, -1, 1.5, handle + 1, handle + 2 ** 24, 2 ** 53]) expect(kernel.cancel(other as EventHandle)).toBe(false);
    expect(kernel.cancel(handle)).toBe(true);
    expect(kernel.cancel(handle)).toBe(false);
    kernel.invariants();
  });
});
