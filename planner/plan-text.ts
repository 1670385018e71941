// The plan for a person at a terminal (a table: figure, value, rule; then the binding constraint,
// warnings and the simulated confirmation) and as CSV files for a spreadsheet.
import type { ConfirmationPoint } from './confirm.js';
import type { PlanDocument } from './plan-document.js';
import { durationText, round, sizeText } from './plan-format.js';

export function planTable(doc: PlanDocument): string {
  const lines: string[] = [];
  const w = doc.workload;
  lines.push(`plan for ${w.name} (${w.provider}): ${w.machines} machines, ${w.disks} disks, RPO target ${durationText(doc.settings.rpoSeconds)}, growth ${round(doc.settings.growth * 100, 0)}%, ${doc.settings.percentile}th percentile`);
  lines.push('');
  const rows = doc.figures.map((f) => [f.label, f.value === null ? '-' : `${f.value}${f.unit === '' ? '' : ` ${f.unit}`}`, f.rule]);
  const width = (column: number) => Math.max(...rows.map((r) => r[column].length), column === 0 ? 6 : 5);
  const [labelWidth, valueWidth] = [width(0), width(1)];
  lines.push(`${'figure'.padEnd(labelWidth)}  ${'value'.padStart(valueWidth)}  rule`);
  for (const [label, value, rule] of rows) lines.push(`${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}  ${rule}`);
  lines.push('');
  const b = doc.bindingConstraint;
  lines.push(`binding constraint: ${b.id} (${b.component}, ${Number.isFinite(b.utilisation) ? `${round(b.utilisation * 100, 1)}%` : 'over'} used): ${b.description}`);
  for (const warning of doc.warnings) lines.push(`warning: ${warning}`);
  lines.push('');
  lines.push(...simulationLines(doc));
  return `${lines.join('\n')}\n`;
}

function simulationLines(doc: PlanDocument): string[] {
  const sim = doc.simulation;
  if (!sim.available) return [`simulated confirmation: ${sim.reason}`];
  const lines = [`simulated confirmation (link ${sim.link}, day ${sim.representativeDay + 1} of the horizon): ${sim.sampling.rule}`];
  const header = ['point', 'Mbps', 'seeds', 'p50', 'p95', 'p99', 'max', sim.provider === 'inmage-scout' ? 'cache peak' : 'log max', sim.provider === 'inmage-scout' ? 'refused' : 'resends', 'meets'];
  const rows = sim.points.map((p) => pointRow(p));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(`  ${line(header)}`);
  for (const row of rows) lines.push(`  ${line(row)}`);
  for (const skipped of sim.notSimulated) lines.push(`  not simulated: ${skipped.label}: ${skipped.reason}`);
  lines.push(`verdict: ${sim.verdict.message}`);
  for (const note of sim.notes) lines.push(`note: ${note}`);
  return lines;
}

function pointRow(p: ConfirmationPoint): string[] {
  const r = p.rpoSeconds;
  return [p.label, String(p.bandwidthMbps), String(p.seeds.length), durationText(r.p50), durationText(r.p95), durationText(r.p99), durationText(r.max), sizeText(p.backlogBytesMax), String(p.retransmits), p.meetsTarget ? 'yes' : 'NO'];
}

/** plan.csv: one row per figure. */
export function planCsv(doc: PlanDocument): string {
  const rows = [['key', 'label', 'value', 'unit', 'rule'], ...doc.figures.map((f) => [f.key, f.label, f.value === null ? '' : String(f.value), f.unit, f.rule])];
  rows.push(['bindingConstraint', 'binding constraint', doc.bindingConstraint.id, '', doc.bindingConstraint.description]);
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

/** simulation.csv: one row per simulated point and machine (empty when nothing was simulated). */
export function simulationCsv(doc: PlanDocument): string {
  const header = ['point', 'variant', 'bandwidthMbps', 'seeds', 'machine', 'rpoP50Seconds', 'rpoP95Seconds', 'rpoP99Seconds', 'rpoMaxSeconds', 'backlogBytesMax', 'meetsTarget'];
  const rows: string[][] = [header];
  const sim = doc.simulation;
  if (sim.available) {
    for (const p of sim.points) {
      rows.push([p.label, p.variant, String(p.bandwidthMbps), p.seeds.join(' '), '*', ...stats(p.rpoSeconds), String(p.backlogBytesMax), String(p.meetsTarget)]);
      for (const m of p.perMachine) rows.push([p.label, p.variant, String(p.bandwidthMbps), p.seeds.join(' '), m.machine, ...stats(m.rpoSeconds), String(m.backlogBytesMax), String(m.rpoSeconds.max <= sim.targetSeconds)]);
    }
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}

const stats = (r: { p50: number; p95: number; p99: number; max: number }) => [r.p50, r.p95, r.p99, r.max].map(String);

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
