// The simulated network: nodes placed in sites, a LAN per site, WAN links between sites. It
// implements the Transport port (`endpoint(nodeId, service)`).
//
// Fault model: frames are unreliable datagrams. A frame between two nodes of one site crosses
// the site's LAN (one shared FIFO: the switch fabric modelled as a single segment); between
// sites it crosses the one WAN link joining them, and with no such link the send is refused
// ('no-route'). Each link direction is a FIFO with bandwidth, latency and jitter, and suffers the
// faults its link is given (link.ts, link-direction.ts): loss, duplication, reordering,
// corruption, clogging, throttling. Sites can be partitioned from each other, both ways or one
// way; a LAN cannot be partitioned. A down node sends nothing ('host-down', reported through
// `done` as a later event) and receives nothing: frames reaching it are dropped. Every fault
// takes effect at once and has an undo. Sending to a node that does not exist is 'no-route';
// sending to a service nobody listens on is accepted and dropped on arrival.
//
// Determinism: each link draws from its own stream forked from the network's stream by its id,
// and every delivery is a kernel event labelled `net:${linkId}:deliver` whose digest folds the
// frame's size, sender and addressee into the trace hash.
import { assert, digestValue, fold32, foldNumber, micros, type Duration, type Instant } from '../../model/index.js';
import type { Frame, SendResult, Transport } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import { ratio as makeRatio, type RandomStream, type Ratio } from '../random.js';
import { SimEndpoint, type Destination, type FrameRouter, type NodeState, type Route } from './endpoint.js';
import { Link, type LinkKind } from './link.js';
import { DROP_CAUSES, type DirectionName, type DropCause, type LinkDirection } from './link-direction.js';
import type { ThrottleWindow } from './throttle-schedule.js';

export interface LanConfig {
  readonly bandwidthBitsPerSecond: number;
  readonly latency: Duration;
  readonly jitter: Duration;
}

export interface LinkConfig extends LanConfig {
  readonly id: string;
  readonly siteA: string;
  readonly siteB: string;
}

export type PartitionDirection = 'both' | 'a-to-b' | 'b-to-a';

export type SendRefusal = 'host-down' | 'no-route';

export const LAN_DEFAULT: LanConfig = Object.freeze({
  bandwidthBitsPerSecond: 10_000_000_000,
  latency: micros(100),
  jitter: micros(20),
});

/** The link id of a site's LAN. */
export const lanId = (siteId: string): string => `lan:${siteId}`;

export interface DirectionSnapshot {
  readonly linkId: string;
  readonly kind: LinkKind;
  readonly direction: DirectionName;
  readonly fromSite: string;
  readonly toSite: string;
  readonly bandwidthBitsPerSecond: number;
  readonly clogged: boolean;
  readonly partitioned: boolean;
  readonly bytesSent: number;
  readonly framesSent: number;
  readonly bytesDelivered: number;
  readonly framesDelivered: number;
  readonly framesDuplicated: number;
  readonly framesReordered: number;
  readonly framesCorrupted: number;
  readonly framesHeld: number;
  readonly framesDropped: Readonly<Record<DropCause, number>>;
  readonly queueBytes: number;
  readonly queueBytesMax: number;
  readonly queueFrames: number;
  readonly busyMicros: number;
  /** Busy fraction since instant 0. */
  readonly utilisation: number;
}

export interface NetworkSnapshot {
  readonly time: Instant;
  readonly directions: readonly DirectionSnapshot[];
  readonly sendsRefused: Readonly<Record<SendRefusal, number>>;
}

interface Site {
  readonly siteId: string;
  readonly lan: Link;
}

export class Network implements FrameRouter {
  private readonly sites = new Map<string, Site>();
  private readonly nodes = new Map<string, NodeState>();
  private readonly links = new Map<string, Link>();
  /** WAN links by `${siteA}\n${siteB}` in both orders. */
  private readonly linksBetween = new Map<string, Link>();
  private readonly endpoints = new Map<string, SimEndpoint>();
  private readonly destinations = new Map<string, Destination>();
  private readonly refusals: Record<SendRefusal, number> = { 'host-down': 0, 'no-route': 0 };
  private topologyVersion = 0;
  private readonly refusedLabel: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly random: RandomStream,
  ) {
    this.refusedLabel = kernel.labelId('net:send-refused');
  }

  // -------------------------------------------------------------------------------------------
  // Topology

  /** Sets a site's LAN (creating the site if needed); frames not yet transmitting are affected. */
  setLan(siteId: string, config: LanConfig): void {
    this.site(siteId).lan.configure(config);
    this.invariants();
  }

  addNode(nodeId: string, siteId: string): void {
    assert(nodeId.length > 0 && !nodeId.includes('/'), `addNode: node id '${nodeId}' must be non-empty and contain no '/'`);
    assert(!this.nodes.has(nodeId), `addNode: node ${nodeId} already exists`);
    this.site(siteId);
    this.nodes.set(nodeId, { nodeId, siteId, up: true });
    this.topologyVersion++;
  }

  addLink(config: LinkConfig): void {
    assert(!this.links.has(config.id) && !config.id.startsWith('lan:'), `addLink: link id '${config.id}' is taken or reserved`);
    assert(config.siteA !== config.siteB, `addLink: link ${config.id} must join two different sites`);
    assert(!this.linksBetween.has(pairKey(config.siteA, config.siteB)), `addLink: sites ${config.siteA} and ${config.siteB} are already linked`);
    this.site(config.siteA);
    this.site(config.siteB);
    const link = new Link(this.kernel, config.id, 'wan', config.siteA, config.siteB, config, this.random.fork(`link:${config.id}`));
    this.links.set(config.id, link);
    this.linksBetween.set(pairKey(config.siteA, config.siteB), link);
    this.linksBetween.set(pairKey(config.siteB, config.siteA), link);
    this.topologyVersion++;
    this.invariants();
  }

  /** The Transport of `service` on `nodeId`; asking twice gives the same endpoint. */
  endpoint(nodeId: string, service: string): Transport {
    const node = this.nodes.get(nodeId);
    assert(node !== undefined, `endpoint: unknown node ${nodeId}`);
    assert(service.length > 0, 'endpoint: service name must not be empty');
    const address = `${nodeId}/${service}`;
    let endpoint = this.endpoints.get(address);
    if (endpoint === undefined) {
      const destination = this.destination(address);
      assert(destination !== null, `endpoint: ${address} has no destination`);
      endpoint = new SimEndpoint(this, node, address, destination.digest);
      destination.endpoint = endpoint;
      this.endpoints.set(address, endpoint);
    }
    return endpoint;
  }

  /** Link ids, WAN links first in creation order, then each site's LAN. */
  linkIds(): string[] {
    return [...this.links.keys(), ...[...this.sites.values()].map((site) => site.lan.id)];
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  setNodeUp(nodeId: string, up: boolean): void {
    const node = this.nodes.get(nodeId);
    assert(node !== undefined, `setNodeUp: unknown node ${nodeId}`);
    node.up = up;
  }

  isNodeUp(nodeId: string): boolean {
    const node = this.nodes.get(nodeId);
    assert(node !== undefined, `isNodeUp: unknown node ${nodeId}`);
    return node.up;
  }

  /** Drops frames between two linked sites: both ways, or only from `siteA` to `siteB` ('a-to-b'). */
  partition(siteA: string, siteB: string, direction: PartitionDirection = 'both'): void {
    const link = this.wanBetween(siteA, siteB);
    if (direction !== 'b-to-a') link.direction(siteA, siteB).partitioned = true;
    if (direction !== 'a-to-b') link.direction(siteB, siteA).partitioned = true;
    this.invariants();
  }

  /** Lifts every partition between the two sites. */
  heal(siteA: string, siteB: string): void {
    const link = this.wanBetween(siteA, siteB);
    for (const d of link.directions) d.partitioned = false;
    this.invariants();
  }

  clog(linkId: string): void {
    this.link(linkId).clog();
    this.invariants();
  }

  unclog(linkId: string): void {
    this.link(linkId).unclog();
    this.invariants();
  }

  setLoss(linkId: string, probability: Ratio): void {
    this.link(linkId).loss = checkedRatio(probability);
    this.invariants();
  }

  setDuplication(linkId: string, probability: Ratio): void {
    this.link(linkId).duplication = checkedRatio(probability);
    this.invariants();
  }

  /** Delays a `probability` share of frames by an extra uniform [1, extraDelayMax], out of order. */
  setReordering(linkId: string, probability: Ratio, extraDelayMax: Duration): void {
    assert(Number.isInteger(extraDelayMax) && extraDelayMax >= 0, 'setReordering: extraDelayMax must be whole microseconds');
    assert(probability.numerator === 0 || extraDelayMax >= 1, 'setReordering: reordering needs extraDelayMax >= 1us');
    const link = this.link(linkId);
    link.reordering = checkedRatio(probability);
    link.reorderDelayMax = extraDelayMax;
    this.invariants();
  }

  setCorruption(linkId: string, probability: Ratio): void {
    this.link(linkId).corruption = checkedRatio(probability);
    this.invariants();
  }

  /** Sets the link's base bandwidth (a throttle window in force still overrides it). */
  setBandwidth(linkId: string, bitsPerSecond: number): void {
    this.link(linkId).setBandwidth(bitsPerSecond);
    this.invariants();
  }

  /** Replaces the link's daily throttle schedule; `[]` removes it. The schedule keeps a kernel
   *  event pending at its next boundary, so a run with one must be bounded by time. */
  throttleSchedule(linkId: string, windows: readonly ThrottleWindow[]): void {
    this.link(linkId).setThrottleSchedule(windows);
    this.invariants();
  }

  /** Bandwidth frames starting now are charged at. */
  bandwidthOf(linkId: string): number {
    return this.link(linkId).bandwidth;
  }

  // -------------------------------------------------------------------------------------------
  // Statistics

  /** Busy fraction of [since, now]; the busier direction unless one is named. */
  utilisation(linkId: string, sinceInstant: Instant | number = 0, direction?: DirectionName): number {
    const link = this.link(linkId);
    if (direction !== undefined) return link.directionNamed(direction).utilisation(sinceInstant);
    let busiest = 0;
    for (const d of link.directions) busiest = Math.max(busiest, d.utilisation(sinceInstant));
    return busiest;
  }

  /** The counters of one direction of a link (a LAN has the single direction 'lan'). */
  stats(linkId: string, direction: DirectionName): DirectionSnapshot {
    return directionSnapshot(this.link(linkId).directionNamed(direction));
  }

  snapshot(): NetworkSnapshot {
    const directions: DirectionSnapshot[] = [];
    for (const id of this.linkIds()) for (const d of this.link(id).directions) directions.push(directionSnapshot(d));
    return { time: this.kernel.now(), directions, sendsRefused: { ...this.refusals } };
  }

  invariants(): void {
    for (const node of this.nodes.values()) assert(this.sites.has(node.siteId), `network: node ${node.nodeId} in unknown site ${node.siteId}`);
    for (const link of this.links.values()) {
      assert(this.linksBetween.get(pairKey(link.siteA, link.siteB)) === link, `network: link ${link.id} not indexed by its sites`);
      assert(this.linksBetween.get(pairKey(link.siteB, link.siteA)) === link, `network: link ${link.id} not indexed by its sites`);
      link.invariants();
    }
    assert(this.linksBetween.size === 2 * this.links.size, 'network: stale entries in the site-pair index');
    for (const site of this.sites.values()) site.lan.invariants();
    for (const [address, endpoint] of this.endpoints) assert(this.destinations.get(address)?.endpoint === endpoint, `network: endpoint ${address} unreachable`);
  }

  // -------------------------------------------------------------------------------------------
  // Sending (FrameRouter, called by endpoints)

  route(from: SimEndpoint, to: string, frame: Frame, done: ((result: SendResult) => void) | undefined): void {
    if (!(Number.isInteger(frame.sizeBytes) && frame.sizeBytes >= 0)) assert(false, `send: frame size must be whole non-negative bytes, got ${frame.sizeBytes}`);
    if (!from.node.up) {
      this.refuse('host-down', done);
      return;
    }
    const route = this.routeOf(from, to);
    if (route === null) {
      this.refuse('no-route', done);
      return;
    }
    const digest = fold32(foldNumber(from.digest, frame.sizeBytes), route.destination.digest);
    route.direction.accept({ from, to: route.destination, frame, done, digest });
  }

  private refuse(reason: SendRefusal, done: ((result: SendResult) => void) | undefined): void {
    this.refusals[reason]++;
    if (done === undefined) return;
    const result: SendResult = { ok: false, reason };
    this.kernel.schedule(0, this.refusedLabel, () => done(result), reason === 'host-down' ? 1 : 2);
  }

  private routeOf(from: SimEndpoint, to: string): Route | null {
    if (from.routesVersion !== this.topologyVersion) {
      from.routes.clear();
      from.routesVersion = this.topologyVersion;
    }
    let route = from.routes.get(to);
    if (route === undefined) {
      route = this.resolve(from.node, to);
      from.routes.set(to, route);
    }
    return route;
  }

  private resolve(fromNode: NodeState, to: string): Route | null {
    const destination = this.destination(to);
    if (destination === null) return null;
    const toSite = destination.node.siteId;
    if (toSite === fromNode.siteId) return { destination, direction: this.site(toSite).lan.directions[0] };
    const link = this.linksBetween.get(pairKey(fromNode.siteId, toSite));
    if (link === undefined) return null;
    return { destination, direction: link.direction(fromNode.siteId, toSite) };
  }

  /** The destination record of `address`, or null when it names no known node. */
  private destination(address: string): Destination | null {
    const known = this.destinations.get(address);
    if (known !== undefined) return known;
    const slash = address.indexOf('/');
    if (slash <= 0 || slash === address.length - 1) return null;
    const node = this.nodes.get(address.slice(0, slash));
    if (node === undefined) return null;
    const destination: Destination = { address, node, digest: digestValue(address), endpoint: null };
    this.destinations.set(address, destination);
    return destination;
  }

  private site(siteId: string): Site {
    let site = this.sites.get(siteId);
    if (site === undefined) {
      assert(siteId.length > 0, 'network: site id must not be empty');
      const lan = new Link(this.kernel, lanId(siteId), 'lan', siteId, siteId, LAN_DEFAULT, this.random.fork(lanId(siteId)));
      site = { siteId, lan };
      this.sites.set(siteId, site);
      this.topologyVersion++;
    }
    return site;
  }

  private link(linkId: string): Link {
    const link = this.links.get(linkId) ?? (linkId.startsWith('lan:') ? this.sites.get(linkId.slice(4))?.lan : undefined);
    assert(link !== undefined, `network: unknown link ${linkId}`);
    return link;
  }

  private wanBetween(siteA: string, siteB: string): Link {
    assert(siteA !== siteB, `partition: a LAN cannot be partitioned (site ${siteA}); take the node down instead`);
    const link = this.linksBetween.get(pairKey(siteA, siteB));
    assert(link !== undefined, `partition: no link between ${siteA} and ${siteB}`);
    return link;
  }
}

function pairKey(siteA: string, siteB: string): string {
  return `${siteA}\n${siteB}`;
}

function checkedRatio(probability: Ratio): Ratio {
  return makeRatio(probability.numerator, probability.denominator);
}

function directionSnapshot(d: LinkDirection): DirectionSnapshot {
  const c = d.counters;
  const framesDropped = {} as Record<DropCause, number>;
  for (const cause of DROP_CAUSES) framesDropped[cause] = c.framesDropped[cause];
  return {
    linkId: d.link.id,
    kind: d.link.kind,
    direction: d.name,
    fromSite: d.fromSite,
    toSite: d.toSite,
    bandwidthBitsPerSecond: d.link.bandwidth,
    clogged: d.link.clogged,
    partitioned: d.partitioned,
    bytesSent: c.bytesSent,
    framesSent: c.framesSent,
    bytesDelivered: c.bytesDelivered,
    framesDelivered: c.framesDelivered,
    framesDuplicated: c.framesDuplicated,
    framesReordered: c.framesReordered,
    framesCorrupted: c.framesCorrupted,
    framesHeld: c.framesHeld,
    framesDropped,
    queueBytes: d.queueBytes,
    queueBytesMax: d.queueBytesMax,
    queueFrames: d.queueFrames,
    busyMicros: d.busyMicros(),
    utilisation: d.utilisation(0),
  };
}
