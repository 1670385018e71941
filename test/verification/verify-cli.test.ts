// `lab verify` as a user drives it (DESIGN.md section 6; issue: verification, points 4 and 5):
// the JSON contract, exit codes, providers, the replay of one seed, and the worker pool giving
// the same verdicts and trace hashes as one worker. Failure reporting (rerun to prove it
// reproduces, the replay line, the timeline) is checked in-process with a planted bug.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { setPlantedBug } from '../../engine/testing.js';
import { verifySeed, type VerifyRun } from '../../scenarios/verify/verify-seed.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function lab(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/lab.mjs', ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

interface Document {
  readonly runs: VerifyRun[];
  readonly passed: number;
  readonly failed: number;
}

afterEach(() => setPlantedBug(null));

describe.concurrent('lab verify', () => {
  it('gives the same verdicts and trace hashes with a worker pool as with one worker, in the JSON contract', async () => {
    const [pooled, single] = await Promise.all([lab(['verify', '--seeds', '20', '--json', '--workers', '2']), lab(['verify', '--seeds', '20', '--json', '--workers', '1'])]);
    expect(pooled.stderr).not.toMatch(/error/i);
    expect(pooled.status).toBe(0);
    expect(single.status).toBe(0);
    const a = JSON.parse(pooled.stdout) as Document;
    const b = JSON.parse(single.stdout) as Document;
    expect(Object.keys(a)).toEqual(['runs', 'passed', 'failed']);
    expect(a).toMatchObject({ passed: 20, failed: 0 });
    for (const key of ['scenario', 'seed', 'verdict', 'traceHash', 'violations', 'metrics', 'marks', 'replay']) expect(a.runs[0]).toHaveProperty(key);
    expect(a.runs.map((r) => r.seed)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(a.runs.map((r) => [r.seed, r.verdict, r.traceHash])).toEqual(b.runs.map((r) => [r.seed, r.verdict, r.traceHash]));
    expect(a.runs[0].replay).toBe('npx lab verify --seed 1 --provider hyperv-replica --replay');
  });

  it('says inmage-scout is not implemented yet: exit 2 alone, skipped within all', async () => {
    const [alone, all, unknown] = await Promise.all([
      lab(['verify', '--provider', 'inmage-scout', '--seeds', '2', '--json']),
      lab(['verify', '--provider', 'all', '--seeds', '2', '--json']),
      lab(['verify', '--provider', 'vmware']),
    ]);
    expect(alone.status).toBe(2);
    expect(alone.stdout).toBe('');
    expect(alone.stderr).toMatch(/inmage-scout is not implemented yet/);
    expect(all.status).toBe(0);
    expect(all.stderr).toMatch(/inmage-scout is not implemented yet/);
    expect((JSON.parse(all.stdout) as Document).runs.map((r) => r.provider)).toEqual(['hyperv-replica', 'hyperv-replica']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('replays one seed with its timeline, exactly as the sweep ran it', async () => {
    const [replay, sweep] = await Promise.all([lab(['verify', '--seed', '3', '--replay']), lab(['verify', '--seed', '3', '--seeds', '1', '--json'])]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/^experiment swarm-3 seed 3/);
    const hash = (JSON.parse(sweep.stdout) as Document).runs[0].traceHash;
    expect(replay.stdout).toContain(`PASS  swarm-3 [hyperv-replica seed 3]  trace ${hash}`);
  });

  it('reports a failure with its violations, its timeline and its replay line, after proving it reproduces', () => {
    setPlantedBug('reverse-replication-wrong-direction');
    const run = verifySeed(6, 'hyperv-replica');
    expect(run.verdict).not.toBe('pass');
    expect(run.violations.length).toBeGreaterThan(0);
    expect(run.reproduced).toBe(true);
    expect(run.replay).toBe('npx lab verify --seed 6 --provider hyperv-replica --replay');
    expect(run.timeline).toMatch(/reverse-replicate vm\d/);
    setPlantedBug(null);
    expect(verifySeed(6, 'hyperv-replica').verdict).toBe('pass');
  });
});
