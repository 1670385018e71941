// Human formatting shared by the Markdown and HTML reports: durations, simulated instants, byte
// sizes, and the escaping each output format needs. Pure functions of their arguments, so the
// reports of one run record are byte-for-byte reproducible.
import type { JobRecord, RunRecord, Verdict } from '../model/index.js';

/** A span of simulated seconds, at the precision a person reads: "0.42 s", "4 min 12 s", "10 min", "2 h 05 min". */
export function formatDuration(secondsTotal: number): string {
  if (!Number.isFinite(secondsTotal)) return String(secondsTotal);
  const sign = secondsTotal < 0 ? '-' : '';
  const s = Math.abs(secondsTotal);
  // Thresholds sit where rounding would carry into the next unit (9.996 s is "10 s", not "10.00 s").
  if (s < 9.995) return `${sign}${trimZeros(s.toFixed(2))} s`;
  if (s < 59.95) return `${sign}${trimZeros(s.toFixed(1))} s`;
  if (Math.round(s) < 3600) {
    const whole = Math.round(s);
    return `${sign}${Math.floor(whole / 60)} min${whole % 60 === 0 ? '' : ` ${pad2(whole % 60)} s`}`;
  }
  const minutesWhole = Math.round(s / 60);
  return `${sign}${Math.floor(minutesWhole / 60)} h${minutesWhole % 60 === 0 ? '' : ` ${pad2(minutesWhole % 60)} min`}`;
}

/** A simulated instant as a run clock, "01:00:00" or "00:45:01.452" when it has a fraction. */
export function formatClock(secondsSinceStart: number): string {
  const millisTotal = Math.round(Math.max(0, secondsSinceStart) * 1000);
  const millis = millisTotal % 1000;
  const secondsWhole = Math.floor(millisTotal / 1000);
  const clock = `${pad2(Math.floor(secondsWhole / 3600))}:${pad2(Math.floor(secondsWhole / 60) % 60)}:${pad2(secondsWhole % 60)}`;
  return millis === 0 ? clock : `${clock}.${String(millis).padStart(3, '0')}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

export function formatBytes(bytes: number): string {
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** An integer count with thin grouping: 1 842 117 reads faster than 1842117. */
export function formatCount(count: number): string {
  return Number.isInteger(count) ? count.toString().replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009') : count.toString();
}

export function formatPercent(ratio: number): string {
  return `${trimZeros((ratio * 100).toFixed(1))} %`;
}

export const VERDICT_LABELS: Record<Verdict, string> = {
  pass: 'PASS',
  correctness: 'FAIL: correctness',
  liveness: 'FAIL: liveness',
  crash: 'FAIL: crash',
};

/** What a failover cost: lost seconds of source writes and lost writes, as far as they were measured. */
export function dataLossText(job: JobRecord): string {
  if (job.dataLossSeconds === undefined && job.dataLossWrites === undefined) return '—';
  const parts: string[] = [];
  if (job.dataLossSeconds !== undefined) parts.push(formatDuration(job.dataLossSeconds));
  if (job.dataLossWrites !== undefined) parts.push(`${formatCount(job.dataLossWrites)} writes`);
  return parts.join(', ');
}

/** "scenario [seed N]": the test-case name in JUnit and the heading of a run elsewhere. */
export function runTitle(run: Pick<RunRecord, 'scenario' | 'seed'>): string {
  return `${run.scenario} [seed ${run.seed}]`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML or XML content and attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * XML 1.0 forbids most control characters even when escaped; a crash message may carry them, and
 * one would make the whole junit.xml unreadable to CI, so they become U+FFFD.
 */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return escapeMarkup(text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD'));
}

/** Plain text for Markdown: punctuation that would start emphasis, links, HTML or a cell border is escaped. */
export function escapeMarkdownText(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/**
 * One GFM table cell made of already-formatted Markdown: GFM splits cells on unescaped pipes
 * before inline parsing, even inside code spans, so those pipes are escaped.
 */
export function markdownCell(markdown: string): string {
  return markdown.replace(/(?<!\\)\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** An inline code span that survives backticks inside the text (CommonMark: a longer fence). */
export function markdownCode(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
