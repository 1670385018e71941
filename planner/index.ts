// Public entry point of planner/: capacity planning (DESIGN.md section 1, issue "lab plan"). A
// workload file is loaded and validated, sized analytically (every figure with its rule), then
// confirmed by simulating it through scenarios/, and rendered as JSON, a table, CSV and HTML.
import type { AnalyticPlan } from './analytic-plan.js';
import { analyticPlan } from './analytic-plan.js';
import { confirmPlan, type ConfirmOptions, type Confirmation } from './confirm.js';
import { planDocument, type PlanDocument } from './plan-document.js';
import type { Workload } from './workload.js';

export { loadWorkload, stretchToPeak, type SeriesReader } from './load-workload.js';
export { parseCsvSeries, type CsvSeries } from './csv-series.js';
export { WorkloadSchema, workloadJsonSchema, type WorkloadFile } from './workload-schema.js';
export { analyticPlan, type AnalyticPlan, type Constraint, type Figure } from './analytic-plan.js';
export { confirmPlan, rpoStats, type Confirmation, type ConfirmationPoint, type ConfirmOptions, type NotSimulated, type RpoStats, type Verdict } from './confirm.js';
export { planDocument, type PlanDocument } from './plan-document.js';
export { planTable, planCsv, simulationCsv } from './plan-text.js';
export { planHtml, planCharts, type Chart } from './plan-html.js';
export { bandwidthFor, achievableRpo, lagOver, type LagModel } from './fluid-queue.js';
export { timeToWrite } from './hyperv-sizing.js';
export { packFirstFitDecreasing, lowerBound } from './packing.js';
export * from './rules.js';
export type { Workload, PlannedMachine, PlannedDisk, Provider } from './workload.js';

export interface Plan {
  readonly analytic: AnalyticPlan;
  readonly confirmation: Confirmation;
  readonly document: PlanDocument;
}

/** The whole plan of a loaded workload: analysis, simulated confirmation, JSON document. */
export function makePlan(workload: Workload, options: ConfirmOptions = {}): Plan {
  const analytic = analyticPlan(workload);
  const confirmation = confirmPlan(analytic, options);
  return { analytic, confirmation, document: planDocument(analytic, confirmation) };
}
