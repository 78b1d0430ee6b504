// ACK (RFC 9147 7), content type 26, not a handshake message:
//   struct { uint64 epoch; uint64 sequence_number; } RecordNumber;
//   struct { RecordNumber record_numbers<0..2^16-1>; } ACK;
import { DecodeError, Writer } from './codec.ts';
import { MAX_UINT64, compareRecordNumbers, type RecordNumber } from './record-number.ts';
import { decodeAll } from './vectors.ts';

const RECORD_NUMBER_LENGTH = 16;
/** The most record numbers one ACK can hold: floor((2^16 - 1) / 16). */
export const MAX_ACK_RECORDS = Math.floor(0xffff / RECORD_NUMBER_LENGTH);

function u64(v: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_UINT64) throw new RangeError(`${what}: ${String(v)} is not a uint64`);
  return v;
}

/**
 * The ACK body. Record numbers go out in increasing order without repeats
 * (RFC 9147 7), whatever order they are given in; more than MAX_ACK_RECORDS
 * is a RangeError (the caller chooses which to leave out).
 */
export function encodeAck(recordNumbers: readonly RecordNumber[]): Uint8Array {
  const sorted = [...recordNumbers].sort(compareRecordNumbers).filter((v, i, a) => i === 0 || compareRecordNumbers(a[i - 1]!, v) !== 0);
  if (sorted.length > MAX_ACK_RECORDS) throw new RangeError(`ACK of ${sorted.length} record numbers: at most ${MAX_ACK_RECORDS}`);
  const w = new Writer(2 + sorted.length * RECORD_NUMBER_LENGTH);
  w.u16(sorted.length * RECORD_NUMBER_LENGTH);
  for (const rn of sorted) {
    const e = u64(rn.epoch, 'ACK epoch'),
      s = u64(rn.sequenceNumber, 'ACK sequence_number');
    w.u32(Number(e >> 32n))
      .u32(Number(e & 0xffffffffn))
      .u32(Number(s >> 32n))
      .u32(Number(s & 0xffffffffn));
  }
  return w.finish();
}

/**
 * The record numbers in the order received. A length that is not a multiple of
 * 16 is a DecodeError. Order is not enforced: a peer's unsorted ACK still says
 * which records arrived, and acting on it is safe.
 */
export function decodeAck(body: Uint8Array): RecordNumber[] {
  return decodeAll(body, 'ACK', (r) => {
    const list = r.sub(2, 'record_numbers');
    if (list.remaining % RECORD_NUMBER_LENGTH !== 0) throw new DecodeError(`ACK: record_numbers length ${list.remaining} is not a multiple of 16`);
    const out: RecordNumber[] = [];
    while (!list.done) {
      const eh = list.u32('epoch'),
        el = list.u32('epoch'),
        sh = list.u32('sequence_number'),
        sl = list.u32('sequence_number');
      out.push({ epoch: (BigInt(eh) << 32n) | BigInt(el), sequenceNumber: (BigInt(sh) << 32n) | BigInt(sl) });
    }
    return out;
  });
}
