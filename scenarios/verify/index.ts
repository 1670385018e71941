// Entry point of the verification harness (issue: verification): experiment arbitraries, swarm
// mode, the property helpers and one verify run. scenarios/index.ts should re-export it
// (`export * from './verify/index.js'`) so cli/ can import it through scenarios/index.js.
export * from './experiment.js';
export * from './scout-experiment.js';
export * from './provider-experiment.js';
export * from './lifecycle-walk.js';
export * from './timeline-plan.js';
export * from './arbitraries.js';
export * from './scout-timeline-plan.js';
export * from './scout-arbitraries.js';
export * from './replica-checker.js';
export * from './scout-replica-checker.js';
export * from './run-experiment.js';
export * from './property.js';
export * from './swarm.js';
export * from './verify-seed.js';
