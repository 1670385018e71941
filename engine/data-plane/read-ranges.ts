// readMany for a device that has no scatter-gather read of its own (a test VM's differencing
// disk): each range is read on its own, and the request answers once, in range order, with the
// first failure if any range failed.
import type { BlockDevice, BlockRange, IoResult, Payload } from '../ports.js';
import { join } from './coalesce.js';

export function readRangesOneByOne(device: Pick<BlockDevice, 'read'>, ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void {
  // No range: an empty read still answers later, never re-entrantly.
  if (ranges.length === 0) return device.read(0, 0, () => done({ ok: true, value: [] }));
  const payloads: Payload[] = new Array(ranges.length);
  let failure: IoResult<readonly Payload[]> | null = null;
  const arrived = join(ranges.length, () => done(failure ?? { ok: true, value: payloads }));
  ranges.forEach(({ start, count }, i) =>
    device.read(start, count, (result) => {
      if (result.ok) payloads[i] = result.value;
      else failure ??= result;
      arrived();
    }),
  );
}
