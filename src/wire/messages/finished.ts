// Finished (RFC 5246 7.4.9): struct { opaque verify_data[verify_data_length]; } Finished;
// verify_data_length is 12 unless a suite says otherwise, and never below 12.
import { DecodeError } from '../codec.ts';

export const MIN_VERIFY_DATA_LENGTH = 12;

export interface Finished {
  verifyData: Uint8Array;
}

export function encodeFinished(m: Finished): Uint8Array {
  if (m.verifyData.length < MIN_VERIFY_DATA_LENGTH) throw new RangeError(`verify_data of ${m.verifyData.length} bytes`);
  return m.verifyData.slice();
}

/** The whole body is verify_data (a view); its expected length is checked by the caller. */
export function decodeFinished(body: Uint8Array): Finished {
  if (body.length < MIN_VERIFY_DATA_LENGTH) throw new DecodeError(`Finished: verify_data of ${body.length} bytes`);
  return { verifyData: body };
}
