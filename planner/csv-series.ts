// Per-minute churn series from a CSV file, the form a profiler exports: a header row, then one
// row a minute. The first column is the minute (0, 1, 2, ... or HH:MM, or D HH:MM for later
// days); every other column is the churn of one disk in MB/s (decimal megabytes per second).
// Errors name file, line and column, as scenario and workload errors do.
import type { InputError } from '../scenarios/index.js';

/** A series may span at most this many days (the Deployment Planner profiles up to 31). */
export const SERIES_DAYS_MAX = 31;
export const SERIES_MINUTES_MIN = 60;

export interface CsvSeries {
  readonly file: string;
  readonly columns: ReadonlyMap<string, Float32Array>;
  /** The first data column, used when a disk names no column. */
  readonly firstColumn: string;
}

export type CsvResult = { ok: true; series: CsvSeries } | { ok: false; errors: InputError[] };

export function parseCsvSeries(file: string, text: string): CsvResult {
  const errors: InputError[] = [];
  const at = (line: number, column: number, message: string) => errors.push({ file, line, column, path: '', message });
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'the file is empty: write a header row "minute,<disk>,..." and one row a minute' }] };
  const header = lines[0].split(',').map((cell) => cell.trim());
  if (header.length < 2) at(1, 1, `the header must name the minute column and at least one series, got "${lines[0]}"`);
  const names = header.slice(1);
  names.forEach((name, i) => {
    if (name === '') at(1, columnOf(lines[0], i + 1), 'a series column needs a name');
    else if (names.indexOf(name) !== i) at(1, columnOf(lines[0], i + 1), `duplicate column "${name}"`);
  });
  const rows = lines.length - 1;
  if (rows < SERIES_MINUTES_MIN) at(lines.length, 1, `a series needs at least ${SERIES_MINUTES_MIN} minutes, got ${rows}`);
  if (rows > SERIES_DAYS_MAX * 1440) at(SERIES_DAYS_MAX * 1440 + 2, 1, `a series spans at most ${SERIES_DAYS_MAX} days (${SERIES_DAYS_MAX * 1440} minutes)`);
  if (errors.length > 0) return { ok: false, errors };
  const values = names.map(() => new Float32Array(rows));
  for (let row = 0; row < rows && errors.length < 20; row++) {
    const lineNumber = row + 2;
    const text = lines[row + 1];
    const cells = text.split(',');
    if (cells.length !== header.length) {
      at(lineNumber, 1, `expected ${header.length} cells, got ${cells.length}`);
      continue;
    }
    const minute = parseMinute(cells[0]);
    if (minute === null) at(lineNumber, 1, `"${cells[0].trim()}" is not a minute: write 0, 1, 2, ... or HH:MM (D HH:MM for later days)`);
    else if (minute !== row) at(lineNumber, 1, `minute ${cells[0].trim()} is row ${row} of the series: one row a minute, in order, without gaps`);
    for (let c = 1; c < cells.length; c++) {
      const cell = cells[c].trim();
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value) || value < 0) at(lineNumber, columnOf(text, c), `"${cell}" is not a churn rate: write MB/s as a non-negative number`);
      else values[c - 1][row] = value * 1e6;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, series: { file, columns: new Map(names.map((name, i) => [name, values[i]])), firstColumn: names[0] } };
}

/** "17" -> 17, "01:05" -> 65, "2 01:05" -> 2 days and 65 minutes; null when malformed. */
function parseMinute(cell: string): number | null {
  const text = cell.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(?:(\d+)\s+)?(\d{1,2}):(\d{2})$/.exec(text);
  if (match === null) return null;
  const hours = Number(match[2]);
  const minutes = Number(match[3]);
  if (hours > 23 || minutes > 59) return null;
  return Number(match[1] ?? 0) * 1440 + hours * 60 + minutes;
}

/** 1-based column of cell `index` (0-based) in a comma-separated line. */
function columnOf(line: string, index: number): number {
  let column = 1;
  for (let i = 0; i < index; i++) column = line.indexOf(',', column - 1) + 2;
  return column;
}
