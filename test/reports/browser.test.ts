// index.html in a real browser: Debian's chromium driven by playwright-core. The page must show the
// verdict table and every chart with a real size, log no console error, fetch nothing but itself,
// and fit the window without a horizontal scroll bar. A full-page screenshot is left in
// test-output/report.png for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../model/index.js';
import { toHtml } from '../../reports/index.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCREENSHOT = fileURLToPath(new URL('../../test-output/report.png', import.meta.url));

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const runs: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) console.warn(`browser test skipped: ${CHROMIUM} is absent (install Debian's chromium; .ci/run does)`);

describe.skipIf(chromiumMissing)(`index.html in ${CHROMIUM} (skipped when it is absent)`, () => {
  let directory: string;
  let fileUrl: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'lab-report-'));
    const file = join(directory, 'index.html');
    writeFileSync(file, await toHtml({ runs, passed: 1, failed: 2 }));
    fileUrl = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(fileUrl, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('shows the verdict table with one row per run', async () => {
    const table = page.locator('table#verdicts');
    await expect(table.isVisible()).resolves.toBe(true);
    expect(await table.locator('tbody tr').count()).toBe(runs.length);
    const verdicts = await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-verdict')));
    expect(verdicts).toEqual(runs.map((run) => run.verdict));
  });

  it('draws every chart figure as an SVG of real size inside its figure', async () => {
    const figures = page.locator('figure.chart');
    expect(await figures.count()).toBe(runs.length * 5);
    for (const figure of await figures.all()) {
      const name = await figure.getAttribute('data-chart');
      const figureBox = await figure.boundingBox();
      const svgBox = await figure.locator('svg').boundingBox();
      expect(svgBox, `${name} has an svg`).not.toBeNull();
      expect(svgBox!.width, `${name} width`).toBeGreaterThan(200);
      expect(svgBox!.height, `${name} height`).toBeGreaterThan(60);
      expect(svgBox!.x + svgBox!.width, `${name} fits its figure`).toBeLessThanOrEqual(figureBox!.x + figureBox!.width + 0.5);
      expect(await figure.locator('figcaption').isVisible()).toBe(true);
    }
  });

  it('fits the window: no horizontal scrolling', async () => {
    // A string expression: this project's TypeScript has no DOM types.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('logs no console error and requests nothing but the file itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([fileUrl]);
  });

  it('takes a full-page screenshot to test-output/report.png', async () => {
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(100_000);
  });
});
