// `hyperv-day-100` (issue: engine part 1): the day of hyperv-day-run.ts, run in a process of its own
// from a bundle (see bundled.ts for why), --repeat times (day-runs.ts).
import type { Benchmark } from './benchmark.js';
import { runBundled } from './bundled.js';
import { dayRuns } from './day-runs.js';
import type * as dayModule from './hyperv-day-run.js';

export const hypervDay100: Benchmark = {
  name: 'hyperv-day-100',
  description: '24 simulated hours of 100 VMs x 3 disks, 5-minute copy frequency, ~2 TB/day churn, oracle checks on',
  run: (context) => dayRuns(context, () => runBundled<typeof dayModule, 'hypervDay'>(new URL('./hyperv-day-run.ts', import.meta.url), 'hypervDay', [100], context)),
};
