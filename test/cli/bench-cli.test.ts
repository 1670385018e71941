// The `lab bench` command as a user drives it: a child process, its stdout, stderr and exit code.
// LAB_BENCH_SCALE shrinks mm1 so the test is quick; timings are never asserted (benchmarks are
// measurements, and these machines are noisy), only shapes, exit codes and the queueing result.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node cli/lab.mjs ...args` from the repository root (asynchronously, so tests overlap). */
function lab(args: string[], scale = '0.2'): Promise<Outcome> {
  const env = { ...process.env, LAB_BENCH_SCALE: scale };
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/lab.mjs', ...args], { cwd: repoRoot, env, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe.concurrent('lab bench', () => {
  it('prints exactly one JSON document with the mm1 figures, and mm1 matches queueing theory', async () => {
    const { status, stdout, stderr } = await lab(['bench', 'mm1', '--json', '--repeat', '1']);
    expect(stderr).not.toMatch(/error/i);
    expect(status).toBe(0);
    const document = JSON.parse(stdout) as { benchmarks: Record<string, Record<string, unknown>> };
    expect(Object.keys(document)).toEqual(['benchmarks']);
    expect(Object.keys(document.benchmarks)).toEqual(['mm1']);
    const figures = document.benchmarks.mm1;
    for (const name of ['customersPerSecond', 'meanWait', 'analyticMeanWait', 'ceilingCustomersPerSecond', 'ratioToCeiling']) {
      expect(typeof figures[name], name).toBe('number');
      expect(figures[name] as number, name).toBeGreaterThan(0);
    }
    expect(figures.analyticMeanWait).toBe(9);
    expect(figures.customers).toBe(200_000);
    // 200,000 customers at rho 0.9: the sample mean has a standard error near 0.4, and the run is
    // seeded. 10% still rejects time in system (W = 10) mistaken for time in queue (Wq = 9).
    expect(Math.abs((figures.meanWait as number) - 9)).toBeLessThan(0.9);
  });

  it('reports the day benchmarks with their oracle check, event count and the machine reference of the same run', async () => {
    const { status, stdout } = await lab(['bench', 'hyperv-day-100', 'scout-day-200', '--json', '--repeat', '1'], '0.02');
    expect(status).toBe(0);
    const { benchmarks } = JSON.parse(stdout) as { benchmarks: Record<string, Record<string, number>> };
    for (const name of ['hyperv-day-100', 'scout-day-200']) {
      const figures = benchmarks[name];
      expect(figures.dataLossWrites, name).toBe(0);
      expect(figures.replicasChecked, name).toBe(figures.vms);
      expect(figures.events, name).toBeGreaterThan(10_000);
      expect(figures.simulatedSeconds, name).toBe(86_400);
      expect(figures.referenceSeconds, name).toBeGreaterThan(0);
      expect(figures.wallInReferences, name).toBeCloseTo(figures.wallSeconds / figures.referenceSeconds, 1);
    }
  });

  it('prints a readable table without --json', async () => {
    const { status, stdout } = await lab(['bench', '--repeat', '1'], '0.01');
    expect(status).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^benchmark\s+figure\s+value$/);
    expect(stdout).toMatch(/^mm1\s+meanWait\s+[\d.]+$/m);
  });

  it('rejects an unknown option with exit code 2 and one line, no stack trace', async () => {
    const { status, stdout, stderr } = await lab(['bench', '--bogus']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/unknown option '--bogus'/);
    expect(stderr).not.toMatch(/\bat .*\.(ts|js|mjs):\d+/);
  });

  it('rejects a --repeat that is not a positive integer with exit code 2', async () => {
    const outcomes = await Promise.all(['0', '1.5'].map((bad) => lab(['bench', '--repeat', bad])));
    for (const { status, stderr } of outcomes) {
      expect(status).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/--repeat must be a positive integer/);
    }
  });

  it('rejects an unknown benchmark with exit code 2, naming the known ones, before running any', async () => {
    const { status, stdout, stderr } = await lab(['bench', 'mm1', 'no-such-bench', '--json']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toMatch(/^lab: unknown benchmark 'no-such-bench'; known benchmarks: mm1, hyperv-day-100/);
  });

  it('rejects a malformed LAB_BENCH_SCALE with exit code 2', async () => {
    const { status, stderr } = await lab(['bench', 'mm1'], '3');
    expect(status).toBe(2);
    expect(stderr).toMatch(/LAB_BENCH_SCALE must be a number in \(0, 1\]/);
  });

  it('exits 0 for --help and 2 for an unknown command', async () => {
    const [help, unknown] = await Promise.all([lab(['bench', '--help']), lab(['frobnicate'])]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: lab bench/);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
