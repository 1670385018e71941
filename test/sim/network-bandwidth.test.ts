// Bandwidth, queueing and statistics of the simulated network.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { Network, lanId } from '../../sim/network/index.js';
import { instant, millis, seconds, transferDuration } from '../../model/index.js';
import type { SendResult, Transport } from '../../engine/ports.js';

const MB = 1_000_000;
const MBPS = 1_000_000;

/** Two sites joined by an 8 Mbps link with 10 ms latency and no jitter. */
function twoSites(options: { jitterMillis?: number } = {}) {
  const kernel = new Kernel();
  const network = new Network(kernel, rootStream(1).fork('network'));
  network.addLink({ id: 'wan', siteA: 'A', siteB: 'B', bandwidthBitsPerSecond: 8 * MBPS, latency: millis(10), jitter: millis(options.jitterMillis ?? 0) });
  network.addNode('a1', 'A');
  network.addNode('a2', 'A');
  network.addNode('b1', 'B');
  const sender = network.endpoint('a1', 'svc');
  const receiver = network.endpoint('b1', 'svc');
  const arrivals: Array<{ at: number; seq: number }> = [];
  receiver.onReceive((_from, frame) => arrivals.push({ at: kernel.now(), seq: (frame.body as { seq: number }).seq }));
  return { kernel, network, sender, receiver, arrivals };
}

const send = (from: Transport, to: Transport, seq: number, sizeBytes: number, done?: (r: SendResult) => void): void =>
  from.send(to.address, { sizeBytes, body: { seq } }, done);

describe('network bandwidth', () => {
  it('takes 1 s plus latency for a 1 MB frame on 8 Mbps', () => {
    const { kernel, sender, receiver, arrivals } = twoSites();
    send(sender, receiver, 1, MB);
    kernel.run();
    expect(arrivals).toEqual([{ at: seconds(1) + millis(10), seq: 1 }]);
  });

  it('queues a second frame behind the first', () => {
    const { kernel, network, sender, receiver, arrivals } = twoSites();
    send(sender, receiver, 1, MB);
    send(sender, receiver, 2, MB);
    expect(network.stats('wan', 'a-to-b').queueBytes).toBe(MB);
    kernel.run();
    expect(arrivals).toEqual([
      { at: seconds(1) + millis(10), seq: 1 },
      { at: seconds(2) + millis(10), seq: 2 },
    ]);
    expect(network.stats('wan', 'a-to-b').queueBytesMax).toBe(MB);
    expect(network.stats('wan', 'a-to-b').queueBytes).toBe(0);
  });

  it('gives each direction its own queue', () => {
    const { kernel, sender, receiver, arrivals } = twoSites();
    const back: number[] = [];
    sender.onReceive(() => back.push(kernel.now()));
    send(sender, receiver, 1, MB);
    send(receiver, sender, 2, MB);
    kernel.run();
    expect(arrivals.map((a) => a.at)).toEqual([seconds(1) + millis(10)]);
    expect(back).toEqual([seconds(1) + millis(10)]);
  });

  it('charges frames of one site to its LAN, not to the WAN', () => {
    const { kernel, network } = twoSites();
    network.setLan('A', { bandwidthBitsPerSecond: 80 * MBPS, latency: millis(1), jitter: millis(0) });
    const a1 = network.endpoint('a1', 'x');
    const a2 = network.endpoint('a2', 'x');
    const at: number[] = [];
    a2.onReceive(() => at.push(kernel.now()));
    send(a1, a2, 1, MB);
    kernel.run();
    expect(at).toEqual([millis(100) + millis(1)]);
    expect(network.stats(lanId('A'), 'lan').bytesSent).toBe(MB);
    expect(network.stats('wan', 'a-to-b').bytesSent).toBe(0);
  });

  it('applies a bandwidth change to frames that have not started transmitting', () => {
    const { kernel, network, sender, receiver, arrivals } = twoSites();
    send(sender, receiver, 1, MB);
    send(sender, receiver, 2, MB);
    kernel.schedule(millis(500), 'test:throttle', () => network.setBandwidth('wan', 4 * MBPS));
    kernel.run();
    // Frame 1 started at 8 Mbps and keeps its duration; frame 2 starts at 1 s and takes 2 s.
    expect(arrivals.map((a) => a.at)).toEqual([seconds(1) + millis(10), seconds(3) + millis(10)]);
  });

  it('reports done when the frame starts transmitting, so a sender waiting for it is paced', () => {
    const { kernel, sender, receiver } = twoSites();
    const doneAt: number[] = [];
    for (let seq = 0; seq < 3; seq++) send(sender, receiver, seq, MB, (r) => r.ok && doneAt.push(kernel.now()));
    kernel.run();
    expect(doneAt).toEqual([0, seconds(1), seconds(2)]);
  });

  it('counts bytes, frames, busy time and utilisation per direction', () => {
    const { kernel, network, sender, receiver } = twoSites();
    send(sender, receiver, 1, MB);
    send(sender, receiver, 2, MB / 2);
    kernel.run({ until: instant(seconds(4)) });
    const stats = network.stats('wan', 'a-to-b');
    expect(stats.bytesSent).toBe(MB + MB / 2);
    expect(stats.framesSent).toBe(2);
    expect(stats.framesDelivered).toBe(2);
    expect(stats.bytesDelivered).toBe(MB + MB / 2);
    expect(stats.busyMicros).toBe(seconds(1.5));
    expect(network.utilisation('wan')).toBeCloseTo(1.5 / 4, 9);
    expect(network.utilisation('wan', seconds(2))).toBe(0);
    expect(network.utilisation('wan', seconds(1))).toBeCloseTo(0.5 / 3, 9);
    expect(network.utilisation('wan', 0, 'b-to-a')).toBe(0);
    expect(network.stats('wan', 'b-to-a').framesSent).toBe(0);
  });

  it('measures utilisation over windows that start in the past', () => {
    const { kernel, network, sender, receiver } = twoSites();
    send(sender, receiver, 1, 3 * MB); // busy [0 s, 3 s)
    kernel.scheduleAt(instant(seconds(10)), 'test:send', () => send(sender, receiver, 2, MB / 10)); // busy [10 s, 10.1 s)
    kernel.run({ until: instant(seconds(12)) });
    expect(network.utilisation('wan', seconds(1))).toBeCloseTo(2.1 / 11, 9);
    expect(network.utilisation('wan', seconds(1.5))).toBeCloseTo(1.6 / 10.5, 9);
    expect(network.utilisation('wan', seconds(3))).toBeCloseTo(0.1 / 9, 9);
    expect(network.utilisation('wan', seconds(10.05))).toBeCloseTo(0.05 / 1.95, 9);
  });

  it('counts only the elapsed part of a transmission still in progress as busy', () => {
    const { kernel, network, sender, receiver } = twoSites();
    send(sender, receiver, 1, MB);
    kernel.run({ until: instant(millis(250)) });
    expect(network.stats('wan', 'a-to-b').busyMicros).toBe(millis(250));
    expect(network.utilisation('wan')).toBe(1);
  });

  it('lists every direction in its snapshot', () => {
    const { kernel, network, sender, receiver } = twoSites();
    send(sender, receiver, 1, 1000);
    kernel.run();
    const snapshot = network.snapshot();
    expect(snapshot.directions.map((d) => `${d.linkId}/${d.direction}`)).toEqual(['wan/a-to-b', 'wan/b-to-a', 'lan:A/lan', 'lan:B/lan']);
    expect(snapshot.directions[0]).toMatchObject({ bytesSent: 1000, framesDelivered: 1, kind: 'wan', fromSite: 'A', toSite: 'B' });
    expect(snapshot.time).toBe(transferDuration(1000, 8 * MBPS) + millis(10));
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('refuses to route between sites with no link, and to unknown nodes', () => {
    const { kernel, network, sender } = twoSites();
    network.addNode('c1', 'C');
    const results: SendResult[] = [];
    sender.send('c1/svc', { sizeBytes: 1, body: null }, (r) => results.push(r));
    sender.send('nobody/svc', { sizeBytes: 1, body: null }, (r) => results.push(r));
    expect(results).toEqual([]);
    kernel.run();
    expect(results).toEqual([
      { ok: false, reason: 'no-route' },
      { ok: false, reason: 'no-route' },
    ]);
    expect(network.snapshot().sendsRefused['no-route']).toBe(2);
  });

  it('routes to a node added after a send found no route', () => {
    const { kernel, network, sender } = twoSites();
    const results: SendResult[] = [];
    sender.send('b2/svc', { sizeBytes: 1, body: null }, (r) => results.push(r));
    network.addNode('b2', 'B');
    const got: unknown[] = [];
    network.endpoint('b2', 'svc').onReceive((_from, frame) => got.push(frame.body));
    sender.send('b2/svc', { sizeBytes: 1, body: 'hello' }, (r) => results.push(r));
    kernel.run();
    expect(results).toEqual([{ ok: false, reason: 'no-route' }, { ok: true }]);
    expect(got).toEqual(['hello']);
  });

  it('keeps a busy direction in order despite jitter', () => {
    const { kernel, network, sender, receiver, arrivals } = twoSites({ jitterMillis: 50 });
    for (let seq = 0; seq < 200; seq++) send(sender, receiver, seq, 100);
    kernel.run();
    network.invariants();
    expect(arrivals.map((a) => a.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(arrivals.map((a) => a.at)).size).toBeGreaterThan(1);
  });
});
