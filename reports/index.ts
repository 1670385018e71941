// Public entry point of reports/: pure output over model/ run records (DESIGN.md section 6).
// cli/ writes the four documents of `--out DIR`: run.json, junit.xml, summary.md and index.html.
import type { RunSummary } from '../model/index.js';
import { toHtml } from './html.js';
import { toJson } from './json.js';
import { toJunit } from './junit.js';
import { toMarkdown } from './markdown.js';

export { toHtml } from './html.js';
export { toJson } from './json.js';
export { toJunit } from './junit.js';
export { toMarkdown } from './markdown.js';
export { chartDefinitions, type ChartDefinition, type ChartName } from './chart-specs.js';
export { renderChart, type RenderedChart } from './chart-render.js';

export interface RenderedReports {
  /** run.json, also what `lab run --json` prints. */
  readonly json: string;
  /** junit.xml */
  readonly junit: string;
  /** summary.md */
  readonly markdown: string;
  /** index.html, self-contained. */
  readonly html: string;
}

export async function renderAll(summary: RunSummary): Promise<RenderedReports> {
  return { json: toJson(summary), junit: toJunit(summary), markdown: toMarkdown(summary), html: await toHtml(summary) };
}
