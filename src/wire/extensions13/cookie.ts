// cookie (RFC 8446 4.2.2): struct { opaque cookie<1..2^16-1>; } Cookie;
// In DTLS 1.3 the HelloRetryRequest cookie replaces HelloVerifyRequest (RFC 9147 5.1).
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export function encodeCookie(cookie: Uint8Array): Uint8Array {
  return new Writer(2 + cookie.length).vec(2, lengthIn(cookie, 1, 0xffff, 'cookie')).finish();
}

/** The cookie (a view into `data`). */
export function decodeCookie(data: Uint8Array): Uint8Array {
  return decodeAll(data, 'cookie', (r) => r.vec(2, 'cookie', 1));
}
