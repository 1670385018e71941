// The topology vocabulary shared by both providers: sites, links, VMM servers and clouds, hosts,
// VMs and their disks (DOMAIN.md section 1, rules 13 and 16-17), with validation that names the
// offending field.
import type { FieldError } from './policy.js';
import type { NetworkAttachment, NetworkMapping, VmNetworkSpec } from './network-mapping.js';
import type { Duration } from './units.js';

export type SiteRole = 'primary' | 'secondary';
export type OsFamily = 'windows' | 'linux';
export type HostKind = 'hyperv' | 'esxi' | 'physical' | 'process-server' | 'master-target' | 'configuration-server';

/** ASR VMM-to-VMM supports at most 16 virtual disks per VM (numbers table row 14). */
export const VM_DISKS_MAX = 16;

export interface SiteSpec {
  readonly id: string;
  readonly role: SiteRole;
}

export interface LinkSpec {
  readonly id: string;
  readonly siteA: string;
  readonly siteB: string;
  readonly bandwidthBitsPerSecond: number;
  readonly latency: Duration;
  readonly jitter?: Duration;
}

export interface CloudSpec {
  readonly id: string;
  readonly hosts: readonly string[];
}

export interface VmmServerSpec {
  readonly id: string;
  readonly site: string;
  readonly clouds: readonly CloudSpec[];
}

export interface HostSpec {
  readonly id: string;
  readonly site: string;
  readonly kind: HostKind;
  readonly cores?: number;
  readonly fsCapacityBytes?: number;
  readonly osFamily?: OsFamily;
  /** VM networks this host is connected to (placement needs the mapped one); all when absent. */
  readonly networks?: readonly string[];
}

export interface DiskSpec {
  readonly sizeBytes: number;
  /** Bytes already written before protection (the part initial replication must copy). */
  readonly usedBytes: number;
}

export interface VmSpec {
  readonly id: string;
  /** The host the VM runs on at the primary site. */
  readonly host: string;
  /** The host that holds its replica (Hyper-V Replica); chosen by placement when absent. */
  readonly replicaHost?: string;
  readonly disks: readonly DiskSpec[];
  readonly osFamily: OsFamily;
  readonly network?: NetworkAttachment;
}

export interface CloudMapping {
  readonly primaryCloud: string;
  readonly secondaryCloud: string;
}

export interface Topology {
  readonly sites: readonly SiteSpec[];
  readonly links: readonly LinkSpec[];
  readonly vmmServers: readonly VmmServerSpec[];
  readonly hosts: readonly HostSpec[];
  readonly vms: readonly VmSpec[];
  readonly cloudMappings: readonly CloudMapping[];
  readonly networks?: readonly VmNetworkSpec[];
  readonly networkMappings?: readonly NetworkMapping[];
}

export function validateTopology(topology: Topology, at = 'topology'): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field: `${at}.${field}`, message });
  const siteIds = uniqueIds(topology.sites, 'sites', fail);
  const hostIds = uniqueIds(topology.hosts, 'hosts', fail);
  uniqueIds(topology.vms, 'vms', fail);
  uniqueIds(topology.links, 'links', fail);
  const known = (set: Set<string>, id: string, field: string, what: string) => {
    if (!set.has(id)) fail(field, `unknown ${what} "${id}"${nearMiss(id, set)}`);
  };
  topology.links.forEach((link, i) => {
    known(siteIds, link.siteA, `links[${i}].siteA`, 'site');
    known(siteIds, link.siteB, `links[${i}].siteB`, 'site');
    if (!(link.bandwidthBitsPerSecond > 0)) fail(`links[${i}].bandwidthBitsPerSecond`, 'must be positive');
  });
  topology.hosts.forEach((host, i) => known(siteIds, host.site, `hosts[${i}].site`, 'site'));
  const cloudIds = new Set<string>();
  topology.vmmServers.forEach((vmm, i) => {
    known(siteIds, vmm.site, `vmmServers[${i}].site`, 'site');
    vmm.clouds.forEach((cloud, j) => {
      cloudIds.add(cloud.id);
      cloud.hosts.forEach((h, k) => known(hostIds, h, `vmmServers[${i}].clouds[${j}].hosts[${k}]`, 'host'));
    });
  });
  topology.cloudMappings.forEach((m, i) => {
    known(cloudIds, m.primaryCloud, `cloudMappings[${i}].primaryCloud`, 'cloud');
    known(cloudIds, m.secondaryCloud, `cloudMappings[${i}].secondaryCloud`, 'cloud');
  });
  const siteOf = new Map(topology.hosts.map((h) => [h.id, h.site]));
  topology.vms.forEach((vm, i) => {
    known(hostIds, vm.host, `vms[${i}].host`, 'host');
    if (vm.replicaHost !== undefined) {
      known(hostIds, vm.replicaHost, `vms[${i}].replicaHost`, 'host');
      if (siteOf.get(vm.replicaHost) !== undefined && siteOf.get(vm.replicaHost) === siteOf.get(vm.host)) {
        fail(`vms[${i}].replicaHost`, `"${vm.replicaHost}" is at the same site as the VM's host "${vm.host}"`);
      }
    }
    if (vm.disks.length === 0) fail(`vms[${i}].disks`, 'a VM needs at least one disk');
    if (vm.disks.length > VM_DISKS_MAX) fail(`vms[${i}].disks`, `a VM may have at most ${VM_DISKS_MAX} disks, got ${vm.disks.length}`);
    vm.disks.forEach((disk, j) => {
      if (!(disk.sizeBytes > 0)) fail(`vms[${i}].disks[${j}].sizeBytes`, 'must be positive');
      if (disk.usedBytes < 0 || disk.usedBytes > disk.sizeBytes) fail(`vms[${i}].disks[${j}].usedBytes`, 'must be between 0 and sizeBytes');
    });
  });
  return errors;
}

function uniqueIds(items: readonly { id: string }[], field: string, fail: (field: string, message: string) => void): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, i) => {
    if (ids.has(item.id)) fail(`${field}[${i}].id`, `duplicate id "${item.id}"`);
    ids.add(item.id);
  });
  return ids;
}

/** ", did you mean "x"?" for the closest known id within edit distance 2, else "". */
export function nearMiss(word: string, known: Iterable<string>): string {
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === null ? '' : `, did you mean "${best}"?`;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
