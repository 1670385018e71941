// The Scout unified agent service of one ESXi host (or physical server, or master target: the
// agent is on every protected machine and every master target, rule 16). It owns one transport
// endpoint, runs one AgentPair per protected machine that runs here, answers the configuration
// server's requests (protect, pause, resync, tags, power), and persists each pair's config so
// that after a crash it comes back and resynchronises: its in-memory buffer and bitmap are gone,
// which is the "forced shutdown" resync trigger (rule 22).
import type { Frame, HyperVHostPorts, ManagedService, Transport } from '../../ports.js';
import { open, seal } from '../../data-plane/envelope.js';
import { readStates } from '../../data-plane/persisted-states.js';
import { AgentPair, type AgentPairConfig } from './agent-pair.js';
import type { ScoutMessage } from './messages.js';
import { SCOUT_AGENT_SERVICE, SCOUT_MT_SERVICE, SCOUT_PS_SERVICE, type AgentRequest, type ScoutResponse } from './requests.js';

const STATE_DIR = '/scout-ua';
const encoder = new TextEncoder();

interface PersistedPair {
  readonly config: AgentPairConfig;
  readonly generation: number;
  readonly paused: boolean;
}

export class UnifiedAgentService implements ManagedService {
  private readonly pairs = new Map<string, AgentPair>();
  private readonly transport: Transport;
  private booted = false;
  private readonly waitingForBoot: Array<() => void> = [];

  constructor(private readonly ports: HyperVHostPorts) {
    this.transport = ports.transport(SCOUT_AGENT_SERVICE);
    this.transport.onReceive((from, frame) => this.onFrame(from, frame));
    this.boot();
  }

  static address(hostId: string): string {
    return `${hostId}/${SCOUT_AGENT_SERVICE}`;
  }

  private boot(): void {
    readStates<PersistedPair>(this.ports.fs, STATE_DIR, (state) => this.restore(state), () => {
      this.booted = true;
      for (const waiting of this.waitingForBoot.splice(0)) waiting();
    });
  }

  /** The buffer and bitmap died with the host: the pair comes back with a full resync. */
  private restore(state: PersistedPair): void {
    const pair = this.makePair(state.config, state.generation);
    this.pairs.set(state.config.vmId, pair);
    this.ports.tracer.mark('agent-pair-restored');
    pair.start('restored', state.paused);
  }

  private makePair(config: AgentPairConfig, generation: number): AgentPair {
    const ports = this.ports;
    const psAddress = `${config.processServer}/${SCOUT_PS_SERVICE}`;
    const sealFor = (message: ScoutMessage, bytes: number): Frame => seal(ports.codec, config.vmId, config.epoch, message, bytes);
    let pair: AgentPair | null = null;
    pair = new AgentPair(
      {
        ports,
        seal: sealFor,
        transmit: (frame, left) => this.transport.send(psAddress, frame, () => left()),
        sendToProcessServer: (message, bytes) => this.transport.send(psAddress, sealFor(message, bytes)),
        persist: (gen) => this.write({ config, generation: gen, paused: pair?.paused ?? false }),
        quiesce: (done) => ports.hypervisor.quiesce(config.vmId, done),
        thaw: () => ports.hypervisor.thaw(config.vmId),
      },
      config,
      generation,
    );
    return pair;
  }

  private onFrame(from: string, frame: Frame): void {
    const opened = open<ScoutMessage>(this.ports.codec, frame);
    if (!opened.ok) {
      this.ports.tracer.mark(`frame-rejected-${opened.reason}`);
      return;
    }
    const { pairing, epoch, message } = opened.envelope;
    const pair = this.pairs.get(pairing);
    const peers = pair === undefined ? [] : [`${pair.config.processServer}/${SCOUT_PS_SERVICE}`, `${pair.config.masterTarget}/${SCOUT_MT_SERVICE}`];
    if (pair === undefined || !peers.includes(from)) {
      this.ports.tracer.mark('frame-rejected-foreign');
      return;
    }
    if (epoch !== pair.config.epoch) {
      this.ports.tracer.mark('frame-rejected-stale');
      return;
    }
    pair.receive(message);
  }

  handleRequest(request: unknown, done: (response: unknown) => void): void {
    if (!this.booted) {
      this.waitingForBoot.push(() => this.handleRequest(request, done));
      return;
    }
    this.handle(request as AgentRequest, done as (response: ScoutResponse) => void);
  }

  private handle(request: AgentRequest, done: (response: ScoutResponse) => void): void {
    const hypervisor = this.ports.hypervisor;
    switch (request.op) {
      case 'protect': {
        const diskIds = hypervisor.diskIds(request.vmId);
        if (diskIds.length === 0) return done({ ok: false, error: `${this.ports.hostId} holds no disks of ${request.vmId}` });
        const config: AgentPairConfig = { vmId: request.vmId, epoch: request.epoch, processServer: request.processServer, masterTarget: request.masterTarget, policy: request.policy, diskIds };
        this.pairs.get(request.vmId)?.stop();
        const pair = this.makePair(config, 1);
        this.pairs.set(request.vmId, pair);
        this.write({ config, generation: 1, paused: request.paused ?? false }, () => {
          if (this.pairs.get(request.vmId) !== pair) return done({ ok: false, error: 'replaced while starting' });
          pair.start(request.start, request.paused ?? false);
          done({ ok: true });
        });
        return;
      }
      case 'status-all':
        return done({ ok: true, value: [...this.pairs.values()].map((p) => p.status()) });
      case 'pause':
        return done(this.withPair(request.vmId, (p) => p.pause(), true));
      case 'resume':
        return done(this.withPair(request.vmId, (p) => p.resume(), false));
      case 'start-resync':
        return done(this.withPair(request.vmId, (p) => {
          if (request.forced) p.forceResync();
          if (p.currentPhase === 'streaming') p.requireFullResync(request.reason);
          else if (p.currentPhase === 'bitmap') p.resume();
        }));
      case 'disk-resized':
        this.ports.tracer.mark('resync-trigger:disk-resize');
        return done(this.withPair(request.vmId, (p) => p.requireFullResync('disk-resize')));
      case 'prepare-planned-failover': {
        const pair = this.pairs.get(request.vmId);
        if (pair === undefined) return done({ ok: false, error: `${request.vmId} is not protected from ${this.ports.hostId}` });
        if (hypervisor.isRunning(request.vmId)) return done({ ok: false, error: 'the source machine is running: shut it down first' });
        this.ports.tracer.mark('planned-failover-final-sync');
        pair.drainWithFinalTag(`final-e${pair.config.epoch}`, (result) => done(result.ok ? { ok: true, value: { tag: `final-e${pair.config.epoch}`, at: result.at } } : result));
        return;
      }
      case 'remove': {
        this.pairs.get(request.vmId)?.stop();
        this.pairs.delete(request.vmId);
        this.ports.fs.remove(this.statePath(request.vmId), () => done({ ok: true }));
        return;
      }
      case 'quiesce':
        return hypervisor.quiesce(request.vmId, (ok) => done(ok ? { ok: true } : { ok: false, error: `the quiesce of ${request.vmId} failed` }));
      case 'tag': {
        const pair = this.pairs.get(request.vmId);
        if (pair === undefined) return done({ ok: false, error: `${request.vmId} is not protected from ${this.ports.hostId}` });
        const at = this.ports.clock.now();
        return done(pair.tag(request.name, request.tagKind) ? { ok: true, value: at } : { ok: false, error: `${request.vmId} cannot take a tag while ${pair.status().phase}` });
      }
      case 'thaw':
        hypervisor.thaw(request.vmId);
        return done({ ok: true });
      case 'shutdown-vm':
        return hypervisor.shutdown(request.vmId, (r) => done(r.ok ? { ok: true } : { ok: false, error: r.reason }));
      case 'start-vm':
        return hypervisor.start(request.vmId, (r) => done(r.ok ? { ok: true } : { ok: false, error: r.reason }));
      case 'vm-running':
        return done({ ok: true, value: hypervisor.isRunning(request.vmId) });
    }
  }

  private withPair(vmId: string, act: (pair: AgentPair) => void, persistPause?: boolean): ScoutResponse {
    const pair = this.pairs.get(vmId);
    if (pair === undefined) return { ok: false, error: `${vmId} is not protected from ${this.ports.hostId}` };
    act(pair);
    if (persistPause !== undefined) this.write({ config: pair.config, generation: pair.status().generation, paused: persistPause });
    return { ok: true };
  }

  private write(state: PersistedPair, done?: () => void): void {
    const path = this.statePath(state.config.vmId);
    this.ports.fs.writeFile(path, encoder.encode(JSON.stringify(state)), (written) => {
      if (!written.ok) {
        this.ports.tracer.mark('agent-persist-failed');
        return done?.();
      }
      this.ports.fs.sync(path, () => done?.());
    });
  }

  private statePath(vmId: string): string {
    return `${STATE_DIR}/${vmId}.json`;
  }

  stop(): void {
    for (const pair of this.pairs.values()) pair.stop();
  }

  pairOf(vmId: string): AgentPair | undefined {
    return this.pairs.get(vmId);
  }
}
