// Small topology builders for tests, benchmarks and scenario defaults: two sites joined by one
// WAN link, Hyper-V hosts on each side, VMs spread round-robin over the primary hosts.
import { millis, type OsFamily, type Topology } from '../model/index.js';

export interface TwoSiteOptions {
  readonly vmCount: number;
  readonly disksPerVm: number;
  readonly diskSizeBytes: number;
  readonly diskUsedBytes: number;
  readonly hostsPerSite?: number;
  readonly bandwidthBitsPerSecond?: number;
  readonly latencyMillis?: number;
  readonly os?: OsFamily;
}

export function twoSiteHyperV(options: TwoSiteOptions): Topology {
  const hostsPerSite = options.hostsPerSite ?? 1;
  const primaryHosts = Array.from({ length: hostsPerSite }, (_, i) => `hv-a${i + 1}`);
  const secondaryHosts = Array.from({ length: hostsPerSite }, (_, i) => `hv-b${i + 1}`);
  return {
    sites: [
      { id: 'primary', role: 'primary' },
      { id: 'secondary', role: 'secondary' },
    ],
    links: [{ id: 'wan', siteA: 'primary', siteB: 'secondary', bandwidthBitsPerSecond: options.bandwidthBitsPerSecond ?? 100e6, latency: millis(options.latencyMillis ?? 20), jitter: millis(2) }],
    vmmServers: [
      { id: 'vmm-a', site: 'primary', clouds: [{ id: 'cloud-a', hosts: primaryHosts }] },
      { id: 'vmm-b', site: 'secondary', clouds: [{ id: 'cloud-b', hosts: secondaryHosts }] },
    ],
    cloudMappings: [{ primaryCloud: 'cloud-a', secondaryCloud: 'cloud-b' }],
    hosts: [...primaryHosts.map((id) => ({ id, site: 'primary', kind: 'hyperv' as const })), ...secondaryHosts.map((id) => ({ id, site: 'secondary', kind: 'hyperv' as const }))],
    vms: Array.from({ length: options.vmCount }, (_, i) => ({
      id: `vm${i + 1}`,
      host: primaryHosts[i % hostsPerSite],
      replicaHost: secondaryHosts[i % hostsPerSite],
      osFamily: options.os ?? 'windows',
      disks: Array.from({ length: options.disksPerVm }, () => ({ sizeBytes: options.diskSizeBytes, usedBytes: options.diskUsedBytes })),
    })),
  };
}
