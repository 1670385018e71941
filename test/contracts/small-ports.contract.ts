// Contract suites of the smaller ports (engine/ports.ts): Entropy, Codec, Cpu, Tracer and the
// ManagementChannel. Any implementation, simulated or real, must pass them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Codec, Cpu, Entropy, ManagementChannel, ManagementResult, Payload, Tracer } from '../../engine/ports.js';

export function entropyContract(name: string, make: (seed: number) => Entropy): void {
  describe(`Entropy contract: ${name}`, () => {
    it('draws doubles in [0, 1) and integers in [0, bound), reproducibly per seed', () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 1_000_000 }), (seed, bound) => {
          const a = make(seed);
          const b = make(seed);
          for (let i = 0; i < 50; i++) {
            const x = a.next();
            expect(x).toBeGreaterThanOrEqual(0);
            expect(x).toBeLessThan(1);
            expect(b.next()).toBe(x);
            const n = a.nextInt(bound);
            expect(Number.isInteger(n) && n >= 0 && n < bound).toBe(true);
            expect(b.nextInt(bound)).toBe(n);
          }
        }),
        { numRuns: 50 },
      );
    });
  });
}

export function codecContract(name: string, make: () => { codec: Codec; payload(count: number, salt: number): Payload }): void {
  describe(`Codec contract: ${name}`, () => {
    it('slices and concatenates without changing content, and checksums by content', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 15 }), fc.nat(), (count, cutRaw, salt) => {
          const { codec, payload } = make();
          const p = payload(count, salt);
          const cut = cutRaw % count;
          const joined = codec.concat([codec.slice(p, 0, cut), codec.slice(p, cut, count - cut)]);
          expect(joined.blockCount).toBe(count);
          expect(codec.checksum(joined)).toBe(codec.checksum(p));
          expect([...codec.blockChecksums(joined)]).toEqual([...codec.blockChecksums(p)]);
          expect(codec.compressedSizeBytes(p)).toBeLessThanOrEqual(codec.sizeBytes(p));
          // The ratio model: equal sizes compress alike whatever the content (callers reuse it).
          expect(codec.compressedSizeBytes(payload(count, salt + 1))).toBe(codec.compressedSizeBytes(p));
        }),
        { numRuns: 100 },
      );
    });

    it('digests JSON-like bodies canonically: key order does not matter, any change does', () => {
      const { codec, payload } = make();
      const p = payload(3, 1);
      expect(codec.digest({ a: 1, b: [p, 'x'] })).toBe(codec.digest({ b: [p, 'x'], a: 1 }));
      expect(codec.digest({ a: 1, b: [p, 'x'] })).not.toBe(codec.digest({ a: 2, b: [p, 'x'] }));
      expect(codec.digest({ a: 1, b: [p, 'x'] })).not.toBe(codec.digest({ a: 1, b: [payload(3, 2), 'x'] }));
    });
  });
}

export function cpuContract(name: string, make: () => { cpu: Cpu; cores: number; settle(): void; now(): number }): void {
  describe(`Cpu contract: ${name}`, () => {
    it('completes work after its cost, never re-entrantly, queued behind earlier work', () => {
      const { cpu, cores, settle, now } = make();
      const ends: number[] = [];
      let returned = false;
      for (let i = 0; i < cores + 1; i++) {
        cpu.spend(1_000_000 as never, 'work', () => {
          expect(returned).toBe(true);
          ends.push(now());
        });
      }
      returned = true;
      settle();
      expect(ends).toHaveLength(cores + 1);
      expect(ends.slice(0, cores).every((t) => t === 1_000_000)).toBe(true);
      expect(ends[cores]).toBe(2_000_000);
      expect(cpu.utilisation()).toBeGreaterThanOrEqual(0);
      expect(cpu.utilisation()).toBeLessThanOrEqual(1);
    });
  });
}

export function tracerContract(name: string, make: () => { tracer: Tracer; reached(mark: string): boolean }): void {
  describe(`Tracer contract: ${name}`, () => {
    it('remembers marks and accepts JSON-like records', () => {
      const { tracer, reached } = make();
      expect(reached('resync-started')).toBe(false);
      tracer.mark('resync-started');
      tracer.record('hv-a1', 'log-cut', { seq: 3, bytes: 4096 });
      expect(reached('resync-started')).toBe(true);
    });
  });
}

export function managementContract(
  name: string,
  make: () => { channel: ManagementChannel; upHost: string; downHost: string; service: string; settle(): void },
): void {
  describe(`ManagementChannel contract: ${name}`, () => {
    it('answers every request exactly once, later, and says host-down for a host that is down', () => {
      const { channel, upHost, downHost, service, settle } = make();
      const answers: Array<[string, ManagementResult]> = [];
      let returned = false;
      channel.request(upHost, service, { op: 'ping' }, (r) => {
        expect(returned).toBe(true);
        answers.push(['up', r]);
      });
      channel.request(downHost, service, { op: 'ping' }, (r) => answers.push(['down', r]));
      channel.request(upHost, 'no-such-service', { op: 'ping' }, (r) => answers.push(['missing', r]));
      returned = true;
      settle();
      expect(answers).toHaveLength(3);
      expect(answers.find(([k]) => k === 'up')![1]).toMatchObject({ ok: true });
      expect(answers.find(([k]) => k === 'down')![1]).toEqual({ ok: false, reason: 'host-down' });
      expect(answers.find(([k]) => k === 'missing')![1]).toEqual({ ok: false, reason: 'no-service' });
    });
  });
}
