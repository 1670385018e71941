// `hyperv-day-100` (issue: engine part 1): the day of hyperv-day-run.ts, run from a bundle (see
// bundled.ts for why).
import type { Benchmark } from './benchmark.js';
import { loadBundled } from './bundled.js';
import type * as dayModule from './hyperv-day-run.js';

type HyperVDayModule = typeof dayModule;

export const hypervDay100: Benchmark = {
  name: 'hyperv-day-100',
  description: '24 simulated hours of 100 VMs x 3 disks, 5-minute copy frequency, ~2 TB/day churn, oracle checks on',
  run: (context) => loadBundled<HyperVDayModule>(new URL('./hyperv-day-run.ts', import.meta.url)).hypervDay(100, context),
};
