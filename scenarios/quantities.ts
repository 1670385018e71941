// Units a person writes in scenario and workload files: durations ("2h30m", "30s", "250ms"),
// sizes ("200GiB", "4KiB", "1.5TB"), bandwidths ("100Mbps", "1Gbps") and rates ("2TB/day").
// Each parser returns a value or an error message that says what form was expected.
import { MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MILLI, MICROS_PER_MINUTE, MICROS_PER_SECOND } from '../model/index.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const DURATION_UNITS: Record<string, number> = { d: MICROS_PER_DAY, h: MICROS_PER_HOUR, m: MICROS_PER_MINUTE, s: MICROS_PER_SECOND, ms: MICROS_PER_MILLI, us: 1 };

/** "1d2h30m15s", "250ms", "0" -> microseconds. */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (trimmed === '0') return { ok: true, value: 0 };
  const pattern = /(\d+(?:\.\d+)?)(ms|us|d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    matched = pattern.lastIndex;
  }
  if (matched === 0 || matched !== trimmed.length) return { ok: false, error: `"${text}" is not a duration: write e.g. 30s, 5m, 2h30m, 1d` };
  return { ok: true, value: Math.round(total) };
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** "200GiB", "4KiB", "1.5TB", "512B" -> bytes. */
export function parseSize(text: string): Parsed<number> {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/.exec(text);
  if (match === null) return { ok: false, error: `"${text}" is not a size: write e.g. 4KiB, 200GiB, 1.5TB` };
  return { ok: true, value: Math.round(Number(match[1]) * SIZE_UNITS[match[2]]) };
}

const BANDWIDTH_UNITS: Record<string, number> = { bps: 1, Kbps: 1e3, Mbps: 1e6, Gbps: 1e9 };

/** "100Mbps", "1.5Mbps", "10Gbps" -> bits per second. */
export function parseBandwidth(text: string): Parsed<number> {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(bps|Kbps|Mbps|Gbps)\s*$/.exec(text);
  if (match === null) return { ok: false, error: `"${text}" is not a bandwidth: write e.g. 1.5Mbps, 100Mbps, 1Gbps` };
  return { ok: true, value: Math.round(Number(match[1]) * BANDWIDTH_UNITS[match[2]]) };
}

/** "2TB/day", "20GiB/day", "5MB/s" -> bytes per day. */
export function parseRate(text: string): Parsed<number> {
  const match = /^\s*(.+?)\s*\/\s*(day|d|hour|h|s)\s*$/.exec(text);
  if (match === null) return { ok: false, error: `"${text}" is not a rate: write e.g. 2TB/day, 20GiB/day, 5MB/s` };
  const size = parseSize(match[1]);
  if (!size.ok) return { ok: false, error: `"${text}" is not a rate: ${size.error}` };
  const perDay = { day: 1, d: 1, hour: 24, h: 24, s: 86_400 }[match[2] as 'day'];
  return { ok: true, value: size.value * perDay };
}

/** "10%" or 0.1 -> 0.1. */
export function parsePercent(text: string): Parsed<number> {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (match === null) return { ok: false, error: `"${text}" is not a percentage: write e.g. 10%` };
  const value = Number(match[1]) / 100;
  if (value > 1) return { ok: false, error: `"${text}" is more than 100%` };
  return { ok: true, value };
}
