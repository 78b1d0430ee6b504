// A client offering DTLS 1.3 and 1.2 answers a 1.2 server's HelloVerifyRequest
// with the same ClientHello, cookie added (RFC 6347 4.2.1): not with a new,
// 1.2-only one (BoGo: "second ClientHello cipher suites did not match" from
// every 1.2 server test that sends a HelloVerifyRequest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, type ClientHello } from '../../src/wire/messages/client-hello.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';

/** The whole ClientHellos in one datagram (no hybrid share: each fits one fragment). */
function clientHellos(d: Uint8Array): ClientHello[] {
  const out: ClientHello[] = [];
  for (const r of decodeRecords(d).records) {
    if (r.contentType !== ContentType.handshake || r.epoch !== 0) continue;
    for (const f of decodeHandshakeFragments(r.fragment)) {
      if (f.msgType !== HandshakeType.client_hello) continue;
      assert.equal(f.body.length, f.length, 'the test expects whole ClientHellos');
      out.push(decodeClientHello(f.body));
    }
  }
  return out;
}

test('the ClientHello after a HelloVerifyRequest is the first one with the cookie: 1.3 suites, supported_versions and key_share kept', () => {
  const { client, server } = createPair({ versions: ['1.3', '1.2'], groups: ['x25519', 'secp256r1'] }, { versions: ['1.2'], requireCookie: true });
  client.start(0);
  server.start(0);
  const hellos: ClientHello[] = [];
  for (let i = 0; i < 20; i++) {
    let moved = false;
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
      hellos.push(...clientHellos(d));
      server.handleDatagram(0, d);
      moved = true;
    }
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
      client.handleDatagram(0, d);
      moved = true;
    }
    if (!moved) break;
  }
  assert.equal(client.state, 'connected', client.error?.message);
  assert.equal(client.handshakeInfo?.version, 'DTLS 1.2');
  assert.equal(hellos.length, 2);
  const [first, second] = hellos as [ClientHello, ClientHello];
  assert.equal(first.cookie.length, 0);
  assert.ok(second.cookie.length > 0, 'the second ClientHello returns the cookie');
  assert.deepEqual({ ...second, cookie: first.cookie }, first);
  assert.ok(
    second.cipherSuites.some((s) => s >> 8 === 0x13),
    'still offers the DTLS 1.3 suites',
  );
});
