// A 1.3+1.2 server before its first ClientHello (handshake/server-dispatch.ts)
// counts what it drops by what it is: an epoch-0 handshake record whose
// fragments do not decode is 'malformed', as the 1.2-only server counts it
// (dtls12.ts); a well-formed record that is no ClientHello piece stays
// 'unexpected' (server-negotiation.test.ts has more of it). Anyone can inject epoch-0 records, so both are silent drops
// (RFC 6347 4.1.2.7), and neither decides the version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';
import { certs } from './helpers.ts';

function epoch0(contentType: number, fragment: Uint8Array, seq: number): Uint8Array {
  return encodeRecord({ contentType, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: seq, fragment });
}

/** A truncated handshake header (5 of 12 bytes), and a handshake length past the fragment. */
const GARBAGE = [Uint8Array.of(1, 0, 0, 9, 0), Uint8Array.of(HandshakeType.client_hello, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 200, 1, 2)];

for (const versions of [['1.3', '1.2'], ['1.2']] as const) {
  test(`server ${versions.join('+')}: undecodable epoch-0 handshake records count as malformed, other noise as unexpected`, () => {
    const conn = new Connection(resolveOptions({ role: 'server', certificate: certs().server, requireCookie: false, versions: [...versions] }));
    conn.start(0);
    let seq = 0;
    for (const g of GARBAGE) conn.handleDatagram(0, epoch0(ContentType.handshake, g, seq++));
    assert.equal(conn.stats.dropped.malformed, GARBAGE.length);
    assert.equal(conn.stats.dropped.unexpected, undefined);
    // Well-formed noise where a ClientHello belongs (a ChangeCipherSpec) stays 'unexpected'.
    conn.handleDatagram(0, epoch0(ContentType.change_cipher_spec, Uint8Array.of(1), seq));
    assert.equal(conn.stats.dropped.unexpected, 1);
    assert.equal(conn.stats.dropped.malformed, GARBAGE.length);
    assert.equal(conn.state, 'handshaking');
    assert.equal(conn.pollTransmit(), undefined, 'nothing answered');
  });
}
