// What a handshake hands the record layer for one direction of one epoch:
// the suite and its key and IV. The record layer builds the protection from
// them (record/protection.ts for DTLS 1.2), so a version with another record
// format (DTLS 1.3's record number encryption, RFC 9147 4.2.3) takes the same keys.
import type { CipherSuite } from '../crypto/suites.ts';

export interface TrafficKeys {
  suite: CipherSuite;
  key: Uint8Array;
  iv: Uint8Array;
}
