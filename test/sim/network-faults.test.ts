// Faults of the simulated network: partitions, clogs, loss, duplication, reordering,
// corruption and down nodes, each at ratio 1/1 (always) and 0/1 (never), and their undo.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel.js';
import { ALWAYS, NEVER, ratio, rootStream } from '../../sim/random.js';
import { Network, lanId } from '../../sim/network/index.js';
import { instant, millis, seconds } from '../../model/index.js';
import type { Frame, SendResult, Transport } from '../../engine/ports.js';

interface Arrival {
  readonly at: number;
  readonly from: string;
  readonly frame: Frame;
}

function world(seed = 3) {
  const kernel = new Kernel();
  const network = new Network(kernel, rootStream(seed).fork('network'));
  network.addLink({ id: 'wan', siteA: 'A', siteB: 'B', bandwidthBitsPerSecond: 100_000_000, latency: millis(10), jitter: millis(2) });
  network.addNode('a1', 'A');
  network.addNode('a2', 'A');
  network.addNode('b1', 'B');
  const a = network.endpoint('a1', 'svc');
  const b = network.endpoint('b1', 'svc');
  const atA: Arrival[] = [];
  const atB: Arrival[] = [];
  a.onReceive((from, frame) => atA.push({ at: kernel.now(), from, frame }));
  b.onReceive((from, frame) => atB.push({ at: kernel.now(), from, frame }));
  const settle = (): void => {
    kernel.run();
    network.invariants();
  };
  return { kernel, network, a, b, atA, atB, settle };
}

const body = (seq: number) => ({ seq, name: `frame-${seq}`, flags: [true, false], data: new Uint8Array([1, 2, 3, seq & 255]) });
const sendMany = (from: Transport, to: Transport, count: number, sizeBytes = 1500): void => {
  for (let seq = 0; seq < count; seq++) from.send(to.address, { sizeBytes, body: body(seq) });
};
const seqs = (arrivals: readonly Arrival[]): number[] => arrivals.map((r) => (r.frame.body as { seq: number }).seq);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('network partitions', () => {
  it('drops frames both ways, counts them, and heals', () => {
    const { network, a, b, atA, atB, settle } = world();
    network.partition('A', 'B');
    sendMany(a, b, 3);
    sendMany(b, a, 2);
    settle();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b').framesDropped.partition).toBe(3);
    expect(network.stats('wan', 'b-to-a').framesDropped.partition).toBe(2);
    network.heal('A', 'B');
    sendMany(a, b, 3);
    settle();
    expect(seqs(atB)).toEqual([0, 1, 2]);
  });

  it('drops one way only, in the direction named relative to the arguments', () => {
    const { network, a, b, atA, atB, settle } = world();
    network.partition('B', 'A', 'a-to-b'); // from B to A
    sendMany(a, b, 2);
    sendMany(b, a, 2);
    settle();
    expect(seqs(atB)).toEqual([0, 1]);
    expect(atA).toEqual([]);
    network.heal('A', 'B');
    network.partition('A', 'B', 'b-to-a'); // again from B to A
    sendMany(a, b, 1);
    sendMany(b, a, 1);
    settle();
    expect(seqs(atB)).toEqual([0, 1, 0]);
    expect(atA).toEqual([]);
  });

  it('drops frames already in flight when the partition starts', () => {
    const { kernel, network, a, b, atB, settle } = world();
    sendMany(a, b, 2);
    kernel.run({ until: instant(millis(5)) });
    network.partition('A', 'B');
    settle();
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b').framesDropped.partition).toBe(2);
  });

  it('refuses to partition a LAN or unlinked sites', () => {
    const { network } = world();
    expect(() => network.partition('A', 'A')).toThrow(/LAN cannot be partitioned/);
    expect(() => network.partition('A', 'Z')).toThrow(/no link/);
  });
});

describe('network clog', () => {
  it('holds frames while clogged and releases them in order when unclogged', () => {
    const { kernel, network, a, b, atB, settle } = world();
    sendMany(a, b, 5); // in flight when the clog starts
    kernel.run({ until: instant(millis(1)) });
    network.clog('wan');
    for (let seq = 5; seq < 10; seq++) a.send(b.address, { sizeBytes: 1500, body: body(seq) });
    kernel.run({ until: instant(seconds(10)) });
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b').queueFrames).toBe(5);
    network.unclog('wan');
    for (let seq = 10; seq < 15; seq++) a.send(b.address, { sizeBytes: 1500, body: body(seq) });
    settle();
    expect(seqs(atB)).toEqual(range(15));
    expect(atB[0].at).toBe(seconds(10));
    expect(network.stats('wan', 'a-to-b').framesHeld).toBe(5);
  });

  it('keeps order when a frame arrives at the very instant of the unclog, behind held ones', () => {
    const kernel = new Kernel();
    const network = new Network(kernel, rootStream(1).fork('network'));
    network.addLink({ id: 'wan', siteA: 'A', siteB: 'B', bandwidthBitsPerSecond: 8_000_000, latency: millis(100), jitter: millis(0) });
    network.addNode('a1', 'A');
    network.addNode('b1', 'B');
    const a = network.endpoint('a1', 'svc');
    const got: number[] = [];
    network.endpoint('b1', 'svc').onReceive((_from, frame) => got.push(frame.body as number));
    a.send('b1/svc', { sizeBytes: 1000, body: 1 }); // arrives at 101 ms
    a.send('b1/svc', { sizeBytes: 1000, body: 2 }); // arrives at 102 ms
    // The unclog event is older than frame 2's arrival event (scheduled when frame 2 starts
    // transmitting at 1 ms), so at 102 ms it runs first, and the release comes after the arrival.
    kernel.scheduleAt(instant(millis(102)), 'test:unclog', () => network.unclog('wan'));
    kernel.scheduleAt(instant(millis(50)), 'test:clog', () => network.clog('wan'));
    kernel.run();
    network.invariants();
    expect(got).toEqual([1, 2]);
  });

  it('keeps holding through a clog that returns before the release', () => {
    const { kernel, network, a, b, atB, settle } = world();
    sendMany(a, b, 3);
    network.clog('wan');
    kernel.run({ until: instant(seconds(1)) });
    network.unclog('wan');
    network.clog('wan');
    kernel.run({ until: instant(seconds(2)) });
    expect(atB).toEqual([]);
    network.unclog('wan');
    settle();
    expect(seqs(atB)).toEqual([0, 1, 2]);
  });
});

describe('network loss, duplication, reordering', () => {
  it('loses every frame at 1/1 (they still use bandwidth) and none at 0/1', () => {
    const { network, a, b, atB, settle } = world();
    network.setLoss('wan', ALWAYS);
    sendMany(a, b, 10);
    settle();
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b')).toMatchObject({ framesSent: 10, bytesSent: 15_000, framesDelivered: 0 });
    expect(network.stats('wan', 'a-to-b').framesDropped.loss).toBe(10);
    network.setLoss('wan', NEVER);
    sendMany(a, b, 10);
    settle();
    expect(seqs(atB)).toEqual(range(10));
  });

  it('loses about the share asked for', () => {
    const { network, a, b, atB, settle } = world();
    network.setLoss('wan', ratio(1, 4));
    sendMany(a, b, 2000, 10);
    settle();
    expect(atB.length).toBeGreaterThan(1400);
    expect(atB.length).toBeLessThan(1600);
    expect(atB.length + network.stats('wan', 'a-to-b').framesDropped.loss).toBe(2000);
  });

  it('delivers every frame twice at 1/1, the copy later, and once at 0/1', () => {
    const { network, a, b, atB, settle } = world();
    network.setDuplication('wan', ALWAYS);
    sendMany(a, b, 5);
    settle();
    expect(seqs(atB).sort((x, y) => x - y)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    for (let seq = 0; seq < 5; seq++) {
      const [first, copy] = atB.filter((r) => (r.frame.body as { seq: number }).seq === seq);
      expect(copy.at).toBeGreaterThan(first.at);
      expect(copy.frame.body).toEqual(first.frame.body);
    }
    expect(network.stats('wan', 'a-to-b').framesDuplicated).toBe(5);
    network.setDuplication('wan', NEVER);
    atB.length = 0;
    sendMany(a, b, 5);
    settle();
    expect(seqs(atB)).toEqual(range(5));
  });

  it('reorders at 1/1 (every frame still arrives once) and keeps order at 0/1', () => {
    const { network, a, b, atB, settle } = world();
    network.setReordering('wan', ALWAYS, millis(50));
    sendMany(a, b, 50);
    settle();
    expect(seqs(atB)).not.toEqual(range(50));
    expect(seqs(atB).sort((x, y) => x - y)).toEqual(range(50));
    expect(network.stats('wan', 'a-to-b').framesReordered).toBe(50);
    network.setReordering('wan', NEVER, millis(0));
    atB.length = 0;
    sendMany(a, b, 50);
    settle();
    expect(seqs(atB)).toEqual(range(50));
  });

  it('applies faults set on a LAN to frames inside the site', () => {
    const { network, settle } = world();
    const a1 = network.endpoint('a1', 'x');
    const a2 = network.endpoint('a2', 'x');
    const got: number[] = [];
    a2.onReceive((_from, frame) => got.push((frame.body as { seq: number }).seq));
    network.setLoss(lanId('A'), ALWAYS);
    sendMany(a1, a2, 3);
    settle();
    expect(got).toEqual([]);
    expect(network.stats(lanId('A'), 'lan').framesDropped.loss).toBe(3);
  });
});

describe('network corruption', () => {
  it('damages every frame at 1/1 without touching the sender\'s body, and none at 0/1', () => {
    const { network, a, b, atB, settle } = world();
    network.setCorruption('wan', ALWAYS);
    const sent = range(40).map((seq) => body(seq));
    const pristine = structuredClone(sent);
    for (const item of sent) a.send(b.address, { sizeBytes: 100, body: item });
    settle();
    expect(sent).toEqual(pristine);
    expect(atB).toHaveLength(40);
    atB.forEach((arrival, i) => {
      expect(arrival.frame.body).not.toEqual(pristine[i]);
      expect(arrival.frame.body).not.toBe(sent[i]);
      expect(arrival.frame.sizeBytes).toBe(100);
    });
    expect(network.stats('wan', 'a-to-b').framesCorrupted).toBe(40);
    network.setCorruption('wan', NEVER);
    atB.length = 0;
    for (const item of sent) a.send(b.address, { sizeBytes: 100, body: item });
    settle();
    atB.forEach((arrival, i) => expect(arrival.frame.body).toBe(sent[i]));
  });

  it('drops a frame whose body has nothing to damage, as a CRC would', () => {
    const { network, a, b, atB, settle } = world();
    network.setCorruption('wan', ALWAYS);
    a.send(b.address, { sizeBytes: 10, body: {} });
    a.send(b.address, { sizeBytes: 10, body: null });
    settle();
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b').framesDropped.corruption).toBe(2);
  });
});

describe('network down nodes', () => {
  it('refuses sends from a down node with host-down, as a later event', () => {
    const { kernel, network, a, b, atB, settle } = world();
    network.setNodeUp('a1', false);
    const results: SendResult[] = [];
    a.send(b.address, { sizeBytes: 1, body: 1 }, (r) => results.push(r));
    expect(results).toEqual([]);
    settle();
    expect(results).toEqual([{ ok: false, reason: 'host-down' }]);
    expect(atB).toEqual([]);
    expect(network.snapshot().sendsRefused['host-down']).toBe(1);
    expect(kernel.eventCount).toBe(1);
  });

  it('drops frames to a down node, including those in flight when it went down', () => {
    const { kernel, network, a, b, atB, settle } = world();
    sendMany(a, b, 2);
    kernel.run({ until: instant(millis(1)) });
    network.setNodeUp('b1', false);
    sendMany(a, b, 2);
    settle();
    expect(atB).toEqual([]);
    expect(network.stats('wan', 'a-to-b').framesDropped['host-down']).toBe(4);
    network.setNodeUp('b1', true);
    expect(network.isNodeUp('b1')).toBe(true);
    sendMany(a, b, 1);
    settle();
    expect(seqs(atB)).toEqual([0]);
  });

  it('drops frames for a service nobody listens on, without harm', () => {
    const { network, a, settle } = world();
    a.send('b1/nobody', { sizeBytes: 1, body: 1 });
    settle();
    expect(network.stats('wan', 'a-to-b').framesDropped['no-endpoint']).toBe(1);
  });
});
