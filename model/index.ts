// Public entry point of model/: the vocabulary shared by every other folder.
export * from './units.js';
export * from './assert.js';
export * from './hash.js';
export * from './policy.js';
export * from './topology.js';
export * from './lifecycle.js';
export * from './invariants.js';
export * from './run-record.js';
export * from './scout-topology.js';
export * from './network-mapping.js';
