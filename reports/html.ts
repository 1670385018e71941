// index.html: one self-contained page a DR engineer reads instead of logs. Verdicts and replay
// commands first (table#verdicts); then per run what broke and why, the headline metrics, the
// charts (Vega-Lite rendered to inline SVG, so no script and no network) and the job and fault
// tables behind them.
import { INVARIANTS, type JobRecord, type RunRecord, type RunSummary } from '../model/index.js';
import { renderChart } from './chart-render.js';
import { chartDefinitions, type ChartDefinition } from './chart-specs.js';
import { faultSpans } from './fault-spans.js';
import {
  VERDICT_LABELS,
  dataLossText,
  escapeMarkup as esc,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
} from './format.js';
import { REPORT_CSS } from './html-style.js';

export async function toHtml(summary: RunSummary): Promise<string> {
  // One chart at a time: rendering is CPU-bound, so nothing is gained by interleaving.
  const sections: string[] = [];
  for (const [index, run] of summary.runs.entries()) sections.push(await runSection(run, index));
  const title = `Replication lab: ${summary.passed} passed, ${summary.failed} failed`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    pageHead(summary),
    '<main>',
    `<section class="card" aria-label="verdicts">${verdictTable(summary.runs)}</section>`,
    ...sections,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function pageHead(summary: RunSummary): string {
  const simulated = summary.runs.reduce((total, run) => total + run.metrics.simulatedSeconds, 0);
  const wall = summary.runs.reduce((total, run) => total + run.metrics.wallSeconds, 0);
  return `<header class="page-head"><h1>Replication lab report</h1><p class="totals"><span class="pill pass">${summary.passed} passed</span><span class="pill fail">${summary.failed} failed</span><span class="muted">${summary.runs.length} run${summary.runs.length === 1 ? '' : 's'} · ${esc(formatDuration(simulated))} simulated in ${esc(formatDuration(wall))} of wall time</span></p></header>`;
}

function verdictTable(runs: readonly RunRecord[]): string {
  // The replay command sits under the scenario name: a column of its own would be too narrow to read.
  const header = ['Verdict', 'Scenario and replay command', 'Seed', 'Violations', 'Lost writes', 'RPO max / target', 'Missing marks'];
  const numeric = new Set(['Seed', 'Violations', 'Lost writes']);
  const rows = runs.map((run, index) => {
    const cells = [
      verdictBadge(run),
      `<td><a href="#${runAnchor(index)}">${esc(run.scenario)}</a><div><code class="replay">${esc(run.replay)}</code></div></td>`,
      num(String(run.seed)),
      num(String(run.violations.length), run.violations.length > 0),
      num(formatCount(run.metrics.dataLossWrites), run.metrics.dataLossWrites > 0),
      `<td class="nw${rpoBreached(run) ? ' bad' : ''}">${esc(rpoAgainstTarget(run))}</td>`,
      `<td${run.marksMissing.length > 0 ? ' class="bad"' : ''}>${run.marksMissing.length === 0 ? '—' : run.marksMissing.map((mark) => `<code>${esc(mark)}</code>`).join(', ')}</td>`,
    ];
    return `<tr data-verdict="${run.verdict}">${cells.map((cell) => (cell.startsWith('<td') ? cell : `<td>${cell}</td>`)).join('')}</tr>`;
  });
  const head = header.map((name) => `<th${numeric.has(name) ? ' class="num"' : ''}>${esc(name)}</th>`).join('');
  return `<table id="verdicts"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

async function runSection(run: RunRecord, index: number): Promise<string> {
  const charts: string[] = [];
  for (const chart of chartDefinitions(run)) charts.push(await chartFigure(chart, `run${index + 1}-${chart.name}`));
  return [
    `<section class="card run verdict-${run.verdict}" id="${runAnchor(index)}">`,
    `<h2>${verdictBadge(run)} ${esc(run.scenario)} <span class="seed">seed ${run.seed}</span></h2>`,
    run.description ? `<p class="description">${esc(run.description)}</p>` : '',
    runMeta(run),
    run.verdict === 'pass' ? '' : failureBox(run),
    kpis(run),
    charts.length === 0 ? '<p class="no-data">The run recorded no samples to chart.</p>' : `<div class="charts">\n${charts.join('\n')}\n</div>`,
    jobTable(run.jobs),
    faultTable(run),
    marksLine(run),
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function runMeta(run: RunRecord): string {
  const entries: Array<[string, string]> = [
    ['Replay', `<code class="replay">${esc(run.replay)}</code>`],
    ...(run.file === null ? [] : [['Scenario file', `<code>${esc(run.file)}</code>`] as [string, string]]),
    ['Trace hash', `<code>${esc(run.traceHash)}</code>`],
    ['Phases', `faults on until ${formatClock(run.phases.safetyEndSeconds)}, liveness checked until ${formatClock(run.phases.livenessEndSeconds)}`],
  ];
  return `<dl class="meta">${entries.map(([term, value]) => `<dt>${esc(term)}</dt><dd>${value}</dd>`).join('')}</dl>`;
}

function failureBox(run: RunRecord): string {
  const parts = ['<div class="failure">', `<h3>Why it failed: ${esc(VERDICT_LABELS[run.verdict])}</h3>`];
  if (run.violations.length > 0) {
    const rows = run.violations.map((violation, index) => {
      const rationale = violation.invariant in INVARIANTS ? INVARIANTS[violation.invariant as keyof typeof INVARIANTS] : 'An expectation the scenario file states.';
      return (
        `<tr><td class="bad">V${index + 1}</td><td><code>${esc(violation.invariant)}</code><div class="rationale">${esc(rationale)}</div></td>` +
        `<td class="nw">${esc(violation.item)}</td><td class="mono nw">${formatClock(violation.atSeconds)}</td><td>${esc(violation.message)}</td></tr>`
      );
    });
    parts.push(`<table class="violations"><thead><tr><th>#</th><th>Violated invariant</th><th>Item</th><th>At</th><th>What happened</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  if (run.marksMissing.length > 0) {
    parts.push(`<p>Coverage marks the scenario exists to reach but did not: ${run.marksMissing.map((mark) => `<code>${esc(mark)}</code>`).join(', ')}</p>`);
  }
  const diagnosis = run.diagnosis;
  if (diagnosis?.divergence) parts.push('<h3>First divergent event</h3>', `<pre>${esc(diagnosis.divergence)}</pre>`);
  if (diagnosis?.shrunkTimeline && diagnosis.shrunkTimeline.length > 0) {
    parts.push(
      `<h3>Shrunk timeline (${diagnosis.shrunkTimeline.length} steps)</h3>`,
      `<ol class="timeline">${diagnosis.shrunkTimeline.map((step) => `<li>${esc(step)}</li>`).join('')}</ol>`,
    );
  }
  if (diagnosis?.crash) parts.push('<h3>Crash</h3>', `<pre>${esc(diagnosis.crash)}</pre>`);
  parts.push('</div>');
  return parts.join('\n');
}

function kpis(run: RunRecord): string {
  const m = run.metrics;
  const failovers = run.jobs.filter((job) => job.kind.includes('failover') || job.kind === 'failback');
  const tiles: Array<[string, string, boolean]> = [
    ['Data loss', `${formatCount(m.dataLossWrites)} writes`, m.dataLossWrites > 0],
    ['RPO max / target', rpoAgainstTarget(run), rpoBreached(run)],
    ['RPO p95', formatDuration(m.rpoSecondsP95), run.rpoTargetSeconds !== null && m.rpoSecondsP95 > run.rpoTargetSeconds],
    ['Failover jobs', `${failovers.length} (${failovers.filter((job) => job.status === 'failed').length} failed)`, failovers.some((job) => job.status === 'failed')],
    ['Acknowledged writes', formatCount(m.acknowledgedWrites), false],
    ['Logs applied', formatCount(m.logsApplied), false],
    ['Shipped', formatBytes(m.bytesShipped), false],
    ['Cycles missed', formatCount(m.cyclesMissed), m.cyclesMissed > 0],
    ['Resyncs', formatCount(m.resyncs), false],
    ['Events', formatCount(m.events), false],
    ['Simulated', formatDuration(m.simulatedSeconds), false],
    ['Wall time (speed-up)', `${formatDuration(m.wallSeconds)}${m.wallSeconds > 0 ? ` · ×${Math.round(m.simulatedSeconds / m.wallSeconds)}` : ''}`, false],
  ];
  const html = tiles.map(([label, value, bad]) => `<div class="kpi${bad ? ' bad' : ''}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div></div>`);
  return `<div class="kpis">${html.join('')}</div>`;
}

async function chartFigure(chart: ChartDefinition, idPrefix: string): Promise<string> {
  const { svg } = await renderChart(chart.spec, idPrefix);
  return `<figure class="chart${chart.wide ? ' wide' : ''}" data-chart="${chart.name}"><figcaption><strong>${esc(chart.title)}.</strong> ${esc(chart.caption)}</figcaption>${svg}</figure>`;
}

function jobTable(jobs: readonly JobRecord[]): string {
  if (jobs.length === 0) return '';
  const rows = jobs.map((job) => {
    const phases = job.steps
      .map((step) => {
        const state = step.status === 'failed' ? ' failed' : step.endSeconds === null ? ' unfinished' : '';
        const took = step.endSeconds === null ? step.status : formatDuration(step.endSeconds - step.startSeconds);
        const status = step.endSeconds !== null && step.status !== 'succeeded' ? ` ${step.status}` : '';
        return `<span class="phase${state}">${esc(step.name)} <b>${esc(took)}</b>${esc(status)}</span>`;
      })
      .join('');
    const lossBad = (job.dataLossSeconds ?? 0) > 0 || (job.dataLossWrites ?? 0) > 0;
    return (
      `<tr><td class="num">#${job.id}</td><td class="nw">${esc(job.kind)}</td><td class="nw">${esc(job.item)}</td>` +
      `<td${job.status === 'failed' ? ' class="bad"' : ''}>${esc(job.status)}${job.error ? `<div class="rationale">${esc(job.error)}</div>` : ''}</td>` +
      `<td class="mono nw">${formatClock(job.startSeconds)}</td><td class="num nw">${job.endSeconds === null ? 'unfinished' : esc(formatDuration(job.endSeconds - job.startSeconds))}</td>` +
      `<td><div class="phases">${phases}</div></td><td class="nw${lossBad ? ' bad' : ''}">${esc(dataLossText(job))}</td></tr>`
    );
  });
  return `<h3>Jobs</h3><table class="jobs"><thead><tr><th class="num">Job</th><th>Kind</th><th>Item</th><th>Status</th><th>Start</th><th class="num">Duration</th><th>Phases</th><th>Data loss</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function faultTable(run: RunRecord): string {
  const spans = faultSpans(run.faults);
  if (spans.length === 0) return '';
  const rows = spans.map(
    (span) =>
      `<tr><td>F${span.number}</td><td class="nw">${esc(span.kind)}</td><td class="mono nw">${formatClock(span.startSeconds)}</td>` +
      `<td class="mono nw">${span.healSeconds === null ? 'never' : formatClock(span.healSeconds)}</td>` +
      `<td class="num nw">${span.healSeconds === null ? '—' : esc(formatDuration(span.healSeconds - span.startSeconds))}</td>` +
      `<td>${esc(span.description)}${span.healDescription ? `<div class="rationale">heal: ${esc(span.healDescription)}</div>` : ''}</td></tr>`,
  );
  return `<h3>Faults</h3><table class="faults"><thead><tr><th>#</th><th>Kind</th><th>Injected</th><th>Healed</th><th class="num">Lasted</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function marksLine(run: RunRecord): string {
  const list = (marks: readonly string[]) => (marks.length === 0 ? 'none' : marks.map((mark) => `<code>${esc(mark)}</code>`).join(', '));
  return `<p class="muted">Coverage marks reached: ${list(run.marks)}${run.marksMissing.length > 0 ? `; <span class="bad">missing: ${list(run.marksMissing)}</span>` : ''}</p>`;
}

function verdictBadge(run: RunRecord): string {
  return `<span class="badge ${run.verdict}">${esc(VERDICT_LABELS[run.verdict])}</span>`;
}

function num(text: string, bad = false): string {
  return `<td class="num${bad ? ' bad' : ''}">${esc(text)}</td>`;
}

function rpoAgainstTarget(run: RunRecord): string {
  const max = formatDuration(run.metrics.rpoSecondsMax);
  return run.rpoTargetSeconds === null ? `${max} / none` : `${max} / ${formatDuration(run.rpoTargetSeconds)}`;
}

function rpoBreached(run: RunRecord): boolean {
  return run.rpoTargetSeconds !== null && run.metrics.rpoSecondsMax > run.rpoTargetSeconds;
}

function runAnchor(index: number): string {
  return `run-${index + 1}`;
}
