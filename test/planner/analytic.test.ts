// The analytic plan against cases a person can check by hand (issue "lab plan", acceptance):
// master targets by disk slots, process servers by the 2 TB/day tier, a machine too large for any
// master target, and the fluid-queue bandwidth, resync deadline and initial-replication rules.
import { describe, expect, it } from 'vitest';
import { InputErrors } from '../../scenarios/index.js';
import { analyticPlan, loadWorkload, stretchToPeak, type SeriesReader } from '../../planner/index.js';

const noSeries: SeriesReader = () => ({ ok: false, error: 'ENOENT' });
const load = (text: string, readSeries: SeriesReader = noSeries) => loadWorkload('w.yaml', text, readSeries);
const plan = (text: string, readSeries?: SeriesReader) => analyticPlan(load(text, readSeries));
const figure = (p: ReturnType<typeof analyticPlan>, key: string) => p.figures.find((f) => f.key === key);

function loadErrors(text: string, readSeries?: SeriesReader): string {
  try {
    load(text, readSeries);
  } catch (error) {
    if (error instanceof InputErrors) return error.message;
    throw error;
  }
  throw new Error('the workload loaded without errors');
}

describe('master targets (Scout)', () => {
  it('100 machines with 3 disks and light churn need ceil(300/58) = 6 at the secondary site', () => {
    const p = plan(`
name: hundred
provider: inmage-scout
machines:
  - name: web
    count: 100
    disks: { count: 3, size: 100GiB, churn: { mean: 1GiB/day } }
`);
    const mt = p.masterTargets.secondary!;
    expect(mt.slotsPerMasterTarget).toBe(58);
    expect(mt.bounds['disk-slots']).toBe(6);
    expect(mt.count).toBe(6);
    expect(mt.binding).toBe('disk-slots');
    expect(figure(p, 'masterTargets.secondary')?.value).toBe(6);
    expect(figure(p, 'masterTargets.secondary')?.rule).toContain('⌈300 ÷ 58⌉ = 6');
    expect(p.masterTargets.primary).toBeNull();
    // No master target gets more than its 58 slots, and every machine is on exactly one.
    expect(Math.max(...mt.assignments.map((a) => a.disks))).toBeLessThanOrEqual(58);
    expect(mt.assignments.flatMap((a) => a.machines).sort()).toEqual(p.demands.map((d) => d.id).sort());
  });

  it('counts one per OS family and keeps a replication group on one master target', () => {
    const p = plan(`
name: mixed
provider: inmage-scout
failback: true
machines:
  - { name: win, count: 2, disks: { count: 1, size: 50GiB, churn: { mean: 1GiB/day } } }
  - { name: db, count: 3, os: linux, group: erp, disks: { count: 10, size: 50GiB, churn: { mean: 1GiB/day } } }
  - { name: lnx, count: 3, os: linux, disks: { count: 10, size: 50GiB, churn: { mean: 1GiB/day } } }
`);
    const mt = p.masterTargets.secondary!;
    expect(mt.bounds['os-family']).toBe(2);
    // Linux: 60 disks need 2 by slots (58 each), and the 30-disk group stays whole.
    expect(mt.count).toBe(3);
    const holding = mt.assignments.filter((a) => a.machines.some((m) => m.startsWith('db-')));
    expect(holding).toHaveLength(1);
    expect(holding[0].machines.filter((m) => m.startsWith('db-'))).toHaveLength(3);
    expect(mt.assignments.every((a) => a.machines.every((m) => (a.os === 'windows') === m.startsWith('win')))).toBe(true);
    expect(p.masterTargets.primary!.count).toBe(3);
    expect(p.processServersFailback!.count).toBe(1);
  });

  it('refuses a machine with 70 disks, naming file, line and column', () => {
    const message = loadErrors(`name: big
provider: inmage-scout
machines:
  - name: small
    disks: { count: 2, size: 10GiB, churn: { mean: 1GiB/day } }
  - name: huge
    disks: { count: 70, size: 10GiB, churn: { mean: 1GiB/day } }
`);
    expect(message).toMatch(/^w\.yaml:7:12 +machines\.1\.disks: machine "huge" has 70 disks/);
    expect(message).toContain('at most 60 disks including its own 2');
    expect(message).toContain('at most 58');
    expect(message).toContain('never split');
  });

  it('refuses a replication group larger than one master target and a group mixing OS families', () => {
    const message = loadErrors(`name: groups
provider: inmage-scout
machines:
  - { name: a, count: 2, group: g1, disks: { count: 30, size: 10GiB, churn: { mean: 1GiB/day } } }
  - { name: b, group: g2, disks: { count: 1, size: 10GiB, churn: { mean: 1GiB/day } } }
  - { name: c, group: g2, os: linux, disks: { count: 1, size: 10GiB, churn: { mean: 1GiB/day } } }
`);
    expect(message).toMatch(/w\.yaml:4:\d+ +machines\.0\.group: replication group "g1" has 60 disks/);
    expect(message).toMatch(/w\.yaml:6:\d+ +machines\.2\.os: replication group "g2" mixes windows with linux/);
  });
});

describe('process servers and configuration servers (Scout)', () => {
  it('3 TB of churn a day needs 2 process servers at the 2 TB/day tier', () => {
    // 30 machines × 100 GB/day = 3 TB/day (decimal, as the tier is published), no growth.
    const p = plan(`
name: churny
provider: inmage-scout
growth: 0%
machines:
  - name: m
    count: 30
    disks: { count: 1, size: 500GiB, churn: { mean: 100GB/day, diurnal: flat } }
`);
    expect(p.processServers!.totalChurnBytesPerDay).toBeCloseTo(3e12, -6);
    expect(p.processServers!.bounds['daily-churn']).toBe(2);
    expect(p.processServers!.count).toBe(2);
    expect(p.processServers!.binding).toBe('daily-churn');
    expect(figure(p, 'processServers')?.rule).toContain('⌈3 TB/day ÷ 2 TB/day⌉ = 2');
    expect(p.configurationServers).toBe(1);
  });

  it('the machine tier binds when many light machines exceed 225 per process server', () => {
    const p = plan(`
name: many
provider: inmage-scout
machines:
  - { name: m, count: 500, disks: { count: 1, size: 20GiB, churn: { mean: 100MiB/day } } }
`);
    expect(p.processServers!.bounds.machines).toBe(3);
    expect(p.processServers!.count).toBe(3);
    expect(p.processServers!.binding).toBe('machines');
  });
});

describe('bandwidth (fluid queue)', () => {
  it('a flat 1 MB/s needs 1 MB/s after 30% compression: 5.6 Mbps, and the 100 Mbps link achieves a near-zero RPO', () => {
    const p = plan(`
name: flat
provider: inmage-scout
growth: 0%
links: [{ id: wan, bandwidth: 100Mbps, latency: 0s }]
machines:
  - { name: m, disks: { count: 1, size: 500GiB, churn: { mean: 86.4GB/day, diurnal: flat } } }
`);
    expect(p.bandwidth.rpo100! / 1e6).toBeCloseTo(5.6, 1);
    expect(p.bandwidth.rpo90! / 1e6).toBeCloseTo(5.6, 1);
    expect(p.bandwidth.percentile / 1e6).toBeCloseTo(5.6, 3);
    expect(p.links[0].atGiven!.rpo100Seconds).toBe(0);
  });

  it('Hyper-V: the copy interval leaves T - I for the log to ship, so a 400s target at 300s copies needs 3x the churn', () => {
    const p = plan(`
name: hv
provider: hyperv-replica
growth: 0%
rpo: 400s
links: [{ id: wan, latency: 0s }]
hyperv: { copyFrequency: 5m }
machines:
  - { name: m, disks: { count: 1, size: 500GiB, churn: { mean: 86.4GB/day, diurnal: flat } } }
`);
    // lag = 300 + 1 MB/s × 300 s ÷ D <= 400  =>  D >= 3 MB/s of source churn = 16.8 Mbps on the wire.
    expect(p.bandwidth.rpo100! / 1e6).toBeCloseTo(16.8, 1);
    expect(p.masterTargets.secondary).toBeNull();
    expect(figure(p, 'masterTargets.secondary')?.value).toBe(0);
  });

  it('says no bandwidth meets a target at or below the copy interval', () => {
    const p = plan(`
name: hv
provider: hyperv-replica
rpo: 5m
machines:
  - { name: m, disks: { count: 1, size: 50GiB, churn: { mean: 1GiB/day } } }
`);
    expect(p.bandwidth.rpo100).toBeNull();
    expect(p.warnings.join('\n')).toMatch(/not above the copy interval/);
  });

  it('a diurnal peak needs more than the mean, and a longer RPO target needs less', () => {
    const text = (rpo: string) => `
name: d
provider: inmage-scout
rpo: ${rpo}
machines:
  - { name: m, count: 10, disks: { count: 2, size: 100GiB, churn: { mean: 20GiB/day, diurnal: office-hours } } }
`;
    const tight = plan(text('5m'));
    const loose = plan(text('2h'));
    expect(tight.bandwidth.rpo100!).toBeGreaterThan(loose.bandwidth.rpo100!);
    expect(loose.bandwidth.rpo100!).toBeGreaterThan(loose.bandwidth.mean);
    expect(tight.bandwidth.rpo90!).toBeLessThanOrEqual(tight.bandwidth.rpo100!);
  });
});

describe('Hyper-V free space and resync deadline', () => {
  it('the logs pass 50% of the VHD after (50 GiB - one interval of log) at a flat 1 MB/s', () => {
    const p = plan(`
name: resync
provider: hyperv-replica
growth: 0%
links: [{ id: wan, bandwidth: 1Gbps }]
hyperv: { copyFrequency: 5m, volumes: [{ id: v1, free: 1TiB }] }
machines:
  - { name: m, volume: v1, disks: { count: 1, size: 100GiB, used: 50%, churn: { mean: 86.4GB/day, diurnal: flat } } }
`);
    const expected = (50 * 1024 ** 3 - 300e6) / 1e6;
    expect(p.hyperv!.resyncDeadlineMin!.seconds).toBeCloseTo(expected, 0);
    expect(p.hyperv!.resyncDeadlineMin!.limit).toBe('log-threshold');
    const volume = p.hyperv!.volumes[0];
    expect(volume.freeForInitialReplicationBytes).toBe(100 * 1024 ** 3);
    expect(volume.freeForDeltaBytes).toBe(50 * 1024 ** 3);
    expect(volume.freeNeededBytes).toBe(100 * 1024 ** 3);
  });

  it('refuses a VM with more than 16 disks (ASR VMM to VMM)', () => {
    const message = loadErrors(`name: hv
provider: hyperv-replica
machines:
  - name: wide
    disks: { count: 17, size: 10GiB, churn: { mean: 1GiB/day } }
`);
    expect(message).toMatch(/^w\.yaml:5:12 +machines\.0\.disks: machine "wide" has 17 disks, but ASR VMM to VMM protects at most 16/);
  });
});

describe('initial replication', () => {
  it('batches so each finishes within the goal, smallest machines first', () => {
    // 10 machines × 700 GB used over 100 Mbps after 30% compression: 490 GB on the wire each,
    // 39200 s (10.9 h) each; a 24 h goal fits 2 per batch (deltas are tiny).
    const p = plan(`
name: ir
provider: inmage-scout
growth: 0%
initialReplicationGoal: 24h
links: [{ id: wan, bandwidth: 100Mbps }]
machines:
  - { name: m, count: 10, disks: { count: 1, size: 1TB, used: 70%, churn: { mean: 1MB/day, diurnal: flat } } }
`);
    const ir = p.links[0].initialReplication;
    expect(ir.batches).toHaveLength(5);
    expect(ir.batches.every((b) => b.machines.length === 2 && !b.overGoal)).toBe(true);
    expect(ir.seconds! / 3600).toBeCloseTo((10 * 700e9 * 8 * 0.7) / 100e6 / 3600, 1);
  });
});

describe('workload files', () => {
  it('a peak stretches the diurnal shape about its mean', () => {
    const flat = new Array<number>(24).fill(1);
    const office = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.2, 2, 2, 2, 1.8, 2, 2, 2, 2, 1.6, 1, 0.6, 0.4, 0.3, 0.2, 0.2];
    const sum = office.reduce((a, b) => a + b, 0);
    const shape = office.map((w) => (w * 24) / sum);
    const stretched = stretchToPeak(shape, 1.5) as number[];
    expect(stretched.reduce((a, b) => a + b, 0) / 24).toBeCloseTo(1, 9);
    expect(Math.max(...stretched)).toBeCloseTo(1.5, 9);
    expect(stretchToPeak(flat, 2)).toMatch(/flat diurnal shape has no peak/);
    expect(stretchToPeak(shape, 5)).toMatch(/reaches at most/);
  });

  it('names unknown profiles, links and keys with their position', () => {
    const message = loadErrors(`name: typo
provider: inmage-scout
links: [{ id: wan }]
profiles:
  office: { mean: 1GiB/day }
machines:
  - { name: a, link: wna, disks: { count: 1, size: 10GiB, churn: ofice } }
`);
    expect(message).toMatch(/w\.yaml:7:\d+ +machines\.0\.link: unknown link "wna", did you mean "wan"\?/);
    expect(message).toMatch(/w\.yaml:7:\d+ +machines\.0\.disks\.churn: unknown churn profile "ofice", did you mean "office"\?/);
    const schema = loadErrors(`name: typo
provider: inmage-scout
machines:
  - { name: b, disks: { count: 1, size: 10GiB, churn: { mean: 1GiB/day } }, colour: red }
`);
    expect(schema).toMatch(/^w\.yaml:4:\d+ +machines\.0: unknown key "colour"/);
  });

  it('reads a per-minute CSV series and reports its errors by line and column', () => {
    const csv = ['minute,data,log', ...Array.from({ length: 120 }, (_, m) => `${m},${m < 60 ? 1 : 3},0.5`)].join('\n');
    const reader: SeriesReader = (path) => (path === 'churn.csv' ? { ok: true, file: 'churn.csv', text: csv } : { ok: false, error: 'ENOENT' });
    const p = plan(
      `
name: csv
provider: inmage-scout
growth: 0%
machines:
  - name: db
    disks:
      - { size: 100GiB, churn: { series: churn.csv, column: data } }
      - { size: 100GiB, churn: { series: churn.csv, column: log, scale: 2 } }
`,
      reader,
    );
    // Two hours repeated over the day: 1 + 1 MB/s in the first hour, 3 + 1 in the second.
    expect(p.demands[0].peakBytesPerSecond).toBeCloseTo(4e6, -1);
    expect(p.demands[0].meanBytesPerSecond).toBeCloseTo(3e6, -1);
    const bad = ['minute,data', '0,1', '1,-2', '3,1', ...Array.from({ length: 60 }, (_, m) => `${m + 4},1`)].join('\n');
    const message = loadErrors(
      `name: csv
provider: inmage-scout
machines:
  - { name: db, disks: { count: 1, size: 1GiB, churn: { series: bad.csv } } }
  - { name: db2, disks: { count: 1, size: 1GiB, churn: { series: missing.csv } } }
`,
      (path) => (path === 'bad.csv' ? { ok: true, file: 'bad.csv', text: bad } : { ok: false, error: 'ENOENT' }),
    );
    expect(message).toContain('bad.csv:3:3  "-2" is not a churn rate');
    expect(message).toContain('bad.csv:4:1  minute 3 is row 2 of the series');
    expect(message).toMatch(/w\.yaml:5:\d+ +machines\.1\.disks\.churn\.series: cannot read the churn series "missing\.csv": ENOENT/);
  });
});
