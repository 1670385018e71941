// Number formats of the plan's figures and rules: binary sizes, megabits, short durations.

export const GIB = 1024 ** 3;

export function gib(bytes: number): number {
  return round(bytes / GIB, 1);
}

export function mbps(bitsPerSecond: number | null): number | null {
  return bitsPerSecond === null ? null : round(bitsPerSecond / 1e6, 2);
}

export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function sizeText(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unbounded';
  if (bytes >= 1024 ** 4) return `${round(bytes / 1024 ** 4, 2)} TiB`;
  if (bytes >= GIB) return `${round(bytes / GIB, 1)} GiB`;
  return `${round(bytes / 1024 ** 2, 1)} MiB`;
}

export function rateText(bitsPerSecond: number | null): string {
  if (bitsPerSecond === null) return 'none';
  if (bitsPerSecond >= 1e9) return `${round(bitsPerSecond / 1e9, 2)} Gbps`;
  return `${round(bitsPerSecond / 1e6, 1)} Mbps`;
}

export function durationText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'unbounded';
  if (seconds < 120) return `${round(seconds, 1)}s`;
  if (seconds < 2 * 3600) return `${round(seconds / 60, 1)}m`;
  if (seconds < 3 * 86_400) return `${round(seconds / 3600, 1)}h`;
  return `${round(seconds / 86_400, 1)}d`;
}

/** Decimal units, as the published tiers are written (2 TB/day, 600 GB). */
export function decimalSizeText(bytes: number): string {
  if (bytes >= 1e12) return `${round(bytes / 1e12, 2)} TB`;
  return `${round(bytes / 1e9, 1)} GB`;
}
