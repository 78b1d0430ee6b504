// early_data (RFC 8446 4.2.10). The codec only: 0-RTT is not offered or accepted.
//   ClientHello, EncryptedExtensions: struct {} Empty;
//   NewSessionTicket: struct { uint32 max_early_data_size; };
import { DecodeError, Writer } from '../codec.ts';
import { decodeAll, uint } from '../vectors.ts';

export function encodeEarlyDataIndication(): Uint8Array {
  return new Uint8Array(0);
}

export function decodeEarlyDataIndication(data: Uint8Array): void {
  if (data.length !== 0) throw new DecodeError('early_data: extension_data must be empty here');
}

export function encodeEarlyDataTicket(maxEarlyDataSize: number): Uint8Array {
  return new Writer(4).u32(uint(maxEarlyDataSize, 0xffffffff, 'max_early_data_size')).finish();
}

export function decodeEarlyDataTicket(data: Uint8Array): number {
  return decodeAll(data, 'early_data (NewSessionTicket)', (r) => r.u32('max_early_data_size'));
}
