// encodePrivateKeyPem / encodeCertificatePem: what a TLS stack outside this
// library (the WebTransport relay's QUIC server) loads. Checked by our own
// decoder and by openssl, which must agree the key is valid and matches the
// certificate's public key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePrivateKeyPem, encodeCertificatePem, encodePrivateKeyPem, generateCertificate, loadCertificate, decodePem } from '../../src/x509/index.ts';
import { TempDir } from './helpers.ts';

test('a generated pair round-trips through PKCS#8 and certificate PEM, and openssl agrees', (t) => {
  const dir = new TempDir();
  t.after(() => dir.remove());
  for (const curve of ['P-256', 'P-384'] as const) {
    const root = generateCertificate({ commonName: 'Root', ca: true, curve });
    const pair = generateCertificate({ commonName: 'relay', subjectAltNames: ['127.0.0.1'], days: 12, curve, issuer: root });
    const keyPem = encodePrivateKeyPem(pair);
    const certPem = encodeCertificatePem(pair);
    assert.deepEqual(
      decodePem(keyPem).map((b) => b.label),
      ['PRIVATE KEY'],
    );
    assert.deepEqual(
      decodePem(certPem).map((b) => b.der),
      pair.chain,
      'the whole chain, leaf first',
    );
    assert.deepEqual(decodePrivateKeyPem(keyPem), { curve, privateKey: pair.privateKey });
    assert.equal(loadCertificate(certPem, keyPem).fingerprint, pair.fingerprint);

    dir.write(`${curve}.key`, keyPem);
    dir.write(`${curve}.pem`, certPem);
    assert.match(dir.openssl('pkey', '-in', `${curve}.key`, '-check', '-noout'), /Key is valid/);
    const fromKey = dir.openssl('pkey', '-in', `${curve}.key`, '-pubout');
    const fromCert = dir.openssl('x509', '-in', `${curve}.pem`, '-noout', '-pubkey');
    assert.equal(fromKey, fromCert, "the key is the certificate's");
  }
  // A pair whose key does not match its leaf's curve is refused, not encoded wrongly.
  const p256 = generateCertificate();
  assert.throws(() => encodePrivateKeyPem({ ...p256, curve: 'P-384' }), TypeError);
});
