import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certs, connectPair, makePair } from './helpers.ts';
import { generateCertificate } from '../../src/x509/generate.ts';

for (const suite of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
  for (const group of ['x25519', 'P-256', 'P-384'] as const) {
    test(`negotiates ${suite} with ${group}`, () => {
      // The client lists the certificate's curve too (RFC 8422 5.1); the server picks `group`.
      const { client, server } = connectPair({ cipherSuites: [suite], groups: [group, 'P-256'] }, { groups: [group] });
      assert.equal(client.state, 'connected', client.error?.message);
      assert.equal(client.handshakeInfo?.cipherSuiteId, server.handshakeInfo?.cipherSuiteId);
      assert.equal(server.handshakeInfo?.group, { x25519: 'x25519', 'P-256': 'secp256r1', 'P-384': 'secp384r1' }[group]);
      assert.deepEqual(client.exportKeyingMaterial('label', new Uint8Array([1]), 32), server.exportKeyingMaterial('label', new Uint8Array([1]), 32));
    });
  }
}

test("a client that does not list the certificate's curve is refused (RFC 8422 5.1)", () => {
  const { server } = connectPair({ groups: ['x25519'] }, {});
  assert.equal(server.error?.code, 'handshake_failure');
});

test('P-384 server certificate', () => {
  const cert = generateCertificate({ curve: 'P-384' });
  const { client } = connectPair({ verify: { fingerprints: [cert.fingerprint] } }, { certificate: cert });
  assert.equal(client.state, 'connected', client.error?.message);
});

test('use_srtp and ALPN are negotiated by server preference', () => {
  const { client, server } = connectPair(
    { srtpProfiles: ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM'], alpn: ['webrtc', 'c-webrtc'] },
    { srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'], alpn: ['c-webrtc'] },
  );
  assert.equal(client.handshakeInfo?.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
  assert.equal(server.handshakeInfo?.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
  assert.equal(client.handshakeInfo?.alpn, 'c-webrtc');
});

test('no ALPN protocol in common fails with no_application_protocol', () => {
  const { client, server } = connectPair({ alpn: ['a'] }, { alpn: ['b'] });
  assert.equal(server.error?.code, 'no_application_protocol');
  assert.equal(client.error?.alert, 120);
  assert.equal(client.error?.fromPeer, true);
});

test('mutual authentication with fingerprints both ways', () => {
  const c = certs();
  const { client, server } = connectPair({ certificate: c.client }, { requestClientCertificate: 'require', verify: { fingerprints: [c.client.fingerprint] } });
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(server.handshakeInfo?.peerFingerprint, c.client.fingerprint);
  assert.equal(client.state, 'connected');
});

test('a required client certificate that is missing fails the handshake', () => {
  const { client, server } = connectPair({}, { requestClientCertificate: 'require', verify: 'insecure' });
  assert.equal(server.error?.code, 'handshake_failure');
  assert.equal(client.error?.code, 'peer_alert');
});

test('a certificate that does not match the pinned fingerprint fails with a typed error and an alert', () => {
  const other = generateCertificate();
  const { client, server } = connectPair({ verify: { fingerprints: [other.fingerprint] } }, {});
  assert.equal(client.error?.code, 'verification_failed');
  assert.equal(server.error?.code, 'peer_alert');
  assert.equal(server.error?.alert, 42);
});

test('extended master secret required by the server but not offered fails', () => {
  const { server } = connectPair({ extendedMasterSecret: false }, { extendedMasterSecret: 'require' });
  assert.equal(server.error?.code, 'handshake_failure');
});

test('without extended master secret both sides still agree', () => {
  const { client, server } = connectPair({ extendedMasterSecret: false }, {});
  assert.equal(client.handshakeInfo?.extendedMasterSecret, false);
  assert.deepEqual(client.exportKeyingMaterial('x', undefined, 16), server.exportKeyingMaterial('x', undefined, 16));
});

test('no cipher suite in common fails with handshake_failure', () => {
  const { server } = connectPair({ cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] }, { cipherSuites: ['ECDHE-ECDSA-CHACHA20-POLY1305'] });
  assert.equal(server.error?.code, 'handshake_failure');
});

test('a client without a verify option is an API error', () => {
  assert.throws(() => makePair({ verify: undefined }), TypeError);
});
