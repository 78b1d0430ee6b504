// The stateless cookie exchange (RFC 6347 4.2.1): before keeping any state for
// a new peer, a server answers a ClientHello without a valid cookie with a
// HelloVerifyRequest, and accepts only a ClientHello that returns the cookie.
// The cookie is an HMAC of the peer's address and the ClientHello's random, so
// checking it needs nothing but the secret. Only the first fragment of the
// ClientHello is needed: version, random, session_id and cookie come first.
//
// A cookie can also carry state the server wants back without keeping it:
// cookie = state || HMAC(secret, peer, random, state). DTLS 1.3's
// HelloRetryRequest puts the first ClientHello's transcript hash there (RFC
// 9147 5.1, RFC 8446 4.4.1); a 1.2 HelloVerifyRequest cookie carries none.
// The verdict hands the state back once the MAC checks.
import type { CryptoProvider } from '../crypto/provider.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../wire/types.ts';
import { decodeRecords, encodeRecord } from '../wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { encodeHelloVerifyRequest } from '../wire/messages/hello-verify-request.ts';
import { Reader, concat, equalBytes, utf8 } from '../wire/codec.ts';

/**
 * What to do with a datagram from an unknown peer: accept it, reply (HelloVerifyRequest), or drop it.
 * `accept` carries the state the cookie held (empty for a HelloVerifyRequest cookie).
 */
export type CookieVerdict = { action: 'accept'; state?: Uint8Array } | { action: 'reply'; datagram: Uint8Array } | { action: 'drop' };

/** The stateless cookie exchange of a server (RFC 6347 4.2.1). */
export interface CookieGate {
  /** `now` (ms) drives secret rotation; without it the secret never changes. */
  check(datagram: Uint8Array, peer: string, now?: number): CookieVerdict;
}

/** Issues cookies that carry state (a HelloRetryRequest's), under the gate's current secret. */
export interface CookieIssuer {
  /** A cookie for `peer` binding its ClientHello random and carrying `state`; `check` hands the state back when it returns. */
  issue(peer: string, clientRandom: Uint8Array, state: Uint8Array, now?: number): Uint8Array;
  /** The state a cookie made by `issue` carries, under the current or the previous secret; undefined if it is not one. */
  open(peer: string, clientRandom: Uint8Array, cookie: Uint8Array, now?: number): Uint8Array | undefined;
}

/**
 * The HelloRetryRequest cookies of one peer's handshake (RFC 9147 5.1): what
 * the 1.3 server needs, whether the secret is its own or a gate's.
 */
export interface HrrCookies {
  issue(clientRandom: Uint8Array, state: Uint8Array): Uint8Array;
  open(clientRandom: Uint8Array, cookie: Uint8Array): Uint8Array | undefined;
}

/** HRR cookies under one fixed secret (a server machine's own, when no gate stands before it). */
export function secretCookies(crypto: CryptoProvider, secret: Uint8Array, peer = ''): HrrCookies {
  return {
    issue: (random, state) => computeCookie(crypto, secret, peer, random, state),
    open: (random, cookie) => openCookie(crypto, secret, peer, random, cookie),
  };
}

/** The HRR cookies of one peer under a gate's rotating secrets. */
export function gateCookies(gate: CookieIssuer, peer: string, now?: () => number): HrrCookies {
  return {
    issue: (random, state) => gate.issue(peer, random, state, now?.()),
    open: (random, cookie) => gate.open(peer, random, cookie, now?.()),
  };
}

const TAG_LENGTH = 32;
/** A DTLS 1.2 cookie is at most 255 bytes (RFC 6347 4.2.1): what is left after the MAC (a 1.3 one's state fits too). */
export const MAX_COOKIE_STATE = 255 - TAG_LENGTH;
const EMPTY = new Uint8Array(0);

function cookieTag(crypto: CryptoProvider, secret: Uint8Array, peer: string, clientRandom: Uint8Array, state: Uint8Array): Uint8Array {
  return crypto.hmac('sha256', secret, concat(utf8(peer), new Uint8Array([0]), clientRandom, new Uint8Array([state.length]), state));
}

/** The cookie for this peer and ClientHello random, carrying `state` (none by default). */
export function computeCookie(crypto: CryptoProvider, secret: Uint8Array, peer: string, clientRandom: Uint8Array, state: Uint8Array = EMPTY): Uint8Array {
  if (state.length > MAX_COOKIE_STATE) throw new RangeError(`cookie state of ${state.length} bytes; at most ${MAX_COOKIE_STATE}`);
  return concat(state, cookieTag(crypto, secret, peer, clientRandom, state));
}

/** The state a valid cookie carries, or undefined when the cookie was not made with this secret for this peer and random. */
export function openCookie(crypto: CryptoProvider, secret: Uint8Array, peer: string, clientRandom: Uint8Array, cookie: Uint8Array): Uint8Array | undefined {
  if (cookie.length < TAG_LENGTH) return undefined;
  const state = cookie.subarray(0, cookie.length - TAG_LENGTH);
  return equalBytes(cookie.subarray(state.length), cookieTag(crypto, secret, peer, clientRandom, state)) ? state.slice() : undefined;
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
export function createCookieGate(opts: { secret?: Uint8Array; crypto: CryptoProvider; rotateAfter?: number }): CookieGate & CookieIssuer {
  const crypto = opts.crypto;
  const rotateAfter = opts.rotateAfter ?? 60_000;
  let secret = opts.secret ?? crypto.random(32);
  let previous: Uint8Array | undefined;
  let rotatedAt: number | undefined;
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
    issue(peer, clientRandom, state, now) {
      rotate(now);
      return computeCookie(crypto, secret, peer, clientRandom, state);
    },
    open(peer, clientRandom, cookie, now) {
      rotate(now);
      return openCookie(crypto, secret, peer, clientRandom, cookie) ?? (previous && openCookie(crypto, previous, peer, clientRandom, cookie));
    },
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
      if (prefix.cookie.length) {
        const state =
          openCookie(crypto, secret, peer, prefix.random, prefix.cookie) ?? (previous && openCookie(crypto, previous, peer, prefix.random, prefix.cookie));
        if (state) return { action: 'accept', state };
      }
      const expected = computeCookie(crypto, secret, peer, prefix.random);
      const reply = encodeHelloVerifyDatagram(expected, rec.sequenceNumber, frag.messageSeq);
      // No amplification: never answer with more bytes than arrived (issue: ClientHello floods).
      if (reply.length > datagram.length) return { action: 'drop' };
      return { action: 'reply', datagram: reply };
    },
  };
}

/**
 * What a DTLS 1.3 HelloRetryRequest cookie carries (RFC 9147 5.1, RFC 8446
 * 4.2.2), so the server keeps nothing until the second ClientHello: the suite
 * chosen (its hash is the transcript's), the group the HRR asked a share for
 * (0: none, the HRR was for the cookie alone), and Hash(ClientHello1). With
 * the cookie that the second ClientHello echoes, that rebuilds the HRR and
 * the transcript exactly.
 */
export interface HrrCookieState {
  suite: number;
  group: number;
  clientHello1Hash: Uint8Array;
}

const HRR_STATE_VERSION = 1;

export function encodeHrrCookieState(s: HrrCookieState): Uint8Array {
  const out = new Uint8Array(5 + s.clientHello1Hash.length);
  out[0] = HRR_STATE_VERSION;
  out[1] = s.suite >>> 8;
  out[2] = s.suite & 0xff;
  out[3] = s.group >>> 8;
  out[4] = s.group & 0xff;
  out.set(s.clientHello1Hash, 5);
  return out;
}

/** The state of an authenticated cookie; undefined if it is not ours (a 1.2 cookie, another layout). */
export function decodeHrrCookieState(state: Uint8Array): HrrCookieState | undefined {
  if (state.length < 5 + 32 || state[0] !== HRR_STATE_VERSION) return undefined;
  return { suite: (state[1]! << 8) | state[2]!, group: (state[3]! << 8) | state[4]!, clientHello1Hash: state.slice(5) };
}
