// KeyUpdate (RFC 8446 4.6.3, RFC 9147 8):
//   enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
//   struct { KeyUpdateRequest request_update; } KeyUpdate;
import { DtlsError } from '../../errors.ts';
import { DecodeError } from '../codec.ts';

export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

export interface KeyUpdate {
  updateRequested: boolean;
}

export function encodeKeyUpdate(m: KeyUpdate): Uint8Array {
  return Uint8Array.of(m.updateRequested ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested);
}

/** Any value but 0 or 1 is an illegal_parameter (RFC 8446 4.6.3). */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  if (body.length !== 1) throw new DecodeError(`KeyUpdate: ${body.length} bytes, expected 1`);
  const v = body[0]!;
  if (v > 1) throw new DtlsError('illegal_parameter', `KeyUpdate: request_update ${v} is neither 0 nor 1`);
  return { updateRequested: v === 1 };
}
