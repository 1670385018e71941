// The unified agent's pair on its own (DOMAIN.md rules 18-19, 22): a tiny simulated host with one
// source disk, the test playing the process server and the master target. Pinned here: the
// initial resync compares regions and ships only the blocks the master target reports
// different, and answers that belong to another generation of the stream are ignored.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCOUT_POLICY, seconds, type Instant } from '../../model/index.js';
import { RandomStream, VirtualDisk } from '../../sim/index.js';
import { UNIT_DISK_LATENCY, unitHost } from './unit-host.js';
import { AgentPair, REGION_BYTES, type AgentPairContext } from '../../engine/providers/inmage-scout/agent-pair.js';
import type { ScoutMessage, StreamBatch } from '../../engine/providers/inmage-scout/messages.js';
import { recordsOf } from '../../engine/providers/inmage-scout/batch-records.js';
import type { HostPorts } from '../../engine/index.js';

const BLOCK = 4096;
const REGION_BLOCKS = REGION_BYTES / BLOCK;

function agentHost() {
  const { kernel, tracer, codec, refuse, basePorts } = unitHost('esx-a1', BLOCK, 'the agent pair');
  const latency = UNIT_DISK_LATENCY;
  const disk = new VirtualDisk({ deviceId: 'vm1-disk0', blockSizeBytes: BLOCK, blockCount: 2 * REGION_BLOCKS, mode: 'symbolic', writeCache: false, latency, baseImage: { blocks: 2 * REGION_BLOCKS, writeId: 9 }, kernel, random: new RandomStream('disk') });
  const ports: HostPorts = {
    ...basePorts,
    transport: refuse,
    device: (id) => (id === disk.deviceId ? disk : refuse()),
  };
  const toPs: ScoutMessage[] = [];
  const ctx: AgentPairContext = {
    ports,
    sendToProcessServer: (message) => toPs.push(message),
    seal: (message) => ({ sizeBytes: 512, body: message }),
    transmit: (frame, left) => {
      toPs.push(frame.body as ScoutMessage);
      kernel.schedule(0, 'left', left);
    },
    persist: () => undefined,
    quiesce: (done) => kernel.schedule(0, 'quiesce', () => done(true)),
    thaw: () => undefined,
  };
  const pair = new AgentPair(ctx, { vmId: 'vm1', epoch: 1, processServer: 'ps-a1', masterTarget: 'mt-b1', policy: { ...DEFAULT_SCOUT_POLICY, resyncWindow: null }, diskIds: [disk.deviceId] }, 5);
  const run = (span = seconds(1)) => kernel.run({ until: (kernel.now() + span) as Instant });
  const batches = () => toPs.filter((m): m is StreamBatch => m.type === 'batch');
  const records = () => batches().flatMap((b) => recordsOf(codec, b));
  return { kernel, tracer, disk, pair, toPs, run, batches, records };
}

/** An agent whose initial resync has compared both regions of its disk (generation 6). */
function comparing() {
  const h = agentHost();
  h.pair.start('full-resync', false);
  h.run();
  expect(h.toPs).toEqual([{ type: 'probe', nonce: 6 }]);
  h.pair.receive({ type: 'probe-reply', nonce: 6, cacheFreeFraction: 1 });
  h.run();
  expect(h.pair.status()).toMatchObject({ capturePhase: 'resyncing', generation: 6, regionsInProgress: 2, resyncs: 1 });
  const compares = h.records().filter((r) => r.kind === 'compare');
  expect(compares.map((r) => r.kind === 'compare' && [r.region, r.start, r.checksums.length])).toEqual([
    [1, 0, REGION_BLOCKS],
    [2, REGION_BLOCKS, REGION_BLOCKS],
  ]);
  return h;
}

describe('AgentPair: initial resync', () => {
  it('ships exactly the blocks the master target reports different, then streams', () => {
    const h = comparing();
    h.pair.receive({ type: 'compare-result', generation: 6, region: 1, differing: [3, 4, 10] });
    h.pair.receive({ type: 'compare-result', generation: 6, region: 2, differing: [] });
    h.run();
    // Nothing writes to the source here: every data record is resync content.
    const blocks = h.records().filter((r) => r.kind === 'data');
    expect(blocks.map((r) => r.kind === 'data' && [r.start, r.payload.blockCount])).toEqual([
      [3, 2],
      [10, 1],
    ]);
    expect(h.pair.status()).toMatchObject({ capturePhase: 'streaming', resyncBlocksShipped: 3, regionsInProgress: 0 });
    expect(h.records().at(-1)?.kind).toBe('resync-end');
    expect(h.tracer.reached('resync-complete:initial-replication')).toBe(true);
  });

  it('ignores a compare result of another generation of the stream', () => {
    const h = comparing();
    h.pair.receive({ type: 'compare-result', generation: 5, region: 1, differing: [0, 1, 2] });
    h.pair.receive({ type: 'compare-result', generation: 7, region: 2, differing: [0] });
    h.run();
    expect(h.records().some((r) => r.kind === 'data')).toBe(false);
    expect(h.pair.status()).toMatchObject({ capturePhase: 'resyncing', resyncBlocksShipped: 0, regionsInProgress: 2 });
    // The real answers still count.
    h.pair.receive({ type: 'compare-result', generation: 6, region: 1, differing: [0] });
    h.pair.receive({ type: 'compare-result', generation: 6, region: 2, differing: [] });
    h.run();
    expect(h.pair.status()).toMatchObject({ capturePhase: 'streaming', resyncBlocksShipped: 1 });
  });

  it('ignores acknowledgements and throttles of another generation', () => {
    const h = comparing();
    const unacked = h.pair.status().unackedBatches;
    expect(unacked).toBeGreaterThan(0);
    h.pair.receive({ type: 'batch-ack', generation: 5, seq: 99 });
    h.pair.receive({ type: 'throttle', generation: 5, seq: 1 });
    expect(h.pair.status()).toMatchObject({ unackedBatches: unacked, batchesAcked: 0, throttles: 0 });
    h.pair.receive({ type: 'throttle', generation: 6, seq: 1 });
    h.pair.receive({ type: 'batch-ack', generation: 6, seq: 99 });
    expect(h.pair.status()).toMatchObject({ unackedBatches: 0, batchesAcked: unacked, throttles: 1 });
  });
});
