// Public entry point of sim/faults/: faults and fault plans as data, their validation, random
// generation, description and application to the world.
export * from './fault.js';
export * from './fault-target.js';
export * from './apply-fault-plan.js';
export * from './describe-fault.js';
export * from './validate-fault-plan.js';
export * from './random-fault-plan.js';
