// Runs the BlockDevice contract against the simulator's VirtualDisk, in both content modes and
// with and without a volatile write cache.
import { blockDeviceContract, type BlockDeviceHarness } from './block-device.contract.js';
import { VirtualDisk, type DiskMode } from '../../sim/disk/virtual-disk.js';
import { BytesPayload, SimCodec, SymbolicPayload, contentBytes } from '../../sim/disk/payload.js';
import { WriteIdAllocator } from '../../sim/disk/write-ids.js';
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { micros } from '../../model/index.js';

const BLOCK = 32;

function virtualDiskHarness(mode: DiskMode, writeCache: boolean): () => BlockDeviceHarness {
  let run = 0;
  return () => {
    const kernel = new Kernel();
    const ids = new WriteIdAllocator();
    const device = new VirtualDisk({
      deviceId: `contract-${mode}`,
      blockSizeBytes: BLOCK,
      blockCount: 24,
      mode,
      writeCache,
      latency: { readMin: micros(1), readMax: micros(40), writeMin: micros(1), writeMax: micros(80), flush: micros(25) },
      baseImage: { blocks: 6, writeId: ids.next() },
      kernel,
      random: rootStream(run++).fork('disk'),
    });
    const freshPayload = (count: number): SymbolicPayload | BytesPayload => {
      const first = ids.nextRange(count);
      if (mode === 'symbolic') return SymbolicPayload.sequence(first, count);
      const bytes = new Uint8Array(count * BLOCK);
      for (let i = 0; i < count; i++) bytes.set(contentBytes(first + i, 1000 + i, BLOCK), i * BLOCK);
      return new BytesPayload(bytes, BLOCK);
    };
    return { device, codec: new SimCodec({ blockSizeBytes: BLOCK }), freshPayload, settle: () => void kernel.run() };
  };
}

blockDeviceContract('VirtualDisk, symbolic, write cache', virtualDiskHarness('symbolic', true));
blockDeviceContract('VirtualDisk, symbolic, write-through', virtualDiskHarness('symbolic', false));
blockDeviceContract('VirtualDisk, bytes, write cache', virtualDiskHarness('bytes', true));
