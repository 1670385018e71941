// Loading a scenario file: YAML syntax, the schema, then the semantic checks a schema cannot
// express (a VM on an unknown host, an operation on an unknown VM, an operation sequence the
// lifecycle forbids, such as a failback with no reverse replication before it). Every error
// names file, line and column; nothing runs unless the whole file is valid.
import { createActor } from 'xstate';
import { nearMiss, protectedItemLifecycle, validateTopology, type LifecycleEvent } from '../model/index.js';
import { errorAt, InputErrors, parseYaml, validateYaml, type InputError, type ParsedYaml } from './load-errors.js';
import { scenarioTopology } from './scenario-model.js';
import { isOperation, ScenarioSchema, type Scenario, type ScenarioOperation } from './schema.js';

export function loadScenario(file: string, text: string): Scenario {
  const parsed = parseYaml(file, text);
  const scenario = validateYaml(parsed, ScenarioSchema);
  const errors = semanticErrors(parsed, scenario);
  if (errors.length > 0) throw new InputErrors(errors);
  return scenario;
}

function semanticErrors(parsed: ParsedYaml, scenario: Scenario): InputError[] {
  const errors: InputError[] = [];
  const at = (path: (string | number)[], message: string) => errors.push(errorAt(parsed, path, message));
  const siteIds = new Set(scenario.sites.map((s) => s.id));
  const hostIds = new Set((scenario.hosts ?? []).map((h) => h.id));
  scenario.hosts?.forEach((h, i) => {
    if (!siteIds.has(h.site)) at(['hosts', i, 'site'], `unknown site "${h.site}"${nearMiss(h.site, siteIds)}`);
  });
  scenario.links?.forEach((l, i) =>
    l.between.forEach((site, j) => {
      if (!siteIds.has(site)) at(['links', i, 'between', j], `unknown site "${site}"${nearMiss(site, siteIds)}`);
    }),
  );
  if (Array.isArray(scenario.vms) && scenario.hosts !== undefined) {
    scenario.vms.forEach((vm, i) => {
      if (!hostIds.has(vm.host)) at(['vms', i, 'host'], `unknown host "${vm.host}"${nearMiss(vm.host, hostIds)}`);
      if (vm.replicaHost !== undefined && !hostIds.has(vm.replicaHost)) at(['vms', i, 'replicaHost'], `unknown host "${vm.replicaHost}"${nearMiss(vm.replicaHost, hostIds)}`);
    });
  }
  if (errors.length > 0) return errors;
  const topology = scenarioTopology(scenario);
  for (const problem of validateTopology(topology)) {
    const path = problem.field.replace(/^topology\./, '').split(/[.[\]]+/).filter((s) => s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    at(path, problem.message);
  }
  const vmIds = new Set(topology.vms.map((v) => v.id));
  const allHosts = new Set(topology.hosts.map((h) => h.id));
  const linkIds = new Set(topology.links.map((l) => l.id));
  scenario.timeline.forEach((event, i) => {
    if (isOperation(event)) {
      if (!vmIds.has(event.vm)) at(['timeline', i, 'vm'], `unknown VM "${event.vm}"${nearMiss(event.vm, vmIds)}`);
      if (event.at > scenario.duration) at(['timeline', i, 'at'], `is after the end of the safety phase (duration)`);
      return;
    }
    if (event.at > scenario.duration) at(['timeline', i, 'at'], `is after the end of the safety phase (duration)`);
    if (event.host !== undefined && !allHosts.has(event.host)) at(['timeline', i, 'host'], `unknown host "${event.host}"${nearMiss(event.host, allHosts)}`);
    if (event.link !== undefined && !linkIds.has(event.link)) at(['timeline', i, 'link'], `unknown link "${event.link}"${nearMiss(event.link, linkIds)}`);
    if (event.between !== undefined) event.between.forEach((s, j) => !siteIds.has(s) && at(['timeline', i, 'between', j], `unknown site "${s}"${nearMiss(s, siteIds)}`));
    const needsHost = ['host-crash', 'power-loss', 'clock-skew', 'latent-sector-error', 'bit-rot'].includes(event.fault);
    if (needsHost && event.host === undefined) at(['timeline', i], `a ${event.fault} fault needs "host"`);
    if (event.fault === 'partition' && event.between === undefined) at(['timeline', i], 'a partition needs "between: [siteA, siteB]"');
    if (['latent-sector-error', 'bit-rot'].includes(event.fault) && (event.vm === undefined || !vmIds.has(event.vm))) at(['timeline', i], `a ${event.fault} fault needs the "vm" whose disk it damages`);
  });
  for (const [vm, index] of Object.keys(scenario.expect.finalState).map((v, i) => [v, i] as const)) {
    if (!vmIds.has(vm)) at(['expect', 'finalState', vm], `unknown VM "${vm}"${nearMiss(vm, vmIds)} (entry ${index + 1})`);
  }
  errors.push(...sequenceErrors(parsed, scenario, vmIds));
  return errors;
}

const EVENT_OF: Record<ScenarioOperation['op'], LifecycleEvent['type'] | null> = {
  enable: 'ENABLE',
  'planned-failover': 'PLANNED_FAILOVER',
  'unplanned-failover': 'UNPLANNED_FAILOVER',
  commit: 'COMMIT',
  'reverse-replicate': 'REVERSE_REPLICATE',
  pause: 'PAUSE',
  resume: 'RESUME',
  resync: 'RESYNC',
  'shutdown-vm': null,
};

/** Walks each VM's operations through the reference lifecycle, assuming each succeeds and that
 *  initial replication completes between operations: an operation the lifecycle forbids must be
 *  marked `expect: refused` (an operator mistake), else the file is wrong. */
function sequenceErrors(parsed: ParsedYaml, scenario: Scenario, vmIds: ReadonlySet<string>): InputError[] {
  const errors: InputError[] = [];
  const operations = scenario.timeline.map((e, i) => [e, i] as const).filter(([e]) => isOperation(e)) as Array<readonly [ScenarioOperation, number]>;
  for (const vm of vmIds) {
    const actor = createActor(protectedItemLifecycle).start();
    const mine = operations.filter(([op]) => op.vm === vm).sort((a, b) => a[0].at - b[0].at);
    if (!mine.some(([op]) => op.op === 'enable')) actor.send({ type: 'ENABLE' });
    for (const [op, index] of mine) {
      settle(actor);
      const event = EVENT_OF[op.op];
      if (event === null) continue;
      const allowed = actor.getSnapshot().can({ type: event });
      if (!allowed && op.expect !== 'refused') {
        const state = actor.getSnapshot();
        errors.push(
          errorAt(parsed, ['timeline', index, 'op'], `${op.op} on ${vm} is not allowed after the operations before it (the item would be ${String(state.value)}, direction ${state.context.direction}); mark it "expect: refused" if it is a deliberate operator mistake`),
        );
      }
      if (allowed && op.expect !== 'refused') actor.send({ type: event });
    }
    actor.stop();
  }
  return errors;
}

function settle(actor: ReturnType<typeof createActor<typeof protectedItemLifecycle>>): void {
  const value = actor.getSnapshot().value;
  if (value === 'initialReplication') actor.send({ type: 'INITIAL_REPLICATION_DONE' });
  if (value === 'resyncing') actor.send({ type: 'RESYNC_DONE' });
}
