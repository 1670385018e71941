// Public entry point of sim/workload/: guest write workloads as data and their generator.
export * from './profile.js';
export * from './diurnal.js';
export * from './burst-process.js';
export * from './gamma-noise.js';
export * from './generator.js';
