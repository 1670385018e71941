// Runs the Transport contract on the simulated network: inside one site (the LAN) and across a
// WAN link, with jitter on, so that order must come from the network's FIFO discipline.
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { Network } from '../../sim/network/index.js';
import { micros, millis } from '../../model/index.js';
import { transportContract, type TransportPair } from './transport.contract.js';

function simulatedPair(sameSite: boolean): TransportPair {
  const kernel = new Kernel();
  const network = new Network(kernel, rootStream(7).fork('network'));
  network.setLan('primary', { bandwidthBitsPerSecond: 1e9, latency: micros(200), jitter: micros(150) });
  network.addLink({ id: 'wan', siteA: 'primary', siteB: 'secondary', bandwidthBitsPerSecond: 100e6, latency: millis(20), jitter: millis(5) });
  network.addNode('hv-a1', 'primary');
  network.addNode('hv-a2', 'primary');
  network.addNode('hv-b1', 'secondary');
  const a = network.endpoint('hv-a1', 'primary-server');
  const b = network.endpoint(sameSite ? 'hv-a2' : 'hv-b1', 'replica-server');
  return {
    a,
    b,
    unknownAddresses: ['hv-b1/no-such-service', 'no-such-host/replica-server', 'not-an-address'],
    settle: () => {
      kernel.run();
      network.invariants();
    },
  };
}

transportContract('simulated network, same site (LAN)', () => simulatedPair(true));
transportContract('simulated network, across a WAN link', () => simulatedPair(false));
