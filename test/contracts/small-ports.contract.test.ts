import { Kernel, RandomStream, RunTracer, SimCodec, SimCpu, SymbolicPayload, SimManagementChannel, VirtualHost, rootStream } from '../../sim/index.js';
import type { Codec } from '../../engine/ports.js';
import { codecContract, cpuContract, entropyContract, managementContract, tracerContract } from './small-ports.contract.js';

entropyContract('RandomStream (alea)', (seed) => new RandomStream(`contract:${seed}`));

codecContract('SimCodec, symbolic payloads', () => ({
  codec: new SimCodec({ blockSizeBytes: 4096 }),
  payload: (count, salt) => SymbolicPayload.sequence(1 + salt * 100, count),
}));

cpuContract('SimCpu', () => {
  const kernel = new Kernel();
  return { cpu: new SimCpu(kernel, 'host', { cores: 2 }), cores: 2, settle: () => void kernel.run(), now: () => kernel.now() };
});

tracerContract('RunTracer', () => {
  const kernel = new Kernel();
  const tracer = new RunTracer(() => kernel.now(), true);
  return { tracer: tracer.forActor('test'), reached: (mark) => tracer.reached(mark) };
});

managementContract('SimManagementChannel', () => {
  const kernel = new Kernel();
  const random = rootStream(1);
  const makeHost = (hostId: string) =>
    new VirtualHost({
      kernel,
      hostId,
      siteId: 'site',
      random,
      fs: { capacityBytes: 1 << 20 },
      cpu: { cores: 1 },
      codec: new SimCodec({ blockSizeBytes: 4096 }) as Codec,
      tracer: new RunTracer(() => kernel.now(), false).forActor(hostId),
      transportFor: () => ({ address: '', send: () => undefined, onReceive: () => undefined }),
      deviceFor: () => undefined,
    });
  const up = makeHost('up');
  const down = makeHost('down');
  const echo = { handleRequest: (request: unknown, done: (response: unknown) => void) => done({ echoed: request }), stop: () => undefined };
  up.install('svc', () => echo);
  down.install('svc', () => echo);
  down.crash();
  const channel = new SimManagementChannel(kernel, new Map([['up', up], ['down', down]]));
  return { channel, upHost: 'up', downHost: 'down', service: 'svc', settle: () => void kernel.run() };
});
