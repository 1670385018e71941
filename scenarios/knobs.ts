// Knob overrides a scenario may make, each with a reason (FoundationDB style: every override
// states why). A knob changes a simulation parameter the scenario file has no field for.
import type { HyperVLabOptions } from './hyperv-lab.js';
import { ratio } from '../sim/index.js';

export interface KnobDefinition {
  readonly description: string;
  /** Returns an error message for a bad value, or applies it. */
  apply(value: number | string | boolean, options: MutableLabOptions): string | null;
}

export type MutableLabOptions = { -readonly [K in keyof HyperVLabOptions]: HyperVLabOptions[K] };

const fraction = /^(\d+)\/(\d+)$/;

export const KNOBS: Readonly<Record<string, KnobDefinition>> = {
  'vss-failure': {
    description: 'probability that a VSS quiesce fails, as an exact ratio "n/d" (default 1/50)',
    apply: (value, options) => {
      const match = typeof value === 'string' ? fraction.exec(value) : null;
      if (match === null || Number(match[2]) === 0 || Number(match[1]) > Number(match[2])) return 'write an exact ratio such as "1/10"';
      options.vssFailure = ratio(Number(match[1]), Number(match[2]));
      return null;
    },
  },
  'replica-write-cache': {
    description: 'whether replica disks have a volatile write cache the engine must flush or write through (default true)',
    apply: (value, options) => {
      if (typeof value !== 'boolean') return 'write true or false';
      options.replicaWriteCache = value;
      return null;
    },
  },
  'disk-mode': {
    description: 'symbolic (write ids, default) or bytes (real block contents through the same engine path)',
    apply: (value, options) => {
      if (value !== 'symbolic' && value !== 'bytes') return 'write symbolic or bytes';
      options.diskMode = value;
      return null;
    },
  },
};

export const knobNames = (): string[] => Object.keys(KNOBS);
