// A network endpoint: the Transport port of one service on one node (`${nodeId}/${service}`).
//
// Fault model: the endpoint adds none; every loss, delay and damage belongs to the links the
// network routes its frames over. The endpoint keeps the single receive handler and a cache of
// routes, so that a send does not parse addresses or look up sites on the hot path.
import type { Frame, SendResult, Transport } from '../../engine/ports.js';
import type { LinkDirection } from './link-direction.js';

/** A host attached to the network. */
export interface NodeState {
  readonly nodeId: string;
  readonly siteId: string;
  up: boolean;
}

/** An address frames can be sent to: a service on a known node, whether or not it listens yet. */
export interface Destination {
  readonly address: string;
  readonly node: NodeState;
  /** Digest of the address, folded into the trace digest of every frame sent to it. */
  readonly digest: number;
  endpoint: SimEndpoint | null;
}

/** Where a frame from one endpoint to one address goes: its destination and the link direction. */
export interface Route {
  readonly destination: Destination;
  readonly direction: LinkDirection;
}

/** What an endpoint hands its frames to. */
export interface FrameRouter {
  route(from: SimEndpoint, to: string, frame: Frame, done: ((result: SendResult) => void) | undefined): void;
}

export type ReceiveHandler = (from: string, frame: Frame) => void;

export class SimEndpoint implements Transport {
  handler: ReceiveHandler | null = null;
  /** Routes by destination address; valid while `routesVersion` matches the topology's version. */
  readonly routes = new Map<string, Route | null>();
  routesVersion = -1;

  constructor(
    private readonly router: FrameRouter,
    readonly node: NodeState,
    readonly address: string,
    readonly digest: number,
  ) {}

  send(to: string, frame: Frame, done?: (result: SendResult) => void): void {
    this.router.route(this, to, frame, done);
  }

  onReceive(handler: ReceiveHandler): void {
    this.handler = handler;
  }
}
