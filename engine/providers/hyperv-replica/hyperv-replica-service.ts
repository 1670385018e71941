// The Hyper-V Replica service of one Hyper-V host: the primary server for VMs running here and
// the replica server for VMs replicated here (a host plays both roles, and a failover swaps
// them). It owns one transport endpoint, authenticates every frame against the pairing it
// claims (peer address and epoch), persists each session's state on the host volume, and
// rebuilds its sessions from that state when the host boots again.
import { assert } from '../../../model/index.js';
import type { Frame, HyperVHostPorts, ManagedService, Transport } from '../../ports.js';
import { open, seal } from '../../data-plane/envelope.js';
import { readStates } from '../../data-plane/persisted-states.js';
import { plantedBugs } from '../../planted-bugs.js';
import type { HvrMessage } from './messages.js';
import { PrimarySession } from './primary-session.js';
import { ReplicaSession } from './replica-session.js';
import type { MediaContents } from './bulk-copy.js';
import { HVR_SERVICE, type HvrRequest, type HvrResponse } from './requests.js';
import type { PersistedSession, SessionConfig, SessionContext } from './session-context.js';

const STATE_DIR = '/hvr';
const encoder = new TextEncoder();

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

type Session = PrimarySession | ReplicaSession;

export class HyperVReplicaService implements ManagedService {
  private readonly sessions = new Map<string, Session>();
  /** `{"config":<the config's JSON>,` of each session config, encoded. */
  private readonly configJson = new WeakMap<SessionConfig, Uint8Array>();
  private readonly transport: Transport;
  private booted = false;
  private readonly waitingForBoot: Array<() => void> = [];

  constructor(private readonly ports: HyperVHostPorts) {
    this.transport = ports.transport(HVR_SERVICE);
    this.transport.onReceive((from, frame) => this.onFrame(from, frame));
    ports.media.onArrival((_label, contents) => {
      const media = contents as MediaContents;
      const session = this.sessions.get(media.vmId);
      if (session instanceof ReplicaSession) session.importMedia(media);
      else this.ports.tracer.mark('offline-media-unclaimed');
    });
    this.boot();
  }

  static address(hostId: string): string {
    return `${hostId}/${HVR_SERVICE}`;
  }

  // --- boot: rebuild sessions from the host volume ---------------------------------------------

  private boot(): void {
    readStates<PersistedSession>(this.ports.fs, STATE_DIR, (state) => this.restore(state), () => {
      this.booted = true;
      for (const waiting of this.waitingForBoot.splice(0)) waiting();
    });
  }

  private restore(state: PersistedSession): void {
    const ctx = this.contextFor(state.config);
    if (state.role === 'primary') {
      const session = new PrimarySession(ctx, state.config, { kind: 'restored', state });
      this.sessions.set(state.config.vmId, session);
      session.start();
      this.ports.tracer.mark('primary-session-restored');
    } else {
      this.sessions.set(state.config.vmId, new ReplicaSession(ctx, state.config, state));
      this.ports.tracer.mark('replica-session-restored');
    }
  }

  // --- frames ----------------------------------------------------------------------------------

  private onFrame(from: string, frame: Frame): void {
    const opened = open<HvrMessage>(this.ports.codec, frame);
    if (!opened.ok) {
      this.ports.tracer.mark(`frame-rejected-${opened.reason}`);
      return;
    }
    const { pairing, epoch, message } = opened.envelope;
    const session = this.sessions.get(pairing);
    if (session === undefined || session.config.peer !== from) {
      this.ports.tracer.mark('frame-rejected-foreign');
      return;
    }
    if (epoch !== session.config.epoch && !plantedBugs.has('accept-stale-message')) {
      this.ports.tracer.mark('frame-rejected-stale');
      return;
    }
    session.receive(message);
  }

  // --- management ------------------------------------------------------------------------------

  handleRequest(request: unknown, done: (response: unknown) => void): void {
    if (!this.booted) {
      this.waitingForBoot.push(() => this.handleRequest(request, done));
      return;
    }
    this.handle(request as HvrRequest, done as (response: HvrResponse) => void);
  }

  private handle(request: HvrRequest, done: (response: HvrResponse) => void): void {
    const hypervisor = this.ports.hypervisor;
    switch (request.op) {
      case 'enable-primary': {
        const config = this.configFor(request.vmId, request.peerHost, request.epoch, request.policy);
        const session = new PrimarySession(this.contextFor(config), config, request.start);
        this.replace(request.vmId, session);
        session.start(() => done({ ok: true }));
        return;
      }
      case 'enable-replica': {
        // Split-brain guard: a VM running here (its old copy, started again after an unplanned
        // failover) writes to the disks a replica would overwrite. The operator shuts it down first.
        if (this.ports.hypervisor.isRunning(request.vmId)) {
          this.ports.tracer.mark('reverse-refused-old-primary-running');
          return done({ ok: false, error: `${request.vmId} is running on ${this.ports.hostId}: shut it down before it becomes a replica` });
        }
        const config = this.configFor(request.vmId, request.peerHost, request.epoch, request.policy);
        const inSync = request.inSyncAt !== undefined;
        const session = new ReplicaSession(
          this.contextFor(config),
          config,
          inSync ? { role: 'replica', config, appliedSeq: 0, appliedCut: request.inSyncAt!, generation: 0, bulkComplete: true, applyingSeq: null } : undefined,
        );
        this.replace(request.vmId, session);
        this.persistNow(session, inSync, done);
        return;
      }
      case 'status': {
        const session = this.sessions.get(request.vmId);
        if (session === undefined) return done({ ok: false, error: `no replication of ${request.vmId} on ${this.ports.hostId}` });
        return done({ ok: true, value: { role: session instanceof PrimarySession ? 'primary' : 'replica', ...session.status } });
      }
      case 'start-resync':
        return done(this.withPrimary(request.vmId, (s) => s.startResync()));
      case 'pause':
        return done(this.withPrimary(request.vmId, (s) => s.pause()));
      case 'resume':
        return done(this.withPrimary(request.vmId, (s) => s.resume()));
      case 'prepare-planned-failover': {
        const session = this.sessions.get(request.vmId);
        if (!(session instanceof PrimarySession)) return done({ ok: false, error: `${request.vmId} is not a primary here` });
        session.prepareForPlannedFailover((result) => done(result.ok ? { ok: true, value: result.finalCut } : result));
        return;
      }
      case 'failover': {
        const session = this.sessions.get(request.vmId);
        if (!(session instanceof ReplicaSession)) return done({ ok: false, error: `${request.vmId} is not a replica here` });
        session.failover(request.pointId, request.discardable === true, (result) => done(result.ok ? { ok: true, value: result.point } : result));
        return;
      }
      case 'commit-failover': {
        const session = this.sessions.get(request.vmId);
        // After a planned failover this host already runs the reverse primary: nothing to merge.
        if (session instanceof PrimarySession) return done({ ok: true });
        if (session === undefined) return done({ ok: false, error: `no replication of ${request.vmId} on ${this.ports.hostId}` });
        return done(session.commitFailover());
      }
      case 'cancel-failover': {
        const session = this.sessions.get(request.vmId);
        if (!(session instanceof ReplicaSession)) return done({ ok: false, error: `${request.vmId} has no failed-over replica here` });
        session.cancelFailover(done);
        return;
      }
      case 'cancel-resync':
        return done(this.withPrimary(request.vmId, (s) => s.cancelResync()));
      case 'test-failover': {
        const session = this.sessions.get(request.vmId);
        if (!(session instanceof ReplicaSession)) return done({ ok: false, error: `${request.vmId} has no replica here` });
        session.startTest(request.pointId, request.network, (result) => done(result.ok ? { ok: true, value: result.point } : result));
        return;
      }
      case 'test-cleanup': {
        const session = this.sessions.get(request.vmId);
        if (!(session instanceof ReplicaSession)) return done({ ok: false, error: `${request.vmId} has no replica here` });
        session.cleanupTest(done);
        return;
      }
      case 'remove': {
        const session = this.sessions.get(request.vmId);
        session?.stop();
        this.sessions.delete(request.vmId);
        this.ports.fs.remove(this.statePath(request.vmId), () => done({ ok: true }));
        return;
      }
      case 'shutdown-vm':
        return hypervisor.shutdown(request.vmId, (r) => done(r.ok ? { ok: true } : { ok: false, error: r.reason }));
      case 'start-vm':
        return hypervisor.start(request.vmId, (r) => done(r.ok ? { ok: true } : { ok: false, error: r.reason }));
      case 'vm-running':
        return done({ ok: true, value: hypervisor.isRunning(request.vmId) });
    }
  }

  private withPrimary(vmId: string, act: (session: PrimarySession) => { ok: true } | { ok: false; error: string }): HvrResponse {
    const session = this.sessions.get(vmId);
    if (!(session instanceof PrimarySession)) return { ok: false, error: `${vmId} is not replicated from ${this.ports.hostId}` };
    return act(session);
  }

  private replace(vmId: string, session: Session): void {
    this.sessions.get(vmId)?.stop();
    this.sessions.set(vmId, session);
  }

  private persistNow(session: ReplicaSession, inSync: boolean, done: (response: HvrResponse) => void): void {
    const s = session.status;
    const state: PersistedSession = {
      role: 'replica',
      config: session.config,
      appliedSeq: s.appliedSeq,
      appliedCut: s.appliedCut,
      generation: s.generation,
      bulkComplete: inSync,
      applyingSeq: null,
    };
    this.write(state, (ok) => done(ok ? { ok: true } : { ok: false, error: 'could not persist the replica state' }));
  }

  // --- session plumbing ------------------------------------------------------------------------

  private configFor(vmId: string, peerHost: string, epoch: number, policy: SessionConfig['policy']): SessionConfig {
    const diskCount = this.ports.hypervisor.diskIds(vmId).length;
    assert(diskCount > 0, `${this.ports.hostId} holds no disks of ${vmId}`);
    return { vmId, epoch, peer: HyperVReplicaService.address(peerHost), peerHost, policy, diskCount };
  }

  private contextFor(config: SessionConfig): SessionContext {
    const ports = this.ports;
    const diskIds = ports.hypervisor.diskIds(config.vmId);
    return {
      ports,
      seal: (message, payloadBytes) => seal(ports.codec, config.vmId, config.epoch, message, payloadBytes),
      sendToPeer: (frame, left) => this.transport.send(config.peer, frame, left === undefined ? undefined : () => left()),
      persist: (state, done) => this.write(state, done),
      device: (index) => ports.device(diskIds[index]),
    };
  }

  private write(state: PersistedSession, done: (ok: boolean) => void): void {
    const path = this.statePath(state.config.vmId);
    this.ports.fs.writeFile(path, this.serialise(state), (written) => {
      if (!written.ok) return done(false);
      this.ports.fs.sync(path, (synced) => done(synced.ok));
    });
  }

  /** JSON of a session state, as UTF-8. A replica writes its state twice per applied log: the
   *  session's config (the larger part, fixed for the session's life) is serialised and encoded
   *  once, and the rest (numbers, flags, short ASCII words) is copied in byte by byte. */
  private serialise(state: PersistedSession): Uint8Array {
    let head = this.configJson.get(state.config);
    if (head === undefined) {
      head = encoder.encode(`{"config":${JSON.stringify(state.config)},`);
      this.configJson.set(state.config, head);
    }
    const { config: _config, ...rest } = state;
    const progress = JSON.stringify(rest).slice(1); // without its opening brace
    if (progress === '}' || !isAscii(progress)) return encoder.encode(JSON.stringify(state));
    const bytes = new Uint8Array(head.length + progress.length);
    bytes.set(head);
    for (let i = 0; i < progress.length; i++) bytes[head.length + i] = progress.charCodeAt(i);
    return bytes;
  }

  private statePath(vmId: string): string {
    return `${STATE_DIR}/${vmId}.json`;
  }

  stop(): void {
    for (const session of this.sessions.values()) session.stop();
  }

  sessionOf(vmId: string): Session | undefined {
    return this.sessions.get(vmId);
  }
}
