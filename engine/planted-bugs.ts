// Planted bugs for the harness's self-test (issue: verification, point 6). Each is a deliberate
// defect the property suites must catch. The set is empty in every normal run; only test code
// switches one on, through engine/testing.ts (not exported from engine/index.ts).

export const PLANTED_BUGS = [
  /** Planned failover proceeds without shipping the final log. */
  'skip-final-log-on-planned-failover',
  /** The replica applies a log's chunks in the order they arrived, not in log order. */
  'apply-logs-out-of-order',
  /** Writes made while initial replication runs are not tracked. */
  'untracked-writes-during-initial-replication',
  /** Recovery points survive a resync although they no longer match the replica. */
  'keep-recovery-points-after-resync',
  /** Reverse replication copies from the old primary to the new one. */
  'reverse-replication-wrong-direction',
  /** A message from a previous pairing epoch is accepted. */
  'accept-stale-message',
  /** Scout: the unified agent loses one captured write in a thousand. */
  'scout-agent-drops-write',
  /** Scout: a planned failover does not ship the final tag and the writes before it. */
  'scout-skip-final-drain',
  /** Scout: the master target does not save old data to the retention journal before overwriting. */
  'scout-skip-retention-undo',
  /** Scout: the master target acknowledges a batch before its writes are durable. */
  'scout-ack-before-flush',
] as const;

export type PlantedBug = (typeof PLANTED_BUGS)[number];

const enabled = new Set<PlantedBug>();

export const plantedBugs = {
  has(bug: PlantedBug): boolean {
    return enabled.size !== 0 && enabled.has(bug);
  },
};

/** For engine/testing.ts only. */
export function setPlantedBug(bug: PlantedBug | null): void {
  enabled.clear();
  if (bug !== null) enabled.add(bug);
}
