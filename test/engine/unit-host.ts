// One simulated host for an engine unit test: its kernel, its basic ports (clock, entropy,
// tracer, codec, file system, CPU) and a `refuse` for every port the test does not expect to be
// called. The test adds the devices, transport, hypervisor and media it needs.
import { MiB, millis } from '../../model/index.js';
import { Kernel, KernelClock, RandomStream, RunTracer, SimCodec, SimCpu, SimHostFs } from '../../sim/index.js';

/** Disk latency of unit tests: every operation takes exactly 1 ms. */
export const UNIT_DISK_LATENCY = { readMin: millis(1), readMax: millis(1), writeMin: millis(1), writeMax: millis(1), flush: millis(1) };

export function unitHost(hostId: string, blockSizeBytes: number, underTest: string) {
  const kernel = new Kernel();
  const clock = new KernelClock(kernel, hostId);
  const tracer = new RunTracer(() => kernel.now(), false);
  const codec = new SimCodec({ blockSizeBytes });
  const refuse = (): never => {
    throw new Error(`not used by ${underTest}`);
  };
  const basePorts = {
    hostId,
    clock,
    entropy: new RandomStream(hostId),
    tracer: tracer.forActor(hostId),
    codec,
    fs: new SimHostFs(kernel, hostId, { capacityBytes: MiB }),
    cpu: new SimCpu(kernel, hostId, { cores: 1 }),
  };
  return { kernel, clock, tracer, codec, refuse, basePorts };
}
