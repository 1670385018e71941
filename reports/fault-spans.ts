// Faults as spans of simulated time. A run record lists inject and heal events separately; reports
// draw and tabulate the span between them. A heal closes the oldest open inject of the same kind
// (the fault plan heals what it injected, first in, first out); a fault never healed lasts to the
// end of the run, which is itself worth seeing.
import type { FaultRecord } from '../model/index.js';

export interface FaultSpan {
  /** 1-based, in order of injection: the "F3" label on the charts and in the tables. */
  readonly number: number;
  readonly kind: string;
  readonly description: string;
  readonly startSeconds: number;
  /** When the heal came, or null when the fault stayed until the end of the run. */
  readonly healSeconds: number | null;
  readonly healDescription: string | null;
}

export function faultSpans(faults: readonly FaultRecord[]): FaultSpan[] {
  const ordered = [...faults].sort((a, b) => a.atSeconds - b.atSeconds || phaseOrder(a) - phaseOrder(b));
  const spans: Array<{ -readonly [K in keyof FaultSpan]: FaultSpan[K] }> = [];
  const open = new Map<string, number[]>();
  for (const fault of ordered) {
    if (fault.phase === 'inject') {
      const index = spans.push({ number: spans.length + 1, kind: fault.kind, description: fault.description, startSeconds: fault.atSeconds, healSeconds: null, healDescription: null }) - 1;
      open.set(fault.kind, [...(open.get(fault.kind) ?? []), index]);
      continue;
    }
    const [oldest, ...rest] = open.get(fault.kind) ?? [];
    if (oldest === undefined) continue; // a heal of something the record never showed injected
    spans[oldest].healSeconds = fault.atSeconds;
    spans[oldest].healDescription = fault.description;
    open.set(fault.kind, rest);
  }
  return spans;
}

/** At one instant an inject sorts before a heal, so a zero-length fault still pairs. */
function phaseOrder(fault: FaultRecord): number {
  return fault.phase === 'inject' ? 0 : 1;
}
