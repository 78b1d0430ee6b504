// A client offering DTLS 1.3 and 1.2 keeps the epoch-0 records that come before
// the version is known, to replay them into the 1.2 machine. A 1.2 server may
// cut its HelloVerifyRequest (or ServerHello) into many tiny records (BoGo's
// SplitHandshakeRecords and PackHandshake tests: one byte of message per
// record): a cap of 16 records lost the rest, and the handshake stalled. The
// hold is bounded by bytes instead (a hello is small).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { encodeHelloVerifyRequest } from '../../src/wire/messages/hello-verify-request.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';

/** A HelloVerifyRequest with `cookie`, one byte of its body per record, all in one datagram. */
function splitHelloVerify(cookie: Uint8Array): Uint8Array {
  const body = encodeHelloVerifyRequest({ version: ProtocolVersion.DTLS1_2, cookie });
  const records: Uint8Array[] = [];
  for (let i = 0; i < body.length; i++) {
    const fragment = encodeHandshakeFragment({
      msgType: HandshakeType.hello_verify_request,
      length: body.length,
      messageSeq: 0,
      fragmentOffset: i,
      body: body.subarray(i, i + 1),
    });
    records.push(encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: i, fragment }));
  }
  const out = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of records) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

test('a HelloVerifyRequest in 35 one-byte records: the 1.3+1.2 client answers it with the cookie', () => {
  const { client } = createPair({ versions: ['1.3', '1.2'], groups: ['x25519', 'secp256r1'] });
  client.start(0);
  while (client.pollTransmit());
  const cookie = new Uint8Array(32).fill(0xc0);
  client.handleDatagram(0, splitHelloVerify(cookie));
  assert.equal(client.state, 'handshaking', client.error?.message);
  const hellos = [];
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
    for (const r of decodeRecords(d).records)
      for (const f of decodeHandshakeFragments(r.fragment)) if (f.msgType === HandshakeType.client_hello) hellos.push(f);
  }
  assert.equal(hellos.length, 1, 'a second ClientHello');
  assert.deepEqual([...decodeClientHello(hellos[0]!.body).cookie], [...cookie]);
});
