// Consistency tags (bookmarks) of one machine's stream (DOMAIN.md rule 20): a crash-consistent
// tag every `crashTagInterval`, an app-consistent tag every `appTagInterval` taken through a
// quiesce (VSS/VACP) that may fail, in which case a crash-consistent tag is taken instead. The
// stream is continuous, so every instant is a crash-consistent point; tags only name instants a
// person can pick in vContinuum ("Latest Tag"). Common consistency points across a multi-VM group
// are driven by the control plane (quiesce every member, tag each with one name, thaw).
import type { Duration } from '../../../model/index.js';
import type { Clock, TimerId, Tracer } from '../../ports.js';
import type { TagKind } from './messages.js';

export interface TagSink {
  /** Appends a tag to the stream now; false when the stream cannot take one (not streaming). */
  insertTag(name: string, kind: TagKind): boolean;
  /** Quiesces the machine (writes held); `done(false)` when the quiesce failed. */
  quiesce(done: (ok: boolean) => void): void;
  thaw(): void;
}

export class TagScheduler {
  private crashTimer: TimerId | null = null;
  private appTimer: TimerId | null = null;
  private crashCount = 0;
  private appCount = 0;
  appFailures = 0;

  constructor(
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly crashInterval: Duration,
    private readonly appInterval: Duration,
    private readonly sink: TagSink,
  ) {}

  start(): void {
    this.stop();
    if (this.crashInterval > 0) this.scheduleCrash();
    if (this.appInterval > 0) this.scheduleApp();
  }

  stop(): void {
    if (this.crashTimer !== null) this.clock.cancelTimer(this.crashTimer);
    if (this.appTimer !== null) this.clock.cancelTimer(this.appTimer);
    this.crashTimer = null;
    this.appTimer = null;
  }

  private scheduleCrash(): void {
    this.crashTimer = this.clock.setTimer(this.crashInterval, 'scout-crash-tag', () => {
      this.crashTimer = null;
      if (this.sink.insertTag(this.name('crash', ++this.crashCount), 'crash')) this.tracer.mark('tag-crash-consistent');
      this.scheduleCrash();
    });
  }

  private scheduleApp(): void {
    this.appTimer = this.clock.setTimer(this.appInterval, 'scout-app-tag', () => {
      this.appTimer = null;
      this.takeAppTag();
      this.scheduleApp();
    });
  }

  /** A tag name unique in the pair's stream: the counters start again when the agent restarts
   *  (its host crashed), so the instant is part of the name (as Scout's own tag names carry a
   *  timestamp); a recovery by name must never find an older tag of the same name. */
  private name(kind: 'crash' | 'app', count: number): string {
    return `${kind}-${count}@${this.clock.now()}`;
  }

  /** Quiesce, tag while writes are held, thaw; a failed quiesce degrades to a crash tag. */
  takeAppTag(): void {
    this.sink.quiesce((ok) => {
      if (ok) {
        if (this.sink.insertTag(this.name('app', ++this.appCount), 'app')) this.tracer.mark('tag-app-consistent');
      } else {
        this.appFailures++;
        this.tracer.mark('tag-app-consistent-failed');
        this.sink.insertTag(this.name('crash', ++this.crashCount), 'crash');
      }
      this.sink.thaw();
    });
  }
}
