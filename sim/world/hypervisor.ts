// The Hypervisor port of one host (Hyper-V): which VMs run here (the protected guest, or a stale
// copy of it started after an unplanned failover), clean shutdown and start, VSS.
//
// Fault model: operations on a host that is down fail with host-down; completions are guarded
// by the host's power epoch, so a crash in the middle of an operation drops its answer.
import type { BlockDevice, Hypervisor, VmPowerResult } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { VirtualHost } from '../host/host.js';
import type { Guest } from './guest.js';

/** How long a guest OS takes to shut down or boot once its disks are quiet. */
export const GUEST_POWER_DELAY = 5_000_000;

export class SimHypervisor implements Hypervisor {
  constructor(
    private readonly kernel: Kernel,
    private readonly host: VirtualHost,
    private readonly guests: ReadonlyMap<string, Guest>,
    private readonly disksHere: (vmId: string) => readonly string[],
    private readonly testVms: {
      start(vmId: string, hostId: string, disks: readonly BlockDevice[]): boolean;
      stop(vmId: string): void;
      /** A stale copy of the VM (split brain) runs on this host. */
      staleCopyHere(vmId: string): boolean;
      stopStaleCopy(vmId: string): void;
    },
  ) {}

  startTestVm(vmId: string, disks: readonly BlockDevice[], _network: 'none' | 'isolated', done: (result: VmPowerResult) => void): void {
    const answer = this.host.guard(done);
    if (!this.guests.has(vmId)) return this.later(() => answer({ ok: false, reason: 'unknown-vm' }));
    this.kernel.schedule(GUEST_POWER_DELAY, 'hypervisor:test-vm-boot', () => {
      if (this.host.state !== 'on') return;
      answer(this.testVms.start(vmId, this.host.hostId, disks) ? { ok: true } : { ok: false, reason: 'unknown-vm' });
    });
  }

  deleteTestVm(vmId: string, done: (result: VmPowerResult) => void): void {
    const answer = this.host.guard(done);
    this.testVms.stop(vmId);
    this.later(() => answer({ ok: true }));
  }

  isRunning(vmId: string): boolean {
    return this.host.state === 'on' && (this.guests.get(vmId)?.runningOn === this.host.hostId || this.testVms.staleCopyHere(vmId));
  }

  isGuestWriting(vmId: string): boolean {
    const guest = this.guests.get(vmId);
    if (this.host.state !== 'on' || guest === undefined) return false;
    return guest.runningOn === this.host.hostId || guest.drainingOn === this.host.hostId || this.testVms.staleCopyHere(vmId);
  }

  shutdown(vmId: string, done: (result: VmPowerResult) => void): void {
    const answer = this.host.guard(done);
    const guest = this.guests.get(vmId);
    if (guest === undefined) return this.later(() => answer({ ok: false, reason: 'unknown-vm' }));
    if (this.testVms.staleCopyHere(vmId)) {
      this.testVms.stopStaleCopy(vmId);
      this.kernel.schedule(GUEST_POWER_DELAY, 'hypervisor:vm-off', () => answer({ ok: true }));
      return;
    }
    if (guest.runningOn !== this.host.hostId) return this.later(() => answer({ ok: true }));
    guest.shutdown(() => this.kernel.schedule(GUEST_POWER_DELAY, 'hypervisor:vm-off', () => answer({ ok: true })));
  }

  start(vmId: string, done: (result: VmPowerResult) => void): void {
    const answer = this.host.guard(done);
    const guest = this.guests.get(vmId);
    if (guest === undefined) return this.later(() => answer({ ok: false, reason: 'unknown-vm' }));
    if (this.disksHere(vmId).length === 0) return this.later(() => answer({ ok: false, reason: 'no-disks' }));
    this.kernel.schedule(GUEST_POWER_DELAY, 'hypervisor:vm-boot', () => {
      if (this.host.state !== 'on') return;
      if (guest.runningOn !== this.host.hostId) {
        if (guest.runningOn !== null) return answer({ ok: false, reason: 'unknown-vm' });
        guest.start(this.host.hostId);
      }
      answer({ ok: true });
    });
  }

  quiesce(vmId: string, done: (ok: boolean) => void): void {
    const answer = this.host.guard(done);
    const guest = this.guests.get(vmId);
    if (guest === undefined || guest.runningOn !== this.host.hostId) return this.later(() => answer(false));
    guest.quiesce(answer);
  }

  thaw(vmId: string): void {
    const guest = this.guests.get(vmId);
    if (guest !== undefined && guest.runningOn === this.host.hostId) guest.thaw();
  }

  diskIds(vmId: string): readonly string[] {
    return this.disksHere(vmId);
  }

  private later(fn: () => void): void {
    this.kernel.schedule(0, 'hypervisor:answer', fn);
  }
}
