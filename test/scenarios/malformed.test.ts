// Bad input as a user meets it: `lab run <file>` on a malformed scenario must exit with code 2,
// print nothing on stdout, name the exact file:line:column with a message that says what is
// wrong (and a near miss where there is one), and never show a stack trace or start a run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = 'test/fixtures/malformed';

interface Case {
  readonly file: string;
  readonly at: string;
  readonly fragment: string;
}

const CASES: readonly Case[] = [
  { file: 'yaml-syntax-error.yaml', at: '6:1', fragment: 'YAML BAD_INDENT: Flow map in block collection must be sufficiently indented and end with a }' },
  { file: 'unknown-key-near-miss.yaml', at: '9:3', fragment: 'unknown key "copyFrequncy", did you mean "copyFrequency"?' },
  { file: 'wrong-enum-value.yaml', at: '9:18', fragment: 'policy.copyFrequency: "10m" is not allowed here: expected one of 30s, 5m, 15m' },
  { file: 'bad-unit.yaml', at: '8:16', fragment: 'links.0.bandwidth: "100Mbs" is not a bandwidth: write e.g. 1.5Mbps, 100Mbps, 1Gbps' },
  { file: 'missing-required-field.yaml', at: '2:1', fragment: 'missing required field "duration"' },
  { file: 'vm-on-unknown-host.yaml', at: '10:11', fragment: 'vms.0.host: unknown host "hv-a2", did you mean "hv-a1"?' },
  { file: 'failback-without-reverse-replication.yaml', at: '11:19', fragment: 'planned-failover on vm1 is not allowed after the operations before it (the item would be committed, direction reverse): reverse-replicate first' },
  { file: 'operation-after-duration.yaml', at: '10:11', fragment: 'timeline.1.at: 5h is after the end of the safety phase (duration 4h)' },
  { file: 'seventeen-disks.yaml', at: '9:7', fragment: 'vms.0.disks: a VM has at most 16 disks' },
  { file: 'fault-on-unknown-link.yaml', at: '9:34', fragment: 'timeline.0.link: unknown link "wam", did you mean "wan"?' },
  { file: 'duplicate-key.yaml', at: '5:1', fragment: 'YAML DUPLICATE_KEY: Map keys must be unique' },
  { file: 'unplanned-point-on-unknown-vm.yaml', at: '9:43', fragment: 'timeline.0.vm: unknown VM "vm3", did you mean "vm1"?' },
  { file: 'app-consistent-not-below-points.yaml', at: '10:23', fragment: 'policy.appConsistentEvery: must be below additionalRecoveryPoints (2), got 4' },
  { file: 'timeline-key-typo.yaml', at: '9:48', fragment: 'timeline.0: unknown key "shutDownAndSinc", did you mean "shutDownAndSync"?' },
  { file: 'scout-master-target-over-60-disks.yaml', at: '8:7', fragment: 'scout.masterTargets.0: master target "mt-b1" would hold 61 disks (59 protected + 2 of its own); a master target holds at most 60' },
  { file: 'scout-edit-vhd-offline-refused.yaml', at: '8:19', fragment: 'timeline.0.op: edit-vhd-offline is a Hyper-V operation; it is not supported for provider inmage-scout' },
  { file: 'scout-master-target-snapshots.yaml', at: '9:47', fragment: 'scout.masterTargets.0.hasSnapshots: master target "mt-b1" has snapshots: a master target must have none' },
  { file: 'partition-with-for.yaml', at: '9:69', fragment: 'a partition lasts until the end of the safety phase; use a "clog" fault' },
];

function labRun(file: string) {
  return spawnSync(process.execPath, ['cli/lab.mjs', 'run', file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
}

describe('malformed scenario files', () => {
  it('every fixture has a case and every case a fixture', () => {
    const fixtures = readdirSync(`${repoRoot}/${FIXTURES}`).filter((name) => name.endsWith('.yaml')).sort();
    expect(CASES.map((c) => c.file).sort()).toEqual(fixtures);
  });

  for (const { file, at, fragment } of CASES) {
    it(`${file}: exit 2, ${at}, "${fragment.slice(0, 40)}..."`, () => {
      const path = `${FIXTURES}/${file}`;
      const result = labRun(path);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toMatch(/\n\s+at |internal error|Error:/);
      expect(result.stderr.startsWith(`lab: ${path}:${at}  `), result.stderr).toBe(true);
      expect(result.stderr).toContain(fragment);
      expect(result.status).toBe(2);
    });
  }
});
