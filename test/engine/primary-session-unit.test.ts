// The Hyper-V Replica primary session on its own (DOMAIN.md rules 3, 5-7, 9): a tiny simulated
// host (kernel, clock, virtual disks) and a session context whose frames the test reads, with
// the test playing the replica server.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, hours, millis, seconds, type HyperVReplicaPolicy, type Instant } from '../../model/index.js';
import { RandomStream, SymbolicPayload, VirtualDisk } from '../../sim/index.js';
import { UNIT_DISK_LATENCY, unitHost } from './unit-host.js';
import { PrimarySession, type StartMode } from '../../engine/providers/hyperv-replica/primary-session.js';
import { LOG_RECORD_HEADER_BYTES } from '../../engine/providers/hyperv-replica/change-log.js';
import type { HvrMessage } from '../../engine/providers/hyperv-replica/messages.js';
import type { PersistedSession, SessionContext } from '../../engine/providers/hyperv-replica/session-context.js';
import type { Hypervisor, HyperVHostPorts, OfflineMedia } from '../../engine/index.js';

const BLOCK = 4096;

interface Sent {
  readonly at: number;
  readonly message: HvrMessage;
}

function primaryHost(policy: Partial<HyperVReplicaPolicy> = {}, blocksPerDisk = 16384) {
  const { kernel, tracer, refuse, basePorts } = unitHost('hv-a1', BLOCK, 'the primary session');
  const latency = UNIT_DISK_LATENCY;
  const disks = [0, 1].map((d) => new VirtualDisk({ deviceId: `vm1-disk${d}`, blockSizeBytes: BLOCK, blockCount: blocksPerDisk, mode: 'symbolic', writeCache: false, latency, kernel, random: new RandomStream(`disk${d}`) }));
  let vmRunning = true;
  const hypervisor: Hypervisor = {
    isRunning: () => vmRunning,
    isGuestWriting: () => true,
    shutdown: refuse,
    start: refuse,
    quiesce: (_vm, done) => kernel.schedule(0, 'quiesce', () => done(true)),
    thaw: () => undefined,
    diskIds: () => disks.map((d) => d.deviceId),
    startTestVm: refuse,
    deleteTestVm: refuse,
  };
  const media: OfflineMedia = { ship: refuse, onArrival: refuse };
  const ports: HyperVHostPorts = {
    ...basePorts,
    transport: refuse,
    device: (id) => disks.find((d) => d.deviceId === id) ?? refuse(),
    hypervisor,
    media,
  };
  const sent: Sent[] = [];
  const persisted: PersistedSession[] = [];
  /** When set, plays a replica that applies each complete log one second after it arrives. */
  let autoAck: PrimarySession | null = null;
  const ctx: SessionContext = {
    ports,
    seal: (message) => ({ sizeBytes: 512, body: message }),
    sendToPeer: (frame, left) => {
      const message = frame.body as HvrMessage;
      sent.push({ at: kernel.now(), message });
      if (left !== undefined) kernel.schedule(0, 'left', left);
      const replica = autoAck;
      if (replica !== null && message.type === 'log-chunk' && message.chunk === message.chunkCount - 1) {
        kernel.schedule(seconds(1), 'applied', () => replica.receive({ type: 'log-applied', seq: message.seq }));
      }
    },
    persist: (state, done) => {
      persisted.push(state);
      kernel.schedule(0, 'persisted', () => done(true));
    },
    device: (index) => disks[index],
  };
  const config = { vmId: 'vm1', epoch: 1, peer: 'hv-b1/hvr', peerHost: 'hv-b1', policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30 as const, compression: false, ...policy }, diskCount: 2 };
  const start = (mode: StartMode = { kind: 'in-sync' }) => {
    const session = new PrimarySession(ctx, config, mode);
    session.start();
    return session;
  };
  const runTo = (t: number) => kernel.run({ until: t as Instant });
  const run = (span: number) => runTo(kernel.now() + span);
  let nextId = 1;
  /** A guest write of `blocks` blocks to `disk` at `start` (tracked when it completes). */
  const guestWrite = (disk: number, start: number, blocks: number) => disks[disk].write(start, SymbolicPayload.filled(nextId++, blocks), () => undefined);
  const logChunks = () => sent.filter((s) => s.message.type === 'log-chunk') as Array<{ at: number; message: Extract<HvrMessage, { type: 'log-chunk' }> }>;
  const setVmRunning = (running: boolean) => {
    vmRunning = running;
  };
  const acknowledgeLogsOf = (session: PrimarySession) => {
    autoAck = session;
  };
  return { kernel, tracer, sent, persisted, config, start, run, runTo, guestWrite, logChunks, setVmRunning, acknowledgeLogsOf };
}

const recordBytes = (blocks: number) => LOG_RECORD_HEADER_BYTES + blocks * BLOCK;

describe('PrimarySession: delta cycles', () => {
  it('counts the logs it holds, the one in flight and the one accumulating', () => {
    const h = primaryHost();
    const session = h.start();
    h.guestWrite(0, 0, 4);
    h.guestWrite(1, 8, 1);
    h.run(seconds(1));
    expect(session.logBytes()).toBe(recordBytes(4) + recordBytes(1));
    h.runTo(seconds(30) + 1); // the first cycle ships the log
    expect(h.logChunks().map((c) => [c.message.seq, c.message.records.disks.length])).toEqual([[1, 2]]);
    h.guestWrite(0, 100, 2);
    h.run(seconds(1));
    expect(session.logBytes()).toBe(recordBytes(4) + recordBytes(1) + recordBytes(2));
    expect(session.status).toMatchObject({ shippingSeq: 1, logBytes: recordBytes(4) + recordBytes(1) + recordBytes(2), bytesShipped: 4 * BLOCK + BLOCK });
    session.receive({ type: 'log-applied', seq: 1 });
    expect(session.logBytes()).toBe(recordBytes(2));
    expect(session.stats).toMatchObject({ logsShipped: 1, lastSyncedCut: seconds(30) });
    session.invariants();
  });

  it('counts a cycle as missed while the previous log is in flight, and never overlaps sends', () => {
    const h = primaryHost();
    const session = h.start();
    h.guestWrite(0, 0, 1);
    h.runTo(seconds(30) + 1);
    h.guestWrite(0, 1, 1);
    h.runTo(seconds(90) + 1); // cycles at 60 s and 90 s find log 1 still in flight
    expect(session.stats).toMatchObject({ cycles: 3, cyclesMissed: 2 });
    expect(h.tracer.marks().get('cycle-missed')).toBe(2);
    expect(new Set(h.logChunks().map((c) => c.message.seq))).toEqual(new Set([1])); // resends of log 1 only
    // Two of three cycles missed is more than 20%: a warning (numbers table row 7).
    expect(session.health()).toEqual({ state: 'warning', reasons: ['2 of 3 replication cycles missed (more than 20%)'] });
    session.receive({ type: 'log-applied', seq: 1 });
    h.runTo(seconds(120) + 1);
    expect(session.stats).toMatchObject({ cycles: 4, cyclesMissed: 2, logsShipped: 1 });
    expect(h.logChunks().at(-1)!.message.seq).toBe(2);
    session.invariants();
  });

  it('times resends by the throughput the acknowledgements measured', () => {
    const h = primaryHost();
    const session = h.start();
    h.guestWrite(0, 0, 256); // 1 MiB
    h.runTo(seconds(30) + 1);
    const first = h.logChunks()[0];
    // The replica applied it 100 ms after it was sent: about 10 MiB/s, which raises the estimate
    // from the initial 10 Mbps to 0.7 * 1.25 + 0.3 * 10 = 3.875 MiB/s.
    h.runTo(first.at + millis(100));
    session.receive({ type: 'log-applied', seq: 1 });
    h.guestWrite(0, 1000, 2048); // 8 MiB
    h.runTo(seconds(60) + 1);
    const second = h.logChunks().filter((c) => c.message.seq === 2);
    expect(second.length).toBe(1);
    h.runTo(second[0].at + seconds(120));
    const resent = h.logChunks().filter((c) => c.message.seq === 2);
    expect(resent.length).toBeGreaterThan(1);
    const timeout = (resent[1].at - resent[0].at) / 1e6;
    // 30 s plus four times the transfer time of 8 MiB at 3.875 MiB/s (8.26 s).
    expect(timeout).toBeGreaterThan(37);
    expect(timeout).toBeLessThan(40);
  });

  it('goes critical after three failed sends and back to normal when the log is applied', () => {
    const h = primaryHost({ copyFrequencySeconds: 300 });
    const session = h.start();
    h.guestWrite(0, 0, 1);
    h.runTo(seconds(300) + 1);
    h.runTo(seconds(300 + 92)); // resent after 30 s and 60 s more
    expect(session.health().state).toBe('normal');
    h.runTo(seconds(300 + 215)); // and after 120 s more
    expect(session.health()).toEqual({ state: 'critical', reasons: ['replication cannot send changes to the replica server'] });
    session.receive({ type: 'log-applied', seq: 1 });
    expect(session.health().state).toBe('normal');
  });

  it('warns when the last synchronisation is more than an hour old', () => {
    const h = primaryHost();
    const session = h.start();
    h.runTo(seconds(30) + 1);
    session.receive({ type: 'log-applied', seq: 1 });
    expect(session.health().state).toBe('normal');
    expect(session.pause()).toEqual({ ok: true });
    h.runTo(seconds(30) + hours(1));
    expect(session.health()).toEqual({ state: 'warning', reasons: ['replication is paused on the primary'] });
    h.runTo(seconds(30) + hours(1) + seconds(6));
    expect(session.health()).toEqual({ state: 'warning', reasons: ['last synchronised 1.0 h ago (more than 1 h)', 'replication is paused on the primary'] });
    expect(session.resume()).toEqual({ ok: true });
    expect(session.currentPhase).toBe('replicating');
  });
});

describe('PrimarySession: app-consistent points', () => {
  it('takes VSS for the first cut of every k-th hour, and only then', () => {
    const h = primaryHost({ copyFrequencySeconds: 300, additionalRecoveryPoints: 4, appConsistentFrequencyHours: 2 });
    const session = h.start();
    h.acknowledgeLogsOf(session);
    h.runTo(hours(5));
    const app = h.logChunks().filter((c) => c.message.appConsistent);
    expect(app.map((c) => c.message.cutAt / 1e6)).toEqual([300, 7200, 14400]);
    expect(h.tracer.marks().get('vss-snapshot')).toBe(3);
    expect(session.stats.logsShipped).toBe(hours(5) / seconds(300) - 1);
  });

  it('never takes VSS without hourly points or with k = 0', () => {
    for (const policy of [{ additionalRecoveryPoints: 0, appConsistentFrequencyHours: 1 }, { additionalRecoveryPoints: 4, appConsistentFrequencyHours: 0 }]) {
      const h = primaryHost({ copyFrequencySeconds: 300, ...policy });
      const session = h.start();
      h.acknowledgeLogsOf(session);
      h.runTo(hours(3));
      expect(h.logChunks().some((c) => c.message.appConsistent)).toBe(false);
      expect(h.tracer.reached('vss-snapshot')).toBe(false);
    }
  });
});

describe('PrimarySession: restart', () => {
  const restored = (h: ReturnType<typeof primaryHost>, phase: string, logOpen: boolean) => h.start({ kind: 'restored', state: { role: 'primary', config: h.config, phase, nextSeq: 7, logOpen, generation: 2 } });

  it('requires a resync when the log was not closed cleanly (DOMAIN.md rule 6)', () => {
    const h = primaryHost();
    expect(restored(h, 'replicating', true).status).toMatchObject({ phase: 'resync-required', resyncReason: 'log-not-closed-cleanly', nextSeq: 7 });
    expect(h.tracer.reached('resync-trigger:log-not-closed-cleanly')).toBe(true);
  });

  it('comes back paused after a clean stop, and resuming without a log resyncs', () => {
    const h = primaryHost();
    const session = restored(h, 'replicating', false);
    expect(session.status).toMatchObject({ phase: 'paused', resyncReason: null });
    expect(session.resume()).toEqual({ ok: true });
    expect(session.status).toMatchObject({ phase: 'resync-required', resyncReason: 'restarted-without-log' });
  });

  it('keeps a prepared planned failover, and a required resync', () => {
    expect(restored(primaryHost(), 'prepared-for-failover', true).currentPhase).toBe('prepared-for-failover');
    expect(restored(primaryHost(), 'resync-required', false).status).toMatchObject({ phase: 'resync-required', resyncReason: 'restored' });
  });
});

describe('PrimarySession: resync', () => {
  it('requires a resync when the logs outgrow half of the VHDs, and counts each resync started', () => {
    const h = primaryHost({}, 64); // two disks of 256 KiB: the limit is 256 KiB of log
    const session = h.start();
    expect(session.status.vhdBytesTotal).toBe(2 * 64 * BLOCK);
    h.guestWrite(0, 0, 60);
    h.run(seconds(1));
    expect(session.currentPhase).toBe('replicating');
    h.guestWrite(1, 0, 10);
    h.run(seconds(1));
    expect(session.status).toMatchObject({ phase: 'resync-required', resyncReason: 'hrl-overflow', logBytes: 0, resyncs: 0 });
    expect(session.health()).toEqual({ state: 'critical', reasons: ['resynchronization required'] });
    expect(h.tracer.reached('hrl-overflow')).toBe(true);
    expect(session.startResync()).toEqual({ ok: true });
    expect(session.status).toMatchObject({ phase: 'resyncing', resyncReason: null, resyncs: 1 });
    expect(session.startResync()).toEqual({ ok: false, error: 'resync needs state resync-required, not resyncing' });
    expect(session.stats.resyncs).toBe(1);
    h.run(seconds(1));
    expect(h.sent.map((s) => s.message.type)).toContain('bulk-begin');
    expect(session.cancelResync()).toEqual({ ok: true });
    expect(session.resume()).toEqual({ ok: true }); // resuming from resync-required resyncs again
    expect(session.stats.resyncs).toBe(2);
  });

  it('requires a resync when the replica reports an out-of-sequence log', () => {
    const h = primaryHost();
    const session = h.start();
    session.receive({ type: 'replica-needs-resync', reason: 'log 5 arrived while 3 was expected', expectedSeq: 3 });
    expect(session.status).toMatchObject({ phase: 'resync-required', resyncReason: 'out-of-sequence-log' });
  });
});

describe('PrimarySession: planned failover', () => {
  it('refuses while the VM runs, then ships the final log and reports its cut', () => {
    const h = primaryHost();
    const session = h.start();
    const results: unknown[] = [];
    session.prepareForPlannedFailover((r) => results.push(r));
    expect(results).toEqual([{ ok: false, error: 'the primary VM is running: shut it down first' }]);
    h.guestWrite(0, 0, 1);
    h.runTo(seconds(10));
    h.setVmRunning(false);
    session.prepareForPlannedFailover((r) => results.push(r));
    h.run(millis(10));
    const final = h.logChunks().at(-1)!.message;
    expect(final.seq).toBe(1);
    expect(results.length).toBe(1);
    session.receive({ type: 'log-applied', seq: 1 });
    expect(results[1]).toEqual({ ok: true, finalCut: seconds(10) });
    expect(session.currentPhase).toBe('prepared-for-failover');
  });

  it('fails the waiting planned failover when a resync becomes necessary or replication stops', () => {
    const h = primaryHost();
    const session = h.start();
    h.guestWrite(0, 0, 1);
    h.runTo(seconds(30) + 1); // log 1 in flight
    h.setVmRunning(false);
    const results: unknown[] = [];
    session.prepareForPlannedFailover((r) => results.push(r));
    expect(results).toEqual([]);
    session.requireResync('log-write-failed');
    expect(results).toEqual([{ ok: false, error: 'resync required (log-write-failed)' }]);

    const other = primaryHost();
    const stopped = other.start();
    other.guestWrite(0, 0, 1);
    other.runTo(seconds(30) + 1);
    other.setVmRunning(false);
    stopped.prepareForPlannedFailover((r) => results.push(r));
    stopped.stop();
    expect(results[1]).toEqual({ ok: false, error: 'replication stopped' });
    expect(stopped.currentPhase).toBe('stopped');
  });
});
