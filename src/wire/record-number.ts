// DTLS 1.3 record numbers (RFC 9147 4):
//   struct { uint64 epoch; uint64 sequence_number; } RecordNumber;
// and the reconstruction of full values from what the unified header carries:
// the low 8 or 16 bits of the sequence number and the low 2 bits of the epoch
// (RFC 9147 4.2.2). The record layer keeps its counters as numbers (exact below
// 2^53; sequence numbers stop far below that at the AEAD limits of RFC 9147
// 4.5.3, epochs grow by one per KeyUpdate), so reconstruction is on numbers.
// The RecordNumber of the ACK is bigint: it is what the wire says, uint64.

/** RFC 9147 4: the record number of the ACK and of the AEAD nonce; both 64-bit. */
export interface RecordNumber {
  epoch: bigint;
  sequenceNumber: bigint;
}

export const MAX_UINT64 = (1n << 64n) - 1n;

/** A RecordNumber from record-layer counters (numbers or bigints), range-checked. */
export function recordNumber(epoch: number | bigint, sequenceNumber: number | bigint): RecordNumber {
  const e = BigInt(epoch),
    s = BigInt(sequenceNumber);
  if (e < 0n || e > MAX_UINT64) throw new RangeError(`record number epoch ${e} is not a uint64`);
  if (s < 0n || s > MAX_UINT64) throw new RangeError(`record number sequence ${s} is not a uint64`);
  return { epoch: e, sequenceNumber: s };
}

/** Numeric order (epoch, then sequence number): the order an ACK lists them in (RFC 9147 7). */
export function compareRecordNumbers(a: RecordNumber, b: RecordNumber): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  if (a.sequenceNumber !== b.sequenceNumber) return a.sequenceNumber < b.sequenceNumber ? -1 : 1;
  return 0;
}

function safe(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what}: ${v} is not a non-negative safe integer`);
  return v;
}

/**
 * The full sequence number whose low `bits` bits are `low` and which is
 * numerically closest to `expected` (one plus the highest sequence number
 * deprotected so far in this epoch; RFC 9147 4.2.2). When two candidates are
 * equally close (|diff| = 2^(bits-1)) the higher one wins, as in QUIC's
 * packet-number decoding (RFC 9000 A.3): a replayed old record then fails to
 * deprotect instead of being taken for a new one. Never negative.
 */
export function reconstructSequenceNumber(low: number, bits: 8 | 16, expected: number): number {
  safe(expected, 'expected sequence number');
  const win = bits === 16 ? 0x10000 : 0x100;
  if (!Number.isInteger(low) || low < 0 || low >= win) throw new RangeError(`sequence number low bits ${low} do not fit ${bits} bits`);
  const half = win / 2;
  const candidate = Math.floor(expected / win) * win + low;
  if (candidate + half <= expected && candidate + win <= Number.MAX_SAFE_INTEGER) return candidate + win;
  if (candidate > expected + half && candidate >= win) return candidate - win;
  return candidate;
}

/**
 * The epoch whose low 2 bits are `bits`, given the current receiving epoch:
 * the current one if its bits match, else the next one if `allowNext` (a key
 * update the receiver is ready for, or the handshake's fixed epochs 0..3),
 * else the most recent past epoch with matching bits (RFC 9147 4.2.2).
 * Undefined when no such epoch exists (below 0).
 */
export function reconstructEpoch(bits: number, current: number, allowNext = false): number | undefined {
  safe(current, 'current epoch');
  if (!Number.isInteger(bits) || bits < 0 || bits > 3) throw new RangeError(`epoch bits ${bits} do not fit 2 bits`);
  // % rather than &: epochs may pass 2^32, where bitwise operators wrap.
  if (current % 4 === bits) return current;
  if (allowNext && (current + 1) % 4 === bits) return current + 1;
  const back = (current - bits + 4) % 4; // how far back the last epoch with these bits is (1..3)
  const e = current - back;
  return e >= 0 ? e : undefined;
}
