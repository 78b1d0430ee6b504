// A client offering DTLS 1.3 and 1.2 answers a 1.2 server's HelloVerifyRequest
// with the same ClientHello, cookie added (RFC 6347 4.2.1): not with a new,
// 1.2-only one (BoGo: "second ClientHello cipher suites did not match" from
// every 1.2 server test that sends a HelloVerifyRequest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, type ClientHello } from '../../src/wire/messages/client-hello.ts';
import { encodeHelloVerifyRequest } from '../../src/wire/messages/hello-verify-request.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion, ExtensionType } from '../../src/wire/types.ts';

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

/** One epoch-0 record holding the whole handshake message. */
function record(msgType: number, messageSeq: number, body: Uint8Array, seq: number): Uint8Array {
  const fragment = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body });
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: seq, fragment });
}

test('a DTLS 1.3 ServerHello after a HelloVerifyRequest is refused as such (RFC 9147 5.1: a 1.3 server asks for its cookie with a HelloRetryRequest)', () => {
  const { client } = createPair({ versions: ['1.3', '1.2'], groups: ['x25519', 'secp256r1'] });
  client.start(0);
  while (client.pollTransmit());
  const hvr = encodeHelloVerifyRequest({ version: ProtocolVersion.DTLS1_2, cookie: new Uint8Array(8).fill(1) });
  client.handleDatagram(0, record(HandshakeType.hello_verify_request, 0, hvr, 0));
  while (client.pollTransmit());
  const sh = encodeServerHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(9),
    sessionId: new Uint8Array(0),
    cipherSuite: 0x1301,
    compressionMethod: 0,
    extensions: [{ type: ExtensionType.supported_versions, data: Uint8Array.of(0xfe, 0xfc) }],
  });
  client.handleDatagram(0, record(HandshakeType.server_hello, 1, sh, 1));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'illegal_parameter');
  assert.match(client.error?.message ?? '', /DTLS 1\.3 ServerHello after a HelloVerifyRequest/);
});

test('the downgrade sentinel is refused after a HelloVerifyRequest too (RFC 8446 4.1.3): the 1.2 client that took over checks it', () => {
  const { client } = createPair({ versions: ['1.3', '1.2'], groups: ['x25519', 'secp256r1'] });
  client.start(0);
  while (client.pollTransmit());
  const hvr = encodeHelloVerifyRequest({ version: ProtocolVersion.DTLS1_2, cookie: new Uint8Array(8).fill(1) });
  client.handleDatagram(0, record(HandshakeType.hello_verify_request, 0, hvr, 0));
  while (client.pollTransmit());
  // A 1.3-capable server that negotiates 1.2 ends its random with "DOWNGRD" 01 (RFC 8446 4.1.3).
  const random = new Uint8Array(32).fill(9);
  random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01], 24);
  const sh = encodeServerHello({
    version: ProtocolVersion.DTLS1_2,
    random,
    sessionId: new Uint8Array(0),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions: [],
  });
  client.handleDatagram(0, record(HandshakeType.server_hello, 1, sh, 1));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'illegal_parameter');
  assert.match(client.error?.message ?? '', /downgrade/);
});
