// Shared helpers of the Scout engine tests: a small two-site lab and oracle checks.
import { DEFAULT_SCOUT_POLICY, MiB, minutes, type Instant, type ScoutPolicy } from '../../model/index.js';
import { buildScoutLab, twoSiteScout, type ScoutLab, type TwoSiteScoutOptions } from '../../scenarios/scout-lab.js';
import { workloadProfile } from '../../sim/index.js';
import { contentOf } from '../../scenarios/checkers/image-match.js';

export function smallScoutLab(seed: number, overrides: Partial<TwoSiteScoutOptions> = {}, policy: Partial<ScoutPolicy> = {}): ScoutLab {
  return buildScoutLab({
    seed,
    topology: twoSiteScout({ vmCount: 2, disksPerVm: 2, diskSizeBytes: 64 * MiB, diskUsedBytes: 16 * MiB, failback: true, ...overrides }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 2 * 1024 * MiB, diurnal: 'flat', writeSizeMix: [{ sizeBytes: 4096, weight: 3 }, { sizeBytes: 65536, weight: 1 }] }),
    tick: minutes(1),
    policy: { ...DEFAULT_SCOUT_POLICY, ...policy },
  });
}

export const advance = (l: ScoutLab, span: number): void => {
  l.world.run((l.world.now() + span) as Instant);
};

/** Runs until the master target holds no half-applied batch of `vmId` (at most 10 minutes). */
export function settle(l: ScoutLab, vmId: string, mtHost: string): void {
  for (let i = 0; i < 600; i++) {
    const status = l.masterTargets.get(mtHost)!.statusOf(vmId);
    if (status !== null && !status.applying) return;
    advance(l, 1_000_000);
  }
}

/** The replica of `vmId` on `host` equals the source image at `at` (or the microsecond before). */
export function replicaEqualsSourceAt(l: ScoutLab, vmId: string, host: string, at: number): boolean {
  const guest = l.world.guest(vmId);
  return [at, at - 1, at + 1].some((t) => guest.truths.every((truth, i) => l.world.disk(vmId, i, host).imageHash() === truth.oracle.imageHashAt(t)));
}

/** The copy of `vmId` on `host` equals everything its guest wrote (no acknowledged write lost). */
export function equalsGuestNow(l: ScoutLab, vmId: string, host: string): boolean {
  const guest = l.world.guest(vmId);
  return guest.truths.every((truth, i) => l.world.disk(vmId, i, host).imageHash() === truth.imageHash());
}

/** Captures, at the moment a machine boots on another host, its disk hashes there and what its
 *  guest had written; then the guest's truth becomes the image it booted from (an unplanned
 *  failover rolls it back), as the scenario runner does. */
export function hashesAtBoot(l: ScoutLab, vmId: string): { host: string | null; hashes: string[]; truth: string[] } {
  const seen: { host: string | null; hashes: string[]; truth: string[] } = { host: null, hashes: [], truth: [] };
  l.world.guest(vmId).onStart = (guest, host, previous) => {
    if (previous === null || previous === host) return;
    seen.host = host;
    seen.hashes = guest.truths.map((_, i) => l.world.disk(vmId, i, host).imageHash());
    seen.truth = guest.truths.map((t) => t.imageHash());
    guest.truths.forEach((truth, i) => truth.rebase(l.world.now(), contentOf(l.world.disk(vmId, i, host))));
  };
  return seen;
}
