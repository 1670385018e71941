// The analytic RPO model: a link drains a backlog that the per-minute churn fills (a fluid queue,
// one step a minute). The recovery point lags the source by the time the backlog takes to drain,
// plus, for Hyper-V Replica, the copy interval during which a log is collected before it ships:
//   Scout (continuous):  lag(t) = Q(t) / D + latency
//   Hyper-V Replica:     lag(t) = I + (Q(t) + A(t) I) / D + latency
// with Q the backlog at the end of minute t, A the churn rate, D the drain rate in source bytes
// per second (bandwidth / 8 / (1 - compression)) and I the copy interval. The day is played twice
// and measured on the second pass, so the backlog a busy evening leaves is carried into the
// morning as it is in steady state.
import { percentile } from './churn-series.js';

export interface LagModel {
  /** 0 for continuous replication (Scout), the copy frequency for Hyper-V Replica. */
  readonly copyIntervalSeconds: number;
  readonly compression: number;
  readonly latencySeconds: number;
}

export interface LagResult {
  /** Lag at the end of each minute of the second pass, in seconds. */
  readonly lagSeconds: Float64Array;
  readonly backlogBytes: Float64Array;
  readonly backlogBytesMax: number;
  /** The link carries less than the churn over the horizon: the backlog grows without end. */
  readonly unbounded: boolean;
}

export function drainBytesPerSecond(bandwidthBitsPerSecond: number, compression: number): number {
  return bandwidthBitsPerSecond / 8 / (1 - compression);
}

export function lagOver(arrivals: ArrayLike<number>, bandwidthBitsPerSecond: number, model: LagModel): LagResult {
  const drain = drainBytesPerSecond(bandwidthBitsPerSecond, model.compression);
  const minutes = arrivals.length;
  const lag = new Float64Array(minutes);
  const backlog = new Float64Array(minutes);
  let queue = 0;
  let firstPassEnd = 0;
  let backlogMax = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let m = 0; m < minutes; m++) {
      queue = Math.max(0, queue + (arrivals[m] - drain) * 60);
      if (pass === 0) continue;
      backlog[m] = queue;
      backlogMax = Math.max(backlogMax, queue);
      const collecting = arrivals[m] * model.copyIntervalSeconds;
      lag[m] = drain > 0 ? model.copyIntervalSeconds + (queue + collecting) / drain + model.latencySeconds : Number.POSITIVE_INFINITY;
    }
    if (pass === 0) firstPassEnd = queue;
  }
  const unbounded = drain <= 0 || queue > firstPassEnd + 1;
  return { lagSeconds: lag, backlogBytes: backlog, backlogBytesMax: backlogMax, unbounded };
}

/** The share of minutes whose lag is within the target (0 when the backlog grows without end). */
export function shareWithin(result: LagResult, targetSeconds: number): number {
  if (result.unbounded) return 0;
  let within = 0;
  for (const lag of result.lagSeconds) if (lag <= targetSeconds) within++;
  return within / Math.max(1, result.lagSeconds.length);
}

export interface BandwidthNeed {
  /** Smallest bandwidth (bits/s) that keeps the lag within the target for `share` of the minutes. */
  readonly bitsPerSecond: number | null;
  /** Why there is none (the target is below what the model can reach at any bandwidth). */
  readonly impossible: string | null;
}

/** Bisection on the bandwidth: the lag only falls as the bandwidth rises. */
export function bandwidthFor(arrivals: ArrayLike<number>, targetSeconds: number, share: number, model: LagModel): BandwidthNeed {
  const floor = model.copyIntervalSeconds + model.latencySeconds;
  if (targetSeconds <= floor) {
    return { bitsPerSecond: null, impossible: `the target ${targetSeconds}s is not above the copy interval plus latency (${floor}s): no bandwidth meets it` };
  }
  let peak = 0;
  for (let m = 0; m < arrivals.length; m++) peak = Math.max(peak, arrivals[m]);
  if (peak === 0) return { bitsPerSecond: 0, impossible: null };
  const meets = (bits: number) => shareWithin(lagOver(arrivals, bits, model), targetSeconds) >= share - 1e-12;
  let high = peak * 8 * (1 - model.compression) * (1 + model.copyIntervalSeconds / (targetSeconds - floor)) * 1.01 + 1;
  while (!meets(high)) high *= 2;
  let low = 0;
  while (high - low > Math.max(1e3, high * 1e-4)) {
    const middle = (low + high) / 2;
    if (meets(middle)) high = middle;
    else low = middle;
  }
  return { bitsPerSecond: high, impossible: null };
}

export interface AchievableRpo {
  readonly bitsPerSecond: number;
  /** The lag never exceeded (RPO met 100% of the time), null when unbounded. */
  readonly rpo100Seconds: number | null;
  /** The lag met 90% of the time, null when unbounded. */
  readonly rpo90Seconds: number | null;
  /** Minutes of the horizon over the target. */
  readonly minutesOverTarget: number;
  readonly backlogBytesMax: number;
  readonly unbounded: boolean;
}

export function achievableRpo(arrivals: ArrayLike<number>, bitsPerSecond: number, targetSeconds: number, model: LagModel): AchievableRpo {
  const result = lagOver(arrivals, bitsPerSecond, model);
  if (result.unbounded) return { bitsPerSecond, rpo100Seconds: null, rpo90Seconds: null, minutesOverTarget: arrivals.length, backlogBytesMax: Number.POSITIVE_INFINITY, unbounded: true };
  let over = 0;
  let max = 0;
  for (const lag of result.lagSeconds) {
    if (lag > targetSeconds) over++;
    max = Math.max(max, lag);
  }
  return { bitsPerSecond, rpo100Seconds: max, rpo90Seconds: percentile(result.lagSeconds, 90), minutesOverTarget: over, backlogBytesMax: result.backlogBytesMax, unbounded: false };
}
