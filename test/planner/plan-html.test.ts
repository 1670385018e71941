// The plan's HTML page: its charts render with the reports' renderer and no Vega warning (a chart
// that warns is drawn wrong), and the page carries the figures, the binding constraint and the
// simulated confirmation. A small Scout workload keeps the simulation short.
import { describe, expect, it } from 'vitest';
import { renderChart } from '../../reports/index.js';
import { loadWorkload, makePlan, planCharts, planCsv, planHtml, planTable, simulationCsv } from '../../planner/index.js';

const workload = loadWorkload(
  'small-scout.yaml',
  `name: small-scout
provider: inmage-scout
links: [{ id: wan, bandwidth: 100Mbps }]
simulation: { seeds: 1, sampleMachines: 2 }
machines:
  - name: app
    count: 8
    disks: { count: 3, size: 20GiB, used: 30%, churn: { mean: 2GiB/day, diurnal: office-hours } }
`,
  () => ({ ok: false, error: 'ENOENT' }),
);

describe('plan page', () => {
  const plan = makePlan(workload);

  it('renders every chart without warnings, the master-target curve included', async () => {
    const charts = planCharts(plan.analytic, plan.document);
    expect(charts.map((c) => c.title)).toEqual(['Churn over the horizon', 'Analytic lag at the rpo100 bandwidth', 'Achieved RPO against bandwidth', 'Achieved RPO against master targets']);
    for (const [i, chart] of charts.entries()) {
      const { svg, warnings } = await renderChart(chart.spec, `t${i}`);
      expect(warnings, chart.title).toEqual([]);
      expect(svg).toMatch(/^<svg/);
    }
  });

  it('carries the figures, binding constraint and confirmation in every form', async () => {
    const doc = plan.document;
    expect(doc.simulation.available).toBe(true);
    const html = await planHtml(plan.analytic, doc);
    expect(html).toContain('master targets, secondary site');
    expect(html).toContain(doc.bindingConstraint.id);
    expect(html).toContain('Simulated confirmation');
    const table = planTable(doc);
    expect(table).toMatch(/^master targets, secondary site +1 +max\(disk slots/m);
    expect(table).toMatch(/^verdict: /m);
    expect(planCsv(doc)).toMatch(/^masterTargets\.secondary,"master targets, secondary site",1,,"max\(disk slots/m);
    expect(simulationCsv(doc).split('\n').length).toBeGreaterThan(5);
  });
});
