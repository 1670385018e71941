// The units and the item selection of the HTML report's charts. A run of two minutes reads in
// seconds and a day in hours; an RPO of a few seconds (CDP) in seconds and one of hours in hours.
// A chart with 200 coloured lines says nothing, so per-item charts show the worst items only.
import type { ItemSeries, RunRecord, SeriesPoint } from '../model/index.js';

export interface ScaleUnit {
  /** How many base units (seconds or bytes) one axis unit holds. */
  readonly size: number;
  readonly label: string;
}

const TIME_UNITS: readonly ScaleUnit[] = [
  { size: 3600, label: 'h' },
  { size: 60, label: 'min' },
  { size: 1, label: 's' },
];

/** Simulated time of a whole run: hours from 3 h on, minutes from 10 min on. */
export function runTimeUnit(endSeconds: number): ScaleUnit {
  if (endSeconds >= 3 * 3600) return TIME_UNITS[0];
  if (endSeconds >= 10 * 60) return TIME_UNITS[1];
  return TIME_UNITS[2];
}

/** A span that should read in two-digit numbers: the largest unit that still shows it as at least 2. */
export function spanUnit(secondsMax: number): ScaleUnit {
  return TIME_UNITS.find((unit) => secondsMax >= 2 * unit.size) ?? TIME_UNITS[2];
}

const BYTE_UNITS: readonly ScaleUnit[] = ['TiB', 'GiB', 'MiB', 'KiB'].map((label, index) => ({ size: 1024 ** (4 - index), label }));

export function byteUnit(bytesMax: number): ScaleUnit {
  return BYTE_UNITS.find((unit) => bytesMax >= unit.size) ?? { size: 1, label: 'B' };
}

/** When the run ends: the liveness phase end, or the last thing the record holds if that is later. */
export function runEndSeconds(run: RunRecord): number {
  let end = Math.max(run.phases.livenessEndSeconds, run.metrics.simulatedSeconds);
  for (const item of run.items) end = Math.max(end, lastT(item.rpoSeconds), lastT(item.backlogBytes));
  for (const link of run.links) end = Math.max(end, lastT(link.utilisation));
  return end > 0 ? end : 1;
}

function lastT(points: readonly SeriesPoint[]): number {
  return points.length === 0 ? 0 : points[points.length - 1].t;
}

export const ITEMS_CHARTED_MAX = 20;

export interface ItemSelection {
  /** Items drawn on their own, worst first: the colour order of every per-item chart. */
  readonly shown: readonly string[];
  /** Items folded into one grey "others" series. */
  readonly hidden: readonly string[];
}

/** The items with the highest peak RPO (then peak backlog) come first: they are what needs looking at. */
export function selectItems(items: readonly ItemSeries[], limit = ITEMS_CHARTED_MAX): ItemSelection {
  const ranked = items
    .map((series) => ({ item: series.item, rpoPeak: peak(series.rpoSeconds), backlogPeak: peak(series.backlogBytes) }))
    .sort((a, b) => b.rpoPeak - a.rpoPeak || b.backlogPeak - a.backlogPeak || compareText(a.item, b.item))
    .map((ranking) => ranking.item);
  return { shown: ranked.slice(0, limit), hidden: ranked.slice(limit) };
}

export function peak(points: readonly SeriesPoint[]): number {
  let max = 0;
  for (const point of points) if (point.value > max) max = point.value;
  return max;
}

/**
 * At most about `pointsMax` points, keeping each bucket's lowest and highest sample in time order:
 * the envelope (every peak of an RPO sawtooth) survives, only detail inside a pixel is dropped.
 */
export function downsample(points: readonly SeriesPoint[], pointsMax: number): readonly SeriesPoint[] {
  if (points.length <= pointsMax) return points;
  const bucketSize = Math.ceil(points.length / Math.max(1, Math.floor(pointsMax / 2)));
  const kept: SeriesPoint[] = [];
  for (let start = 0; start < points.length; start += bucketSize) {
    let low = start;
    let high = start;
    for (let i = start + 1; i < Math.min(points.length, start + bucketSize); i++) {
      if (points[i].value < points[low].value) low = i;
      if (points[i].value > points[high].value) high = i;
    }
    kept.push(points[Math.min(low, high)]);
    if (low !== high) kept.push(points[Math.max(low, high)]);
  }
  return kept;
}

/**
 * Tableau 20 with its two greys swapped for cyan and navy (grey means "others"), dark tones first:
 * the worst items get the strongest colours.
 */
export const ITEM_COLOURS: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#499894', '#b6992d', '#d37295', '#9d7660', '#1f3a5f',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#8cd17d', '#d4a6c8', '#86bcb6', '#f1ce63', '#fabfd2', '#d7b5a6', '#17becf',
];
export const OTHERS_COLOUR = '#c7c7c7';

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
