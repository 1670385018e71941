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
/** A Hyper-V swarm seed whose timeline reverse-replicates (a resync) after an unplanned failover. */
const HYPERV_WRONG_DIRECTION_SEED = 22;
/** A Scout swarm seed whose timeline has a planned failover of a machine that writes. */
const SCOUT_PLANNED_FAILOVER_SEED = 3;

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

  it('verifies inmage-scout alone and both providers with all, each run naming its provider in the replay line', async () => {
    const [alone, all, unknown] = await Promise.all([
      lab(['verify', '--provider', 'inmage-scout', '--seeds', '2', '--json', '--workers', '1']),
      lab(['verify', '--provider', 'all', '--seeds', '2', '--json', '--workers', '1']),
      lab(['verify', '--provider', 'vmware']),
    ]);
    expect(alone.status).toBe(0);
    const scout = JSON.parse(alone.stdout) as Document;
    expect(scout).toMatchObject({ passed: 2, failed: 0 });
    expect(scout.runs.map((r) => [r.provider, r.scenario])).toEqual([
      ['inmage-scout', 'scout-swarm-1'],
      ['inmage-scout', 'scout-swarm-2'],
    ]);
    expect(scout.runs[1].replay).toBe('npx lab verify --seed 2 --provider inmage-scout --replay');
    expect(all.status).toBe(0);
    const both = JSON.parse(all.stdout) as Document;
    expect(both.runs.map((r) => [r.provider, r.seed])).toEqual([
      ['hyperv-replica', 1],
      ['hyperv-replica', 2],
      ['inmage-scout', 1],
      ['inmage-scout', 2],
    ]);
    // The same seed gives the same run whether asked alone or within all.
    expect(both.runs.slice(2).map((r) => r.traceHash)).toEqual(scout.runs.map((r) => r.traceHash));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('replays one inmage-scout seed with its Scout timeline', async () => {
    const replay = await lab(['verify', '--seed', '4', '--provider', 'inmage-scout', '--replay']);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/^experiment scout-swarm-4 seed 4 \(inmage-scout\)/);
    expect(replay.stdout).toMatch(/\n {2}scout: /);
    expect(replay.stdout).toMatch(/PASS {2}scout-swarm-4 \[inmage-scout seed 4\] {2}trace [0-9a-f]+/);
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
    const run = verifySeed(HYPERV_WRONG_DIRECTION_SEED, 'hyperv-replica');
    expect(run.verdict).not.toBe('pass');
    expect(run.violations.length).toBeGreaterThan(0);
    expect(run.reproduced).toBe(true);
    expect(run.replay).toBe(`npx lab verify --seed ${HYPERV_WRONG_DIRECTION_SEED} --provider hyperv-replica --replay`);
    expect(run.timeline).toMatch(/reverse-replicate vm\d/);
    setPlantedBug(null);
    expect(verifySeed(HYPERV_WRONG_DIRECTION_SEED, 'hyperv-replica').verdict).toBe('pass');
  });

  it('reports an inmage-scout failure with its Scout timeline and replay line', () => {
    setPlantedBug('scout-skip-final-drain');
    const seed = SCOUT_PLANNED_FAILOVER_SEED;
    const run = verifySeed(seed, 'inmage-scout');
    expect(run.verdict).not.toBe('pass');
    // Without the final tag the master target never sees the point to recover to: the failover fails.
    expect(run.violations.some((v) => /planned-failover/.test(v.message))).toBe(true);
    expect(run.reproduced).toBe(true);
    expect(run.replay).toBe(`npx lab verify --seed ${seed} --provider inmage-scout --replay`);
    expect(run.timeline).toMatch(/planned-failover vm\d/);
    setPlantedBug(null);
    expect(verifySeed(seed, 'inmage-scout').verdict).toBe('pass');
  });
});
