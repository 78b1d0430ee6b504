// HelloVerifyRequest (RFC 6347 4.2.1):
//   struct { ProtocolVersion server_version; opaque cookie<0..2^8-1>; } HelloVerifyRequest;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn, uint } from '../vectors.ts';

export interface HelloVerifyRequest {
  version: number;
  cookie: Uint8Array;
}

export function encodeHelloVerifyRequest(m: HelloVerifyRequest): Uint8Array {
  return new Writer(3 + m.cookie.length)
    .u16(uint(m.version, 0xffff, 'server_version'))
    .vec(1, lengthIn(m.cookie, 0, 255, 'cookie'))
    .finish();
}

/** `cookie` is a view into `body`. */
export function decodeHelloVerifyRequest(body: Uint8Array): HelloVerifyRequest {
  return decodeAll(body, 'HelloVerifyRequest', (r) => ({ version: r.u16('server_version'), cookie: r.vec(1, 'cookie') }));
}
