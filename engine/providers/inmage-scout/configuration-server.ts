// The Scout configuration server's registry and monitoring (DOMAIN.md rules 16, 19, 23; numbers
// table row 32): the agents, process servers and master targets it knows, the pairs and their
// states (resync, differential, bitmap, paused), each pair's RPO (an alert when it crosses the
// threshold; replication itself is continuous), and each server's health by the published
// thresholds. It learns everything from the status its control plane polls through the
// management channel; a status poll that succeeds is a heartbeat.
//
// In this lab the configuration server's state lives with the control plane, which never
// crashes (as the Site Recovery vault for Hyper-V Replica); its host exists in the topology so
// validation can place it at the secondary site.
import { minutes, type Duration, type Instant } from '../../../model/index.js';
import type { ProcessServerStatus } from './process-server.js';

export type PairState = 'resync' | 'differential' | 'bitmap' | 'paused' | 'unknown';
export type HealthLevel = 'normal' | 'warning' | 'critical';
export type ServerRole = 'agent' | 'process-server' | 'master-target';

/** Process-server alert thresholds (numbers table row 32). */
export const PS_THRESHOLDS = {
  cpuWarning: 0.8,
  cpuCritical: 0.95,
  memoryWarning: 0.8,
  memoryCritical: 0.95,
  cacheFreeWarning: 0.3,
  cacheFreeCritical: 0.25,
  backlogWarning: minutes(30),
  backlogCritical: minutes(45),
  heartbeat: minutes(15),
} as const;

export interface PairRecord {
  readonly vmId: string;
  agentHost: string;
  processServer: string;
  masterTarget: string;
  state: PairState;
  /** Time since the newest consistent instant the master target holds; null before the first. */
  rpoMicros: number | null;
  rpoAlert: boolean;
}

export interface ServerRecord {
  readonly host: string;
  readonly role: ServerRole;
  lastHeartbeat: Instant | null;
  level: HealthLevel;
  reasons: string[];
}

export interface Alert {
  readonly at: Instant;
  readonly subject: string;
  readonly kind: string;
  readonly message: string;
}

export function evaluateProcessServerHealth(status: ProcessServerStatus | null, lastHeartbeat: Instant | null, now: Instant): { level: HealthLevel; reasons: string[] } {
  const critical: string[] = [];
  const warning: string[] = [];
  const t = PS_THRESHOLDS;
  if (lastHeartbeat === null || now - lastHeartbeat > t.heartbeat) critical.push('no heartbeat for 15 minutes');
  if (status !== null) {
    const grade = (value: number, warn: number, crit: number, what: string, above: boolean) => {
      const over = (limit: number) => (above ? value > limit : value < limit);
      if (over(crit)) critical.push(what);
      else if (over(warn)) warning.push(what);
    };
    grade(status.cpuUtilisation, t.cpuWarning, t.cpuCritical, `CPU ${(status.cpuUtilisation * 100).toFixed(0)}%`, true);
    grade(status.memoryUtilisation, t.memoryWarning, t.memoryCritical, `memory ${(status.memoryUtilisation * 100).toFixed(0)}%`, true);
    grade(status.cacheFreeFraction, t.cacheFreeWarning, t.cacheFreeCritical, `cache free ${(status.cacheFreeFraction * 100).toFixed(0)}%`, false);
    grade(status.backlogMicros, t.backlogWarning, t.backlogCritical, `backlog ${Math.round(status.backlogMicros / 60e6)} min`, true);
  }
  if (critical.length > 0) return { level: 'critical', reasons: critical };
  if (warning.length > 0) return { level: 'warning', reasons: warning };
  return { level: 'normal', reasons: [] };
}

export class ConfigurationServer {
  private readonly pairRecords = new Map<string, PairRecord>();
  private readonly servers = new Map<string, ServerRecord>();
  private readonly psStatus = new Map<string, ProcessServerStatus>();
  readonly alerts: Alert[] = [];

  registerServer(host: string, role: ServerRole): void {
    if (!this.servers.has(`${role}:${host}`)) this.servers.set(`${role}:${host}`, { host, role, lastHeartbeat: null, level: 'normal', reasons: [] });
  }

  registerPair(vmId: string, agentHost: string, processServer: string, masterTarget: string): void {
    this.registerServer(agentHost, 'agent');
    this.registerServer(processServer, 'process-server');
    this.registerServer(masterTarget, 'master-target');
    const record = this.pairRecords.get(vmId);
    if (record === undefined) {
      this.pairRecords.set(vmId, { vmId, agentHost, processServer, masterTarget, state: 'resync', rpoMicros: null, rpoAlert: false });
      return;
    }
    record.agentHost = agentHost;
    record.processServer = processServer;
    record.masterTarget = masterTarget;
    record.state = 'resync';
    record.rpoMicros = null;
  }

  heartbeat(host: string, role: ServerRole, now: Instant): void {
    this.registerServer(host, role);
    this.servers.get(`${role}:${host}`)!.lastHeartbeat = now;
  }

  observeProcessServer(status: ProcessServerStatus): void {
    this.psStatus.set(status.host, status);
  }

  /** Updates a pair from its agent's phase and its master target's newest consistent instant. */
  observePair(vmId: string, agentPhase: string | null, latestConsistentAt: number | null, now: Instant, rpoThreshold: Duration): void {
    const record = this.pairRecords.get(vmId);
    if (record === undefined) return;
    record.state = agentPhase === 'streaming' ? (latestConsistentAt === null ? 'resync' : 'differential') : agentPhase === 'bitmap' ? 'bitmap' : agentPhase === 'paused' ? 'paused' : agentPhase === 'resyncing' ? 'resync' : 'unknown';
    record.rpoMicros = latestConsistentAt === null ? null : Math.max(0, now - latestConsistentAt);
    const over = record.rpoMicros !== null && record.rpoMicros > rpoThreshold;
    if (over && !record.rpoAlert) this.alerts.push({ at: now, subject: vmId, kind: 'rpo-threshold', message: `RPO of ${vmId} is ${Math.round(record.rpoMicros! / 60e6)} min, above the ${Math.round(rpoThreshold / 60e6)} min threshold` });
    record.rpoAlert = over;
  }

  /** Re-grades every server (heartbeats and process-server thresholds). */
  evaluate(now: Instant): void {
    for (const server of this.servers.values()) {
      const before = server.level;
      const graded =
        server.role === 'process-server'
          ? evaluateProcessServerHealth(this.psStatus.get(server.host) ?? null, server.lastHeartbeat, now)
          : server.lastHeartbeat === null || now - server.lastHeartbeat > PS_THRESHOLDS.heartbeat
            ? { level: 'critical' as const, reasons: ['no heartbeat for 15 minutes'] }
            : { level: 'normal' as const, reasons: [] };
      server.level = graded.level;
      server.reasons = graded.reasons;
      if (graded.level !== before && graded.level !== 'normal') this.alerts.push({ at: now, subject: server.host, kind: `${server.role}-${graded.level}`, message: graded.reasons.join('; ') });
    }
  }

  pair(vmId: string): PairRecord | undefined {
    return this.pairRecords.get(vmId);
  }

  pairs(): readonly PairRecord[] {
    return [...this.pairRecords.values()];
  }

  health(host: string, role: ServerRole): ServerRecord | undefined {
    return this.servers.get(`${role}:${host}`);
  }

  processServerStatus(host: string): ProcessServerStatus | undefined {
    return this.psStatus.get(host);
  }
}
