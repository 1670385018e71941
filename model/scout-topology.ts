// The InMage Scout deployment (DOMAIN.md section 1B, rules 16-25, numbers table rows 20-38):
// which process servers, master targets and configuration server exist, which source machine
// replicates through which process server to which master target, the replication groups, and
// whether failback is wanted. Validation names the offending field, the master target and the
// counts, so `lab run` can refuse an impossible deployment with a clear message.
import type { FieldError } from './policy.js';
import type { OsFamily, Topology } from './topology.js';
import { nearMiss } from './topology.js';
import { GiB, hours, MICROS_PER_DAY, minutes, type Duration } from './units.js';

/** A master target holds at most 60 disks, its own OS and retention disks included (row 20). */
export const MT_DISKS_MAX = 60;
/** The master target's own disks when not stated: its OS disk and its retention disk. */
export const MT_OWN_DISKS_DEFAULT = 2;

export interface ProcessServerSpec {
  /** The host (kind process-server) the process server runs on; also its id. */
  readonly host: string;
}

export interface MasterTargetSpec {
  /** The host (kind master-target) the master target runs on; also its id. Replica disks of
   *  the machines it protects are attached to it. */
  readonly host: string;
  readonly osFamily: OsFamily;
  /** Its own disks (OS, retention), counted against the 60-disk limit. Default 2. */
  readonly ownDisks?: number;
  /** Size of its retention volume (one per master target, shared by all its disks). */
  readonly retentionBytes?: number;
  // Rule 25: how the master target VM itself is set up. Each field states the VMware setting;
  // a missing field means the supported setting.
  /** The master target VM has snapshots (not supported: replica disks are attached to it). */
  readonly hasSnapshots?: boolean;
  /** Storage vMotion is allowed to move it (not supported: it would move the replica disks). */
  readonly storageVMotion?: boolean;
  /** Its SCSI controller; only LSI Logic is supported. Default lsi-logic. */
  readonly scsiController?: ScsiController;
  /** The VM's disk.EnableUUID setting; it must be on. Default true. */
  readonly diskEnableUuid?: boolean;
  /** VMFS datastores its ESXi host reaches (replica disks live there); at least one. Default 1. */
  readonly vmfsDatastores?: number;
}

export type ScsiController = 'lsi-logic' | 'lsi-logic-sas' | 'paravirtual' | 'buslogic';

/** One protected machine: through which process server, to which master target. */
export interface ScoutProtection {
  readonly vm: string;
  readonly processServer: string;
  readonly masterTarget: string;
}

/** Machines that get common consistency points; they must share one master target. */
export interface ReplicationGroupSpec {
  readonly id: string;
  readonly vms: readonly string[];
}

/** The reverse path failback uses: a process server on the DR side, a master target at the
 *  primary site (rule 16, rule 24). */
export interface ScoutFailbackSpec {
  readonly processServer: string;
  readonly masterTarget: string;
}

export interface ScoutSpec {
  /** The configuration server's host (kind configuration-server); vContinuum runs beside it. */
  readonly configurationServer: string;
  readonly processServers: readonly ProcessServerSpec[];
  readonly masterTargets: readonly MasterTargetSpec[];
  readonly protections: readonly ScoutProtection[];
  readonly groups: readonly ReplicationGroupSpec[];
  readonly failbackWanted: boolean;
  readonly failback?: ScoutFailbackSpec;
}

export interface ScoutTopology extends Topology {
  readonly scout: ScoutSpec;
}

/** The Scout replication policy (rules 20, 23; numbers table row 38: the failback policy). */
export interface ScoutPolicy {
  /** RPO threshold: crossing it raises an alert only; replication is continuous (rule 23). */
  readonly rpoThreshold: Duration;
  /** Retention window by time (rule 20). */
  readonly retentionWindow: Duration;
  /** Crash-consistent bookmark interval (row 36: 5 minutes). */
  readonly crashTagInterval: Duration;
  /** App-consistent (quiesced) tag interval; 0 disables (row 38: 60 minutes). */
  readonly appTagInterval: Duration;
  /** The unified agent's in-memory buffer bound per machine (INFERRED). */
  readonly agentBufferBytes: number;
  /** When an automatic full resync may run (rule 22: outside office hours); null runs it at
   *  once. A user's resync always starts at once. */
  readonly resyncWindow: ResyncWindow | null;
}

/** A daily window by time of day (Instant 0 is midnight of day 0); `from` > `to` spans midnight. */
export interface ResyncWindow {
  readonly from: Duration;
  readonly to: Duration;
}

/** Whether `at` falls inside the daily window [from, to). */
export function insideResyncWindow(window: ResyncWindow, at: number): boolean {
  const timeOfDay = ((at % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY;
  if (window.from === window.to) return true;
  return window.from < window.to ? timeOfDay >= window.from && timeOfDay < window.to : timeOfDay >= window.from || timeOfDay < window.to;
}

export const DEFAULT_SCOUT_POLICY: ScoutPolicy = {
  rpoThreshold: minutes(15),
  retentionWindow: hours(24),
  crashTagInterval: minutes(5),
  appTagInterval: minutes(60),
  agentBufferBytes: 256 * 1024 * 1024,
  resyncWindow: { from: hours(20), to: hours(6) },
};

export const RETENTION_BYTES_DEFAULT = 512 * GiB;

export function validateScoutTopology(topology: ScoutTopology, at = 'topology'): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field: `${at}.${field}`, message });
  const scout = topology.scout;
  const hosts = new Map(topology.hosts.map((h) => [h.id, h]));
  const roleOf = new Map(topology.sites.map((s) => [s.id, s.role]));
  const siteRole = (hostId: string) => roleOf.get(hosts.get(hostId)?.site ?? '');
  const hostOfKind = (hostId: string, kind: string, field: string, what: string): boolean => {
    const host = hosts.get(hostId);
    if (host === undefined) {
      fail(field, `unknown host "${hostId}"${nearMiss(hostId, hosts.keys())}`);
      return false;
    }
    if (host.kind !== kind) {
      fail(field, `"${hostId}" is a ${host.kind} host, not a ${what}`);
      return false;
    }
    return true;
  };

  if (hostOfKind(scout.configurationServer, 'configuration-server', 'scout.configurationServer', 'configuration server') && siteRole(scout.configurationServer) !== 'secondary') {
    fail('scout.configurationServer', `the configuration server "${scout.configurationServer}" must be at the secondary site`);
  }
  const processServers = new Set<string>();
  scout.processServers.forEach((ps, i) => {
    if (processServers.has(ps.host)) fail(`scout.processServers[${i}].host`, `duplicate process server "${ps.host}"`);
    processServers.add(ps.host);
    hostOfKind(ps.host, 'process-server', `scout.processServers[${i}].host`, 'process server');
  });
  const masterTargets = new Map<string, MasterTargetSpec>();
  scout.masterTargets.forEach((mt, i) => {
    if (masterTargets.has(mt.host)) fail(`scout.masterTargets[${i}].host`, `duplicate master target "${mt.host}"`);
    masterTargets.set(mt.host, mt);
    hostOfKind(mt.host, 'master-target', `scout.masterTargets[${i}].host`, 'master target');
    const own = mt.ownDisks ?? MT_OWN_DISKS_DEFAULT;
    if (!Number.isInteger(own) || own < 1 || own >= MT_DISKS_MAX) fail(`scout.masterTargets[${i}].ownDisks`, `must be an integer from 1 to ${MT_DISKS_MAX - 1}, got ${own}`);
    checkOperationalConstraints(mt, `scout.masterTargets[${i}]`, fail);
  });

  const vms = new Map(topology.vms.map((vm) => [vm.id, vm]));
  const diskLoad = new Map<string, number>();
  const mtOfVm = new Map<string, string>();
  scout.protections.forEach((p, i) => {
    const field = `scout.protections[${i}]`;
    const vm = vms.get(p.vm);
    if (vm === undefined) return fail(`${field}.vm`, `unknown VM "${p.vm}"${nearMiss(p.vm, vms.keys())}`);
    if (mtOfVm.has(p.vm)) return fail(`${field}.vm`, `"${p.vm}" is protected twice: a source replicates to exactly one master target (already "${mtOfVm.get(p.vm)}")`);
    if (!processServers.has(p.processServer)) fail(`${field}.processServer`, `unknown process server "${p.processServer}"${nearMiss(p.processServer, processServers)}`);
    else if (siteRole(p.processServer) !== siteRole(vm.host)) fail(`${field}.processServer`, `process server "${p.processServer}" is not at the site of ${p.vm}'s host "${vm.host}"`);
    const mt = masterTargets.get(p.masterTarget);
    if (mt === undefined) return fail(`${field}.masterTarget`, `unknown master target "${p.masterTarget}"${nearMiss(p.masterTarget, masterTargets.keys())}`);
    mtOfVm.set(p.vm, p.masterTarget);
    if (siteRole(p.masterTarget) === siteRole(vm.host)) fail(`${field}.masterTarget`, `master target "${p.masterTarget}" is at the same site as ${p.vm}'s host "${vm.host}"`);
    if (mt.osFamily !== vm.osFamily) fail(`${field}.masterTarget`, `master target "${p.masterTarget}" runs ${mt.osFamily} but ${p.vm} runs ${vm.osFamily}: the OS families must match`);
    diskLoad.set(p.masterTarget, (diskLoad.get(p.masterTarget) ?? 0) + vm.disks.length);
  });
  scout.masterTargets.forEach((mt, i) => checkDiskSlots(mt, diskLoad.get(mt.host) ?? 0, `scout.masterTargets[${i}]`, fail));

  scout.groups.forEach((group, i) => {
    const targets = new Set<string>();
    group.vms.forEach((vm, j) => {
      const mt = mtOfVm.get(vm);
      if (mt === undefined) fail(`scout.groups[${i}].vms[${j}]`, `"${vm}" is in replication group "${group.id}" but is not protected`);
      else targets.add(mt);
    });
    if (targets.size > 1) fail(`scout.groups[${i}]`, `replication group "${group.id}" spans master targets ${[...targets].map((t) => `"${t}"`).join(', ')}: a group must be on one master target`);
  });

  if (scout.failbackWanted) checkFailback(topology, masterTargets, processServers, siteRole, fail);
  return errors;
}

/** Rule 25: the master target VM must have no snapshots, stay out of Storage vMotion, use an LSI
 *  Logic controller, have disk.EnableUUID on and reach a VMFS datastore. */
function checkOperationalConstraints(mt: MasterTargetSpec, field: string, fail: (field: string, message: string) => void): void {
  const name = `master target "${mt.host}"`;
  if (mt.hasSnapshots === true) fail(`${field}.hasSnapshots`, `${name} has snapshots: a master target must have none (its replica disks are attached to it)`);
  if (mt.storageVMotion === true) fail(`${field}.storageVMotion`, `${name} allows Storage vMotion: a master target must not be moved by it (it would move the replica disks)`);
  const controller = mt.scsiController ?? 'lsi-logic';
  if (controller !== 'lsi-logic' && controller !== 'lsi-logic-sas') fail(`${field}.scsiController`, `${name} uses a ${controller} SCSI controller: a master target supports LSI Logic only`);
  if (mt.diskEnableUuid === false) fail(`${field}.diskEnableUuid`, `${name} has disk.EnableUUID off: a master target needs it on`);
  const datastores = mt.vmfsDatastores ?? 1;
  if (!Number.isInteger(datastores) || datastores < 1) fail(`${field}.vmfsDatastores`, `${name} reaches no VMFS datastore: a master target needs at least one (got ${datastores})`);
}

function checkDiskSlots(mt: MasterTargetSpec, protectedDisks: number, field: string, fail: (field: string, message: string) => void): void {
  const own = mt.ownDisks ?? MT_OWN_DISKS_DEFAULT;
  const total = protectedDisks + own;
  if (total > MT_DISKS_MAX) {
    fail(field, `master target "${mt.host}" would hold ${total} disks (${protectedDisks} protected + ${own} of its own); a master target holds at most ${MT_DISKS_MAX}`);
  }
}

function checkFailback(
  topology: ScoutTopology,
  masterTargets: ReadonlyMap<string, MasterTargetSpec>,
  processServers: ReadonlySet<string>,
  siteRole: (hostId: string) => string | undefined,
  fail: (field: string, message: string) => void,
): void {
  const failback = topology.scout.failback;
  if (failback === undefined) return fail('scout.failback', 'failback is wanted but no master target at the primary site is named: failback needs one (and a process server on the DR side)');
  const mt = masterTargets.get(failback.masterTarget);
  if (mt === undefined) fail('scout.failback.masterTarget', `unknown master target "${failback.masterTarget}"${nearMiss(failback.masterTarget, masterTargets.keys())}`);
  else if (siteRole(failback.masterTarget) !== 'primary') fail('scout.failback.masterTarget', `master target "${failback.masterTarget}" is not at the primary site: failback needs a master target there`);
  if (!processServers.has(failback.processServer)) fail('scout.failback.processServer', `unknown process server "${failback.processServer}"${nearMiss(failback.processServer, processServers)}`);
  else if (siteRole(failback.processServer) !== 'secondary') fail('scout.failback.processServer', `process server "${failback.processServer}" is not on the DR side: failback needs a process server there`);
  if (mt === undefined) return;
  const vms = new Map(topology.vms.map((vm) => [vm.id, vm]));
  let disks = 0;
  for (const p of topology.scout.protections) {
    const vm = vms.get(p.vm);
    if (vm === undefined) continue;
    disks += vm.disks.length;
    if (vm.osFamily !== mt.osFamily) fail('scout.failback.masterTarget', `master target "${mt.host}" runs ${mt.osFamily} but ${vm.id} (failing back to it) runs ${vm.osFamily}`);
  }
  checkDiskSlots(mt, disks, 'scout.failback.masterTarget', fail);
}
