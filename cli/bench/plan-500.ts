// `plan-500`: `lab plan` on the 500-machine workload with a diurnal profile
// (examples/workloads/plan-500.yaml): loading, the analytic plan and the simulated confirmation,
// end to end, within 2 minutes on 2 cores (issue acceptance). LAB_BENCH_SCALE shrinks the
// confirmation (fewer seeds and sampled machines), never the workload.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadWorkload, makePlan } from '../../planner/index.js';
import type { Benchmark, BenchContext, Figures } from './benchmark.js';
import { significant, timed } from './measure.js';

const WORKLOAD = fileURLToPath(new URL('../../examples/workloads/plan-500.yaml', import.meta.url));

export function plan500(context: BenchContext): Figures {
  const { seconds, result } = timed(() => {
    const workload = loadWorkload('examples/workloads/plan-500.yaml', readFileSync(WORKLOAD, 'utf8'), () => ({ ok: false, error: 'plan-500 names no CSV series' }));
    const seeds = Math.max(1, Math.round(workload.simulation.seeds * context.scale));
    const sampleMachines = Math.max(1, Math.round(workload.simulation.sampleMachines * context.scale));
    return makePlan(workload, { seeds, sampleMachines, progress: context.progress });
  });
  const doc = result.document;
  return {
    wallSeconds: significant(seconds),
    machines: doc.workload.machines,
    masterTargetsSecondary: doc.masterTargets.secondary,
    processServers: doc.processServers,
    bandwidthMbpsRpo100: doc.bandwidthMbps.rpo100 ?? 0,
    bindingConstraint: doc.bindingConstraint.id,
    simulated: doc.simulation.available,
    simulationAgrees: doc.simulation.available ? doc.simulation.verdict.agrees : false,
  };
}

export const plan500Benchmark: Benchmark = {
  name: 'plan-500',
  description: 'lab plan on 500 machines with a diurnal profile: analytic plan and simulated confirmation',
  run: plan500,
};
