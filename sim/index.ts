// Public entry point of sim/: the world, and the pieces tests and scenarios compose.
export * from './kernel.js';
export * from './kernel-clock.js';
export * from './random.js';
export * from './tracer.js';
export * from './disk/index.js';
export * from './network/index.js';
export * from './workload/index.js';
export * from './faults/index.js';
export type { PartitionDirection } from './network/index.js';
export { VirtualHost, type Service, type ServiceStart, type PowerState, type PowerCause } from './host/host.js';
export { SimHostFs, type HostFsOptions } from './host/host-fs.js';
export { SimCpu, type CpuOptions } from './host/cpu.js';
export { World, diskId, type WorldOptions, type ControlPorts, type VolumeSpec } from './world/world.js';
export { Guest } from './world/guest.js';
export { GuestTruth } from './world/guest-truth.js';
export { SimHypervisor, GUEST_POWER_DELAY } from './world/hypervisor.js';
export { SimManagementChannel, MANAGEMENT_LATENCY } from './world/management.js';
