// The Scout process server on its own (DOMAIN.md rules 18-19, numbers table rows 25-27, 30, 32):
// a tiny simulated host (kernel, clock, CPU, host volume) and a transport whose frames the test
// reads and writes, standing in for the unified agent and the master target.
import { describe, expect, it } from 'vitest';
import { millis, minutes, seconds, type Duration, type Instant } from '../../model/index.js';
import { Kernel, KernelClock, RandomStream, RunTracer, SimCodec, SimCpu, SimHostFs, SymbolicPayload } from '../../sim/index.js';
import { open, seal } from '../../engine/data-plane/envelope.js';
import { FORWARD_WINDOW, PS_MEMORY_BYTES, ProcessServerService, THROTTLE_AFTER_RESENDS } from '../../engine/providers/inmage-scout/process-server.js';
import { RECORD_HEADER_BYTES } from '../../engine/providers/inmage-scout/agent-pair.js';
import type { DataRecord, ScoutMessage } from '../../engine/providers/inmage-scout/messages.js';
import { BatchBuilder, type UnplacedControl } from '../../engine/providers/inmage-scout/batch-records.js';
import type { ScoutResponse } from '../../engine/providers/inmage-scout/requests.js';
import type { Frame, HostPorts, Transport } from '../../engine/index.js';

const BLOCK = 4096;
const AGENT = 'esx-a1/scout-ua';
const MT = 'mt-b1/scout-mt';
const VM = 'vm1';
const EPOCH = 3;

interface Sent {
  readonly to: string;
  readonly at: number;
  readonly message: ScoutMessage;
}

/** One process-server host whose volume survives a restart of the service (a process crash). */
function host(cacheBytesMax?: number, volumeBytes = 1024 * 1024 * 1024) {
  const kernel = new Kernel();
  const clock = new KernelClock(kernel, 'ps-a1');
  const tracer = new RunTracer(() => kernel.now(), false);
  const codec = new SimCodec({ blockSizeBytes: BLOCK });
  const fs = new SimHostFs(kernel, 'ps-a1', { capacityBytes: volumeBytes });
  const cpu = new SimCpu(kernel, 'ps-a1', { cores: 2 });
  const sent: Sent[] = [];
  let handler: ((from: string, frame: Frame) => void) | null = null;
  const transport: Transport = {
    address: 'ps-a1/scout-ps',
    send: (to, frame, done) => {
      const opened = open<ScoutMessage>(codec, frame);
      if (opened.ok) sent.push({ to, at: kernel.now(), message: opened.envelope.message });
      if (done !== undefined) kernel.schedule(0, 'left', () => done({ ok: true }));
    },
    onReceive: (h) => {
      handler = h;
    },
  };
  const ports: HostPorts = {
    hostId: 'ps-a1',
    clock,
    entropy: new RandomStream('ps-a1'),
    tracer: tracer.forActor('ps-a1'),
    codec,
    fs,
    cpu,
    transport: () => transport,
    device: () => {
      throw new Error('the process server has no block devices');
    },
  };
  const run = (span: number) => kernel.run({ until: (kernel.now() + span) as Instant });
  const boot = () => new ProcessServerService(ports, cacheBytesMax);
  const request = (ps: ProcessServerService, req: unknown): ScoutResponse => {
    let answer: ScoutResponse | null = null;
    ps.handleRequest(req, (r) => (answer = r as ScoutResponse));
    run(seconds(1));
    expect(answer).not.toBeNull();
    return answer!;
  };
  const deliver = (from: string, message: ScoutMessage, epoch = EPOCH, pairing = VM) => handler!(from, seal(codec, pairing, epoch, message, 0));
  const toAgent = () => sent.filter((s) => s.to === AGENT).map((s) => s.message);
  const toMt = () => sent.filter((s) => s.to === MT).map((s) => s.message);
  const deliverFrame = (from: string, frame: Frame) => handler!(from, frame);
  return { kernel, tracer, codec, sent, run, boot, request, deliver, deliverFrame, toAgent, toMt };
}

type Host = ReturnType<typeof host>;

function withPair(cacheBytesMax?: number): Host & { ps: ProcessServerService } {
  const h = host(cacheBytesMax);
  const ps = h.boot();
  expect(h.request(ps, { op: 'add-pair', vmId: VM, epoch: EPOCH, agentHost: 'esx-a1', masterTarget: 'mt-b1' })).toEqual({ ok: true });
  return { ...h, ps };
}

type TestRecord = DataRecord | UnplacedControl;
/** A write record of `blocks` blocks: RECORD_HEADER_BYTES + blocks * BLOCK bytes in the cache. */
const write = (blocks: number, id = 1): TestRecord => ({ kind: 'data', disk: 0, start: 0, payload: SymbolicPayload.filled(id, blocks), at: 0 as Instant });
const cached = (blocks: number) => RECORD_HEADER_BYTES + blocks * BLOCK;
/** A batch packed as the agent packs it, records in stream order. */
function batch(generation: number, seq: number, records: TestRecord[] = [write(1)]): ScoutMessage {
  const builder = new BatchBuilder(new SimCodec({ blockSizeBytes: BLOCK }));
  for (const record of records) {
    if (record.kind === 'data') builder.appendData(record.disk, record.start, record.payload, record.at);
    else builder.appendControl(record);
  }
  return { type: 'batch', generation, seq, sealedAt: 0 as Instant, ...builder.take() };
}

describe('ProcessServerService: accepting the stream', () => {
  it('caches batches in order, acknowledges them and forwards them to the master target', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1, [write(2)]));
    h.deliver(AGENT, batch(1, 2, [write(1), { kind: 'tag', name: 't', tagKind: 'crash', at: 0 as Instant }]));
    h.run(seconds(1));
    expect(h.toAgent()).toEqual([
      { type: 'batch-ack', generation: 1, seq: 1 },
      { type: 'batch-ack', generation: 1, seq: 2 },
    ]);
    // Compression runs on two cores, so a small batch may overtake a big one on the wire.
    expect(h.toMt().map((m) => m.type === 'forward' && `${m.generation}:${m.seq}`).sort()).toEqual(['1:1', '1:2']);
    const status = h.ps.status();
    expect(status).toMatchObject({ batchesCached: 2, batchesForwarded: 2, batchesConfirmed: 0, bytesIn: cached(2) + cached(1) + RECORD_HEADER_BYTES, cacheBytes: cached(2) + cached(1) + RECORD_HEADER_BYTES });
    // On the wire the payload is compressed (7/10 by the simulator's codec); headers are not.
    expect(status.bytesOut).toBe(3 * RECORD_HEADER_BYTES + Math.ceil((2 * BLOCK * 7) / 10) + Math.ceil((BLOCK * 7) / 10));
    h.ps.invariants();
  });

  it('answers a duplicate with the newest accepted batch, and ignores stale generations and gaps', () => {
    const h = withPair();
    h.deliver(AGENT, batch(2, 1));
    h.deliver(AGENT, batch(2, 2));
    h.run(seconds(1));
    h.sent.length = 0;
    h.deliver(AGENT, batch(2, 1)); // a resend that crossed its ack
    h.deliver(AGENT, batch(1, 7)); // an older generation: nobody waits for it
    h.deliver(AGENT, batch(2, 4)); // a gap: the agent resends in order
    h.run(seconds(1));
    expect(h.toAgent()).toEqual([{ type: 'batch-ack', generation: 2, seq: 2 }]);
    expect(h.ps.status().batchesCached).toBe(2);
    // A new generation starts at seq 1 and nowhere else.
    h.deliver(AGENT, batch(3, 2));
    h.deliver(AGENT, batch(3, 1));
    h.run(seconds(1));
    expect(h.toAgent().slice(1)).toEqual([{ type: 'batch-ack', generation: 3, seq: 1 }]);
  });

  it('refuses frames from strangers and from an older epoch', () => {
    const h = withPair();
    h.deliver('esx-a9/scout-ua', batch(1, 1));
    h.deliver(AGENT, batch(1, 1), EPOCH - 1);
    h.deliver(AGENT, batch(1, 1), EPOCH, 'vm-unknown');
    h.run(seconds(1));
    expect(h.sent).toEqual([]);
    expect(h.tracer.reached('frame-rejected-foreign')).toBe(true);
    expect(h.tracer.reached('frame-rejected-stale')).toBe(true);
  });

  it('answers a probe with the free fraction of its cache', () => {
    const h = withPair(10 * cached(1));
    h.deliver(AGENT, batch(1, 1));
    h.deliver(AGENT, { type: 'probe', nonce: 42 });
    h.run(seconds(1));
    expect(h.toAgent()[1]).toEqual({ type: 'probe-reply', nonce: 42, cacheFreeFraction: 0.9 });
  });
});

describe('ProcessServerService: the cache', () => {
  it('throttles the agent when a batch does not fit, counting every refusal', () => {
    const h = withPair(3 * cached(1));
    h.deliver(AGENT, batch(1, 1, [write(1)]));
    h.deliver(AGENT, batch(1, 2, [write(1), write(1)]));
    h.deliver(AGENT, batch(1, 3, [write(2)])); // one byte per header too many
    h.deliver(AGENT, batch(1, 3, [write(2)]));
    h.run(seconds(1));
    expect(h.toAgent()).toEqual([
      { type: 'batch-ack', generation: 1, seq: 1 },
      { type: 'batch-ack', generation: 1, seq: 2 },
      { type: 'throttle', generation: 1, seq: 3 },
      { type: 'throttle', generation: 1, seq: 3 },
    ]);
    const status = h.ps.status();
    expect(status).toMatchObject({ cacheFullRefusals: 2, cacheBytes: 3 * cached(1), cacheBytesMax: 3 * cached(1), cacheFreeFraction: 0, batchesCached: 2 });
    expect(h.tracer.reached('ps-cache-full')).toBe(true);
    // The master target confirms the first batch: its room is free again.
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    h.deliver(AGENT, batch(1, 3, [write(1)]));
    h.run(seconds(1));
    expect(h.toAgent().at(-1)).toEqual({ type: 'batch-ack', generation: 1, seq: 3 });
    expect(h.ps.status()).toMatchObject({ cacheFullRefusals: 2, batchesConfirmed: 1 });
  });

  it('keeps the peak of the cache, not its current size', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1, [write(4)]));
    h.deliver(AGENT, batch(1, 2, [write(2)]));
    h.run(seconds(1));
    expect(h.ps.status().cacheBytesPeak).toBe(cached(4) + cached(2));
    h.deliver(MT, { type: 'applied', generation: 1, seq: 2 });
    h.run(seconds(1));
    expect(h.ps.status()).toMatchObject({ cacheBytes: 0, batchesConfirmed: 2 });
    h.deliver(AGENT, batch(1, 3, [write(1)]));
    h.run(seconds(1));
    expect(h.ps.status()).toMatchObject({ cacheBytes: cached(1), cacheBytesPeak: cached(4) + cached(2) });
  });

  it('reports backlog, memory and per-pair figures for the configuration server', () => {
    const h = withPair();
    h.run(minutes(1));
    h.deliver(AGENT, batch(1, 1, [write(1)]));
    // Until it is compressed and sent, the batch also holds memory.
    expect(h.ps.status().memoryUtilisation).toBe(cached(1) / PS_MEMORY_BYTES);
    h.run(seconds(20));
    const status = h.ps.status();
    expect(status.host).toBe('ps-a1');
    expect(status.backlogMicros).toBe(seconds(20));
    expect(status.pairs).toEqual([{ vmId: VM, cachedBatches: 1, throttled: false, backlogMicros: seconds(20) }]);
    expect(status.memoryUtilisation).toBe(0); // sent batches wait in the cache, not in memory
    expect(PS_MEMORY_BYTES).toBe(16 * 1024 * 1024 * 1024);
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    expect(h.ps.status()).toMatchObject({ backlogMicros: 0, pairs: [{ vmId: VM, cachedBatches: 0, throttled: false, backlogMicros: 0 }] });
  });

  it('keeps at most FORWARD_WINDOW batches in flight to the master target', () => {
    const h = withPair();
    for (let seq = 1; seq <= FORWARD_WINDOW + 2; seq++) h.deliver(AGENT, batch(1, seq));
    h.run(seconds(1));
    expect(h.toMt().length).toBe(FORWARD_WINDOW);
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    h.run(seconds(1));
    expect(h.toMt().map((m) => m.type === 'forward' && m.seq).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('ProcessServerService: throttling a pair the master target does not answer', () => {
  const resends = (h: Host) => h.tracer.marks().get('ps-retransmit') ?? 0;
  /** Runs until the forwarded batch has been resent `n` times. */
  const untilResends = (h: Host, n: number) => {
    for (let i = 0; i < 3600 && resends(h) < n; i++) h.run(seconds(1));
    expect(resends(h)).toBe(n);
  };

  it(`throttles after ${THROTTLE_AFTER_RESENDS} resends, not before, and lifts it when the master target confirms`, () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    expect(h.toMt().length).toBe(1);
    untilResends(h, THROTTLE_AFTER_RESENDS - 1);
    expect(h.ps.status().pairs[0].throttled).toBe(false);
    expect(h.tracer.reached('ps-pair-throttled')).toBe(false);
    untilResends(h, THROTTLE_AFTER_RESENDS);
    expect(h.ps.status().pairs[0].throttled).toBe(true);
    untilResends(h, THROTTLE_AFTER_RESENDS + 1);
    expect(h.tracer.marks().get('ps-pair-throttled')).toBe(1); // one alert, not one per resend
    expect(h.toMt().length).toBe(THROTTLE_AFTER_RESENDS + 2);
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    expect(h.ps.status().pairs[0].throttled).toBe(false);
    expect(h.tracer.reached('ps-pair-throttle-lifted')).toBe(true);
  });

  it('stops resending once the batch is confirmed, and forgets a removed pair', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    h.run(minutes(30));
    expect(resends(h)).toBe(0);
    h.deliver(AGENT, batch(1, 2, [write(3)]));
    h.run(seconds(1));
    expect(h.request(h.ps, { op: 'remove-pair', vmId: VM })).toEqual({ ok: true });
    expect(h.ps.status()).toMatchObject({ cacheBytes: 0, pairs: [] });
    h.run(minutes(30));
    expect(resends(h)).toBe(0);
  });
});

describe('ProcessServerService: a restart loses the cache', () => {
  it('tells the agent its stream is lost until a stream starting with a full resync arrives', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    const restarted = h.boot(); // same volume: the pair file survives, the cache does not
    h.run(seconds(1));
    expect(h.tracer.reached('ps-cache-lost')).toBe(true);
    h.sent.length = 0;
    h.deliver(AGENT, batch(1, 2));
    h.deliver(AGENT, batch(2, 1, [{ kind: 'resync-begin', scope: 'bitmap', reason: 'x', at: 0 as Instant }]));
    h.run(seconds(1));
    expect(h.toAgent()).toEqual([
      { type: 'stream-lost', reason: 'the process server lost its cache' },
      { type: 'stream-lost', reason: 'the process server lost its cache' },
    ]);
    h.deliver(AGENT, batch(2, 1, [{ kind: 'resync-begin', scope: 'full', reason: 'ps-cache-lost', at: 0 as Instant }, write(1)]));
    h.deliver(AGENT, batch(2, 2));
    h.run(seconds(1));
    expect(h.toAgent().slice(2)).toEqual([
      { type: 'batch-ack', generation: 2, seq: 1 },
      { type: 'batch-ack', generation: 2, seq: 2 },
    ]);
    expect(restarted.status().batchesCached).toBe(2);
  });

  it('answers management requests only once its state is read back', () => {
    const h = host();
    const ps = h.boot();
    let answered = false;
    ps.handleRequest({ op: 'status' }, () => (answered = true));
    expect(answered).toBe(false);
    h.run(seconds(1) as Duration);
    expect(answered).toBe(true);
  });
});

describe('ProcessServerService: who may say what', () => {
  it('rejects a corrupted frame, and takes confirmations only from the master target', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    const frame = seal(h.codec, VM, EPOCH, { type: 'applied', generation: 1, seq: 1 } satisfies ScoutMessage, 0);
    h.deliverFrame(MT, { ...frame, body: { ...(frame.body as object), epoch: EPOCH, message: { type: 'applied', generation: 9, seq: 9 } } });
    expect(h.tracer.reached('frame-rejected-checksum')).toBe(true);
    h.deliver('mt-b9/scout-mt', { type: 'applied', generation: 1, seq: 1 }); // a stranger
    h.deliver(AGENT, { type: 'applied', generation: 1, seq: 1 }); // the agent cannot confirm
    h.deliver(MT, { type: 'batch-ack', generation: 1, seq: 1 }); // nor can other master-target messages
    h.deliver(MT, batch(1, 2)); // and the master target sends no stream
    h.run(seconds(1));
    expect(h.ps.status()).toMatchObject({ batchesCached: 1, batchesConfirmed: 0, pairs: [{ cachedBatches: 1 }] });
    expect(h.toAgent()).toEqual([{ type: 'batch-ack', generation: 1, seq: 1 }]);
    h.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    expect(h.ps.status()).toMatchObject({ batchesConfirmed: 1, cacheBytes: 0 });
  });

  it('accepts only a full resync as the first batch after a restart', () => {
    const h = withPair();
    const restarted = h.boot();
    h.run(seconds(1));
    h.sent.length = 0;
    const full = { kind: 'resync-begin', scope: 'full', reason: 'ps-cache-lost', at: 0 as Instant } as const;
    h.deliver(AGENT, batch(2, 1, [])); // nothing in it
    h.deliver(AGENT, batch(2, 1, [write(1), full])); // the resync does not come first
    h.deliver(AGENT, batch(2, 2, [full])); // not the start of a stream
    h.run(seconds(1));
    expect(h.toAgent().map((m) => m.type)).toEqual(['stream-lost', 'stream-lost', 'stream-lost']);
    expect(restarted.status().batchesCached).toBe(0);
  });

  it('acknowledges a repeat of the newest batch, and never goes back to an older generation', () => {
    const h = withPair();
    h.deliver(AGENT, batch(2, 1));
    h.deliver(AGENT, batch(2, 2));
    h.deliver(AGENT, batch(2, 2));
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    expect(h.toAgent()).toEqual([
      { type: 'batch-ack', generation: 2, seq: 1 },
      { type: 'batch-ack', generation: 2, seq: 2 },
      { type: 'batch-ack', generation: 2, seq: 2 },
    ]);
    expect(h.ps.status().batchesCached).toBe(2);
  });
});

describe('ProcessServerService: confirmations across generations', () => {
  it('drops only the batches up to the confirmed one, generation first', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.deliver(AGENT, batch(1, 2));
    h.deliver(AGENT, batch(2, 1)); // the agent resynced: a new generation
    h.run(seconds(1));
    h.deliver(MT, { type: 'applied', generation: 1, seq: 2 });
    expect(h.ps.status()).toMatchObject({ batchesConfirmed: 2, pairs: [{ cachedBatches: 1 }], cacheBytes: cached(1) });
    h.deliver(MT, { type: 'applied', generation: 1, seq: 9 });
    expect(h.ps.status().pairs[0].cachedBatches).toBe(1);
    h.deliver(MT, { type: 'applied', generation: 2, seq: 1 });
    expect(h.ps.status().pairs[0].cachedBatches).toBe(0);
    expect(h.tracer.reached('ps-pair-throttle-lifted')).toBe(false); // it never was throttled
  });

  it('takes a confirmation of a newer generation as confirming every older batch', () => {
    const h = withPair();
    for (let seq = 1; seq <= 3; seq++) h.deliver(AGENT, batch(1, seq));
    h.deliver(AGENT, batch(2, 1));
    h.run(seconds(1));
    h.deliver(MT, { type: 'applied', generation: 2, seq: 1 });
    expect(h.ps.status()).toMatchObject({ batchesConfirmed: 4, cacheBytes: 0 });
  });

  it('measures the WAN from large confirmed batches only, and times resends by it', () => {
    const resendGap = (h: Host, seq: number) => {
      const times = h.sent.filter((s) => s.to === MT && s.message.type === 'forward' && s.message.seq === seq).map((s) => s.at);
      return (times[1] - times[0]) / 1e6;
    };
    // A small batch confirmed slowly says nothing about the WAN: a 1 MiB batch (0.7 MiB on the
    // wire) is still resent after 30 s + 16 x its transfer time at the assumed 10 Mbps.
    const slow = withPair();
    slow.deliver(AGENT, batch(1, 1, [write(1)]));
    slow.run(seconds(20));
    slow.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    slow.deliver(AGENT, batch(1, 2, [write(256)]));
    slow.run(seconds(60));
    expect(resendGap(slow, 2)).toBeGreaterThan(38.5);
    expect(resendGap(slow, 2)).toBeLessThan(39.5);
    // A 1 MiB batch confirmed 100 ms after it was sent: 7 MiB/s measured, 2.4 MiB/s estimated.
    const fast = withPair();
    fast.deliver(AGENT, batch(1, 1, [write(256)]));
    fast.run(millis(100));
    fast.deliver(MT, { type: 'applied', generation: 1, seq: 1 });
    fast.deliver(AGENT, batch(1, 2, [write(256)]));
    fast.run(seconds(60));
    expect(resendGap(fast, 2)).toBeGreaterThan(34);
    expect(resendGap(fast, 2)).toBeLessThan(35.5);
  });
});

describe('ProcessServerService: sizes, management and several pairs', () => {
  it('charges data records by their content and compare records by their checksums', () => {
    const h = withPair();
    const blocks: TestRecord = { kind: 'data', disk: 0, start: 0, payload: SymbolicPayload.filled(3, 10), at: 0 as Instant };
    const compare: TestRecord = { kind: 'compare', region: 1, disk: 0, start: 0, checksums: [1, 2, 3, 4, 5], at: 0 as Instant };
    h.deliver(AGENT, batch(1, 1, [blocks, compare]));
    h.run(seconds(1));
    expect(h.ps.status()).toMatchObject({ bytesIn: 2 * RECORD_HEADER_BYTES + 10 * BLOCK + 20, bytesOut: 2 * RECORD_HEADER_BYTES + Math.ceil((10 * BLOCK * 7) / 10) + 20 });
  });

  it('answers status requests, and refuses a pair it cannot persist', () => {
    const h = withPair();
    expect(h.request(h.ps, { op: 'status' })).toEqual({ ok: true, value: h.ps.status() });
    expect(ProcessServerService.address('ps-a1')).toBe('ps-a1/scout-ps');
    const tiny = host(1024 * 1024, 16);
    const ps = tiny.boot();
    expect(tiny.request(ps, { op: 'add-pair', vmId: VM, epoch: 1, agentHost: 'esx-a1', masterTarget: 'mt-b1' })).toEqual({ ok: false, error: 'process server ps-a1 could not persist the pair' });
    expect(() => host(0).boot()).toThrow(/the cache needs a positive size/);
  });

  it('reports the oldest cached batch of all its pairs as the backlog', () => {
    const h = withPair();
    expect(h.request(h.ps, { op: 'add-pair', vmId: 'vm2', epoch: 1, agentHost: 'esx-a2', masterTarget: 'mt-b1' })).toEqual({ ok: true });
    h.deliver(AGENT, batch(1, 1));
    h.run(minutes(1));
    h.deliver('esx-a2/scout-ua', batch(1, 1), 1, 'vm2');
    h.run(seconds(10));
    expect(h.ps.status().backlogMicros).toBe(minutes(1) + seconds(10));
    expect(h.ps.status().pairs.map((p) => [p.vmId, p.backlogMicros])).toEqual([
      [VM, minutes(1) + seconds(10)],
      ['vm2', seconds(10)],
    ]);
  });

  it('does not forward a batch whose pair was removed while it was being compressed', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1, [write(64)]));
    h.ps.handleRequest({ op: 'remove-pair', vmId: VM }, () => undefined);
    h.run(seconds(1));
    expect(h.toMt()).toEqual([]);
  });

  it('stops resending when the host shuts down', () => {
    const h = withPair();
    h.deliver(AGENT, batch(1, 1));
    h.run(seconds(1));
    h.ps.stop();
    h.run(minutes(30));
    expect(h.toMt().length).toBe(1);
  });
});
