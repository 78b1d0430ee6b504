// The DTLS 1.3 client against the DTLS 1.3 server, both the real sans-IO
// core, in memory: every suite and key share group, HelloRetryRequest,
// client certificates, SRTP and the exporter, data both ways, ALPN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';

function handshake(client: DtlsOptions, server: DtlsOptions = {}) {
  const pair = createPair({ versions: ['1.3'], ...client }, { versions: ['1.3', '1.2'], ...server });
  pair.client.start(0);
  pair.server.start(0);
  shuttle(pair.client, pair.server);
  return pair;
}

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : '';
}

function exchange(a: Connection, b: Connection): void {
  a.send(0, Uint8Array.of(1, 2, 3));
  b.send(0, Uint8Array.of(4, 5));
  shuttle(a, b);
  assert.deepEqual([...(b.pollReceived() ?? [])], [1, 2, 3]);
  assert.deepEqual([...(a.pollReceived() ?? [])], [4, 5]);
}

// The CCM suites and X25519MLKEM768 run against BoGo (test/dtls13/client-bogo.test.ts): the server
// machine reads its 1.3 suites and groups from options.cipherSuites13 / groups13 once it takes them.
for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
  test(`DTLS 1.3 client and server complete with ${suite} and exchange data`, () => {
    const { client, server } = handshake({ cipherSuites: [suite] }, { cipherSuites: [suite, 'TLS_AES_128_GCM_SHA256'] });
    assert.equal(client.state, 'connected', errors(client) || errors(server));
    assert.equal(server.state, 'connected', errors(server));
    assert.equal(client.handshakeInfo?.version, 'DTLS 1.3');
    assert.equal(client.handshakeInfo?.cipherSuite, suite);
    exchange(client, server);
  });
}

for (const group of ['x25519', 'P-256', 'P-384'] as const) {
  test(`key share ${group}`, () => {
    const { client, server } = handshake({ groups: [group] }, { groups: [group] });
    assert.equal(client.state, 'connected', errors(client) || errors(server));
    assert.equal(client.handshakeInfo?.group, group === 'P-256' ? 'secp256r1' : group === 'P-384' ? 'secp384r1' : group);
    exchange(client, server);
  });
}

test('a HelloRetryRequest for another group: the client sends a new share, the transcript takes message_hash', () => {
  const { client, server } = handshake({ groups: ['x25519', 'P-256'] }, { groups: ['P-256'] });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.equal(client.handshakeInfo?.group, 'secp256r1');
  exchange(client, server);
});

test('a HelloRetryRequest with a cookie (requireCookie): the client echoes it', () => {
  const { client, server } = handshake({}, { requireCookie: true });
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  exchange(client, server);
});

test('client certificate on request; both exporters agree (RFC 8446 7.5); SRTP and ALPN negotiated', () => {
  const { client, server } = handshake(
    { srtpProfiles: ['SRTP_AEAD_AES_128_GCM'], alpn: ['webrtc'] },
    { requestClientCertificate: 'require', srtpProfiles: ['SRTP_AEAD_AES_128_GCM'], alpn: ['webrtc'] },
  );
  assert.equal(client.state, 'connected', errors(client) || errors(server));
  assert.equal(server.state, 'connected', errors(server));
  assert.equal(server.handshakeInfo?.peerCertificates.length, 1);
  assert.equal(client.handshakeInfo?.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
  assert.equal(client.handshakeInfo?.alpn, 'webrtc');
  const a = client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 56);
  const b = server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 56);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', new Uint8Array(1), 56));
});

test('keyLog gets the five TLS 1.3 secrets with the client random', () => {
  const lines: string[] = [];
  const { client } = handshake({ keyLog: (l) => lines.push(l) });
  assert.equal(client.state, 'connected');
  assert.deepEqual(
    lines.map((l) => l.split(' ')[0]),
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'],
  );
  assert.ok(lines.every((l) => /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/.test(l)));
});

test('a pinned fingerprint that does not match fails the 1.3 client with bad_certificate', () => {
  const { client } = handshake({ verify: { fingerprints: ['sha-256 ' + Array(32).fill('AA').join(':')] } });
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'verification_failed');
});

test('a 1.3-only client against a 1.2-only server: no suite in common, both fail, nothing hangs', () => {
  const { client, server } = handshake({}, { versions: ['1.2'] });
  assert.equal(client.state, 'failed');
  assert.equal(server.state, 'failed');
  assert.equal(client.error?.alert, 40, errors(client));
});
