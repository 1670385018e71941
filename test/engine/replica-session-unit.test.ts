// The Hyper-V Replica replica session on its own (DOMAIN.md rules 1, 3, 6, 7, 10): a tiny
// simulated host (kernel, clock, virtual disks) and a session context whose replies the test
// reads, with the test playing the primary server.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, seconds, type Instant } from '../../model/index.js';
import { RandomStream, SymbolicPayload, VirtualDisk } from '../../sim/index.js';
import { UNIT_DISK_LATENCY, unitHost } from './unit-host.js';
import { ReplicaSession } from '../../engine/providers/hyperv-replica/replica-session.js';
import type { HvrMessage, LogRecords } from '../../engine/providers/hyperv-replica/messages.js';
import type { PersistedSession, SessionConfig, SessionContext } from '../../engine/providers/hyperv-replica/session-context.js';
import type { Hypervisor, HyperVHostPorts, OfflineMedia } from '../../engine/index.js';

const BLOCK = 4096;
const BLOCKS = 64;

function replicaHost() {
  const { kernel, tracer, codec, refuse, basePorts } = unitHost('hv-b1', BLOCK, 'the replica session');
  const latency = UNIT_DISK_LATENCY;
  const disks = [0, 1].map((d) => new VirtualDisk({ deviceId: `vm1-disk${d}`, blockSizeBytes: BLOCK, blockCount: BLOCKS, mode: 'symbolic', writeCache: false, latency, kernel, random: new RandomStream(`disk${d}`) }));
  const hypervisor: Hypervisor = {
    isRunning: () => false,
    isGuestWriting: () => false,
    shutdown: refuse,
    start: refuse,
    quiesce: refuse,
    thaw: refuse,
    diskIds: () => disks.map((d) => d.deviceId),
    startTestVm: (_vm, _disks, _network, done) => kernel.schedule(0, 'test-vm', () => done({ ok: true })),
    deleteTestVm: (_vm, done) => kernel.schedule(0, 'test-vm', () => done({ ok: true })),
  };
  const media: OfflineMedia = { ship: refuse, onArrival: refuse };
  const ports: HyperVHostPorts = {
    ...basePorts,
    transport: refuse,
    device: (id) => disks.find((d) => d.deviceId === id) ?? refuse(),
    hypervisor,
    media,
  };
  const replies: HvrMessage[] = [];
  const ctx: SessionContext = {
    ports,
    seal: (message) => ({ sizeBytes: 512, body: message }),
    sendToPeer: (frame) => replies.push(frame.body as HvrMessage),
    persist: (_state, done) => kernel.schedule(0, 'persisted', () => done(true)),
    device: (index) => disks[index],
  };
  const config: SessionConfig = { vmId: 'vm1', epoch: 1, peer: 'hv-a1/hvr', peerHost: 'hv-a1', policy: { ...DEFAULT_HYPERV_POLICY, additionalRecoveryPoints: 2 }, diskCount: 2 };
  const run = () => kernel.run({ until: (kernel.now() + seconds(1)) as Instant });
  /** Delivers `message` and returns the replies it caused. */
  const send = (session: ReplicaSession, message: HvrMessage): HvrMessage[] => {
    const before = replies.length;
    session.receive(message);
    run();
    return replies.slice(before);
  };
  return { kernel, tracer, codec, disks, ctx, config, run, send, replies };
}

type Host = ReturnType<typeof replicaHost>;

/** A replica whose initial replication (generation 1) wrote `ids` to disk 0 from block 0. */
function replicated(h: Host, ids: number[]): ReplicaSession {
  const session = new ReplicaSession(h.ctx, h.config);
  expect(h.send(session, { type: 'bulk-begin', generation: 1, mode: 'full' })).toEqual([{ type: 'bulk-ack', generation: 1, id: -1 }]);
  const payload = new SymbolicPayload(Uint32Array.from(ids));
  expect(h.send(session, { type: 'bulk-blocks', generation: 1, id: 1, disk: 0, start: 0, payload })).toEqual([{ type: 'bulk-ack', generation: 1, id: 1 }]);
  expect(h.send(session, { type: 'bulk-complete', generation: 1, nextSeq: 1, deleteRecoveryPoints: false })).toEqual([{ type: 'bulk-ack', generation: 1, id: -2 }]);
  return session;
}

const log = (seq: number, cutAt: number, records: Array<{ disk: number; start: number; id: number; blocks: number }>, chunk = 0, chunkCount = 1): HvrMessage => ({
  type: 'log-chunk',
  seq,
  chunk,
  chunkCount,
  cutAt: cutAt as Instant,
  appConsistent: false,
  records: packed(records),
});

/** Records packed as the wire carries them: columns, and the content of all of them in one payload. */
function packed(records: Array<{ disk: number; start: number; id: number; blocks: number }>): LogRecords {
  const content = new Uint32Array(records.reduce((sum, r) => sum + r.blocks, 0));
  let at = 0;
  for (const r of records) {
    content.fill(r.id, at, at + r.blocks);
    at += r.blocks;
  }
  return {
    disks: records.map((r) => r.disk),
    starts: records.map((r) => r.start),
    counts: records.map((r) => r.blocks),
    content: records.length === 0 ? null : new SymbolicPayload(content),
  };
}

describe('ReplicaSession: bulk copy', () => {
  it('writes the blocks of its generation only, and answers repeats idempotently', () => {
    const h = replicaHost();
    const session = replicated(h, [11, 12, 13, 14]);
    expect(h.disks[0].pristineId(2)).toBe(13);
    expect(session.status).toMatchObject({ generation: 1, bulkComplete: true, appliedSeq: 0 });
    // After completion, a resent blocks message is acknowledged again and not written.
    expect(h.send(session, { type: 'bulk-blocks', generation: 1, id: 1, disk: 0, start: 0, payload: SymbolicPayload.filled(99, 4) })).toEqual([{ type: 'bulk-ack', generation: 1, id: 1 }]);
    expect(h.disks[0].pristineId(0)).toBe(11);
    // A new initial copy (generation 2): blocks of generation 1 are stale and never written.
    expect(h.send(session, { type: 'bulk-begin', generation: 2, mode: 'full' })).toEqual([{ type: 'bulk-ack', generation: 2, id: -1 }]);
    expect(h.send(session, { type: 'bulk-blocks', generation: 1, id: 5, disk: 0, start: 0, payload: SymbolicPayload.filled(77, 2) })).toEqual([]);
    expect(h.send(session, { type: 'bulk-begin', generation: 1, mode: 'full' })).toEqual([]);
    expect(h.disks[0].pristineId(0)).toBe(11);
    expect(h.send(session, { type: 'bulk-blocks', generation: 2, id: 1, disk: 1, start: 3, payload: SymbolicPayload.filled(40, 1) })).toEqual([{ type: 'bulk-ack', generation: 2, id: 1 }]);
    expect(h.disks[1].pristineId(3)).toBe(40);
  });

  it('answers a block compare with exactly the blocks whose checksums differ', () => {
    const h = replicaHost();
    const session = replicated(h, [11, 12, 13, 14, 15]);
    h.send(session, { type: 'bulk-begin', generation: 2, mode: 'compare' });
    const source = new SymbolicPayload(Uint32Array.from([11, 99, 13, 98, 15]));
    const checksums = Array.from(h.codec.blockChecksums(source));
    expect(h.send(session, { type: 'compare-request', generation: 2, id: 7, disk: 0, start: 0, checksums })).toEqual([{ type: 'compare-reply', generation: 2, id: 7, differing: [1, 3] }]);
    // Same content everywhere: nothing differs.
    const same = Array.from(h.codec.blockChecksums(new SymbolicPayload(Uint32Array.from([13, 14]))));
    expect(h.send(session, { type: 'compare-request', generation: 2, id: 8, disk: 0, start: 2, checksums: same })).toEqual([{ type: 'compare-reply', generation: 2, id: 8, differing: [] }]);
    // A stale generation's request is not answered.
    expect(h.send(session, { type: 'compare-request', generation: 1, id: 9, disk: 0, start: 0, checksums })).toEqual([]);
    // Differing blocks are staged, and written only at the merge.
    expect(h.send(session, { type: 'bulk-blocks', generation: 2, id: 9, disk: 0, start: 1, payload: SymbolicPayload.filled(99, 1) })).toEqual([{ type: 'bulk-ack', generation: 2, id: 9 }]);
    expect(h.disks[0].pristineId(1)).toBe(12);
    expect(h.send(session, { type: 'bulk-complete', generation: 2, nextSeq: 5, deleteRecoveryPoints: true })).toEqual([{ type: 'bulk-ack', generation: 2, id: -2 }]);
    expect(h.disks[0].pristineId(1)).toBe(99);
    expect(h.tracer.reached('resync-merge')).toBe(true);
    expect(session.status).toMatchObject({ appliedSeq: 4, bulkComplete: true, recoveryPoints: [] });
  });
});

describe('ReplicaSession: logs', () => {
  it('applies whole logs in sequence and answers duplicates and gaps', () => {
    const h = replicaHost();
    const session = replicated(h, [1, 2, 3, 4]);
    expect(h.send(session, log(1, 1000, [{ disk: 0, start: 0, id: 50, blocks: 1 }], 0, 2))).toEqual([{ type: 'chunk-received', seq: 1, chunk: 0 }]);
    expect(h.disks[0].pristineId(0)).toBe(1); // half a log is never applied
    expect(h.send(session, log(1, 1000, [{ disk: 1, start: 5, id: 51, blocks: 2 }], 1, 2))).toEqual([
      { type: 'chunk-received', seq: 1, chunk: 1 },
      { type: 'log-applied', seq: 1 },
    ]);
    expect([h.disks[0].pristineId(0), h.disks[1].pristineId(6)]).toEqual([50, 51]);
    expect(session.status).toMatchObject({ appliedSeq: 1, appliedCut: 1000, logsApplied: 1 });
    expect(session.status.recoveryPoints.length).toBe(1);
    expect(h.send(session, log(1, 1000, []))).toEqual([{ type: 'log-applied', seq: 1 }]);
    expect(h.send(session, log(3, 3000, []))).toEqual([{ type: 'replica-needs-resync', reason: 'log 3 arrived while 2 was expected', expectedSeq: 2 }]);
    expect(h.tracer.reached('out-of-sequence-log')).toBe(true);
  });
});

describe('ReplicaSession: failover', () => {
  it('an unplanned failover during a resync cancels the resync and uses the last point', () => {
    const h = replicaHost();
    const session = replicated(h, [1, 2, 3, 4]);
    h.send(session, log(1, 1000, [{ disk: 0, start: 0, id: 50, blocks: 1 }]));
    h.send(session, { type: 'bulk-begin', generation: 2, mode: 'compare' });
    h.send(session, { type: 'bulk-blocks', generation: 2, id: 1, disk: 0, start: 1, payload: SymbolicPayload.filled(60, 1) });
    let result: unknown = null;
    session.failover(null, false, (r) => (result = r));
    h.run();
    expect(result).toMatchObject({ ok: true, point: { kind: 'latest', cutAt: 1000 } });
    expect(h.tracer.reached('unplanned-failover-cancels-resync')).toBe(true);
    expect(h.disks[0].pristineId(1)).toBe(2); // the staged resync block was dropped
    expect(session.isFailedOver).toBe(true);
  });

  it('refuses a failover before initial replication completes', () => {
    const h = replicaHost();
    const session = new ReplicaSession(h.ctx, h.config);
    h.send(session, { type: 'bulk-begin', generation: 1, mode: 'full' });
    let result: unknown = null;
    session.failover(null, true, (r) => (result = r));
    expect(result).toEqual({ ok: false, error: 'initial replication is not complete' });
  });

  it('cannot cancel a failover whose discardable layer a restart lost', () => {
    const h = replicaHost();
    const restored: Extract<PersistedSession, { role: 'replica' }> = { role: 'replica', config: h.config, appliedSeq: 3, appliedCut: 1000, generation: 1, bulkComplete: true, applyingSeq: null, failedOver: true };
    const session = new ReplicaSession(h.ctx, h.config, restored);
    expect(session.isFailedOver).toBe(true);
    let result: unknown = null;
    session.cancelFailover((r) => (result = r));
    expect(result).toEqual({ ok: false, error: 'the failover of vm1 cannot be cancelled: its discardable layer did not survive a restart of hv-b1' });
    expect(session.isFailedOver).toBe(true);
    // A failed-over replica takes no more data from the old primary.
    expect(h.send(session, log(4, 2000, [{ disk: 0, start: 0, id: 5, blocks: 1 }]))).toEqual([]);
  });
});
