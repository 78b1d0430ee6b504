// The stateless cookie gate of a server that speaks DTLS 1.3 (RFC 9147 5.1):
// in front of every connection, a ClientHello offering 1.3 without our cookie
// is answered with a HelloRetryRequest whose cookie carries Hash(ClientHello1),
// the suite and the group asked for, MACed with the peer's address; nothing is
// kept. The ClientHello that returns a valid cookie is accepted (the verdict
// carries the state) and its connection opens the cookie through
// gateCookies(gate, peer). Anything else (1.2 ClientHellos, 1.3 ones in
// fragments, which a stateless gate cannot reassemble) goes to the DTLS 1.2
// gate: HelloVerifyRequest, as before.
import type { ResolvedOptions } from '../options.ts';
import { ContentType, HandshakeType } from '../wire/types.ts';
import { decodeRecords, encodeRecord } from '../wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeCookie } from '../wire/extensions13/cookie.ts';
import { ExtensionType13 } from '../wire/types13.ts';
import { LEGACY_VERSION_13 } from '../wire/messages13/hello13.ts';
import { createCookieGate, gateCookies, type CookieGate, type CookieIssuer } from './cookie.ts';
import { chooseServerVersion } from './server-dispatch.ts';
import { readClientHello13 } from './server13-hello.ts';

/** A cookie gate that answers DTLS 1.3 ClientHellos with a HelloRetryRequest and 1.2 ones with a HelloVerifyRequest. */
export function createCookieGate13(opts: { options: ResolvedOptions; secret?: Uint8Array; rotateAfter?: number }): CookieGate & CookieIssuer {
  const o = opts.options;
  const base = createCookieGate({
    crypto: o.crypto,
    ...(opts.secret ? { secret: opts.secret } : {}),
    ...(opts.rotateAfter ? { rotateAfter: opts.rotateAfter } : {}),
  });
  // Every first ClientHello draws an HRR here, whatever the connection's own requireCookie says.
  const withCookie: ResolvedOptions = { ...o, requireCookie: true };
  return {
    issue: base.issue,
    open: base.open,
    check(datagram, peer, now) {
      const rec = decodeRecords(datagram).records[0];
      if (!rec || rec.epoch !== 0 || rec.contentType !== ContentType.handshake) return { action: 'drop' };
      let frag;
      try {
        frag = decodeHandshakeFragments(rec.fragment)[0];
      } catch {
        return { action: 'drop' };
      }
      const whole = frag && frag.msgType === HandshakeType.client_hello && frag.fragmentOffset === 0 && frag.body.length === frag.length;
      if (!whole || chooseServerVersion(o, frag.body) !== '1.3') return base.check(datagram, peer, now);
      let ch;
      try {
        ch = decodeClientHello(frag.body);
      } catch {
        return { action: 'drop' };
      }
      const cookies = gateCookies(base, peer, now === undefined ? undefined : () => now);
      const ext = findExtension(ch.extensions, ExtensionType13.cookie);
      if (ext) {
        let cookie;
        try {
          cookie = decodeCookie(ext.data);
        } catch {
          return { action: 'drop' };
        }
        const state = cookies.open(ch.random, cookie);
        // Not ours (forged, stale, or another address's): dropped; a real client starts over on its timer.
        return state ? { action: 'accept', state } : { action: 'drop' };
      }
      let decision;
      try {
        decision = readClientHello13(withCookie, frag.body, cookies);
      } catch {
        // A ClientHello we would refuse: without state there is no alert to send.
        return { action: 'drop' };
      }
      if (decision.kind !== 'retry') return { action: 'drop' };
      const hs = encodeHandshakeMessage({ msgType: HandshakeType.server_hello, messageSeq: frag.messageSeq, body: decision.hrrBody });
      // RFC 9147 5.1 with RFC 6347 4.2.1's rule: the stateless answer reuses the ClientHello's record number.
      const reply = encodeRecord({
        contentType: ContentType.handshake,
        version: LEGACY_VERSION_13,
        epoch: 0,
        sequenceNumber: rec.sequenceNumber,
        fragment: hs,
      });
      // RFC 9147 5.1: at most three times what the unverified address sent (an HRR is ~150 bytes).
      if (reply.length > 3 * datagram.length) return { action: 'drop' };
      return { action: 'reply', datagram: reply };
    },
  };
}
