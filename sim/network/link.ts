// A network link: a WAN link between two sites (two directions) or a site's LAN (one shared
// direction), with the conditions the fault plan sets on it.
//
// Fault model: the conditions below apply to every frame that starts transmitting while they
// hold: loss, duplication, reordering and corruption with exact ratios drawn from the link's own
// stream; a clog holds frames (both directions) until it is lifted; bandwidth can be changed
// at once or by a daily throttle schedule, affecting frames that have not started transmitting.
// Partitions are per direction (see link-direction.ts). Latency and jitter are fixed properties
// of the link; jitter is uniform in [0, jitter].
import { assert, type Duration } from '../../model/index.js';
import { NEVER, type RandomStream, type Ratio } from '../random.js';
import type { EventHandle, Kernel } from '../kernel.js';
import { LinkDirection, type DirectionName } from './link-direction.js';
import { assertValidWindows, nextBoundaryAfter, windowAt, type ThrottleWindow } from './throttle-schedule.js';

export type LinkKind = 'wan' | 'lan';

export interface LinkSettings {
  readonly bandwidthBitsPerSecond: number;
  readonly latency: Duration;
  readonly jitter: Duration;
}

export class Link {
  readonly directions: readonly LinkDirection[];
  /** Bandwidth outside throttle windows (the configured or last set bandwidth). */
  baseBandwidth = 0;
  /** Bandwidth frames starting now are charged at. */
  bandwidth = 0;
  latency = 0;
  jitter = 0;
  clogged = false;
  loss: Ratio = NEVER;
  duplication: Ratio = NEVER;
  reordering: Ratio = NEVER;
  reorderDelayMax = 0;
  corruption: Ratio = NEVER;
  private throttleWindows: readonly ThrottleWindow[] = [];
  private throttleEvent: EventHandle | null = null;
  private readonly throttleLabel: number;

  constructor(
    private readonly kernel: Kernel,
    readonly id: string,
    readonly kind: LinkKind,
    readonly siteA: string,
    readonly siteB: string,
    settings: LinkSettings,
    readonly random: RandomStream,
  ) {
    assert(kind === 'lan' ? siteA === siteB : siteA !== siteB, `link ${id}: a WAN joins two sites, a LAN serves one`);
    this.configure(settings);
    this.directions =
      kind === 'lan'
        ? [new LinkDirection(kernel, this, 'lan', siteA, siteB)]
        : [new LinkDirection(kernel, this, 'a-to-b', siteA, siteB), new LinkDirection(kernel, this, 'b-to-a', siteB, siteA)];
    this.throttleLabel = kernel.labelId(`net:${id}:throttle`);
  }

  configure(settings: LinkSettings): void {
    assert(settings.bandwidthBitsPerSecond > 0, `link ${this.id}: bandwidth must be positive`);
    assert(Number.isInteger(settings.latency) && settings.latency >= 0, `link ${this.id}: latency must be whole non-negative microseconds`);
    assert(Number.isInteger(settings.jitter) && settings.jitter >= 0, `link ${this.id}: jitter must be whole non-negative microseconds`);
    this.latency = settings.latency;
    this.jitter = settings.jitter;
    this.setBandwidth(settings.bandwidthBitsPerSecond);
  }

  setBandwidth(bitsPerSecond: number): void {
    assert(bitsPerSecond > 0, `link ${this.id}: bandwidth must be positive`);
    this.baseBandwidth = bitsPerSecond;
    this.applyThrottle();
  }

  /** Replaces the daily throttle schedule; an empty list removes it. */
  setThrottleSchedule(windows: readonly ThrottleWindow[]): void {
    assertValidWindows(windows);
    if (this.throttleEvent !== null) this.kernel.cancel(this.throttleEvent);
    this.throttleEvent = null;
    this.throttleWindows = windows.map((window) => ({ ...window }));
    this.applyThrottle();
    this.scheduleThrottleBoundary();
  }

  clog(): void {
    this.clogged = true;
  }

  unclog(): void {
    this.clogged = false;
    for (const direction of this.directions) direction.resume();
  }

  /** The direction carrying frames from `fromSite` to `toSite`. */
  direction(fromSite: string, toSite: string): LinkDirection {
    const found = this.directions.find((d) => d.fromSite === fromSite && d.toSite === toSite);
    assert(found !== undefined, `link ${this.id} does not carry ${fromSite} to ${toSite}`);
    return found;
  }

  directionNamed(name: DirectionName): LinkDirection {
    const found = this.directions.find((d) => d.name === name);
    assert(found !== undefined, `link ${this.id} has no direction ${name}`);
    return found;
  }

  invariants(): void {
    assert(this.bandwidth > 0 && this.baseBandwidth > 0, `link ${this.id}: bandwidth must be positive`);
    assert(this.kind === 'wan' || this.directions.every((d) => !d.partitioned), `link ${this.id}: a LAN cannot be partitioned`);
    assert(this.reordering.numerator === 0 || this.reorderDelayMax >= 1, `link ${this.id}: reordering needs a positive extra delay`);
    assert((this.throttleWindows.length > 0) === (this.throttleEvent !== null), `link ${this.id}: a throttle schedule needs its boundary event`);
    for (const direction of this.directions) direction.invariants();
  }

  private applyThrottle(): void {
    const window = windowAt(this.throttleWindows, this.kernel.now());
    this.bandwidth = window === null ? this.baseBandwidth : window.bandwidthBitsPerSecond;
  }

  private scheduleThrottleBoundary(): void {
    if (this.throttleWindows.length === 0) return;
    const boundary = nextBoundaryAfter(this.throttleWindows, this.kernel.now());
    this.throttleEvent = this.kernel.scheduleAt(boundary, this.throttleLabel, this.onThrottleBoundary, this.bandwidth);
  }

  private readonly onThrottleBoundary = (): void => {
    this.throttleEvent = null;
    this.applyThrottle();
    this.scheduleThrottleBoundary();
  };
}
