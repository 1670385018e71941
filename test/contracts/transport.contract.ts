// The contract of the Transport port (engine/ports.ts): what every implementation, simulated or
// real, must do when nothing is failing. Faults (loss, reordering, ...) are not part of it: they
// are what an implementation is allowed to do, and the engine's job to survive.
//
// Usage: transportContract('my transport', () => ({ a, b, unknownAddresses, settle }));
import { describe, expect, it } from 'vitest';
import type { Frame, SendResult, Transport } from '../../engine/ports.js';

export interface TransportPair {
  /** Two endpoints that can reach each other. */
  readonly a: Transport;
  readonly b: Transport;
  /** Addresses nobody listens on: a missing service on a known host, and an unknown host. */
  readonly unknownAddresses: readonly string[];
  /** Lets the implementation run until every frame sent so far was delivered or dropped, and
   *  every `done` callback due has run (a simulator runs its kernel; a real one waits). */
  settle(): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

interface Received {
  readonly from: string;
  readonly frame: Frame;
}

function collect(endpoint: Transport): Received[] {
  const received: Received[] = [];
  endpoint.onReceive((from, frame) => received.push({ from, frame }));
  return received;
}

const frameOf = (seq: number, sizeBytes = 100 + seq): Frame => ({ sizeBytes, body: { kind: 'test', seq, tags: ['x', seq % 3], nested: { even: seq % 2 === 0 } } });

export function transportContract(name: string, makePair: () => TransportPair | Promise<TransportPair>): void {
  describe(`Transport contract: ${name}`, () => {
    /** Runs `body` against a fresh pair and always disposes of it. */
    const withPair = async (body: (pair: TransportPair) => Promise<void> | void): Promise<void> => {
      const pair = await makePair();
      try {
        await body(pair);
      } finally {
        await pair.dispose?.();
      }
    };

    it('delivers a frame to the addressed endpoint only, naming the sender, with its size and body', () =>
      withPair(async (pair) => {
        const atA = collect(pair.a);
        const atB = collect(pair.b);
        const frame = frameOf(1, 4096);
        pair.a.send(pair.b.address, frame);
        await pair.settle();
        expect(atA).toEqual([]);
        expect(atB).toHaveLength(1);
        expect(atB[0].from).toBe(pair.a.address);
        expect(atB[0].frame.sizeBytes).toBe(4096);
        expect(atB[0].frame.body).toEqual(frame.body);
      }));

    it('carries frames both ways, zero-byte frames included', () =>
      withPair(async (pair) => {
        const atA = collect(pair.a);
        const atB = collect(pair.b);
        pair.a.send(pair.b.address, frameOf(1, 0));
        pair.b.send(pair.a.address, frameOf(2));
        await pair.settle();
        expect(atB.map((r) => r.frame.body)).toEqual([frameOf(1).body]);
        expect(atA.map((r) => r.frame.body)).toEqual([frameOf(2).body]);
        expect(atA[0].from).toBe(pair.b.address);
      }));

    it('reports local acceptance through done exactly once, never from inside send', () =>
      withPair(async (pair) => {
        collect(pair.b);
        const results: SendResult[] = [];
        let insideSend = false;
        let reentrant = false;
        for (let seq = 0; seq < 5; seq++) {
          insideSend = true;
          pair.a.send(pair.b.address, frameOf(seq), (result) => {
            if (insideSend) reentrant = true;
            results.push(result);
          });
          insideSend = false;
        }
        expect(results).toEqual([]);
        await pair.settle();
        expect(reentrant).toBe(false);
        expect(results).toEqual(Array.from({ length: 5 }, () => ({ ok: true })));
      }));

    it('lets a handler send from inside its own receive (request and reply)', () =>
      withPair(async (pair) => {
        const rounds: number[] = [];
        pair.b.onReceive((from, frame) => pair.b.send(from, { sizeBytes: frame.sizeBytes, body: { reply: (frame.body as { seq: number }).seq } }));
        pair.a.onReceive((_from, frame) => {
          const seq = (frame.body as { reply: number }).reply;
          rounds.push(seq);
          if (seq < 9) pair.a.send(pair.b.address, frameOf(seq + 1));
        });
        pair.a.send(pair.b.address, frameOf(0));
        await pair.settle();
        expect(rounds).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }));

    it('delivers nothing for an unknown address, does not throw, and still reports done once', () =>
      withPair(async (pair) => {
        const atA = collect(pair.a);
        const atB = collect(pair.b);
        expect(pair.unknownAddresses.length).toBeGreaterThan(0);
        const results: SendResult[] = [];
        let insideSend = false;
        let reentrant = false;
        for (const address of pair.unknownAddresses) {
          insideSend = true;
          expect(() =>
            pair.a.send(address, frameOf(7), (result) => {
              if (insideSend) reentrant = true;
              results.push(result);
            }),
          ).not.toThrow();
          insideSend = false;
        }
        await pair.settle();
        expect(atA).toEqual([]);
        expect(atB).toEqual([]);
        expect(reentrant).toBe(false);
        expect(results).toHaveLength(pair.unknownAddresses.length);
      }));

    it('gives frames to the latest handler only (onReceive replaces)', () =>
      withPair(async (pair) => {
        const first = collect(pair.b);
        pair.a.send(pair.b.address, frameOf(1));
        await pair.settle();
        const second = collect(pair.b);
        pair.a.send(pair.b.address, frameOf(2));
        await pair.settle();
        expect(first.map((r) => r.frame.body)).toEqual([frameOf(1).body]);
        expect(second.map((r) => r.frame.body)).toEqual([frameOf(2).body]);
      }));

    it('survives frames for an endpoint that has no handler yet, and delivers once it has one', () =>
      withPair(async (pair) => {
        pair.a.send(pair.b.address, frameOf(1));
        await pair.settle();
        const atB = collect(pair.b);
        pair.a.send(pair.b.address, frameOf(2));
        await pair.settle();
        expect(atB.map((r) => r.frame.body)).toContainEqual(frameOf(2).body);
      }));

    it('keeps the frames of one direction in order when nothing fails', () =>
      withPair(async (pair) => {
        const atA = collect(pair.a);
        const atB = collect(pair.b);
        for (let seq = 0; seq < 100; seq++) {
          // Sizes vary so that a small frame could overtake a big one if order were not kept.
          pair.a.send(pair.b.address, frameOf(seq, seq % 2 === 0 ? 64 * 1024 : 10));
          if (seq % 3 === 0) pair.b.send(pair.a.address, frameOf(seq, 1000 - seq));
        }
        await pair.settle();
        const seqs = (received: Received[]): number[] => received.map((r) => (r.frame.body as { seq: number }).seq);
        expect(seqs(atB)).toEqual(Array.from({ length: 100 }, (_, seq) => seq));
        expect(seqs(atA)).toEqual(Array.from({ length: 34 }, (_, i) => i * 3));
      }));
  });
}
