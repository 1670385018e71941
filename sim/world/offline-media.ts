// Offline media: disks exported to removable media at one site and imported at another after a
// shipping delay (Hyper-V Replica initial replication by offline media, DOMAIN.md rule 2).
//
// Fault model: a courier never loses or damages media (the product does not claim to tolerate
// that); a package that reaches a host that is down waits at its door and is delivered when the
// host is up again.
import type { Duration } from '../../model/index.js';
import type { OfflineMedia } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { VirtualHost } from '../host/host.js';

export const MEDIA_REDELIVERY_INTERVAL = 3_600_000_000;

export class Couriers {
  private readonly handlers = new Map<string, (label: string, contents: unknown) => void>();

  constructor(
    private readonly kernel: Kernel,
    private readonly hosts: ReadonlyMap<string, VirtualHost>,
  ) {}

  /** The OfflineMedia port of one host, for the service epoch `host.guard` binds. */
  portFor(host: VirtualHost): OfflineMedia {
    return {
      ship: (toHost, label, contents, delay: Duration, done) => {
        const answer = host.guard(done);
        if (!this.hosts.has(toHost)) {
          this.kernel.schedule(0, 'media:refused', () => answer({ ok: false }));
          return;
        }
        this.kernel.schedule(0, 'media:handed-over', () => answer({ ok: true }));
        this.kernel.schedule(delay, 'media:arrives', () => this.deliver(toHost, label, contents));
      },
      onArrival: (handler) => {
        this.handlers.set(host.hostId, host.guard(handler));
      },
    };
  }

  private deliver(hostId: string, label: string, contents: unknown): void {
    const handler = this.handlers.get(hostId);
    if (this.hosts.get(hostId)!.state !== 'on' || handler === undefined) {
      this.kernel.schedule(MEDIA_REDELIVERY_INTERVAL, 'media:redelivery', () => this.deliver(hostId, label, contents));
      return;
    }
    handler(label, contents);
  }
}
