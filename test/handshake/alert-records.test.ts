// An alert record that authenticated under the keys but is not one 2-byte
// Alert (split across records, or two coalesced) is the peer's decode error,
// not a record to drop: RFC 5246 7.2 defines an Alert as exactly { level,
// description }, RFC 5246 7.2.2 names decode_error for what does not decode,
// and RFC 8446 5.1 forbids fragmenting or coalescing alerts. The silent drop of
// RFC 6347 4.1.2.7 is for records that fail to deprotect, and epoch 0, where
// anyone can inject a record, keeps it. Found by BoGo's FragmentAlert-DTLS and
// DoubleAlert-DTLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bothIn, runPair } from '../sim/network.ts';
import { makePair } from './helpers.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { deriveKeys } from '../../src/crypto/prf.ts';
import { CIPHER_SUITES } from '../../src/crypto/suites.ts';
import { RecordProtection } from '../../src/record/protection.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';

const SUITE = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';

/** A connected pair, and a way to seal any record as the server would in epoch 1 (keys from the key log and the ServerHello). */
function connectedPair() {
  const lines: string[] = [];
  const { client, server } = makePair({ cipherSuites: [SUITE], keyLog: (l) => lines.push(l) }, { cipherSuites: [SUITE] });
  let serverRandom: Uint8Array | undefined;
  const tap = (d: Uint8Array) => {
    for (const r of decodeRecords(d).records) {
      if (r.contentType !== ContentType.handshake || r.epoch !== 0) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType === HandshakeType.server_hello && f.fragmentOffset === 0 && f.body.length === f.length)
          serverRandom = decodeServerHello(f.body).random.slice();
      }
    }
    return [d];
  };
  const r = runPair(client, server, { seed: 3, bToA: { rewrite: tap }, until: bothIn('connected') });
  assert.equal(r.reason, 'until');
  const [, clientRandomHex, masterHex] = lines[0]!.split(' ');
  const suite = CIPHER_SUITES.find((s) => s.name === SUITE)!;
  const keys = deriveKeys(nobleProvider, suite, Buffer.from(masterHex!, 'hex'), Buffer.from(clientRandomHex!, 'hex'), serverRandom!);
  const protection = new RecordProtection(nobleProvider, suite, keys.serverWriteKey, keys.serverWriteIv);
  // Far above any record number the server used, inside the replay window's reach.
  let seq = 1000;
  const sealFromServer = (contentType: number, payload: Uint8Array) => {
    const s = seq++;
    const fragment = protection.seal(1, s, contentType, ProtocolVersion.DTLS1_2, payload);
    return encodeRecord({ contentType, version: ProtocolVersion.DTLS1_2, epoch: 1, sequenceNumber: s, fragment });
  };
  return { client, sealFromServer };
}

test('the forged-record check: a sealed 2-byte fatal alert from the server is accepted and fails the client', () => {
  const { client, sealFromServer } = connectedPair();
  client.handleDatagram(1e6, sealFromServer(ContentType.alert, Uint8Array.of(2, 22)));
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'peer_alert');
});

for (const [name, payloads] of [
  ['split into two 1-byte records', [Uint8Array.of(2), Uint8Array.of(22)]],
  ['two alerts coalesced in one 4-byte record', [Uint8Array.of(2, 22, 2, 22)]],
  ['an empty alert record', [new Uint8Array(0)]],
] as const) {
  test(`an authenticated alert record ${name} fails the connection with decode_error`, () => {
    const { client, sealFromServer } = connectedPair();
    for (const p of payloads) client.handleDatagram(1e6, sealFromServer(ContentType.alert, p));
    assert.equal(client.state, 'failed');
    assert.equal(client.error?.code, 'decode_error');
    const sent = [];
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) sent.push(d);
    assert.ok(sent.length >= 1, 'the client tells the peer (a decode_error alert)');
  });
}

test('a malformed alert record at epoch 0 (anyone can inject one) is still a counted drop', () => {
  const { client } = connectedPair();
  const forged = encodeRecord({ contentType: ContentType.alert, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: 5000, fragment: Uint8Array.of(2) });
  client.handleDatagram(1e6, forged);
  assert.equal(client.state, 'connected');
});
