// The DTLS 1.2 session a client may offer (options.session12), for the 1.2
// client and for the 1.3 client that offers 1.2 beside it.
import type { ResolvedOptions } from '../options.ts';
import { DtlsError } from '../errors.ts';
import type { ClientSession12 } from './ticket12.ts';
import { verifyPeer } from './verify-peer.ts';

/**
 * options.session12, if it may be offered now: unexpired, for the server name
 * we ask for, of a suite we offer, with the extended master secret on offer
 * (RFC 7627 5.3), and with a peer certificate our verify option still accepts
 * (a resumed handshake shows none).
 */
export function usableSession12(o: ResolvedOptions, now: number): ClientSession12 | undefined {
  const s = o.session12;
  if (!s || !o.versions.includes('1.2') || o.extendedMasterSecret === false || !o.cipherSuites.includes(s.suite)) return undefined;
  // A clock that went back makes no session older: only the lifetime counts.
  if (o.wallTime(now) - s.receivedAt > s.lifetime * 1000) return undefined;
  if (s.serverName !== o.serverName || !s.peerChain.length) return undefined;
  try {
    verifyPeer(s.peerChain, o, now, 'client');
  } catch (e) {
    if (e instanceof DtlsError) return undefined;
    throw e;
  }
  return s;
}
