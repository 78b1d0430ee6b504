// What a handshake hands the record layer for one direction of one epoch:
// the suite and its key and IV, and in DTLS 1.3 the record number key
// (sn_key, RFC 9147 4.2.3). The record layer builds the protection from them
// (protection.ts for DTLS 1.2, protection13.ts for DTLS 1.3), so the handshake
// never builds protection objects.
import type { CipherSuite, CipherSuite13 } from '../crypto/suites.ts';

/** DTLS 1.2 keys (RFC 5246 6.3): key and fixed IV from the key block. */
export interface TrafficKeys12 {
  suite: CipherSuite;
  key: Uint8Array;
  iv: Uint8Array;
}

/** DTLS 1.3 keys of one traffic secret (RFC 8446 7.3, RFC 9147 4.2.3). */
export interface TrafficKeys13 {
  suite: CipherSuite13;
  key: Uint8Array;
  iv: Uint8Array;
  /** sn_key: record number encryption. */
  sn: Uint8Array;
}

export type TrafficKeys = TrafficKeys12 | TrafficKeys13;

export function isTrafficKeys13(k: TrafficKeys): k is TrafficKeys13 {
  return 'sn' in k;
}
