// The stateless cookie exchange (RFC 6347 4.2.1): before keeping any state for
// a new peer, a server answers a ClientHello without a valid cookie with a
// HelloVerifyRequest, and accepts only a ClientHello that returns the cookie.
// The cookie is the time it was made (32 bits of ms) and an HMAC of that time,
// the peer's address and the ClientHello's random, so checking it needs
// nothing but the secret, and its age when it returns is the round trip (RFC
// 9147 5.8.2: a measured round trip sets the first timer). Only the first
// fragment of the ClientHello is needed: version, random, session_id and
// cookie come first.
import type { CryptoProvider } from '../crypto/provider.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../wire/types.ts';
import { decodeRecords, encodeRecord } from '../wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { encodeHelloVerifyRequest } from '../wire/messages/hello-verify-request.ts';
import { Reader, concat, equalBytes, utf8 } from '../wire/codec.ts';

/** 'accept' carries the cookie's age (ms): the round trip of the cookie exchange. */
export type CookieVerdict = { action: 'accept'; rtt?: number } | { action: 'reply'; datagram: Uint8Array } | { action: 'drop' };

export interface CookieGate {
  /** `now` (ms) drives secret rotation; without it the secret never changes. */
  check(datagram: Uint8Array, peer: string, now?: number): CookieVerdict;
}

/** 4 bytes of time, 28 of HMAC-SHA256 (truncated, RFC 2104 5): 32 in all, so the smallest ClientHello still gets a HelloVerifyRequest no larger than itself. */
const MAC_LENGTH = 28;
const COOKIE_LENGTH = 4 + MAC_LENGTH;
/** A cookie returned later than this (ms) is still valid, but its age is no round trip. */
export const MAX_COOKIE_RTT = 10_000;

/**
 * Where a cookie clock starts: a point drawn from the secret, so the cookie
 * does not tell the server's uptime (as RFC 7323 7.1 does for TCP timestamps),
 * and gates given the same secret keep the same clock.
 */
export function clockSkew(crypto: CryptoProvider, secret: Uint8Array): number {
  const r = crypto.hmac('sha256', secret, utf8('cookie clock'));
  return ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
}

/** A cookie made at `now` (ms; only its low 32 bits are kept). */
export function makeCookie(crypto: CryptoProvider, secret: Uint8Array, peer: string, clientRandom: Uint8Array, now: number): Uint8Array {
  const made = new Uint8Array(4);
  new DataView(made.buffer).setUint32(0, Math.floor(now) >>> 0);
  return concat(made, crypto.hmac('sha256', secret, concat(made, utf8(peer), new Uint8Array([0]), clientRandom)).subarray(0, MAC_LENGTH));
}

/** How long ago (ms) `cookie` was made with `secret` for this peer and random, or undefined if it was not. */
export function cookieAge(crypto: CryptoProvider, secret: Uint8Array, peer: string, clientRandom: Uint8Array, cookie: Uint8Array, now: number): number | undefined {
  if (cookie.length !== COOKIE_LENGTH) return undefined;
  const made = new DataView(cookie.buffer, cookie.byteOffset, 4).getUint32(0);
  if (!equalBytes(cookie, makeCookie(crypto, secret, peer, clientRandom, made))) return undefined;
  return ((Math.floor(now) >>> 0) - made) >>> 0;
}

/** The fields of a ClientHello that precede the cipher suites. */
export function readClientHelloPrefix(body: Uint8Array): { random: Uint8Array; cookie: Uint8Array } | undefined {
  try {
    const r = new Reader(body);
    r.u16();
    const random = r.bytes(32);
    r.vec(1, 'session_id', 0, 32);
    const cookie = r.vec(1, 'cookie');
    return { random, cookie };
  } catch {
    return undefined;
  }
}

export function encodeHelloVerifyDatagram(cookie: Uint8Array, recordSeq: number, messageSeq: number): Uint8Array {
  const body = encodeHelloVerifyRequest({ version: ProtocolVersion.DTLS1_0, cookie });
  const hs = encodeHandshakeMessage({ msgType: HandshakeType.hello_verify_request, messageSeq, body });
  // RFC 6347 4.2.1: a stateless server reuses the ClientHello's record sequence number.
  return encodeRecord({
    contentType: ContentType.handshake,
    version: ProtocolVersion.DTLS1_0,
    epoch: 0,
    sequenceNumber: recordSeq,
    fragment: hs,
  });
}

/**
 * `rotateAfter` (ms, default 60000): the secret is replaced this often, and a
 * cookie made with the previous one is still accepted, so a cookie stays
 * valid for one to two periods (RFC 6347 4.2.1 suggests changing the secret).
 */
export function createCookieGate(opts: { secret?: Uint8Array; crypto: CryptoProvider; rotateAfter?: number }): CookieGate {
  const crypto = opts.crypto;
  const rotateAfter = opts.rotateAfter ?? 60_000;
  let secret = opts.secret ?? crypto.random(32);
  let previous: Uint8Array | undefined;
  let rotatedAt: number | undefined;
  const skew = clockSkew(crypto, secret);
  const rotate = (now: number | undefined) => {
    if (now === undefined) return;
    if (rotatedAt === undefined) rotatedAt = now;
    else if (now - rotatedAt >= rotateAfter) {
      // More than two periods idle: the previous secret is stale too.
      previous = now - rotatedAt >= 2 * rotateAfter ? undefined : secret;
      secret = crypto.random(32);
      rotatedAt = now;
    }
  };
  return {
    check(datagram, peer, now) {
      rotate(now);
      const { records } = decodeRecords(datagram);
      const rec = records[0];
      if (!rec || rec.epoch !== 0 || rec.contentType !== ContentType.handshake) return { action: 'drop' };
      let frag;
      try {
        frag = decodeHandshakeFragments(rec.fragment)[0];
      } catch {
        return { action: 'drop' };
      }
      if (!frag || frag.msgType !== HandshakeType.client_hello || frag.fragmentOffset !== 0) return { action: 'drop' };
      const prefix = readClientHelloPrefix(frag.body);
      if (!prefix) return { action: 'drop' };
      const t = (now ?? 0) + skew;
      if (prefix.cookie.length) {
        const age = cookieAge(crypto, secret, peer, prefix.random, prefix.cookie, t) ?? (previous && cookieAge(crypto, previous, peer, prefix.random, prefix.cookie, t));
        // Without a clock the age means nothing; a client that sat on its cookie gives no round trip.
        if (age !== undefined) return now !== undefined && age <= MAX_COOKIE_RTT ? { action: 'accept', rtt: age } : { action: 'accept' };
      }
      const reply = encodeHelloVerifyDatagram(makeCookie(crypto, secret, peer, prefix.random, t), rec.sequenceNumber, frag.messageSeq);
      // No amplification: never answer with more bytes than arrived (issue: ClientHello floods).
      if (reply.length > datagram.length) return { action: 'drop' };
      return { action: 'reply', datagram: reply };
    },
  };
}
