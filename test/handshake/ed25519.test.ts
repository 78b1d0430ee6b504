// Ed25519 certificates of our own in both versions: DTLS 1.2 authenticates
// ECDHE_ECDSA suites with them, ServerKeyExchange and CertificateVerify signed
// ed25519 (RFC 8422 5.1.1, 5.4, 5.10), and DTLS 1.3 signs CertificateVerify
// with it (RFC 8446 4.4.3); a peer that does not accept ed25519 gets
// handshake_failure, a forged signature decrypt_error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { connectPair, forging } from './helpers.ts';
import type { Clock } from '../../src/clock.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';
import { chooseSignatureScheme } from '../../src/handshake/common.ts';
import { chooseScheme13 } from '../../src/handshake/common13.ts';
import { DtlsError } from '../../src/errors.ts';
import { encodeCertificatePem, encodePrivateKeyPem, generateCertificate } from '../../src/x509/index.ts';

const server = generateCertificate({ keyType: 'ed25519', commonName: 'ed-server' });
const client = generateCertificate({ keyType: 'ed25519', commonName: 'ed-client' });
const native = createNativeProvider(nodeCrypto);

for (const version of ['1.2', '1.3'] as const) {
  for (const crypto of [nobleProvider, native]) {
    test(`DTLS ${version} (${crypto.name}): an Ed25519 server, and mutual authentication with an Ed25519 client`, () => {
      const v = { versions: [version], crypto };
      const a = connectPair({ ...v, verify: { fingerprints: [server.fingerprint] } }, { ...v, certificate: server });
      assert.equal(a.client.state, 'connected', a.client.error?.message);
      assert.equal(a.server.state, 'connected', a.server.error?.message);
      assert.equal(a.client.handshakeInfo?.version, `DTLS ${version}`);
      assert.deepEqual(a.client.handshakeInfo?.peerCertificates[0], server.chain[0]);
      const b = connectPair(
        { ...v, certificate: client, verify: { fingerprints: [server.fingerprint] } },
        { ...v, certificate: server, requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } },
      );
      assert.equal(b.server.state, 'connected', b.server.error?.message);
      assert.equal(b.client.state, 'connected', b.client.error?.message);
      assert.equal(b.server.handshakeInfo?.peerFingerprint, client.fingerprint);
      assert.deepEqual(b.client.exportKeyingMaterial('l', undefined, 16), b.server.exportKeyingMaterial('l', undefined, 16));
    });
  }

  test(`DTLS ${version}: PEM { cert, key } and a CA-verified chain: an ECDSA leaf under an Ed25519 CA, an Ed25519 leaf under an ECDSA CA`, () => {
    // Certificates valid at a fixed date; the client's wall clock reads it (time is a parameter).
    const now = Date.UTC(2026, 10, 25);
    const clock: Clock = { now: () => 0, wallTime: (t) => now + t, setTimeout: () => 0, clearTimeout: () => {} };
    const edCa = generateCertificate({ keyType: 'ed25519', ca: true, commonName: 'ed-ca', now });
    const ecLeaf = generateCertificate({ issuer: edCa, subjectAltNames: ['ec.test'], now });
    const ecCa = generateCertificate({ ca: true, commonName: 'ec-ca', now });
    const edLeaf = generateCertificate({ keyType: 'ed25519', issuer: ecCa, subjectAltNames: ['ed.test'], now });
    const v = { versions: [version], clock };
    const a = connectPair({ ...v, verify: { ca: [edCa.chain[0]!], serverName: 'ec.test' } }, { ...v, certificate: ecLeaf });
    assert.equal(a.client.state, 'connected', a.client.error?.message);
    const pem = { cert: encodeCertificatePem(edLeaf), key: encodePrivateKeyPem(edLeaf) };
    const b = connectPair({ ...v, verify: { ca: [ecCa.chain[0]!], serverName: 'ed.test' } }, { ...v, certificate: pem });
    assert.equal(b.client.state, 'connected', b.client.error?.message);
  });

  test(`DTLS ${version}: a client that does not accept ed25519 gets handshake_failure from an Ed25519 server`, () => {
    const p = connectPair(
      { versions: [version], signatureSchemes: ['ecdsa_secp256r1_sha256'], verify: { fingerprints: [server.fingerprint] } },
      { versions: [version], certificate: server },
    );
    assert.equal(p.server.state, 'failed');
    assert.equal(p.server.error?.code, 'handshake_failure', p.server.error?.message);
  });

  test(`DTLS ${version}: a forged Ed25519 signature fails the client (server's) and the server (client's) with decrypt_error`, () => {
    const v = { versions: [version] };
    const a = connectPair({ ...v, verify: { fingerprints: [server.fingerprint] } }, { ...v, certificate: server, crypto: forging(nobleProvider) });
    assert.equal(a.client.state, 'failed');
    assert.equal(a.client.error?.code, 'decrypt_error', a.client.error?.message);
    const b = connectPair(
      { ...v, certificate: client, verify: { fingerprints: [server.fingerprint] }, crypto: forging(nobleProvider) },
      { ...v, certificate: server, requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } },
    );
    assert.equal(b.server.state, 'failed');
    assert.equal(b.server.error?.code, 'decrypt_error', b.server.error?.message);
  });
}

test('scheme choice for an Ed25519 key: ed25519 when the peer lists it, else handshake_failure (1.2 without the extension too)', () => {
  assert.equal(chooseSignatureScheme(server, [S.ecdsa_secp256r1_sha256, S.ed25519], nobleProvider), S.ed25519);
  assert.equal(chooseScheme13(server, [S.ecdsa_secp256r1_sha256, S.ed25519], nobleProvider), S.ed25519);
  const refused = (e: unknown) => e instanceof DtlsError && e.code === 'handshake_failure';
  assert.throws(() => chooseSignatureScheme(server, [S.ecdsa_secp256r1_sha256], nobleProvider), refused);
  // RFC 8422 5.1.1: a 1.2 peer without signature_algorithms cannot take EdDSA.
  assert.throws(() => chooseSignatureScheme(server, undefined, nobleProvider), refused);
  assert.throws(() => chooseScheme13(server, [S.ecdsa_secp256r1_sha256, S.rsa_pss_rsae_sha256], nobleProvider), refused);
});
