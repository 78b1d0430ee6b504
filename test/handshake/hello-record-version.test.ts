// The version field of a client's epoch-0 records: DTLS 1.0's (0xfeff) for
// its ClientHellos until the server's version is known, DTLS 1.2's (0xfefd)
// after, as BoringSSL and OpenSSL send them (RFC 9147 4: "may also be {254,
// 255}" for a ClientHello not sent after a HelloRetryRequest; RFC 6347 4.1
// with RFC 5246 E.1 for DTLS 1.2). BoGo's VersionNegotiation-Client tests
// check the first; a 1.3 ClientHello after a HelloRetryRequest must be 0xfefd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { shuttleSeen } from './helpers.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';

const NAMES: Record<number, string> = {
  [HandshakeType.client_hello]: 'ClientHello',
  [HandshakeType.certificate]: 'Certificate',
  [HandshakeType.client_key_exchange]: 'ClientKeyExchange',
  [HandshakeType.certificate_verify]: 'CertificateVerify',
};

/** "<message> <record version>" for each epoch-0 handshake record the client sent, in order. */
function clientEpoch0(client: DtlsOptions, server: DtlsOptions): string[] {
  const pair = createPair(client, server);
  pair.client.start(0);
  pair.server.start(0);
  const seen: string[] = [];
  shuttleSeen(pair.client, pair.server, (from, d) => {
    if (from !== 'client') return;
    for (const r of decodeRecords(d).records) {
      if (r.epoch !== 0 || r.contentType !== ContentType.handshake) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) seen.push(`${NAMES[f.msgType] ?? f.msgType} ${r.version.toString(16)}`);
    }
  });
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  return [...new Set(seen)];
}

const v10 = ProtocolVersion.DTLS1_0.toString(16);
const v12 = ProtocolVersion.DTLS1_2.toString(16);

test('DTLS 1.3: the first ClientHello goes in 0xfeff, the one after a HelloRetryRequest in 0xfefd', () => {
  assert.deepEqual(clientEpoch0({ versions: ['1.3'] }, { versions: ['1.3'], requireCookie: false }), [`ClientHello ${v10}`]);
  assert.deepEqual(clientEpoch0({ versions: ['1.3'] }, { versions: ['1.3'], requireCookie: true }), [`ClientHello ${v10}`, `ClientHello ${v12}`]);
});

test('DTLS 1.2: both ClientHellos (around a HelloVerifyRequest) go in 0xfeff, the flight after the ServerHello in 0xfefd', () => {
  assert.deepEqual(clientEpoch0({ versions: ['1.2'] }, { versions: ['1.2'], requireCookie: true }), [`ClientHello ${v10}`, `ClientKeyExchange ${v12}`]);
  // A client offering 1.3 and 1.2 that a 1.2 server answers: the same.
  assert.deepEqual(clientEpoch0({ versions: ['1.3', '1.2'] }, { versions: ['1.2'], requireCookie: true }), [`ClientHello ${v10}`, `ClientKeyExchange ${v12}`]);
});
