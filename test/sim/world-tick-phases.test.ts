// WorldOptions.tickPhases: a population of VMs writes at one instant of every tick ('aligned',
// the default) or spread over the tick ('spread'), deterministically, each VM at its own phase.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, twoSiteHyperV } from '../../scenarios/index.js';
import { workloadProfile } from '../../sim/index.js';

function firstTicks(tickPhases: 'aligned' | 'spread' | undefined, vmCount = 8) {
  const lab = buildHyperVLab({
    seed: 5,
    topology: twoSiteHyperV({ vmCount, disksPerVm: 1, diskSizeBytes: 16 * MiB, diskUsedBytes: 4 * MiB, hostsPerSite: 2 }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 1024 * MiB, diurnal: 'flat' }),
    tick: minutes(1),
    policy: DEFAULT_HYPERV_POLICY,
    captureTrace: true,
    ...(tickPhases === undefined ? {} : { tickPhases }),
  });
  lab.world.startGuests();
  lab.world.run((minutes(1) - 1) as Instant);
  const ticks = new Map<string, number>();
  for (const event of lab.world.kernel.capturedTrace) if (event.label.startsWith('workload:') && !ticks.has(event.label)) ticks.set(event.label, event.time);
  return { ticks: [...ticks.values()], hash: lab.world.traceHash() };
}

describe('world: tick phases', () => {
  it('ticks every VM at the start instant by default and when aligned', () => {
    expect(firstTicks(undefined).ticks).toEqual(new Array(8).fill(0));
    expect(firstTicks('aligned').ticks).toEqual(new Array(8).fill(0));
  });

  it('spreads the VMs over the tick, each at a distinct phase, the same in every run', () => {
    const spread = firstTicks('spread');
    expect(spread.ticks).toHaveLength(8);
    expect(new Set(spread.ticks).size).toBe(8);
    for (const at of spread.ticks) expect(at >= 0 && at < minutes(1)).toBe(true);
    // Golden-ratio phases leave no gap wider than a quarter of the tick among 8 VMs.
    const sorted = [...spread.ticks, minutes(1)].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeLessThan(minutes(1) / 4);
    expect(firstTicks('spread').hash).toBe(spread.hash);
  });
});
