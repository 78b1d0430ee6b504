// Application data around the handshake: the bound on what send() takes, our
// data accepted before the handshake completed, and the peer's that came under
// the new keys before its Finished. Both wait for the handshake to complete, in
// a HeldData made for that time only.
import type { ResolvedOptions } from './options.ts';
import { DtlsError } from './errors.ts';

/** The largest plaintext of a record (RFC 9147 4; RFC 6347 4.1). */
const MAX_RECORD_PLAINTEXT = 16384;
/** The peer's early records held (bounded): more are dropped. */
const MAX_EARLY_DATA = 16;

/**
 * The largest send(): one byte less where DTLS 1.2 connection IDs may be negotiated (RFC 9146 4:
 * the inner plaintext, content type included, is at most 2^14). Fixed from the options, so data
 * queued before the handshake never meets a smaller bound after it.
 */
export function maxSendFor(options: ResolvedOptions): number {
  return options.connectionId !== undefined && options.versions.includes('1.2') ? MAX_RECORD_PLAINTEXT - 1 : MAX_RECORD_PLAINTEXT;
}

/** send()'s argument checks: TypeError unless a Uint8Array, RangeError past `max` bytes (maxSendFor()). */
export function checkSend(plaintext: Uint8Array, max: number): void {
  if (!(plaintext instanceof Uint8Array)) throw new TypeError('send() takes a Uint8Array');
  if (plaintext.length > max)
    throw new RangeError(
      `a record carries at most ${max} bytes, not ${plaintext.length}${max < MAX_RECORD_PLAINTEXT ? ' (with DTLS 1.2 connection IDs: RFC 9146 4)' : ''}`,
    );
}

/** What waits on the handshake to complete; the connection lets go of it then. */
export class HeldData {
  /** Ours, accepted by send(): sent once the handshake completes. */
  readonly sends: Uint8Array[] = [];
  /** The peer's, delivered once the handshake completes. */
  readonly early: Uint8Array[] = [];
  /** close() came while ours were held: it takes effect once they are sent. */
  closeAfter = false;

  /** Holds a copy of `plaintext`; a DtlsError once `max` are held (limits.maxPendingSends). */
  send(plaintext: Uint8Array, max: number): void {
    if (this.sends.length >= max) throw new DtlsError('internal_error', 'too much data queued before the handshake completed');
    this.sends.push(plaintext.slice());
  }

  /**
   * Holds a record of the peer's data until its Finished; false when full.
   * Its ChangeCipherSpec came (the keys are open), so the Finished is just
   * behind, reordered; our timer covers its loss. A resend now would reach a
   * peer past our flight.
   */
  holdEarly(payload: Uint8Array): boolean {
    if (this.early.length >= MAX_EARLY_DATA) return false;
    this.early.push(payload);
    return true;
  }
}
