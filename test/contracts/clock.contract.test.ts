// Runs the Clock contract on the kernel clock, skewed or not, and on a host's guarded clock port.
import type { Codec, HostPorts } from '../../engine/ports.js';
import { seconds } from '../../model/index.js';
import { Kernel } from '../../sim/kernel.js';
import { KernelClock } from '../../sim/kernel-clock.js';
import { rootStream } from '../../sim/random.js';
import { RunTracer } from '../../sim/tracer.js';
import { VirtualHost } from '../../sim/host/host.js';
import { clockContract } from './clock.contract.js';

const unusedCodec = new Proxy({} as Codec, {
  get: (_, key) => {
    throw new Error(`codec.${String(key)} used in a clock test`);
  },
});

function startedKernel(): Kernel {
  const kernel = new Kernel();
  // Start away from zero so that a clock reading true time from 0 would be caught.
  kernel.schedule(seconds(7), 'warm-up', () => {});
  kernel.run();
  return kernel;
}

clockContract('KernelClock', () => {
  const kernel = startedKernel();
  return { clock: new KernelClock(kernel, 'h1'), run: () => kernel.run() };
});

clockContract('KernelClock skewed ahead', () => {
  const kernel = startedKernel();
  const clock = new KernelClock(kernel, 'h1');
  clock.setSkew(seconds(90));
  return { clock, run: () => kernel.run() };
});

clockContract('VirtualHost guarded clock port', () => {
  const kernel = startedKernel();
  const host = new VirtualHost({
    kernel,
    hostId: 'h1',
    siteId: 'primary',
    random: rootStream(1),
    fs: { capacityBytes: 1024 },
    cpu: { cores: 1 },
    codec: unusedCodec,
    tracer: new RunTracer(() => kernel.now(), false).forActor('h1'),
    transportFor: () => {
      throw new Error('no network in a clock test');
    },
    deviceFor: () => undefined,
  });
  host.setClockSkew(-seconds(3));
  let ports: HostPorts | undefined;
  host.install('probe', (given) => {
    ports = given;
    return {};
  });
  return {
    clock: ports!.clock,
    run: () => {
      kernel.run();
      host.invariants();
    },
  };
});
