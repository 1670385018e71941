// Runs the HostFs contract on the simulator's file system, bare and through a host's guarded port.
import type { Codec, HostPorts } from '../../engine/ports.js';
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { RunTracer } from '../../sim/tracer.js';
import { SimHostFs } from '../../sim/host/host-fs.js';
import { VirtualHost } from '../../sim/host/host.js';
import { hostFsContract } from './host-fs.contract.js';

/** The host under test never compresses or checksums: any use of the codec is a test bug. */
const unusedCodec = new Proxy({} as Codec, {
  get: (_, key) => {
    throw new Error(`codec.${String(key)} used in a host fs test`);
  },
});

hostFsContract('SimHostFs', (capacityBytes) => {
  const kernel = new Kernel();
  const fs = new SimHostFs(kernel, 'h1', { capacityBytes });
  return {
    fs,
    run: () => {
      kernel.run();
      fs.invariants();
    },
  };
});

hostFsContract('VirtualHost guarded fs port', (capacityBytes) => {
  const kernel = new Kernel();
  const host = new VirtualHost({
    kernel,
    hostId: 'h1',
    siteId: 'primary',
    random: rootStream(1),
    fs: { capacityBytes },
    cpu: { cores: 1 },
    codec: unusedCodec,
    tracer: new RunTracer(() => kernel.now(), false).forActor('h1'),
    transportFor: () => {
      throw new Error('no network in a host fs test');
    },
    deviceFor: () => undefined,
  });
  let ports: HostPorts | undefined;
  host.install('probe', (given) => {
    ports = given;
    return {};
  });
  return {
    fs: ports!.fs,
    run: () => {
      kernel.run();
      host.invariants();
    },
  };
});
