// One whole InMage Scout experiment as data (issue 5): the Hyper-V experiment's shape, workload,
// operations and faults, plus what only Scout has: the deployment (failback through a
// primary-site master target or not, one replication group or none, the process-server cache,
// the tag intervals) and group tags on the timeline. It becomes an ordinary Scenario (provider
// inmage-scout), so ScenarioRun runs it like a scenario file, and prints as a short timeline.
import { ScenarioSchema, type Scenario, type ScenarioInput } from '../schema.js';
import {
  MINUTE,
  faultEvent,
  operationEvent,
  scenarioBase,
  timelineLines,
  topologyLine,
  workloadInput,
  workloadLine,
  type ExperimentBase,
} from './experiment.js';

/** The servers of the generated deployment (scenario-model.ts names them so by default). */
export const SCOUT_SOURCE_HOST = 'esx-a1';
export const SCOUT_MASTER_TARGET = 'mt-b1';
export const SCOUT_PROCESS_SERVER = 'ps-a1';
/** With failback: the primary-site master target and the DR-side process server. */
export const SCOUT_FAILBACK_MASTER_TARGET = 'mt-a1';
export const SCOUT_FAILBACK_PROCESS_SERVER = 'ps-b1';
/** The replication group every machine joins when the experiment has one. */
export const SCOUT_GROUP = 'app-tier';

export interface ScoutDeploymentChoice {
  /** A master target at the primary site and a process server on the DR side. */
  readonly failback: boolean;
  /** Every machine in one replication group (common consistency tags). */
  readonly group: boolean;
  /** The process servers' cache volume in MiB; 0 keeps the default. */
  readonly psCacheMiB: number;
  readonly crashTagMinutes: number;
  /** 0: no app-consistent tags. */
  readonly appTagMinutes: number;
}

/** A group tag: every member quiesced, tagged with one name while all are held, thawed. */
export interface ExperimentGroupTag {
  readonly atMinutes: number;
  readonly name: string;
}

export interface ScoutExperiment extends ExperimentBase {
  readonly provider: 'inmage-scout';
  readonly deployment: ScoutDeploymentChoice;
  readonly groupTags: readonly ExperimentGroupTag[];
}

/** The hosts host faults may hit, the source ESXi host first (where shrinking goes). */
export function scoutFaultHosts(deployment: ScoutDeploymentChoice): string[] {
  const failback = deployment.failback ? [SCOUT_FAILBACK_MASTER_TARGET, SCOUT_FAILBACK_PROCESS_SERVER] : [];
  return [SCOUT_SOURCE_HOST, SCOUT_MASTER_TARGET, SCOUT_PROCESS_SERVER, ...failback];
}

const vmIds = (count: number) => Array.from({ length: count }, (_, i) => `vm${i + 1}`);

/** A group tag fails by design when a member's quiesce fails (1 in 50 by default), and then
 *  the recovery to it too: a timeline valid by construction cannot have that. */
const GROUP_TAGS_QUIESCE = { name: 'vss-failure', value: '0/1', reason: 'the group tags on the generated timeline must succeed for the recoveries to them' };

/** The experiment as a scenario, validated by the scenario schema. */
export function scoutExperimentScenario(experiment: ScoutExperiment): Scenario {
  const { shape, deployment } = experiment;
  const input: ScenarioInput = {
    ...scenarioBase(experiment, `generated InMage Scout experiment: ${experiment.operations.length} operations, ${experiment.groupTags.length} group tags and ${experiment.faults.length} faults on ${shape.vmCount} VMs`),
    provider: 'inmage-scout',
    scout: {
      failback: deployment.failback,
      groups: deployment.group ? [{ id: SCOUT_GROUP, vms: vmIds(shape.vmCount) }] : [],
      ...(deployment.psCacheMiB > 0 ? { cacheSize: deployment.psCacheMiB * 1024 * 1024 } : {}),
      crashTagInterval: deployment.crashTagMinutes * MINUTE,
      appTagInterval: deployment.appTagMinutes * MINUTE,
      // Resyncs start at once: the generated timelines assume a crash's resync runs before the
      // next operation (deferring them to the night is a scenario-file feature).
      resyncWindow: false,
    },
    workload: workloadInput(shape, experiment.workload),
    timeline: [
      ...experiment.operations.map(operationEvent),
      ...experiment.groupTags.map((g) => ({ at: g.atMinutes * MINUTE, groupTag: g.name, group: SCOUT_GROUP })),
      ...experiment.faults.map((f) => faultEvent(f, SCOUT_SOURCE_HOST)),
    ],
    knobs: experiment.groupTags.length > 0 ? [GROUP_TAGS_QUIESCE] : [],
    expect: { dataLoss: experiment.expectDataLoss, finalState: experiment.finalStates as never },
  };
  return ScenarioSchema.parse(input);
}

/** The experiment as a few lines: the knobs, then one line per operation, group tag or fault. */
export function formatScoutExperiment(experiment: ScoutExperiment): string {
  const { deployment } = experiment;
  const servers = deployment.failback ? `failback through ${SCOUT_FAILBACK_MASTER_TARGET}/${SCOUT_FAILBACK_PROCESS_SERVER}` : 'no failback master target';
  const head = [
    `experiment ${experiment.name} seed ${experiment.seed} (inmage-scout), ${experiment.durationMinutes}m simulated`,
    topologyLine(experiment.shape),
    `  scout: ${servers}, ${deployment.group ? `all VMs in group ${SCOUT_GROUP}` : 'no group'}, process-server cache ${deployment.psCacheMiB > 0 ? `${deployment.psCacheMiB} MiB` : 'default'}, crash tags every ${deployment.crashTagMinutes}m, app tags ${deployment.appTagMinutes > 0 ? `every ${deployment.appTagMinutes}m` : 'never'}`,
    workloadLine(experiment.workload),
  ];
  const notes = experiment.groupTags.map((g) => ({ atMinutes: g.atMinutes, text: `group tag ${g.name} on ${SCOUT_GROUP}` }));
  return [...head, ...timelineLines(experiment, SCOUT_SOURCE_HOST, notes)].join('\n');
}
