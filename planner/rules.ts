// The published numbers the planner sizes with, one constant each, with the row of the numbers
// table in DOMAIN.md section 4 that states it. Everything the planner derives is built from these
// and from the workload file; a number that is an assumption rather than a publication says so.
import { MT_DISKS_MAX, MT_OWN_DISKS_DEFAULT } from '../model/index.js';

/** Row 20: a master target holds at most 60 disks, its own OS and retention disks included. */
export const MASTER_TARGET_DISK_SLOTS = MT_DISKS_MAX;
/** Row 20 (derived): an OS disk and a retention disk, so 58 protected disks per master target. */
export const MASTER_TARGET_OWN_DISKS_DEFAULT = MT_OWN_DISKS_DEFAULT;
/** Row 23: the master target writes twice per source write (read old data into retention, write new). */
export const TARGET_WRITE_AMPLIFICATION = 2;
/** Row 24 (Azure disk numbers): one retention drive serves 500 IOPS. */
export const RETENTION_DRIVE_IOPS = 500;
/**
 * Assumption, not published: the retention volume of one master target, 10 drives of 1 TiB at
 * 500 IOPS each (row 24's drive). A workload file should state its own storage.
 */
export const RETENTION_VOLUME_BYTES_DEFAULT = 10 * 1024 ** 4;
export const RETENTION_VOLUME_IOPS_DEFAULT = 10 * RETENTION_DRIVE_IOPS;

/** Row 27: a scale-out process server (current tier) carries at most 2 TB of churn a day. */
export const PROCESS_SERVER_CHURN_PER_DAY_MAX = 2e12;
/** Row 27: machines per scale-out process server by size. */
export const PROCESS_SERVER_TIERS_CURRENT = [
  { vcpus: 4, machinesMax: 85 },
  { vcpus: 8, machinesMax: 150 },
  { vcpus: 12, machinesMax: 225 },
] as const;
/** Row 25 (legacy InMage): at most 1 TB a day; 4/8/12 vCPU for <300 GB, 300-600 GB, 0.6-1 TB a day. */
export const PROCESS_SERVER_CHURN_PER_DAY_MAX_LEGACY = 1e12;
export const PROCESS_SERVER_TIERS_LEGACY = [
  { vcpus: 4, churnPerDayMax: 300e9, cacheBytes: 300e9 },
  { vcpus: 8, churnPerDayMax: 600e9, cacheBytes: 600e9 },
  { vcpus: 12, churnPerDayMax: 1e12, cacheBytes: 1e12 },
] as const;
/** Row 30: a process-server cache disk of at least 600 GB is recommended. */
export const PROCESS_SERVER_CACHE_MIN_BYTES = 600e9;
/** Row 32: the cache raises a warning below 30% free, so a planned backlog fills at most 70%. */
export const PROCESS_SERVER_CACHE_FREE_WARN = 0.3;

/** Row 28: with scale-out process servers one configuration server serves at most 650 machines. */
export const CONFIGURATION_SERVER_MACHINES_MAX = 650;
/** Row 29 (legacy InMage): one configuration server serves at most 100 sources. */
export const CONFIGURATION_SERVER_MACHINES_MAX_LEGACY = 100;

/** Row 35: Scout supports more than 10 MB/s per disk and 25 MB/s per machine; above that, warn. */
export const SCOUT_CHURN_PER_DISK_WARN_BYTES_PER_SECOND = 10e6;
export const SCOUT_CHURN_PER_MACHINE_WARN_BYTES_PER_SECOND = 25e6;

/** Row 14: ASR VMM to VMM protects at most 16 virtual disks per VM. */
export const HYPERV_DISKS_PER_VM_MAX = 16;
/** Row 4: Hyper-V Replica resynchronises once the logs exceed 50% of the VM's VHD size. */
export const HYPERV_RESYNC_LOG_FRACTION = 0.5;
/** Row 5: initial replication may need free space of up to 100% of the VHD size. */
export const HYPERV_IR_FREE_FRACTION = 1;
/** Row 6: delta replication may need free space of up to 50% of the VHD size. */
export const HYPERV_DELTA_FREE_FRACTION = 0.5;

/** Row 39: Deployment Planner defaults. */
export const GROWTH_DEFAULT = 0.3;
export const PERCENTILE_DEFAULT = 95;
export const INITIAL_REPLICATION_GOAL_DEFAULT_SECONDS = 72 * 3600;
export const RPO_TARGET_DEFAULT_SECONDS = 15 * 60;
/** Row 38: the failback policy keeps 24 h of retention. */
export const FAILBACK_RETENTION_SECONDS = 24 * 3600;
/** Rows 18 and 26: the process server compresses by about 30%. */
export const COMPRESSION_DEFAULT = 0.3;

export const SECONDS_PER_DAY = 86_400;
export const MINUTES_PER_DAY = 1_440;
