// junit.xml for CI dashboards: one <testsuite> per scenario, one <testcase> per scenario and seed.
// A correctness or liveness verdict is a <failure> (the system under test broke a promise); a crash
// is an <error> (the run itself did not finish). Either carries the violations and the replay
// command, because the replay command is what the person reading the CI page needs next.
import type { RunRecord, RunSummary } from '../model/index.js';
import { escapeXml, formatClock, runTitle } from './format.js';

export function toJunit(summary: RunSummary): string {
  const suites = groupByScenario(summary.runs);
  const failures = summary.runs.filter((run) => run.verdict === 'correctness' || run.verdict === 'liveness').length;
  const errors = summary.runs.filter((run) => run.verdict === 'crash').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="replication-lab" tests="${summary.runs.length}" failures="${failures}" errors="${errors}" time="${wallTime(summary.runs)}">`,
    ...[...suites].flatMap(([scenario, runs]) => suiteLines(scenario, runs)),
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function groupByScenario(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const suites = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const suite = suites.get(run.scenario);
    if (suite) suite.push(run);
    else suites.set(run.scenario, [run]);
  }
  return suites;
}

function suiteLines(scenario: string, runs: readonly RunRecord[]): string[] {
  const failures = runs.filter((run) => run.verdict === 'correctness' || run.verdict === 'liveness').length;
  const errors = runs.filter((run) => run.verdict === 'crash').length;
  const attributes = `name="${escapeXml(scenario)}" tests="${runs.length}" failures="${failures}" errors="${errors}" skipped="0" time="${wallTime(runs)}"`;
  return [`  <testsuite ${attributes}>`, ...runs.flatMap(testcaseLines), '  </testsuite>'];
}

function testcaseLines(run: RunRecord): string[] {
  const open = `    <testcase name="${escapeXml(runTitle(run))}" classname="${escapeXml(run.scenario)}" time="${run.metrics.wallSeconds.toFixed(3)}"`;
  const out = `      <system-out>${escapeXml(systemOut(run))}</system-out>`;
  if (run.verdict === 'pass') return [`${open}>`, out, '    </testcase>'];
  const element = run.verdict === 'crash' ? 'error' : 'failure';
  const message = escapeXml(failureMessage(run).replace(/\s*\n\s*/g, ' ')); // attribute values fold newlines anyway
  const body = escapeXml(failureBody(run));
  return [`${open}>`, `      <${element} type="${run.verdict}" message="${message}">${body}</${element}>`, out, '    </testcase>'];
}

/** One line CI tools show in their list of failures. */
function failureMessage(run: RunRecord): string {
  const first = run.violations[0];
  if (first) {
    const more = run.violations.length > 1 ? ` (+${run.violations.length - 1} more)` : '';
    return `${first.invariant} on ${first.item} at ${formatClock(first.atSeconds)}: ${first.message}${more}`;
  }
  if (run.diagnosis?.crash) return `crash: ${run.diagnosis.crash.split('\n')[0]}`;
  if (run.marksMissing.length > 0) return `coverage marks not reached: ${run.marksMissing.join(', ')}`;
  return `verdict ${run.verdict}`;
}

function failureBody(run: RunRecord): string {
  const lines = [`replay: ${run.replay}`, ''];
  for (const violation of run.violations) {
    lines.push(`[${violation.invariant}] ${violation.item} at ${formatClock(violation.atSeconds)} (t=${violation.atSeconds} s): ${violation.message}`);
  }
  if (run.marksMissing.length > 0) lines.push(`coverage marks not reached: ${run.marksMissing.join(', ')}`);
  const diagnosis = run.diagnosis;
  if (diagnosis?.divergence) lines.push('', `first divergent event: ${diagnosis.divergence}`);
  if (diagnosis?.shrunkTimeline && diagnosis.shrunkTimeline.length > 0) lines.push('', 'shrunk timeline:', ...diagnosis.shrunkTimeline.map((step) => `  ${step}`));
  if (diagnosis?.crash) lines.push('', 'crash:', diagnosis.crash);
  return lines.join('\n');
}

function systemOut(run: RunRecord): string {
  const m = run.metrics;
  return [
    `replay: ${run.replay}`,
    `trace hash: ${run.traceHash}`,
    `data loss: ${m.dataLossWrites} writes; RPO max ${m.rpoSecondsMax} s, p95 ${m.rpoSecondsP95} s` +
      (run.rpoTargetSeconds === null ? '' : ` (target ${run.rpoTargetSeconds} s)`),
    `simulated ${m.simulatedSeconds} s in ${m.wallSeconds} s wall, ${m.events} events`,
  ].join('\n');
}

function wallTime(runs: readonly RunRecord[]): string {
  return runs.reduce((total, run) => total + run.metrics.wallSeconds, 0).toFixed(3);
}
