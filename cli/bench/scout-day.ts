// `scout-day-200` (issue: Scout provider, acceptance): the day of scout-day-run.ts, run in a process of
// its own from a bundle (see bundled.ts for why), --repeat times (day-runs.ts).
import type { Benchmark } from './benchmark.js';
import { runBundled } from './bundled.js';
import { dayRuns } from './day-runs.js';
import type * as dayModule from './scout-day-run.js';

export const scoutDay200: Benchmark = {
  name: 'scout-day-200',
  description: '24 simulated hours of 200 VMs x 3 disks, ~4 TB/day churn, 11 master targets, 2 process servers, oracle checks on',
  run: (context) => dayRuns(context, () => runBundled<typeof dayModule, 'scoutDay'>(new URL('./scout-day-run.ts', import.meta.url), 'scoutDay', [200], context)),
};
