import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair, bothIn } from '../sim/network.ts';
import { makePair, certs } from './helpers.ts';
import { utf8, fromUtf8 } from '../../src/wire/codec.ts';

test('client and server complete a handshake and exchange data', () => {
  const { client, server } = makePair();
  const r = runPair(client, server, { seed: 1, until: bothIn('connected') });
  assert.equal(r.reason, 'until', `stopped by ${r.reason}; client ${client.state} ${client.error?.message}; server ${server.state} ${server.error?.message}`);
  assert.equal(client.handshakeInfo?.cipherSuite, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  assert.equal(client.handshakeInfo?.peerFingerprint, certs().server.fingerprint);
  assert.equal(client.handshakeInfo?.extendedMasterSecret, true);
  client.send(r.pair.now, utf8('ping'));
  server.send(r.pair.now, utf8('pong'));
  r.pair.flush();
  r.pair.run({ until: (p) => p.log.a.received.length > 0 && p.log.b.received.length > 0, maxDuration: 1000 });
  assert.equal(fromUtf8(r.pair.log.b.received[0]!), 'ping');
  assert.equal(fromUtf8(r.pair.log.a.received[0]!), 'pong');
  assert.deepEqual(client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60), server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60));
});
