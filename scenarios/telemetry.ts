// Samples what a DR engineer watches, once a simulated minute: each protected item's RPO
// exposure as the engine reports it, its log backlog and lifecycle state, and link utilisation.
// Sampling reads engine and world state; it never changes them.
import { MICROS_PER_SECOND, type FaultRecord, type ItemSeries, type LinkSeries, type RecoveryPointRecord, type RunMetrics, type SeriesPoint } from '../model/index.js';
import type { ProviderAdapter } from './provider-adapter.js';

const seconds = (micros: number) => Math.round((micros / MICROS_PER_SECOND) * 1000) / 1000;

interface ItemSamples {
  rpo: SeriesPoint[];
  backlog: SeriesPoint[];
  states: Array<{ t: number; state: string }>;
}

export class Telemetry {
  private readonly items = new Map<string, ItemSamples>();
  private readonly linkSamples = new Map<string, SeriesPoint[]>();
  private readonly recoveryPoints: RecoveryPointRecord[] = [];
  private faults: FaultRecord[] = [];
  private lastSampleAt = 0;
  lostWrites = 0;

  constructor(
    private readonly lab: ProviderAdapter,
    private readonly interval: number,
  ) {
    for (const vm of lab.vms) this.items.set(vm.vmId, { rpo: [], backlog: [], states: [] });
    for (const link of lab.world.options.topology.links) this.linkSamples.set(link.id, []);
  }

  start(faults: FaultRecord[]): void {
    this.faults = faults;
    const tick = () => {
      this.sample();
      this.lab.world.kernel.schedule(this.interval, 'scenario:sample', tick);
    };
    this.lab.world.kernel.schedule(this.interval, 'scenario:sample', tick);
  }

  /** The exposure the engine reports now (time since the newest confirmed cut), or null. */
  exposureNow(vmId: string): number | null {
    return this.lab.exposureNow(vmId);
  }

  private sample(): void {
    const now = this.lab.world.now();
    const t = seconds(now);
    for (const vm of this.lab.vms) {
      const samples = this.items.get(vm.vmId)!;
      const state = this.lab.controller.stateOf(vm.vmId).value;
      if (samples.states.length === 0 || samples.states[samples.states.length - 1].state !== state) samples.states.push({ t, state });
      const exposure = state === 'protected' || state === 'resyncing' || state === 'resyncRequired' || state === 'paused' ? this.exposureNow(vm.vmId) : null;
      if (exposure !== null) samples.rpo.push({ t, value: seconds(exposure) });
      samples.backlog.push({ t, value: this.lab.backlogBytes(vm.vmId) });
    }
    for (const [link, points] of this.linkSamples) points.push({ t, value: round3(this.lab.world.network.utilisation(link, this.lastSampleAt as never)) });
    this.lastSampleAt = now;
  }

  recordPoint(item: string, point: { readonly cutAt: number; readonly appConsistent: boolean; readonly kind: string }, exact: boolean): void {
    this.recoveryPoints.push({ item, cutSeconds: seconds(point.cutAt), appConsistent: point.appConsistent, kind: point.kind, exact });
  }

  itemSeries(): ItemSeries[] {
    return [...this.items.entries()].map(([item, s]) => ({ item, rpoSeconds: s.rpo, backlogBytes: s.backlog, states: s.states }));
  }

  linkSeries(): LinkSeries[] {
    return [...this.linkSamples.entries()].map(([link, utilisation]) => ({ link, utilisation }));
  }

  points(): RecoveryPointRecord[] {
    return this.recoveryPoints;
  }

  faultRecords(): FaultRecord[] {
    return this.faults;
  }

  metrics(wallSeconds: number): RunMetrics {
    const rpo = [...this.items.values()].flatMap((s) => s.rpo.map((p) => p.value)).sort((a, b) => a - b);
    const { logsApplied, bytesShipped, cyclesMissed, resyncs } = this.lab.counters();
    const acknowledged = [...this.lab.world.guests.values()].reduce((sum, g) => sum + g.truths.reduce((s, t) => s + t.acknowledgedWrites, 0), 0);
    return {
      dataLossWrites: this.lostWrites,
      rpoSecondsMax: rpo.length === 0 ? 0 : rpo[rpo.length - 1],
      rpoSecondsP95: rpo.length === 0 ? 0 : rpo[Math.min(rpo.length - 1, Math.floor(0.95 * rpo.length))],
      logsApplied,
      bytesShipped,
      cyclesMissed,
      resyncs,
      acknowledgedWrites: acknowledged,
      events: this.lab.world.kernel.eventCount,
      simulatedSeconds: seconds(this.lab.world.now()),
      wallSeconds: round3(wallSeconds),
    };
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
