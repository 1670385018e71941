// Checks a fault plan against the topology it will be injected into, before a run: unknown
// names, malformed numbers and unsorted entries become messages naming the entry index and
// field (`plan[3].fault.host: unknown host 'h9' (known: h1, h2)`), never a crash mid-run.
//
// Fault model: none; a plan may come from a hand-written scenario file, so every field is
// checked at run time, whatever its static type says.
import { unreachable } from '../../model/index.js';
import { FAULT_KINDS, OPERATOR_MISTAKES, type FaultKind, type FaultPlan } from './fault.js';

/** The names a fault may refer to. */
export interface FaultUniverse {
  readonly sites: readonly string[];
  readonly links: readonly string[];
  readonly hosts: readonly string[];
  readonly disks: readonly { readonly id: string; readonly blockCount: number }[];
  /** InMage Scout process servers; none when absent. */
  readonly processServers?: readonly string[];
  /** Protected items an operator mistake may target; none when absent. */
  readonly items?: readonly string[];
}

type Fields = Readonly<Record<string, unknown>>;

/** Every problem of `plan` against `known`; empty when the plan can be applied. */
export function validateFaultPlan(plan: FaultPlan, known: FaultUniverse): string[] {
  const problems: string[] = [];
  if (!Array.isArray(plan)) return [`plan must be a list of { at, fault }, got ${JSON.stringify(plan)}`];
  let previousAt = 0;
  plan.forEach((entry: unknown, index) => {
    const where = `plan[${index}]`;
    if (!isRecord(entry)) {
      problems.push(`${where}: must be { at, fault }, got ${JSON.stringify(entry)}`);
      return;
    }
    const at = entry.at;
    if (!isInteger(at) || at < 0) problems.push(`${where}.at: must be a non-negative integer of microseconds, got ${JSON.stringify(at)}`);
    else if (at < previousAt) problems.push(`${where}.at: ${at} is before the previous entry's ${previousAt} (a plan is sorted by at)`);
    else previousAt = at;
    if (!isRecord(entry.fault)) problems.push(`${where}.fault: must be a fault object, got ${JSON.stringify(entry.fault)}`);
    else problems.push(...validateFault(entry.fault, `${where}.fault`, known));
  });
  return problems;
}

function validateFault(fault: Fields, where: string, known: FaultUniverse): string[] {
  const problems: string[] = [];
  const field = (name: string, ok: boolean, want: string): void => {
    if (!ok) problems.push(`${where}.${name}: must be ${want}, got ${JSON.stringify(fault[name])}`);
  };
  const name = (key: string, noun: string, names: readonly string[] = []): void => {
    const value = fault[key];
    if (typeof value !== 'string') field(key, false, `the name of a ${noun}`);
    else if (!names.includes(value)) problems.push(`${where}.${key}: unknown ${noun} '${value}' (known: ${names.length > 0 ? names.join(', ') : 'none'})`);
  };
  const span = (key: string, optional = false): void => {
    if (optional && fault[key] === undefined) return;
    field(key, isInteger(fault[key]) && (fault[key] as number) > 0, 'a positive integer of microseconds');
  };
  const probability = (key: string): void => {
    const r = fault[key];
    const ok = isRecord(r) && isInteger(r.numerator) && isInteger(r.denominator) && r.denominator > 0 && r.numerator >= 0 && r.numerator <= r.denominator;
    field(key, ok, 'an exact probability { numerator, denominator } with 0 <= numerator <= denominator');
  };
  const block = (key: string): void => {
    const disk = known.disks.find((d) => d.id === fault.disk);
    const value = fault[key];
    if (!isInteger(value) || value < 0) field(key, false, 'a non-negative integer block number');
    else if (disk !== undefined && value >= disk.blockCount) problems.push(`${where}.${key}: block ${value} is past the end of disk '${disk.id}' (${disk.blockCount} blocks)`);
  };
  const diskNames = known.disks.map((d) => d.id);

  const kind = fault.kind as FaultKind;
  if (!FAULT_KINDS.includes(kind)) return [`${where}.kind: unknown fault kind ${JSON.stringify(fault.kind)} (known: ${FAULT_KINDS.join(', ')})`];
  switch (kind) {
    case 'partition':
    case 'heal':
      name('siteA', 'site', known.sites);
      name('siteB', 'site', known.sites);
      if (fault.siteA === fault.siteB) problems.push(`${where}.siteB: must differ from siteA ('${String(fault.siteA)}')`);
      if (kind === 'partition') field('direction', ['both', 'a-to-b', 'b-to-a'].includes(fault.direction as string), `'both', 'a-to-b' or 'b-to-a'`);
      break;
    case 'clog':
      name('link', 'link', known.links);
      span('duration');
      break;
    case 'loss':
    case 'duplication':
    case 'corruption':
      name('link', 'link', known.links);
      probability('ratio');
      span('duration');
      break;
    case 'reordering':
      name('link', 'link', known.links);
      probability('ratio');
      span('extraDelayMax');
      span('duration');
      break;
    case 'throttle':
      name('link', 'link', known.links);
      field('bandwidthBitsPerSecond', typeof fault.bandwidthBitsPerSecond === 'number' && Number.isFinite(fault.bandwidthBitsPerSecond) && fault.bandwidthBitsPerSecond > 0, 'a positive number of bits per second');
      span('duration');
      break;
    case 'host-crash':
    case 'power-loss':
      name('host', 'host', known.hosts);
      span('restartAfter', true);
      break;
    case 'host-restart':
      name('host', 'host', known.hosts);
      break;
    case 'clock-skew':
      name('host', 'host', known.hosts);
      field('offset', isInteger(fault.offset), 'a signed integer of microseconds');
      break;
    case 'latent-sector-error':
    case 'bit-rot':
      name('disk', 'disk', diskNames);
      block('block');
      break;
    case 'torn-write':
    case 'lost-write':
      name('disk', 'disk', diskNames);
      break;
    case 'misdirected-write': {
      name('disk', 'disk', diskNames);
      const offset = fault.offsetBlocks;
      const disk = known.disks.find((d) => d.id === fault.disk);
      if (!isInteger(offset) || offset === 0) field('offsetBlocks', false, 'a non-zero integer of blocks');
      else if (disk !== undefined && Math.abs(offset) >= disk.blockCount) problems.push(`${where}.offsetBlocks: ${offset} reaches past disk '${disk.id}' (${disk.blockCount} blocks)`);
      break;
    }
    case 'ps-cache-loss':
      name('processServer', 'process server', known.processServers);
      break;
    case 'operator-mistake':
      field('operation', (OPERATOR_MISTAKES as readonly unknown[]).includes(fault.operation), `one of ${OPERATOR_MISTAKES.join(', ')}`);
      name('item', 'protected item', known.items);
      break;
    default:
      unreachable(kind, 'validateFault: unhandled fault kind');
  }
  return problems;
}

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
