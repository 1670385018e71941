import { describe, expect, it } from 'vitest';
import { MiB, hostSeesMappedNetwork, replicaConnection, type Topology } from '../../model/index.js';
import { placeReplicas, twoSiteHyperV } from '../../scenarios/index.js';

const networks = [
  { id: 'prod-a', site: 'primary', subnets: ['app', 'db'] },
  { id: 'prod-b', site: 'secondary', subnets: ['db', 'web'] },
  { id: 'dmz-b', site: 'secondary', subnets: ['edge'] },
];
const mappings = [{ source: 'prod-a', target: 'prod-b' }];

describe('network mapping (DOMAIN.md rule 13)', () => {
  it('connects the replica to the mapped network, same-named subnet else the first one', () => {
    expect(replicaConnection({ network: 'prod-a', subnet: 'db' }, networks, mappings)).toEqual({ connected: true, network: 'prod-b', subnet: 'db' });
    expect(replicaConnection({ network: 'prod-a', subnet: 'app' }, networks, mappings)).toEqual({ connected: true, network: 'prod-b', subnet: 'db' });
  });

  it('leaves the replica disconnected when its network is not mapped', () => {
    expect(replicaConnection({ network: 'lab-a', subnet: 'x' }, networks, mappings)).toMatchObject({ connected: false });
    expect(replicaConnection(undefined, networks, mappings)).toMatchObject({ connected: false });
  });

  it('places a replica only on a host that sees the mapped network', () => {
    expect(hostSeesMappedNetwork(['dmz-b'], { network: 'prod-a', subnet: 'db' }, mappings)).toBe(false);
    const base = twoSiteHyperV({ vmCount: 1, disksPerVm: 1, diskSizeBytes: 8 * MiB, diskUsedBytes: MiB, hostsPerSite: 2 });
    const topology: Topology = {
      ...base,
      networks,
      networkMappings: mappings,
      hosts: base.hosts.map((h) => (h.id === 'hv-b1' ? { ...h, networks: ['dmz-b'] } : h.id === 'hv-b2' ? { ...h, networks: ['prod-b'] } : h)),
      vms: base.vms.map((vm) => ({ ...vm, replicaHost: undefined, network: { network: 'prod-a', subnet: 'db' } })),
    };
    expect(placeReplicas(topology).vms[0].replicaHost).toBe('hv-b2');
  });
});
