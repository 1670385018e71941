// Properties of the simulated network over random traffic: without faults every frame arrives
// exactly once, in order per link direction, no earlier than physics allows; and the same seed
// always gives the same deliveries and the same trace hash.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from '../../sim/kernel.js';
import { ratio, rootStream } from '../../sim/random.js';
import { Network, lanId } from '../../sim/network/index.js';
import { instant, micros, millis, transferDuration, type Duration } from '../../model/index.js';
import type { SendResult } from '../../engine/ports.js';

const NODES = ['a1', 'a2', 'b1', 'c1'] as const;
const SITE_OF: Record<string, string> = { a1: 'A', a2: 'A', b1: 'B', c1: 'C' };
const LINKS = [
  { id: 'ab', siteA: 'A', siteB: 'B', bandwidthBitsPerSecond: 50_000_000, latency: millis(20), jitter: millis(8) },
  { id: 'ac', siteA: 'A', siteB: 'C', bandwidthBitsPerSecond: 2_000_000, latency: millis(60), jitter: millis(30) },
  { id: 'cb', siteA: 'C', siteB: 'B', bandwidthBitsPerSecond: 155_000_000, latency: millis(5), jitter: micros(0) },
];
const LAN = { bandwidthBitsPerSecond: 1_000_000_000, latency: micros(150), jitter: micros(100) };

interface Send {
  readonly gap: number;
  readonly from: number;
  readonly to: number;
  readonly sizeBytes: number;
}

interface Delivery {
  readonly at: number;
  readonly to: string;
  readonly from: string;
  readonly seq: number;
  readonly body: unknown;
}

const sendArb: fc.Arbitrary<Send> = fc.record({
  gap: fc.integer({ min: 0, max: 30_000 }),
  from: fc.nat({ max: NODES.length - 1 }),
  to: fc.nat({ max: NODES.length - 1 }),
  sizeBytes: fc.integer({ min: 0, max: 200_000 }),
});

/** The link id and the physics of the path between two nodes. */
function pathOf(from: string, to: string): { key: string; linkId: string; bandwidth: number; latency: Duration } {
  const fromSite = SITE_OF[from];
  const toSite = SITE_OF[to];
  if (fromSite === toSite) return { key: lanId(fromSite), linkId: lanId(fromSite), bandwidth: LAN.bandwidthBitsPerSecond, latency: LAN.latency };
  const link = LINKS.find((l) => (l.siteA === fromSite && l.siteB === toSite) || (l.siteB === fromSite && l.siteA === toSite))!;
  return { key: `${link.id}:${fromSite}>${toSite}`, linkId: link.id, bandwidth: link.bandwidthBitsPerSecond, latency: link.latency };
}

interface RunOptions {
  readonly seed: number;
  readonly faults?: boolean;
  readonly extraLink?: boolean;
  readonly service?: string;
}

/** Plays `sends` on a fresh network and returns what arrived, when, and the kernel's trace hash. */
function play(sends: readonly Send[], options: RunOptions) {
  const kernel = new Kernel();
  const network = new Network(kernel, rootStream(options.seed).fork('network'));
  for (const site of ['A', 'B', 'C']) network.setLan(site, LAN);
  for (const link of LINKS) network.addLink(link);
  if (options.extraLink) network.addLink({ id: 'spare', siteA: 'A', siteB: 'D', bandwidthBitsPerSecond: 1e6, latency: millis(1), jitter: millis(1) });
  for (const node of NODES) network.addNode(node, SITE_OF[node]);
  const service = options.service ?? 'svc';
  const deliveries: Delivery[] = [];
  const results: SendResult[] = [];
  for (const node of NODES) {
    network.endpoint(node, service).onReceive((from, frame) => {
      const body = frame.body as { seq: number };
      deliveries.push({ at: kernel.now(), to: node, from, seq: body.seq, body });
    });
  }
  if (options.faults) {
    for (const link of LINKS) {
      network.setLoss(link.id, ratio(1, 5));
      network.setDuplication(link.id, ratio(1, 5));
      network.setReordering(link.id, ratio(1, 5), millis(40));
      network.setCorruption(link.id, ratio(1, 5));
    }
  }
  const sentAt: number[] = [];
  const sentBodies = new Map<unknown, number>();
  let at = 0;
  sends.forEach((send, seq) => {
    at += send.gap;
    const from = NODES[send.from];
    const to = NODES[send.to];
    kernel.scheduleAt(instant(at), 'test:send', () => {
      sentAt[seq] = kernel.now();
      const body = { seq, from, to };
      sentBodies.set(body, seq);
      network.endpoint(from, service).send(`${to}/${service}`, { sizeBytes: send.sizeBytes, body }, (r) => results.push(r));
    });
  });
  kernel.run();
  network.invariants();
  return { deliveries, results, sentAt, sentBodies, traceHash: kernel.traceHash, network };
}

describe('network properties', () => {
  it('without faults, delivers every frame exactly once, in order per direction, no earlier than transfer plus latency', () => {
    fc.assert(
      fc.property(fc.array(sendArb, { maxLength: 60 }), fc.nat(), (sends, seed) => {
        const { deliveries, results, sentAt } = play(sends, { seed });
        expect(results).toHaveLength(sends.length);
        expect(results.every((r) => r.ok)).toBe(true);
        expect(deliveries.map((d) => d.seq).sort((x, y) => x - y)).toEqual(sends.map((_, seq) => seq));
        const lastSeqOnPath = new Map<string, number>();
        for (const delivery of deliveries) {
          const send = sends[delivery.seq];
          const from = NODES[send.from];
          expect(delivery.to).toBe(NODES[send.to]);
          expect(delivery.from).toBe(`${from}/svc`);
          const path = pathOf(from, delivery.to);
          expect(delivery.at).toBeGreaterThanOrEqual(sentAt[delivery.seq] + transferDuration(send.sizeBytes, path.bandwidth) + path.latency);
          expect(delivery.seq).toBeGreaterThan(lastSeqOnPath.get(path.key) ?? -1);
          lastSeqOnPath.set(path.key, delivery.seq);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same deliveries and trace hash for the same seed, with and without faults', () => {
    fc.assert(
      fc.property(fc.array(sendArb, { minLength: 1, maxLength: 40 }), fc.nat(), fc.boolean(), (sends, seed, faults) => {
        const first = play(sends, { seed, faults });
        const second = play(sends, { seed, faults });
        expect(second.deliveries).toEqual(first.deliveries);
        expect(second.traceHash).toBe(first.traceHash);
        expect(second.network.snapshot()).toEqual(first.network.snapshot());
      }),
      { numRuns: 60 },
    );
  });

  const busyTraffic: Send[] = Array.from({ length: 80 }, (_, i) => ({ gap: (i * 7919) % 20_000, from: i % 4, to: (i * 3 + 1) % 4, sizeBytes: 1000 + ((i * 104_729) % 50_000) }));

  it('draws differently for another seed, and the trace hash sees it', () => {
    const first = play(busyTraffic, { seed: 1 });
    const second = play(busyTraffic, { seed: 2 });
    expect(second.deliveries.map((d) => d.at)).not.toEqual(first.deliveries.map((d) => d.at));
    expect(second.traceHash).not.toBe(first.traceHash);
  });

  it('folds the addresses of frames into the trace hash', () => {
    const first = play(busyTraffic, { seed: 1, service: 'svc' });
    const second = play(busyTraffic, { seed: 1, service: 'other' });
    expect(second.deliveries.map((d) => d.at)).toEqual(first.deliveries.map((d) => d.at));
    expect(second.traceHash).not.toBe(first.traceHash);
  });

  it('does not shift a link\'s draws when another link is added', () => {
    const without = play(busyTraffic, { seed: 9, faults: true });
    const withExtra = play(busyTraffic, { seed: 9, faults: true, extraLink: true });
    expect(withExtra.deliveries).toEqual(without.deliveries);
  });

  it('under faults, delivers each sent frame at most twice and marks every other body as damaged', () => {
    const { deliveries, sentBodies, network } = play(busyTraffic, { seed: 4, faults: true });
    const counts = new Map<number, number>();
    let damaged = 0;
    for (const d of deliveries) {
      const seq = sentBodies.get(d.body);
      if (seq === undefined) {
        damaged++;
        expect(Object.keys(d.body as object)).toEqual(['seq', 'from', 'to']);
        continue;
      }
      counts.set(seq, (counts.get(seq) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(count).toBeLessThanOrEqual(2);
    const wan = network.snapshot().directions.filter((d) => d.kind === 'wan');
    const sum = (pick: (d: (typeof wan)[number]) => number): number => wan.reduce((total, d) => total + pick(d), 0);
    expect(sum((d) => d.framesDropped.loss)).toBeGreaterThan(0);
    expect(sum((d) => d.framesDuplicated)).toBeGreaterThan(0);
    expect(damaged).toBeGreaterThan(0);
    expect(damaged).toBeLessThanOrEqual(2 * sum((d) => d.framesCorrupted));
    expect(sum((d) => d.framesReordered)).toBeGreaterThan(0);
  });
});
