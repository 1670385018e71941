// The pages a person really gets, in a real browser: the report of a real catalogue run (not a
// fixture) and the capacity plan's page. Each must show its charts with a real size, log no
// console error and fetch nothing but itself. Screenshots: test-output/run-report.png and
// test-output/plan.png.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHtml } from '../../reports/index.js';
import { loadScenario, runScenarioChecked } from '../../scenarios/index.js';
import { loadWorkload, makePlan, planHtml } from '../../planner/index.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

async function check(browser: Browser, html: string, screenshot: string, minCharts: number): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'lab-page-'));
  const file = join(directory, 'index.html');
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const sizes = await page.$$eval('figure svg', (svgs) => svgs.map((svg) => svg.getBoundingClientRect()).map((r) => [r.width, r.height]));
  expect(sizes.length).toBeGreaterThanOrEqual(minCharts);
  for (const [width, height] of sizes) expect(width * height).toBeGreaterThan(10_000);
  expect(errors).toEqual([]);
  expect(requests).toEqual([pathToFileURL(file).href]);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, screenshot), fullPage: true });
  await page.close();
}

describe.skipIf(!existsSync(CHROMIUM))('real pages in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the report of a real planned failover and failback run with its charts', async () => {
    const file = 'scenarios/catalogue/planned-failover-and-failback.yaml';
    const record = runScenarioChecked(loadScenario(file, readFileSync(file, 'utf8')), { file, checkDeterminism: false });
    expect(record.verdict).toBe('pass');
    const html = await toHtml({ runs: [record], passed: 1, failed: 0 });
    expect(html).toContain('id="verdicts"');
    await check(browser, html, 'run-report.png', 5);
  });

  it('shows the capacity plan page with its charts', async () => {
    const workload = loadWorkload(
      'small-scout.yaml',
      'name: small-scout\nprovider: inmage-scout\nlinks: [{ id: wan, bandwidth: 100Mbps }]\nsimulation: { seeds: 1, sampleMachines: 2 }\nmachines:\n  - name: app\n    count: 8\n    disks: { count: 3, size: 20GiB, used: 30%, churn: { mean: 2GiB/day, diurnal: office-hours } }\n',
      () => ({ ok: false, error: 'ENOENT' }),
    );
    const plan = makePlan(workload);
    await check(browser, await planHtml(plan.analytic, plan.document), 'plan.png', 4);
  });
});
