// The wire envelope shared by both providers (DESIGN.md section 4, "wire"): every message is
// versioned, names its sender and the pairing it belongs to, and carries a checksum over the
// rest. A receiver accepts a message only if the version is known, the checksum matches, the
// transport-level sender is the peer of that pairing, and the pairing epoch is current: that is
// the simulated stand-in for Kerberos or certificate authentication, and what makes corrupted,
// foreign and stale messages harmless.
import type { Codec, Frame } from '../ports.js';

export const WIRE_VERSION = 1;

export interface Envelope<M> {
  readonly version: number;
  /** The pairing (protected item) this message belongs to. */
  readonly pairing: string;
  /** The pairing epoch: bumped at every change of direction so older messages are stale. */
  readonly epoch: number;
  readonly message: M;
  readonly checksum: number;
}

/** Fixed per-frame overhead charged on the wire: headers, TLS records, HTTP framing. */
export const FRAME_OVERHEAD_BYTES = 512;

export function seal<M>(codec: Codec, pairing: string, epoch: number, message: M, payloadBytes: number): Frame {
  const body: Envelope<M> = { version: WIRE_VERSION, pairing, epoch, message, checksum: codec.digest([WIRE_VERSION, pairing, epoch, message]) };
  return { sizeBytes: FRAME_OVERHEAD_BYTES + payloadBytes, body };
}

export type OpenResult<M> =
  | { readonly ok: true; readonly envelope: Envelope<M> }
  | { readonly ok: false; readonly reason: 'malformed' | 'version' | 'checksum' };

export function open<M>(codec: Codec, frame: Frame): OpenResult<M> {
  const body = frame.body as Partial<Envelope<M>> | null;
  if (body === null || typeof body !== 'object' || typeof body.pairing !== 'string' || typeof body.epoch !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if (body.version !== WIRE_VERSION) return { ok: false, reason: 'version' };
  // The checksum covers every field but itself, in a fixed order.
  if (codec.digest([body.version, body.pairing, body.epoch, body.message]) !== body.checksum) return { ok: false, reason: 'checksum' };
  return { ok: true, envelope: body as Envelope<M> };
}
