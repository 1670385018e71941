// The primary's bulk copy on its own (DOMAIN.md rules 1, 7): initial replication sends every
// block, a block-compare resync only the differing ones, and an unreadable chunk is read again
// until it can be copied (a latent sector error rewritten meanwhile).
import { describe, expect, it } from 'vitest';
import { seconds, type Instant } from '../../model/index.js';
import { RandomStream, SymbolicPayload, VirtualDisk } from '../../sim/index.js';
import { UNIT_DISK_LATENCY, unitHost } from './unit-host.js';
import { BULK_CHUNK_BYTES_MAX, BULK_REREAD_DELAY, BULK_WINDOW_MAX, BulkCopy, runsOf, type MediaContents } from '../../engine/providers/hyperv-replica/bulk-copy.js';
import { Retransmitter } from '../../engine/data-plane/retransmitter.js';
import type { HvrMessage } from '../../engine/providers/hyperv-replica/messages.js';
import type { SessionContext } from '../../engine/providers/hyperv-replica/session-context.js';
import type { HyperVHostPorts } from '../../engine/index.js';

const BLOCK = 4096;

function bulkHost(mode: 'full' | 'compare' | 'media', blocksPerDisk = 8) {
  const { kernel, clock, tracer, refuse, basePorts } = unitHost('hv-a1', BLOCK, 'the bulk copy');
  const latency = UNIT_DISK_LATENCY;
  const disks = [0, 1].map(
    (d) => new VirtualDisk({ deviceId: `vm1-disk${d}`, blockSizeBytes: BLOCK, blockCount: blocksPerDisk, mode: 'symbolic', writeCache: false, latency, baseImage: { blocks: blocksPerDisk, writeId: 10 + d }, kernel, random: new RandomStream(`disk${d}`) }),
  );
  const shipped: Array<{ toHost: string; label: string; contents: MediaContents; delay: number }> = [];
  const ports = {
    ...basePorts,
    transport: refuse,
    device: refuse,
    hypervisor: { isRunning: refuse, isGuestWriting: refuse, shutdown: refuse, start: refuse, quiesce: refuse, thaw: refuse, diskIds: refuse, startTestVm: refuse, deleteTestVm: refuse },
    media: {
      ship: (toHost: string, label: string, contents: unknown, delay: number, done: (result: { ok: boolean }) => void) => {
        shipped.push({ toHost, label, contents: contents as MediaContents, delay });
        kernel.schedule(delay, 'courier', () => done({ ok: true }));
      },
      onArrival: refuse,
    },
  } satisfies HyperVHostPorts;
  const sent: HvrMessage[] = [];
  const sizes: number[] = [];
  const ctx: SessionContext = {
    ports,
    seal: (message, payloadBytes) => ({ sizeBytes: 512 + payloadBytes, body: message }),
    sendToPeer: (frame, left) => {
      sent.push(frame.body as HvrMessage);
      sizes.push(frame.sizeBytes);
      if (left !== undefined) kernel.schedule(0, 'left', left);
    },
    persist: refuse,
    device: (index) => disks[index],
  };
  const retx = new Retransmitter(clock, (frame, left) => ctx.sendToPeer(frame, left));
  let done = 0;
  const bulk = new BulkCopy(ctx, retx, 3, mode, 2, false, () => 17, () => done++);
  const run = (span: number) => kernel.run({ until: (kernel.now() + span) as Instant });
  const ofType = <T extends HvrMessage['type']>(type: T) => sent.filter((m): m is Extract<HvrMessage, { type: T }> => m.type === type);
  return { kernel, tracer, disks, retx, bulk, sent, sizes, shipped, run, ofType, doneCount: () => done };
}

describe('BulkCopy', () => {
  it('copies every block of every disk in full mode, then completes once acknowledged', () => {
    const h = bulkHost('full');
    h.bulk.start();
    expect(h.sent).toEqual([{ type: 'bulk-begin', generation: 3, mode: 'full' }]);
    h.run(seconds(1));
    expect(h.ofType('bulk-blocks')).toEqual([]); // nothing before the replica accepted the begin
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 });
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 }); // a duplicate starts nothing more
    h.run(seconds(1));
    const blocks = h.ofType('bulk-blocks');
    expect(blocks.map((m) => [m.disk, m.start, m.payload.blockCount])).toEqual([
      [0, 0, 8],
      [1, 0, 8],
    ]);
    expect(h.bulk.progress).toEqual({ blocksRead: 16, blocksSent: 16, blocksTotal: 16 });
    h.bulk.receive({ type: 'bulk-ack', generation: 2, id: blocks[0].id }); // another generation
    h.run(seconds(1));
    expect(h.ofType('bulk-complete')).toEqual([]);
    expect(h.retx.has(`bulk:3:${blocks[0].id}`)).toBe(true);
    for (const m of blocks) h.bulk.receive({ type: 'bulk-ack', generation: 3, id: m.id });
    h.run(seconds(1));
    expect(h.ofType('bulk-complete')).toEqual([{ type: 'bulk-complete', generation: 3, nextSeq: 17, deleteRecoveryPoints: false }]);
    expect(h.bulk.isCompleting).toBe(true);
    expect(h.doneCount()).toBe(0);
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -2 });
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -2 });
    expect(h.doneCount()).toBe(1);
    expect(h.bulk.isFinished).toBe(true);
    expect(h.retx.size).toBe(0);
    expect(h.shipped).toEqual([]); // only offline media travels by courier
  });

  it('reads an unreadable chunk again every BULK_REREAD_DELAY until it can be copied', () => {
    const h = bulkHost('full');
    h.disks[1].injectLatentSectorError(3);
    h.bulk.start();
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 });
    h.run(seconds(1));
    expect(h.tracer.reached('bulk-read-failed')).toBe(true);
    const disk0 = h.ofType('bulk-blocks');
    expect(disk0.map((m) => m.disk)).toEqual([0]);
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: disk0[0].id });
    h.run(BULK_REREAD_DELAY * 2); // two more attempts fail: the sector is still bad
    expect(h.ofType('bulk-blocks').length).toBe(1);
    expect(h.bulk.progress.blocksRead).toBe(8);
    expect(h.ofType('bulk-complete')).toEqual([]);
    // The guest rewrites the block: the latent error is gone, and the next attempt copies it.
    h.disks[1].write(3, SymbolicPayload.filled(77, 1), () => undefined);
    h.run(BULK_REREAD_DELAY + seconds(1));
    const blocks = h.ofType('bulk-blocks');
    expect(blocks.map((m) => [m.disk, m.start, m.payload.blockCount])).toEqual([
      [0, 0, 8],
      [1, 0, 8],
    ]);
    expect(Array.from((blocks[1].payload as SymbolicPayload).ids)).toEqual([11, 11, 11, 77, 11, 11, 11, 11]);
    expect(h.bulk.progress).toEqual({ blocksRead: 16, blocksSent: 16, blocksTotal: 16 });
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: blocks[1].id });
    h.run(seconds(1));
    expect(h.ofType('bulk-complete').length).toBe(1);
    h.run(BULK_REREAD_DELAY * 3);
    expect(h.ofType('bulk-blocks').length).toBe(2); // no read is left pending
  });

  it('sends only the differing blocks in compare mode, as runs', () => {
    const h = bulkHost('compare');
    h.bulk.start();
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 });
    h.run(seconds(1));
    const requests = h.ofType('compare-request');
    expect(requests.map((m) => [m.disk, m.start, m.checksums.length])).toEqual([
      [0, 0, 8],
      [1, 0, 8],
    ]);
    h.bulk.receive({ type: 'compare-reply', generation: 3, id: requests[0].id, differing: [0, 1, 2, 6] });
    h.bulk.receive({ type: 'compare-reply', generation: 3, id: requests[1].id, differing: [] });
    h.bulk.receive({ type: 'compare-reply', generation: 3, id: requests[1].id, differing: [4] }); // a duplicate reply
    const blocks = h.ofType('bulk-blocks');
    expect(blocks.map((m) => [m.disk, m.start, m.payload.blockCount])).toEqual([
      [0, 0, 3],
      [0, 6, 1],
    ]);
    expect(h.bulk.progress.blocksSent).toBe(4);
    for (const m of blocks) h.bulk.receive({ type: 'bulk-ack', generation: 3, id: m.id });
    h.run(seconds(1));
    expect(h.ofType('bulk-complete')).toEqual([{ type: 'bulk-complete', generation: 3, nextSeq: 17, deleteRecoveryPoints: true }]);
  });

  it('keeps at most BULK_WINDOW_MAX chunks of BULK_CHUNK_BYTES_MAX in flight', () => {
    const chunk = BULK_CHUNK_BYTES_MAX / BLOCK;
    const h = bulkHost('full', 3 * chunk + 5); // three whole chunks and a short one per disk
    h.bulk.start();
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 });
    h.run(seconds(1));
    const first = h.ofType('bulk-blocks');
    expect(first.map((m) => [m.disk, m.start, m.payload.blockCount])).toEqual([
      [0, 0, chunk],
      [0, chunk, chunk],
      [0, 2 * chunk, chunk],
      [0, 3 * chunk, 5],
    ]);
    expect(first.length).toBe(BULK_WINDOW_MAX);
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: first[0].id });
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: first[0].id }); // a duplicate frees nothing
    h.run(seconds(1));
    expect(h.ofType('bulk-blocks').length).toBe(BULK_WINDOW_MAX + 1);
    expect(h.ofType('bulk-blocks').at(-1)).toMatchObject({ disk: 1, start: 0 });
  });

  it('charges a compare request four bytes per checksum', () => {
    const h = bulkHost('compare');
    h.bulk.start();
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 });
    h.run(seconds(1));
    const index = h.sent.findIndex((m) => m.type === 'compare-request');
    expect(h.sizes[index]).toBe(512 + 4 * 8);
    // A reply of another generation, or to an unknown request, sends nothing.
    const request = h.ofType('compare-request')[0];
    h.bulk.receive({ type: 'compare-reply', generation: 2, id: request.id, differing: [0] });
    h.bulk.receive({ type: 'compare-reply', generation: 3, id: 999, differing: [0] });
    expect(h.ofType('bulk-blocks')).toEqual([]);
  });

  it('exports every block to offline media, ships it, and completes once the replica imported it', () => {
    const h = bulkHost('media');
    h.bulk.vmId = 'vm1';
    h.bulk.peerHost = 'hv-b1';
    h.bulk.shippingDelay = seconds(3600);
    h.bulk.start();
    expect(h.tracer.reached('offline-media-export-started')).toBe(true);
    h.run(seconds(1));
    expect(h.sent).toEqual([]); // nothing crosses the WAN
    expect(h.bulk.progress).toEqual({ blocksRead: 16, blocksSent: 16, blocksTotal: 16 });
    expect(h.shipped.map((s) => [s.toHost, s.label, s.delay])).toEqual([['hv-b1', 'hvr:vm1:3', seconds(3600)]]);
    const contents = h.shipped[0].contents;
    expect(contents.vmId).toBe('vm1');
    expect(contents.generation).toBe(3);
    expect(contents.extents.map((e) => [e.disk, e.start, e.payload.blockCount])).toEqual([
      [0, 0, 8],
      [1, 0, 8],
    ]);
    h.run(seconds(3600));
    expect(h.tracer.reached('offline-media-shipped')).toBe(true);
    expect(h.tracer.reached('offline-media-refused')).toBe(false);
    expect(h.ofType('bulk-complete')).toEqual([{ type: 'bulk-complete', generation: 3, nextSeq: 17, deleteRecoveryPoints: false }]);
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -2 });
    expect(h.doneCount()).toBe(1);
    h.bulk.receive({ type: 'bulk-ack', generation: 3, id: -1 }); // finished: nothing more happens
    h.run(seconds(1));
    expect(h.sent.length).toBe(1);
  });

  it('groups offsets into runs of consecutive blocks', () => {
    expect(runsOf([])).toEqual([]);
    expect(runsOf([0, 1, 2, 5])).toEqual([
      { offset: 0, count: 3 },
      { offset: 5, count: 1 },
    ]);
    expect(runsOf([3, 5, 6, 8])).toEqual([
      { offset: 3, count: 1 },
      { offset: 5, count: 2 },
      { offset: 8, count: 1 },
    ]);
  });
});
