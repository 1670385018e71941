// Public entry point of sim/disk/: virtual disks, payloads and the simulator's codec, write ids
// and the disk oracle (DESIGN.md section 3).
export * from './payload.js';
export { FOREIGN_ID_BIT, NOT_AN_ENCODING, writeContent, foreignIdOf, decodeBlock, bytesBlockChecksum } from './content-bytes.js';
export * from './write-ids.js';
export * from './image-hash.js';
export * from './disk-oracle.js';
export * from './virtual-disk.js';
export { BlockMap, DenseLanes, DENSE_BLOCKS_MAX, type DenseLane } from './block-map.js';
