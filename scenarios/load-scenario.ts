// Loading a scenario file: YAML syntax, the schema, then the semantic checks a schema cannot
// express (a VM on an unknown host, an operation on an unknown VM, an operation sequence the
// lifecycle forbids, such as a failback with no reverse replication before it). Every error
// names file, line and column; nothing runs unless the whole file is valid.
import { createActor } from 'xstate';
import { nearMiss, protectedItemLifecycle, validateHyperVPolicy, validateScoutTopology, validateTopology, type LifecycleEvent, type Topology } from '../model/index.js';
import { errorAt, InputErrors, parseYaml, validateYaml, type InputError, type ParsedYaml } from './load-errors.js';
import { scenarioPolicy, scenarioScoutModel, scenarioTopology } from './scenario-model.js';
import { KNOBS, knobNames, type MutableLabOptions } from './knobs.js';
import { isFault, isGroupTag, isOperation, isPlanEvent, ScenarioSchema, scoutSection, type Scenario, type ScenarioOperation } from './schema.js';

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
  scenario.knobs.forEach((knob, i) => {
    const definition = KNOBS[knob.name];
    if (definition === undefined) {
      at(['knobs', i, 'name'], `unknown knob "${knob.name}"${nearMiss(knob.name, knobNames())} (knobs: ${knobNames().join(', ')})`);
      return;
    }
    const problem = definition.apply(knob.value, {} as MutableLabOptions);
    if (problem !== null) at(['knobs', i, 'value'], `knob ${knob.name}: ${problem}`);
  });
  errors.push(...providerErrors(parsed, scenario));
  if (errors.length > 0) return errors;
  const topology = scenario.provider === 'inmage-scout' ? scoutTopologyChecked(scenario, at) : hyperVTopologyChecked(scenario, at);
  const vmIds = new Set(topology.vms.map((v) => v.id));
  const allHosts = new Set(topology.hosts.map((h) => h.id));
  const linkIds = new Set(topology.links.map((l) => l.id));
  scenario.timeline.forEach((event, i) => {
    if (isOperation(event)) {
      if (!vmIds.has(event.vm)) at(['timeline', i, 'vm'], `unknown VM "${event.vm}"${nearMiss(event.vm, vmIds)}`);
      if (event.at > scenario.duration) at(['timeline', i, 'at'], afterEnd(event.at, scenario.duration));
      return;
    }
    if (isGroupTag(event)) {
      const groups = new Set(scoutSection(scenario).groups.map((g) => g.id));
      if (!groups.has(event.group)) at(['timeline', i, 'group'], `unknown replication group "${event.group}"${nearMiss(event.group, groups)}`);
      if (event.at > scenario.duration) at(['timeline', i, 'at'], afterEnd(event.at, scenario.duration));
      return;
    }
    if (isPlanEvent(event)) {
      const plans = new Set(scenario.recoveryPlans.map((p) => p.name));
      if (!plans.has(event.plan)) at(['timeline', i, 'plan'], `unknown recovery plan "${event.plan}"${nearMiss(event.plan, plans)}`);
      if (event.at > scenario.duration) at(['timeline', i, 'at'], afterEnd(event.at, scenario.duration));
      return;
    }
    if (event.at > scenario.duration) at(['timeline', i, 'at'], afterEnd(event.at, scenario.duration));
    // The runner heals a partition only when the safety phase ends: a "for" would be ignored.
    if (event.fault === 'partition' && event.for !== undefined) at(['timeline', i, 'for'], 'a partition lasts until the end of the safety phase; use a "clog" fault for a timed outage');
    if (event.host !== undefined && !allHosts.has(event.host)) at(['timeline', i, 'host'], `unknown host "${event.host}"${nearMiss(event.host, allHosts)}`);
    if (event.link !== undefined && !linkIds.has(event.link)) at(['timeline', i, 'link'], `unknown link "${event.link}"${nearMiss(event.link, linkIds)}`);
    if (event.between !== undefined) event.between.forEach((s, j) => !siteIds.has(s) && at(['timeline', i, 'between', j], `unknown site "${s}"${nearMiss(s, siteIds)}`));
    const needsHost = ['host-crash', 'power-loss', 'clock-skew', 'latent-sector-error', 'bit-rot'].includes(event.fault);
    if (needsHost && event.host === undefined) at(['timeline', i], `a ${event.fault} fault needs "host"`);
    if (event.fault === 'partition' && event.between === undefined) at(['timeline', i], 'a partition needs "between: [siteA, siteB]"');
    if (['latent-sector-error', 'bit-rot'].includes(event.fault) && (event.vm === undefined || !vmIds.has(event.vm))) at(['timeline', i], `a ${event.fault} fault needs the "vm" whose disk it damages`);
  });
  scenario.recoveryPlans.forEach((plan, p) =>
    plan.groups.forEach((group, g) =>
      group.vms.forEach((vm, v) => {
        if (!vmIds.has(vm)) at(['recoveryPlans', p, 'groups', g, 'vms', v], `unknown VM "${vm}"${nearMiss(vm, vmIds)}`);
      }),
    ),
  );
  for (const [vm, index] of Object.keys(scenario.expect.finalState).map((v, i) => [v, i] as const)) {
    if (!vmIds.has(vm)) at(['expect', 'finalState', vm], `unknown VM "${vm}"${nearMiss(vm, vmIds)} (entry ${index + 1})`);
  }
  errors.push(...sequenceErrors(parsed, scenario, vmIds));
  return errors;
}

function hyperVTopologyChecked(scenario: Scenario, at: (path: (string | number)[], message: string) => void): Topology {
  const policyFields: Record<string, string> = {
    copyFrequencySeconds: 'copyFrequency',
    additionalRecoveryPoints: 'recoveryPoints',
    appConsistentFrequencyHours: 'appConsistentEvery',
    'initialReplication.startDelay': 'initialReplicationStartAfter',
    'initialReplication.shippingDelay': 'mediaShippingTime',
  };
  for (const problem of validateHyperVPolicy(scenarioPolicy(scenario))) {
    const field = problem.field.replace(/^policy\./, '');
    at(['policy', policyFields[field] ?? field], problem.message);
  }
  const topology = scenarioTopology(scenario);
  for (const problem of validateTopology(topology)) at(fieldPath(problem.field), problem.message);
  return topology;
}

/** The Scout deployment the file describes, checked by the model's rules (disk slots per master
 *  target, OS families, sites, failback) and reported at the line that caused each problem. */
function scoutTopologyChecked(scenario: Scenario, at: (path: (string | number)[], message: string) => void): Topology {
  const model = scenarioScoutModel(scenario);
  for (const problem of validateTopology(model.topology)) at(fieldPath(problem.field), problem.message);
  for (const problem of validateScoutTopology(model.topology)) at(model.pathOf(problem.field), problem.message);
  return model.topology;
}

/** "topology.vms[0].disks" -> ['vms', 0, 'disks']. */
function fieldPath(field: string): Array<string | number> {
  return field.replace(/^topology\./, '').split(/[.[\]]+/).filter((s) => s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** What one provider's file may not ask for: InMage Scout has no offline VHD edits here; Hyper-V
 *  Replica has no Scout deployment, group tags or tags. */
function providerErrors(parsed: ParsedYaml, scenario: Scenario): InputError[] {
  const errors: InputError[] = [];
  const at = (path: (string | number)[], message: string) => errors.push(errorAt(parsed, path, message));
  if (scenario.provider === 'inmage-scout') {
    const unsupported: Partial<Record<ScenarioOperation['op'], string>> = {
      'edit-vhd-offline': 'edit-vhd-offline is a Hyper-V operation; it is not supported for provider inmage-scout',
    };
    scenario.timeline.forEach((event, i) => {
      if (isOperation(event) && unsupported[event.op] !== undefined) at(['timeline', i, 'op'], unsupported[event.op]!);
      if (isOperation(event) && event.tag !== undefined && event.op !== 'unplanned-failover' && event.op !== 'test-failover') at(['timeline', i, 'tag'], 'a tag names the point an unplanned or test failover recovers to; it fits no other operation');
      if (isOperation(event) && event.tag !== undefined && event.point !== 'latest') at(['timeline', i, 'point'], 'give either "point" or "tag", not both');
      if (isOperation(event) && event.instant !== undefined && event.op !== 'unplanned-failover') at(['timeline', i, 'instant'], 'an instant names the point an unplanned failover recovers to; it fits no other operation');
      if (isOperation(event) && event.instant !== undefined && (event.tag !== undefined || event.point !== 'latest')) at(['timeline', i, 'instant'], 'give one of "instant", "tag" or "point"');
      if (isOperation(event) && event.instant !== undefined && event.instant >= event.at) at(['timeline', i, 'instant'], 'the instant to recover to must be before the failover');
    });
    return errors;
  }
  if (scenario.scout !== undefined) at(['scout'], 'a "scout" deployment needs "provider: inmage-scout"');
  if (Array.isArray(scenario.vms)) {
    scenario.vms.forEach((vm, i) => {
      if (vm.processServer !== undefined) at(['vms', i, 'processServer'], 'processServer is an InMage Scout field; set "provider: inmage-scout"');
      if (vm.masterTarget !== undefined) at(['vms', i, 'masterTarget'], 'masterTarget is an InMage Scout field; set "provider: inmage-scout"');
    });
  }
  scenario.timeline.forEach((event, i) => {
    if (isGroupTag(event)) at(['timeline', i, 'groupTag'], 'group tags are an InMage Scout operation; set "provider: inmage-scout"');
    if (isOperation(event) && event.tag !== undefined) at(['timeline', i, 'tag'], 'recovering to a named tag is an InMage Scout operation; use "point" with Hyper-V Replica');
    if (isOperation(event) && event.instant !== undefined) at(['timeline', i, 'instant'], 'recovering to any instant is an InMage Scout operation (continuous data protection); use "point" with Hyper-V Replica');
  });
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
  'start-vm': null,
  'edit-vhd-offline': null,
  'test-failover': 'TEST_FAILOVER',
  'test-cleanup': 'TEST_CLEANUP',
  // As a timeline step it cancels a completed failover; a job cancelled in flight is not modelled.
  'cancel-failover': 'CANCEL_FAILOVER',
  'cancel-resync': 'CANCEL_RESYNC',
};

/** What the lifecycle expects next, by the state the item would be in. */
const HINTS: Record<string, string> = {
  failedOver: ': commit the failover first',
  committed: ': reverse-replicate first (a failback is a planned failover of a reverse-replicating item)',
  paused: ': resume first',
  unprotected: ': enable protection first',
};

function afterEnd(at: number, duration: number): string {
  return `${formatDuration(at)} is after the end of the safety phase (duration ${formatDuration(duration)}); the operation would never run`;
}

/** 5400000000 -> "1h30m". */
function formatDuration(micros: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000_000], ['h', 3_600_000_000], ['m', 60_000_000], ['s', 1_000_000], ['ms', 1000], ['us', 1]];
  let rest = micros;
  let text = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text === '' ? '0' : text;
}

/** Walks each VM's operations through the reference lifecycle, assuming each succeeds and that
 *  initial replication completes between operations: an operation the lifecycle forbids must be
 *  marked `expect: refused` (an operator mistake), else the file is wrong. */
function sequenceErrors(parsed: ParsedYaml, scenario: Scenario, vmIds: ReadonlySet<string>): InputError[] {
  const errors: InputError[] = [];
  const faultTimes = scenario.timeline.filter(isFault).map((e) => e.at);
  const faultBefore = (at: number) => scenario.randomFaults !== undefined || faultTimes.some((t) => t < at);
  const operations = scenario.timeline.map((e, i) => [e, i] as const).filter(([e]) => isOperation(e)) as Array<readonly [ScenarioOperation, number]>;
  for (const vm of vmIds) {
    const actor = createActor(protectedItemLifecycle).start();
    const mine = operations.filter(([op]) => op.vm === vm).sort((a, b) => a[0].at - b[0].at);
    if (!mine.some(([op]) => op.op === 'enable')) actor.send({ type: 'ENABLE' });
    for (const [op, index] of mine) {
      settle(actor);
      const event = EVENT_OF[op.op];
      if (event === null) continue;
      // Resync answers a fault (log overflow, a host crash): when a fault can have broken
      // tracking before the operation, the item may by then be in Resync Required.
      if (event === 'RESYNC' && !actor.getSnapshot().can({ type: event }) && faultBefore(op.at) && actor.getSnapshot().can({ type: 'RESYNC_REQUIRED' })) {
        actor.send({ type: 'RESYNC_REQUIRED' });
      }
      const allowed = actor.getSnapshot().can({ type: event });
      if (!allowed && op.expect !== 'refused') {
        const state = actor.getSnapshot();
        const hint = HINTS[stateName(state.value)] ?? '';
        errors.push(
          errorAt(parsed, ['timeline', index, 'op'], `${op.op} on ${vm} is not allowed after the operations before it (the item would be ${stateName(state.value)}, direction ${state.context.direction})${hint}; mark it "expect: refused" if it is a deliberate operator mistake`),
        );
      }
      if (allowed && op.expect !== 'refused') actor.send({ type: event });
    }
    actor.stop();
  }
  return errors;
}

/** "protected" for the nested value { protected: 'normal' }. */
function stateName(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0];
}

function settle(actor: ReturnType<typeof createActor<typeof protectedItemLifecycle>>): void {
  const value = actor.getSnapshot().value;
  if (value === 'initialReplication') actor.send({ type: 'INITIAL_REPLICATION_DONE' });
  if (value === 'resyncing') actor.send({ type: 'RESYNC_DONE' });
}
