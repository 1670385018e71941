// Public entry point of scenarios/: the scenario format, loader, runner and composition.
export * from './schema.js';
export * from './quantities.js';
export { loadScenario } from './load-scenario.js';
export { InputErrors, formatInputError, parseYaml, validateYaml, errorAt, keysAt, type InputError, type ParsedYaml } from './load-errors.js';
export { ScenarioRun, type RunOptions } from './runner.js';
export { runScenarioChecked, type SuiteRunOptions } from './suite.js';
export { BUILTIN_SUITE, CATALOGUE_DIR } from './builtin.js';
export { buildHyperVLab, placeReplicas, runOperation, type HyperVLab, type HyperVLabOptions } from './hyperv-lab.js';
export { twoSiteHyperV, type TwoSiteOptions } from './topologies.js';
export { scenarioTopology, scenarioPolicy, scenarioWorkload } from './scenario-model.js';
export { TOLERATED_FAULT_KINDS } from './tolerated-faults.js';
export { buildScoutLab, runScoutOperation, twoSiteScout, InvalidScoutTopology, type ScoutLab, type ScoutLabOptions, type TwoSiteScoutOptions } from './scout-lab.js';
// The verification harness (properties, swarm, lab verify).
export * from './verify/index.js';
