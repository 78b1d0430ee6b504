// The stateless cookie gate of a server that speaks DTLS 1.3 (RFC 9147 5.1):
// in front of every connection, a ClientHello offering 1.3 without our cookie
// is answered with a HelloRetryRequest whose cookie carries Hash(ClientHello1),
// the suite and the group asked for, MACed with the peer's address; nothing is
// kept. The ClientHello that returns a valid cookie is accepted (the verdict
// carries the state) and its connection opens the cookie through
// gateCookies(gate, peer). 1.2 ClientHellos go to the DTLS 1.2 gate:
// HelloVerifyRequest, as before.
//
// A ClientHello in fragments (a post-quantum key share, a small MTU) is the one
// exception to "nothing is kept": its pieces are held, bounded, per address
// (hello-reassembly.ts) until it is whole, then judged like a whole one. When
// that accepts, the verdict hands back every datagram that carried it, for the
// new connection to read.
import type { ResolvedOptions } from '../options.ts';
import { ContentType, HandshakeType, type HandshakeFragment, ExtensionType } from '../wire/types.ts';
import { decodeRecords, encodeRecord } from '../wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeFragment, encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeCookie } from '../wire/extensions13/cookie.ts';
import { LEGACY_VERSION_13 } from '../wire/messages13/hello13.ts';
import { createCookieGate, gateCookies, type CookieIssuer } from './cookie.ts';
import { chooseServerVersion } from './server-dispatch.ts';
import { readClientHello13 } from './server13-hello.ts';
import { HelloReassembly, type HelloPiece, type HelloReassemblyLimits } from './hello-reassembly.ts';

/**
 * A gate's verdict on a datagram from an unknown peer. `hold`: a piece of a
 * ClientHello, kept until the message is whole. `accept` may carry the
 * datagrams that brought a fragmented ClientHello (the connection reads them
 * all, in order); without them, the datagram checked is the first to read.
 */
export type GateVerdict =
  { action: 'accept'; state?: Uint8Array; datagrams?: Uint8Array[] } | { action: 'reply'; datagram: Uint8Array } | { action: 'drop' } | { action: 'hold' };

/** The 1.3 server's gate: verdicts, HRR cookies, and the fragments it holds. */
export interface CookieGate13 extends CookieIssuer {
  check(datagram: Uint8Array, peer: string, now?: number): GateVerdict;
  /** Whether a partial ClientHello from `peer` is held (its next pieces belong here, not to a connection). */
  holds(peer: string): boolean;
  /** Partial ClientHellos held: peers and bytes. */
  readonly held: { peers: number; bytes: number };
}

interface WholeHello {
  body: Uint8Array;
  messageSeq: number;
  recordSeq: number;
  /** The datagrams that carried it, when more than the one checked. */
  datagrams?: Uint8Array[];
  /** Bytes the address sent for it (the HRR's amplification budget). */
  bytes: number;
  /** The record version of the ClientHello's (first) record. */
  version: number;
}

/** A cookie gate that answers DTLS 1.3 ClientHellos with a HelloRetryRequest and 1.2 ones with a HelloVerifyRequest. */
export function createCookieGate13(opts: {
  options: ResolvedOptions;
  secret?: Uint8Array;
  rotateAfter?: number;
  reassembly?: Partial<HelloReassemblyLimits>;
}): CookieGate13 {
  const o = opts.options;
  const base = createCookieGate({
    crypto: o.crypto,
    ...(opts.secret ? { secret: opts.secret } : {}),
    ...(opts.rotateAfter ? { rotateAfter: opts.rotateAfter } : {}),
  });
  const table = new HelloReassembly({ maxPeerBytes: o.limits.maxHandshakeMessage, ...opts.reassembly });
  // Every first ClientHello draws an HRR here, whatever the connection's own requireCookie says.
  const withCookie: ResolvedOptions = { ...o, requireCookie: true };

  const judge13 = (hello: WholeHello, peer: string, now: number | undefined): GateVerdict => {
    let ch;
    try {
      ch = decodeClientHello(hello.body);
    } catch {
      return { action: 'drop' };
    }
    const cookies = gateCookies(base, peer, now === undefined ? undefined : () => now);
    const ext = findExtension(ch.extensions, ExtensionType.cookie);
    if (ext) {
      let cookie;
      try {
        cookie = decodeCookie(ext.data);
      } catch {
        return { action: 'drop' };
      }
      const state = cookies.open(ch.random, cookie);
      // Not ours (forged, stale, or another address's): dropped; a real client starts over on its timer.
      if (!state) return { action: 'drop' };
      return hello.datagrams ? { action: 'accept', state, datagrams: hello.datagrams } : { action: 'accept', state };
    }
    let decision;
    try {
      decision = readClientHello13(withCookie, hello.body, cookies);
    } catch {
      // A ClientHello we would refuse: without state there is no alert to send.
      return { action: 'drop' };
    }
    if (decision.kind !== 'retry') return { action: 'drop' };
    const hs = encodeHandshakeMessage({ msgType: HandshakeType.server_hello, messageSeq: hello.messageSeq, body: decision.hrrBody });
    // RFC 9147 5.1 with RFC 6347 4.2.1's rule: the stateless answer reuses the ClientHello's record number.
    const reply = encodeRecord({ contentType: ContentType.handshake, version: LEGACY_VERSION_13, epoch: 0, sequenceNumber: hello.recordSeq, fragment: hs });
    // RFC 9147 5.1: at most three times what the unverified address sent (an HRR is ~150 bytes).
    if (reply.length > 3 * hello.bytes) return { action: 'drop' };
    return { action: 'reply', datagram: reply };
  };

  /**
   * A reassembled 1.2 ClientHello: the 1.2 gate reads its first fragment (what
   * precedes the suites is all it needs), here one of at most 1 KB, so a record
   * holds it whatever the message's length.
   */
  const judge12 = (hello: WholeHello & { datagrams: Uint8Array[] }, peer: string, now: number | undefined): GateVerdict => {
    const whole = encodeRecord({
      contentType: ContentType.handshake,
      version: hello.version,
      epoch: 0,
      sequenceNumber: hello.recordSeq,
      fragment: encodeHandshakeFragment({
        msgType: HandshakeType.client_hello,
        length: hello.body.length,
        messageSeq: hello.messageSeq,
        fragmentOffset: 0,
        body: hello.body.subarray(0, 1024),
      }),
    });
    const v = base.check(whole, peer, now);
    return v.action === 'accept' ? { ...v, datagrams: hello.datagrams } : v;
  };

  return {
    issue: base.issue,
    open: base.open,
    holds: (peer) => table.holds(peer),
    get held() {
      return { peers: table.peers, bytes: table.bytes };
    },
    check(datagram, peer, now) {
      const { records } = decodeRecords(datagram);
      const rec = records[0];
      if (!rec || rec.epoch !== 0 || rec.contentType !== ContentType.handshake) return { action: 'drop' };
      // Every ClientHello piece in the datagram: one message's (same message_seq and length), or none taken.
      const pieces: HelloPiece[] = [];
      try {
        for (const r of records) {
          if (r.epoch !== 0 || r.contentType !== ContentType.handshake) continue;
          for (const f of decodeHandshakeFragments(r.fragment))
            if (f.msgType === HandshakeType.client_hello) pieces.push({ fragment: f, recordSeq: r.sequenceNumber });
        }
      } catch {
        return { action: 'drop' };
      }
      const first = pieces[0];
      if (!first) return { action: 'drop' };
      if (pieces.some((p) => !sameMessage(p.fragment, first.fragment))) return { action: 'drop' };
      if (isWhole(first.fragment)) {
        // Whole in one datagram (the usual case): nothing held; a partial one from before is stale.
        table.forget(peer);
        if (chooseServerVersion(o, first.fragment.body) !== '1.3') return base.check(datagram, peer, now);
        return judge13(
          { body: first.fragment.body, messageSeq: first.fragment.messageSeq, recordSeq: rec.sequenceNumber, bytes: datagram.length, version: rec.version },
          peer,
          now,
        );
      }
      const got = table.add(peer, datagram, pieces, now);
      if (got.kind !== 'whole') return { action: got.kind === 'held' ? 'hold' : 'drop' };
      const hello = { ...got, version: rec.version };
      return chooseServerVersion(o, got.body) === '1.3' ? judge13(hello, peer, now) : judge12(hello, peer, now);
    },
  };
}

function isWhole(f: HandshakeFragment): boolean {
  return f.fragmentOffset === 0 && f.body.length === f.length;
}

function sameMessage(a: HandshakeFragment, b: HandshakeFragment): boolean {
  return a.messageSeq === b.messageSeq && a.length === b.length;
}
