import { describe, expect, it } from 'vitest';
import { GiB, MiB, validateScoutTopology, type ScoutTopology } from '../../model/index.js';
import { buildScoutLab, InvalidScoutTopology, twoSiteScout } from '../../scenarios/scout-lab.js';
import { workloadProfile } from '../../sim/index.js';

const base = (vmCount: number, disksPerVm = 3, failback = false) =>
  twoSiteScout({ vmCount, disksPerVm, diskSizeBytes: 100 * GiB, diskUsedBytes: 10 * GiB, disksPerMasterTarget: 1000, failback });

describe('Scout topology validation (DOMAIN.md rules 16-17)', () => {
  it('accepts 58 protected disks on a master target with its 2 own disks (60 in all)', () => {
    expect(validateScoutTopology(twoSiteScout({ vmCount: 29, disksPerVm: 2, diskSizeBytes: GiB, diskUsedBytes: 0 }))).toEqual([]);
  });

  it('rejects 61 disks on one master target with a message that names it and the counts', () => {
    const topology = twoSiteScout({ vmCount: 59, disksPerVm: 1, diskSizeBytes: GiB, diskUsedBytes: 0, disksPerMasterTarget: 59 });
    const errors = validateScoutTopology(topology);
    expect(errors).toEqual([
      { field: 'topology.scout.masterTargets[0]', message: 'master target "mt-b1" would hold 61 disks (59 protected + 2 of its own); a master target holds at most 60' },
    ]);
    expect(() =>
      buildScoutLab({ seed: 1, topology, blockSizeBytes: MiB, workload: workloadProfile(), tick: 60_000_000 as never }),
    ).toThrow(/mt-b1.*61 disks/);
    expect(() => buildScoutLab({ seed: 1, topology, blockSizeBytes: MiB, workload: workloadProfile(), tick: 60_000_000 as never })).toThrow(InvalidScoutTopology);
  });

  it('counts a master target\u2019s own disks as configured', () => {
    const topology = base(19); // 57 disks
    const heavy: ScoutTopology = { ...topology, scout: { ...topology.scout, masterTargets: [{ ...topology.scout.masterTargets[0], ownDisks: 4 }] } };
    expect(validateScoutTopology(heavy)[0].message).toBe('master target "mt-b1" would hold 61 disks (57 protected + 4 of its own); a master target holds at most 60');
  });

  it('requires the master target\u2019s OS family to match its sources', () => {
    const topology = base(2);
    const linuxVm: ScoutTopology = { ...topology, vms: topology.vms.map((vm, i) => (i === 1 ? { ...vm, osFamily: 'linux' } : vm)) };
    expect(validateScoutTopology(linuxVm)).toEqual([
      { field: 'topology.scout.protections[1].masterTarget', message: 'master target "mt-b1" runs windows but vm2 runs linux: the OS families must match' },
    ]);
  });

  it('puts one source on one master target and a replication group on one master target', () => {
    const topology = twoSiteScout({ vmCount: 4, disksPerVm: 1, diskSizeBytes: GiB, diskUsedBytes: 0, masterTargets: 2, disksPerMasterTarget: 2 });
    const twice: ScoutTopology = { ...topology, scout: { ...topology.scout, protections: [...topology.scout.protections, { vm: 'vm1', processServer: 'ps-a1', masterTarget: 'mt-b2' }] } };
    expect(validateScoutTopology(twice).map((e) => e.message)).toEqual(['"vm1" is protected twice: a source replicates to exactly one master target (already "mt-b1")']);
    const spanning: ScoutTopology = { ...topology, scout: { ...topology.scout, groups: [{ id: 'erp', vms: ['vm2', 'vm3'] }] } };
    expect(validateScoutTopology(spanning).map((e) => e.message)).toEqual(['replication group "erp" spans master targets "mt-b1", "mt-b2": a group must be on one master target']);
  });

  it('refuses failback without a master target at the primary site', () => {
    const topology = base(2);
    const wanted: ScoutTopology = { ...topology, scout: { ...topology.scout, failbackWanted: true } };
    expect(validateScoutTopology(wanted).map((e) => e.message)).toEqual([
      'failback is wanted but no master target at the primary site is named: failback needs one (and a process server on the DR side)',
    ]);
    const wrongSite: ScoutTopology = { ...topology, scout: { ...topology.scout, failbackWanted: true, failback: { processServer: 'ps-a1', masterTarget: 'mt-b1' } } };
    expect(validateScoutTopology(wrongSite).map((e) => e.message)).toEqual([
      'master target "mt-b1" is not at the primary site: failback needs a master target there',
      'process server "ps-a1" is not on the DR side: failback needs a process server there',
    ]);
    expect(validateScoutTopology(base(2, 3, true))).toEqual([]);
  });

  it('places the configuration server and master targets at the secondary site', () => {
    const topology = base(1);
    const moved: ScoutTopology = { ...topology, hosts: topology.hosts.map((h) => (h.id === 'cs-b1' || h.id === 'mt-b1' ? { ...h, site: 'primary' } : h)) };
    expect(validateScoutTopology(moved).map((e) => e.message)).toEqual([
      'the configuration server "cs-b1" must be at the secondary site',
      'master target "mt-b1" is at the same site as vm1\'s host "esx-a1"',
    ]);
  });
});

describe('master target operational constraints (DOMAIN.md rule 25)', () => {
  const withMt = (settings: Partial<ScoutTopology['scout']['masterTargets'][number]>): ScoutTopology => {
    const topology = base(2, 1, true);
    return { ...topology, scout: { ...topology.scout, masterTargets: topology.scout.masterTargets.map((mt, i) => (i === 0 ? { ...mt, ...settings } : mt)) } };
  };

  it('accepts the supported settings, stated or left out', () => {
    expect(validateScoutTopology(base(2, 1, true))).toEqual([]);
    expect(validateScoutTopology(withMt({ hasSnapshots: false, storageVMotion: false, scsiController: 'lsi-logic-sas', diskEnableUuid: true, vmfsDatastores: 2 }))).toEqual([]);
  });

  it('rejects each unsupported setting with a message naming the master target', () => {
    const cases: Array<[Partial<ScoutTopology['scout']['masterTargets'][number]>, string, RegExp]> = [
      [{ hasSnapshots: true }, 'hasSnapshots', /master target "mt-b1" has snapshots/],
      [{ storageVMotion: true }, 'storageVMotion', /master target "mt-b1" allows Storage vMotion/],
      [{ scsiController: 'paravirtual' }, 'scsiController', /master target "mt-b1" uses a paravirtual SCSI controller: a master target supports LSI Logic only/],
      [{ diskEnableUuid: false }, 'diskEnableUuid', /master target "mt-b1" has disk.EnableUUID off/],
      [{ vmfsDatastores: 0 }, 'vmfsDatastores', /master target "mt-b1" reaches no VMFS datastore/],
    ];
    for (const [settings, field, message] of cases) {
      const errors = validateScoutTopology(withMt(settings));
      expect(errors).toHaveLength(1);
      expect(errors[0].field).toBe(`topology.scout.masterTargets[0].${field}`);
      expect(errors[0].message).toMatch(message);
    }
  });

  it('checks the primary-site master target failback uses too, and the lab refuses to build', () => {
    const topology = base(1, 1, true);
    const failbackMt: ScoutTopology = { ...topology, scout: { ...topology.scout, masterTargets: topology.scout.masterTargets.map((mt) => (mt.host === 'mt-a1' ? { ...mt, scsiController: 'buslogic' } : mt)) } };
    expect(validateScoutTopology(failbackMt).map((e) => e.message)).toEqual(['master target "mt-a1" uses a buslogic SCSI controller: a master target supports LSI Logic only']);
    expect(() => buildScoutLab({ seed: 1, topology: failbackMt, blockSizeBytes: MiB, workload: workloadProfile(), tick: 60_000_000 as never })).toThrow(/mt-a1.*LSI Logic/);
  });
});
