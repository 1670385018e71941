// summary.md: what a person reads in a pull request or a CI summary. The verdict table with replay
// commands comes first, because "what failed and how do I reproduce it" is the first question;
// then each run's metrics, violations, diagnosis, jobs (phase timings, data loss) and faults.
import { INVARIANTS, type JobRecord, type RunRecord, type RunSummary } from '../model/index.js';
import { faultSpans } from './fault-spans.js';
import {
  VERDICT_LABELS,
  dataLossText,
  escapeMarkdownText,
  formatBytes,
  formatClock,
  formatCount,
  formatDuration,
  markdownCell,
  markdownCode,
  runTitle,
} from './format.js';

export function toMarkdown(summary: RunSummary): string {
  const sections = [
    `# Replication lab: ${summary.passed} passed, ${summary.failed} failed`,
    verdictTable(summary.runs),
    ...summary.runs.map(runSection),
  ];
  return `${sections.join('\n\n')}\n`;
}

function verdictTable(runs: readonly RunRecord[]): string {
  return table(
    ['Verdict', 'Scenario', 'Seed', 'Violations', 'Data loss (writes)', 'RPO max (target)', 'Replay'],
    runs.map((run) => [
      verdictText(run),
      escapeMarkdownText(run.scenario),
      String(run.seed),
      String(run.violations.length),
      formatCount(run.metrics.dataLossWrites),
      rpoAgainstTarget(run),
      markdownCode(run.replay),
    ]),
  );
}

function runSection(run: RunRecord): string {
  const parts = [`## ${escapeMarkdownText(runTitle(run))}: ${verdictText(run)}`];
  if (run.description) parts.push(escapeMarkdownText(run.description));
  parts.push(
    [
      `- Replay: ${markdownCode(run.replay)}`,
      `- Trace hash: ${markdownCode(run.traceHash)}`,
      ...(run.file === null ? [] : [`- File: ${markdownCode(run.file)}`]),
      `- Phases: faults on until ${formatClock(run.phases.safetyEndSeconds)}, liveness checked until ${formatClock(run.phases.livenessEndSeconds)}`,
    ].join('\n'),
  );
  if (run.violations.length > 0) parts.push('### Violations', violationTable(run));
  const diagnosis = diagnosisText(run);
  if (diagnosis) parts.push('### Diagnosis', diagnosis);
  parts.push('### Metrics', metricTable(run));
  if (run.jobs.length > 0) parts.push('### Jobs', jobTable(run.jobs));
  if (run.faults.length > 0) parts.push('### Faults', faultTable(run));
  parts.push('### Coverage marks', marksText(run));
  return parts.join('\n\n');
}

function violationTable(run: RunRecord): string {
  return table(
    ['Invariant', 'Item', 'At', 'Message'],
    run.violations.map((violation) => [
      markdownCode(violation.invariant),
      escapeMarkdownText(violation.item),
      formatClock(violation.atSeconds),
      escapeMarkdownText(violation.message),
    ]),
  ) + invariantRationale(run);
}

/** The one-sentence rationale of each violated invariant, so the reader knows what was promised. */
function invariantRationale(run: RunRecord): string {
  const ids = [...new Set(run.violations.map((violation) => violation.invariant))];
  const lines = ids.filter((id): id is keyof typeof INVARIANTS => id in INVARIANTS).map((id) => `- ${markdownCode(id)}: ${escapeMarkdownText(INVARIANTS[id])}`);
  return lines.length === 0 ? '' : `\n\n${lines.join('\n')}`;
}

function diagnosisText(run: RunRecord): string | null {
  const diagnosis = run.diagnosis;
  if (!diagnosis) return null;
  const parts: string[] = [];
  if (diagnosis.divergence) parts.push(`**First divergent event:** ${escapeMarkdownText(diagnosis.divergence)}`);
  if (diagnosis.shrunkTimeline && diagnosis.shrunkTimeline.length > 0) parts.push('**Shrunk timeline:**', fence(diagnosis.shrunkTimeline.join('\n')));
  if (diagnosis.crash) parts.push('**Crash:**', fence(diagnosis.crash));
  return parts.length === 0 ? null : parts.join('\n\n');
}

function metricTable(run: RunRecord): string {
  const m = run.metrics;
  const rows: Array<[string, string]> = [
    ['Data loss', `${formatCount(m.dataLossWrites)} writes`],
    ['RPO max (target)', rpoAgainstTarget(run)],
    ['RPO p95', formatDuration(m.rpoSecondsP95)],
    ['Acknowledged writes', formatCount(m.acknowledgedWrites)],
    ['Logs applied', formatCount(m.logsApplied)],
    ['Bytes shipped', formatBytes(m.bytesShipped)],
    ['Cycles missed', formatCount(m.cyclesMissed)],
    ['Resyncs', formatCount(m.resyncs)],
    ['Events', formatCount(m.events)],
    ['Simulated / wall time', `${formatDuration(m.simulatedSeconds)} / ${formatDuration(m.wallSeconds)}`],
  ];
  return table(['Metric', 'Value'], rows);
}

function jobTable(jobs: readonly JobRecord[]): string {
  return table(
    ['Job', 'Kind', 'Item', 'Status', 'Start', 'Duration', 'Phases', 'Data loss'],
    jobs.map((job) => [
      `#${job.id}`,
      escapeMarkdownText(job.kind),
      escapeMarkdownText(job.item),
      escapeMarkdownText(job.status) + (job.error ? `: ${escapeMarkdownText(job.error)}` : ''),
      formatClock(job.startSeconds),
      job.endSeconds === null ? 'unfinished' : formatDuration(job.endSeconds - job.startSeconds),
      job.steps.map((step) => `${escapeMarkdownText(step.name)} ${stepDuration(step)}${step.status === 'succeeded' ? '' : ` (${escapeMarkdownText(step.status)})`}`).join('<br>'),
      dataLossText(job),
    ]),
  );
}

function stepDuration(step: JobRecord['steps'][number]): string {
  return step.endSeconds === null ? 'unfinished' : formatDuration(step.endSeconds - step.startSeconds);
}

function faultTable(run: RunRecord): string {
  return table(
    ['#', 'Injected', 'Healed', 'Kind', 'Description'],
    faultSpans(run.faults).map((span) => [
      `F${span.number}`,
      formatClock(span.startSeconds),
      span.healSeconds === null ? 'never' : formatClock(span.healSeconds),
      escapeMarkdownText(span.kind),
      escapeMarkdownText(span.description) + (span.healDescription ? `; healed: ${escapeMarkdownText(span.healDescription)}` : ''),
    ]),
  );
}

function marksText(run: RunRecord): string {
  const list = (marks: readonly string[]) => (marks.length === 0 ? 'none' : marks.map(markdownCode).join(', '));
  return `- Reached: ${list(run.marks)}\n- Missing: ${list(run.marksMissing)}`;
}

function verdictText(run: RunRecord): string {
  return `${run.verdict === 'pass' ? '✅' : '❌'} ${VERDICT_LABELS[run.verdict]}`;
}

function rpoAgainstTarget(run: RunRecord): string {
  const max = formatDuration(run.metrics.rpoSecondsMax);
  return run.rpoTargetSeconds === null ? max : `${max} (${formatDuration(run.rpoTargetSeconds)})`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** A fenced block longer than any backtick run inside, so a stack trace cannot close it early. */
function fence(text: string): string {
  const longestRun = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marker = '`'.repeat(longestRun + 1);
  return `${marker}text\n${text}\n${marker}`;
}
