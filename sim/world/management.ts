// The ManagementChannel port: the control plane's requests to engine services on hosts (VMM and
// the Site Recovery provider talking to Hyper-V hosts). It is separate from the data network.
//
// Fault model: a request to a host that is down, or that goes down before answering, fails
// with host-down; a request never gets two answers; latency is a small constant.
import type { ManagedService, ManagementChannel, ManagementResult } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { VirtualHost } from '../host/host.js';

export const MANAGEMENT_LATENCY = 2_000;

interface Pending {
  readonly hostId: string;
  answered: boolean;
  readonly done: (result: ManagementResult) => void;
}

export class SimManagementChannel implements ManagementChannel {
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: ReadonlyMap<string, VirtualHost>,
  ) {
    for (const host of hosts.values()) {
      host.onPowerChange((state) => {
        if (state === 'off') this.failPending(host.hostId);
      });
    }
  }

  request(hostId: string, service: string, request: unknown, done: (result: ManagementResult) => void): void {
    const entry: Pending = { hostId, answered: false, done };
    this.pending.add(entry);
    this.kernel.schedule(MANAGEMENT_LATENCY, 'management:request', () => {
      const host = this.hosts.get(hostId);
      if (host === undefined) return this.answer(entry, { ok: false, reason: 'no-service' });
      if (host.state !== 'on') return this.answer(entry, { ok: false, reason: 'host-down' });
      const instance = host.service(service) as ManagedService | undefined;
      if (instance === undefined || typeof instance.handleRequest !== 'function') return this.answer(entry, { ok: false, reason: 'no-service' });
      instance.handleRequest(
        request,
        host.guard((response: unknown) => this.kernel.schedule(MANAGEMENT_LATENCY, 'management:response', () => this.answer(entry, { ok: true, value: response }))),
      );
    });
  }

  private failPending(hostId: string): void {
    for (const entry of this.pending) {
      if (entry.hostId === hostId) this.kernel.schedule(0, 'management:host-down', () => this.answer(entry, { ok: false, reason: 'host-down' }));
    }
  }

  private answer(entry: Pending, result: ManagementResult): void {
    if (entry.answered) return;
    entry.answered = true;
    this.pending.delete(entry);
    entry.done(result);
  }
}
