// extended_master_secret (RFC 7627 5.1): the extension_data is empty.
import { DecodeError } from '../codec.ts';

export function encodeExtendedMasterSecret(): Uint8Array {
  return new Uint8Array(0);
}

export function decodeExtendedMasterSecret(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError('extended_master_secret: extension_data must be empty');
}
