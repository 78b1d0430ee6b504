// ServerHelloDone (RFC 5246 7.4.5): struct { } ServerHelloDone;
import { DecodeError } from '../codec.ts';

export type ServerHelloDone = Record<string, never>;

export function encodeServerHelloDone(_m: ServerHelloDone = {}): Uint8Array {
  return new Uint8Array(0);
}

export function decodeServerHelloDone(body: Uint8Array): ServerHelloDone {
  if (body.length !== 0) throw new DecodeError(`ServerHelloDone: ${body.length} trailing bytes`);
  return {};
}
