// "Does this replica equal the source image at some instant?" answered from the guest truth's
// oracle: cheap hash comparisons at candidate instants, all disks of a VM at one instant (a VM's
// disks are one consistency group).
import { ImageHash, NOT_AN_ENCODING, SymbolicPayload, asSimPayload, bytesBlockChecksum, decodeBlock, foreignIdOf, type GuestTruth, type VirtualDisk } from '../../sim/index.js';
import type { Payload } from '../../engine/index.js';

/** The instants at which any of `truths` changed within [from, to], newest first, plus `from`. */
function candidateInstants(truths: readonly GuestTruth[], from: number, to: number): number[] {
  const instants = new Set<number>([to, from]);
  for (const truth of truths) {
    const oracle = truth.oracle;
    for (let i = oracle.changeCount - 1; i >= 0; i--) {
      const at = oracle.changeAt(i).at;
      if (at > to) continue;
      if (at < from) break;
      instants.add(at);
      if (at > 0) instants.add(at - 1);
    }
  }
  return [...instants].filter((t) => t >= from && t <= to).sort((a, b) => b - a);
}

/** The newest instant in [from, to] at which every disk's truth hash equals `hashes`, or null. */
export function matchingInstant(truths: readonly GuestTruth[], hashes: readonly string[], from: number, to: number): number | null {
  for (const t of candidateInstants(truths, Math.max(0, from), to)) {
    if (truths.every((truth, i) => truth.oracle.imageHashAt(t) === hashes[i])) return t;
  }
  return null;
}

/** First try the claimed instant (and the microsecond before it), then search the window. */
export function matchNear(truths: readonly GuestTruth[], hashes: readonly string[], claimed: number, slack: number): number | null {
  for (const t of [claimed, claimed - 1]) {
    if (t >= 0 && truths.every((truth, i) => truth.oracle.imageHashAt(t) === hashes[i])) return t;
  }
  return matchingInstant(truths, hashes, claimed - slack, claimed + slack);
}

/** The image hash of `disk` after the block writes `changes` (a recovery point's undo). */
export function hashWith(disk: VirtualDisk, changes: ReadonlyArray<{ disk: number; block: number; content: Payload }>, diskIndex: number): string {
  const parsed = disk.imageHash();
  const hash = new ImageHash();
  hash.laneA = parseInt(parsed.slice(0, 8), 16);
  hash.laneB = parseInt(parsed.slice(8, 16), 16);
  for (const change of changes) {
    if (change.disk !== diskIndex) continue;
    const ids = idsOf(change.content, change.block);
    for (let b = 0; b < ids.length; b++) hash.replace(change.block + b, disk.pristineId(change.block + b), ids[b]);
  }
  return hash.toString();
}

/** The content ids of a payload aimed at `start` (bytes are decoded as the disk decodes them). */
function idsOf(content: Payload, start: number): Uint32Array {
  const payload = asSimPayload(content);
  if (payload instanceof SymbolicPayload) return payload.ids;
  const size = payload.blockSizeBytes;
  const ids = new Uint32Array(payload.blockCount);
  for (let i = 0; i < ids.length; i++) {
    const decoded = decodeBlock(payload.bytes, i * size, start + i, size);
    ids[i] = decoded !== NOT_AN_ENCODING ? decoded : foreignIdOf(bytesBlockChecksum(payload.bytes, i * size, size));
  }
  return ids;
}

/** The full content of a disk as block -> id (for rebasing the guest truth). */
export function contentOf(disk: VirtualDisk): Map<number, number> {
  return disk.contentMap();
}
