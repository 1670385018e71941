// Public entry point of the simulated network (the Transport port's implementation).
export { Network, LAN_DEFAULT, lanId } from './network.js';
export type { DirectionSnapshot, LanConfig, LinkConfig, NetworkSnapshot, PartitionDirection, SendRefusal } from './network.js';
export type { DirectionName, DropCause } from './link-direction.js';
export type { LinkKind } from './link.js';
export { corruptedCopy, isCorruptible, type Corruptible } from './corruption.js';
export { windowAt, nextBoundaryAfter, type ThrottleWindow } from './throttle-schedule.js';
export { BUSY_BUCKET_MICROS } from './busy-history.js';
