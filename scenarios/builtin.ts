// The built-in demonstration suite `lab run` runs with no arguments: a few catalogue scenarios
// that show the product's promises in a couple of minutes.
export const BUILTIN_SUITE: readonly string[] = [
  // zero loss across planned failover, reverse replication and failback
  'planned-failover-and-failback',
  // bounded loss after losing the primary site, then re-protection the other way
  'unplanned-failover-latest-point',
  // logs outgrow half the VHD size during a WAN outage: resync repairs the replica
  'resync-after-log-overflow',
  // corrupted frames are caught by checksums and resent, never applied
  'wan-corruption',
  // forbidden operations are refused and change nothing
  'operator-mistakes-refused',
  // a random swarm of tolerated faults on both sites
  'random-fault-swarm',
];

/** The catalogue folder, relative to the repository root. */
export const CATALOGUE_DIR = 'scenarios/catalogue';
