import { describe, expect, it } from 'vitest';
import { ratio } from '../../sim/random.js';
import { validateFaultPlan, type FaultUniverse } from '../../sim/faults/validate-fault-plan.js';
import type { FaultPlan } from '../../sim/faults/fault.js';
import { seconds, type Instant } from '../../model/index.js';

const known: FaultUniverse = {
  sites: ['primary', 'secondary'],
  links: ['wan'],
  hosts: ['h1', 'h2'],
  disks: [{ id: 'vm1/0', blockCount: 100 }],
  processServers: ['ps1'],
  items: ['vm1'],
};
const at = (s: number) => seconds(s) as number as Instant;

describe('validateFaultPlan', () => {
  it('accepts a well-formed plan', () => {
    const plan: FaultPlan = [
      { at: at(0), fault: { kind: 'partition', siteA: 'primary', siteB: 'secondary', direction: 'both' } },
      { at: at(1), fault: { kind: 'loss', link: 'wan', ratio: ratio(1, 2), duration: seconds(3) } },
      { at: at(1), fault: { kind: 'bit-rot', disk: 'vm1/0', block: 99 } },
      { at: at(2), fault: { kind: 'misdirected-write', disk: 'vm1/0', offsetBlocks: -99 } },
      { at: at(3), fault: { kind: 'host-crash', host: 'h2' } },
      { at: at(4), fault: { kind: 'ps-cache-loss', processServer: 'ps1' } },
      { at: at(5), fault: { kind: 'operator-mistake', operation: 'second-test-failover', item: 'vm1' } },
      { at: at(6), fault: { kind: 'clock-skew', host: 'h1', offset: -5 } },
    ];
    expect(validateFaultPlan(plan, known)).toEqual([]);
  });

  it('names the entry index and the field of every problem', () => {
    const plan = [
      { at: at(1), fault: { kind: 'host-crash', host: 'h9' } },
      { at: at(0), fault: { kind: 'clog', link: 'wan', duration: 0 } },
      { at: -1, fault: { kind: 'loss', link: 'lan', ratio: { numerator: 3, denominator: 2 }, duration: seconds(1) } },
      { at: at(2), fault: { kind: 'bit-rot', disk: 'vm1/0', block: 100 } },
      { at: at(3), fault: { kind: 'partition', siteA: 'primary', siteB: 'primary', direction: 'sideways' } },
      { at: at(4), fault: { kind: 'meteor', where: 'everywhere' } },
      { at: at(5), fault: { kind: 'power-loss', host: 'h1', restartAfter: 1.5 } },
      { at: at(6), fault: { kind: 'operator-mistake', operation: 'delete-everything', item: 'vm7' } },
      { at: at(7), fault: { kind: 'misdirected-write', disk: 'vm1/0', offsetBlocks: 0 } },
      { at: at(8), fault: { kind: 'throttle', link: 'wan', bandwidthBitsPerSecond: -1, duration: seconds(1) } },
      { at: at(9) },
    ] as unknown as FaultPlan;
    const problems = validateFaultPlan(plan, known);
    const expected = [
      "plan[0].fault.host: unknown host 'h9' (known: h1, h2)",
      "plan[1].at: 0 is before the previous entry's 1000000",
      'plan[1].fault.duration: must be a positive integer',
      'plan[2].at: must be a non-negative integer',
      "plan[2].fault.link: unknown link 'lan' (known: wan)",
      'plan[2].fault.ratio: must be an exact probability',
      "plan[3].fault.block: block 100 is past the end of disk 'vm1/0' (100 blocks)",
      "plan[4].fault.siteB: must differ from siteA ('primary')",
      'plan[4].fault.direction: must be',
      'plan[5].fault.kind: unknown fault kind "meteor"',
      'plan[6].fault.restartAfter: must be a positive integer',
      'plan[7].fault.operation: must be one of',
      "plan[7].fault.item: unknown protected item 'vm7' (known: vm1)",
      'plan[8].fault.offsetBlocks: must be a non-zero integer',
      'plan[9].fault.bandwidthBitsPerSecond: must be a positive number',
      'plan[10].fault: must be a fault object',
    ];
    for (const start of expected) expect(problems.some((problem) => problem.startsWith(start)), start).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('refuses process-server and operator faults when the topology has none', () => {
    const bare: FaultUniverse = { sites: ['a', 'b'], links: [], hosts: [], disks: [] };
    const problems = validateFaultPlan(
      [
        { at: at(0), fault: { kind: 'ps-cache-loss', processServer: 'ps1' } },
        { at: at(1), fault: { kind: 'operator-mistake', operation: 'second-test-failover', item: 'vm1' } },
      ],
      bare,
    );
    expect(problems).toEqual([
      "plan[0].fault.processServer: unknown process server 'ps1' (known: none)",
      "plan[1].fault.item: unknown protected item 'vm1' (known: none)",
    ]);
  });
});
