// ClientKeyExchange, ECDHE (RFC 4492 5.7, explicit form only):
//   struct { opaque point<1..2^8-1>; } ECPoint;
//   struct { ECPoint ecdh_Yc; } ClientECDiffieHellmanPublic;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export interface ClientKeyExchange {
  publicKey: Uint8Array;
}

export function encodeClientKeyExchange(m: ClientKeyExchange): Uint8Array {
  return new Writer(1 + m.publicKey.length).vec(1, lengthIn(m.publicKey, 1, 255, 'ecdh_Yc')).finish();
}

/** `publicKey` is a view into `body`. */
export function decodeClientKeyExchange(body: Uint8Array): ClientKeyExchange {
  return decodeAll(body, 'ClientKeyExchange', (r) => ({ publicKey: r.vec(1, 'ecdh_Yc', 1) }));
}
