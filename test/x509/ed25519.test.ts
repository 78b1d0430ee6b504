// Ed25519 certificates of our own (RFC 8410): keys openssl writes load with
// their certificates, mismatches fail as for other key types, generated ones
// verify in our chain checks and in openssl's, and both providers sign the
// same bytes with a loaded key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';
import { DtlsError } from '../../src/errors.ts';
import {
  decodeKeyPem,
  decodePem,
  decodePrivateKeyPem,
  encodeCertificatePem,
  encodePem,
  encodePrivateKeyPem,
  generateCertificate,
  loadCertificate,
  loadCertificateKey,
  parseCertificate,
  verifyChain,
} from '../../src/x509/index.ts';
import { TempDir, opensslSelfSigned } from './helpers.ts';

const native = createNativeProvider(nodeCrypto);
const providers = [nobleProvider, native];

/** PKCS#8 DER of a PEM key. */
function keyDer(pem: string): Uint8Array {
  return decodePem(pem)[0]!.der;
}

describe('Ed25519 keys and certificates', () => {
  let dir: TempDir;
  before(() => {
    dir = new TempDir();
    dir.openssl('genpkey', '-algorithm', 'ed25519', '-out', 'ed.key');
    dir.openssl('req', '-x509', '-new', '-key', 'ed.key', '-subj', '/CN=ed', '-days', '2', '-out', 'ed.pem');
    dir.openssl('genpkey', '-algorithm', 'ed25519', '-out', 'other.key');
    opensslSelfSigned(dir, 'p256', 'P-256');
  });
  after(() => dir.remove());

  test("openssl genpkey's key loads with its certificate; both providers sign the same bytes and verify each other", () => {
    const pair = loadCertificateKey(dir.read('ed.pem'), dir.read('ed.key'));
    assert.equal(pair.keyType.type, 'ed25519');
    assert.equal(pair.privateKey.length, 32);
    assert.equal(pair.chain.length, 1);
    const leaf = parseCertificate(pair.chain[0]!);
    assert.ok(leaf.publicKey.type === 'ed25519');
    const msg = new TextEncoder().encode('the CertificateVerify content, signed whole');
    const sigs = providers.map((p) => p.sign(S.ed25519, pair.privateKey, msg));
    // RFC 8032 signatures are deterministic: the providers agree byte for byte.
    assert.deepEqual(sigs[0], sigs[1]);
    for (const p of providers) {
      for (const sig of sigs) assert.equal(p.verify(S.ed25519, leaf.publicKey.key, msg, sig), true, p.name);
      assert.equal(p.verify(S.ed25519, leaf.publicKey.key, msg.subarray(1), sigs[0]!), false, p.name);
    }
    // And openssl's own key object verifies ours.
    const spki = nodeCrypto.createPublicKey(dir.read('ed.pem'));
    assert.equal(nodeCrypto.verify(null, msg, spki, sigs[0]!), true);
    // Through the same native provider, the PEM form loads too.
    assert.deepEqual(loadCertificateKey(dir.read('ed.pem'), dir.read('ed.key'), native).privateKey, pair.privateKey);
  });

  test('decodeKeyPem reads version 1 and version 2 (public key attached) PKCS#8; decodePrivateKeyPem stays ECDSA-only', () => {
    const v1 = decodeKeyPem(dir.read('ed.key'));
    assert.ok(v1.type === 'ed25519' && v1.publicKey === undefined);
    const pub = parseCertificate(dir.der('ed.pem')).publicKey;
    assert.ok(pub.type === 'ed25519');
    const der = keyDer(dir.read('ed.key'));
    // OneAsymmetricKey v2 (RFC 5958 2, RFC 8410 10.3): version 1, then [1] IMPLICIT BIT STRING.
    const body = der.subarray(2);
    const v2Body = new Uint8Array([...body, 0x81, 33, 0, ...pub.key]);
    v2Body[2] = 1; // version INTEGER 0 -> 1
    const v2 = decodeKeyPem(encodePem('PRIVATE KEY', Uint8Array.of(0x30, v2Body.length, ...v2Body)));
    assert.ok(v2.type === 'ed25519' && v2.publicKey !== undefined);
    assert.deepEqual(v2.publicKey, pub.key);
    assert.throws(
      () => decodePrivateKeyPem(dir.read('ed.key')),
      (e: unknown) => e instanceof TypeError && /Ed25519/.test(e.message),
    );
    // A version 2 key whose attached public key is not its seed's: refused against the certificate.
    const otherPub = new Uint8Array(pub.key);
    otherPub[0]! ^= 1;
    const lying = new Uint8Array([...body, 0x81, 33, 0, ...otherPub]);
    lying[2] = 1;
    const lyingPem = encodePem('PRIVATE KEY', Uint8Array.of(0x30, lying.length, ...lying));
    assert.throws(() => loadCertificateKey(dir.read('ed.pem'), lyingPem), /does not match the leaf certificate/);
    assert.equal(loadCertificateKey(dir.read('ed.pem'), encodePem('PRIVATE KEY', Uint8Array.of(0x30, v2Body.length, ...v2Body))).keyType.type, 'ed25519');
  });

  test('a wrong-length seed, parameters or a stray public key in a version 1 key are TypeErrors', () => {
    const der = keyDer(dir.read('ed.key'));
    // 30 2e | 02 01 00 | 30 05 06 03 2b 65 70 | 04 22 04 20 <32 bytes>
    assert.equal(der.length, 48);
    const short = Uint8Array.of(0x30, 0x2d, ...der.subarray(2, 12), 0x04, 0x21, 0x04, 0x1f, ...der.subarray(17));
    assert.throws(
      () => decodeKeyPem(encodePem('PRIVATE KEY', short)),
      (e: unknown) => e instanceof TypeError && /32 bytes, got 31/.test(e.message),
    );
    const withNull = Uint8Array.of(0x30, 0x30, 2, 1, 0, 0x30, 0x07, 6, 3, 0x2b, 0x65, 0x70, 5, 0, ...der.subarray(12));
    assert.throws(
      () => decodeKeyPem(encodePem('PRIVATE KEY', withNull)),
      (e: unknown) => e instanceof TypeError && /no parameters/.test(e.message),
    );
    const strayPub = Uint8Array.of(0x30, 0x2e + 35, ...der.subarray(2), 0x81, 33, 0, ...new Uint8Array(32));
    assert.throws(
      () => decodeKeyPem(encodePem('PRIVATE KEY', strayPub)),
      (e: unknown) => e instanceof TypeError && /version 1/.test(e.message),
    );
  });

  test('a key that does not match its certificate fails as for other key types', () => {
    assert.throws(
      () => loadCertificateKey(dir.read('ed.pem'), dir.read('other.key')),
      (e: unknown) => e instanceof TypeError && e.message === 'the private key does not match the leaf certificate',
    );
    assert.throws(
      () => loadCertificateKey(dir.read('p256.pem'), dir.read('ed.key')),
      (e: unknown) => e instanceof TypeError && /private key is ed25519 but the leaf certificate has a ec public key/.test(e.message),
    );
    assert.throws(
      () => loadCertificateKey(dir.read('ed.pem'), dir.read('p256.key')),
      (e: unknown) => e instanceof TypeError && /private key is ecdsa but the leaf certificate has a ed25519 public key/.test(e.message),
    );
    // loadCertificate keeps returning ECDSA pairs only, and says where Ed25519 ones load.
    assert.throws(() => loadCertificate(dir.read('ed.pem'), dir.read('ed.key')), /loadCertificateKey/);
  });

  test("generateCertificate({ keyType: 'ed25519' }): a self-signed certificate openssl and verifyChain accept, with a key that round-trips as PEM", () => {
    const now = Date.UTC(2026, 0, 1);
    const pair = generateCertificate({ keyType: 'ed25519', commonName: 'ed-gen', now, subjectAltNames: ['localhost'] });
    assert.deepEqual(pair.keyType, { type: 'ed25519' });
    assert.equal(pair.privateKey.length, 32);
    const cert = parseCertificate(pair.chain[0]!);
    assert.equal(cert.signatureAlgorithm.name, 'Ed25519');
    assert.ok(cert.publicKey.type === 'ed25519');
    for (const provider of providers) verifyChain(pair.chain, { anchors: pair.chain, now, provider, serverName: 'localhost' });
    dir.write('gen.pem', encodeCertificatePem(pair));
    dir.write('gen.key', encodePrivateKeyPem(pair));
    // openssl checks the self-signature and reads the key as an Ed25519 one.
    assert.match(dir.openssl('verify', '-CAfile', 'gen.pem', '-attime', String(now / 1000 + 3600), 'gen.pem'), /gen.pem: OK/);
    assert.match(dir.openssl('pkey', '-in', 'gen.key', '-noout', '-text'), /ED25519 Private-Key/);
    const again = loadCertificateKey(dir.read('gen.pem'), dir.read('gen.key'));
    assert.deepEqual(again.privateKey, pair.privateKey);
    assert.throws(() => generateCertificate({ keyType: 'ed25519', curve: 'P-384' }), TypeError);
    assert.throws(() => generateCertificate({ keyType: 'rsa' as never }), TypeError);
  });

  test('Ed25519 issuers: an ECDSA leaf under an Ed25519 CA verifies; a tampered one is bad_certificate', () => {
    const now = Date.UTC(2026, 0, 1);
    const ca = generateCertificate({ keyType: 'ed25519', ca: true, commonName: 'ed-ca', now });
    const leaf = generateCertificate({ issuer: ca, now, subjectAltNames: ['leaf.test'] });
    assert.equal(parseCertificate(leaf.chain[0]!).signatureAlgorithm.name, 'Ed25519');
    for (const provider of providers) {
      verifyChain(leaf.chain, { anchors: [ca.chain[0]!], now, provider, serverName: 'leaf.test' });
      const bad = leaf.chain[0]!.slice();
      bad[bad.length - 5]! ^= 1; // inside the signature
      assert.throws(
        () => verifyChain([bad, ca.chain[0]!], { anchors: [ca.chain[0]!], now, provider }),
        (e: unknown) => e instanceof DtlsError && e.code === 'bad_certificate',
      );
    }
    dir.write('edca.pem', encodeCertificatePem(ca));
    dir.write('edleaf.pem', encodePem('CERTIFICATE', leaf.chain[0]!));
    assert.match(dir.openssl('verify', '-CAfile', 'edca.pem', '-attime', String(now / 1000 + 3600), 'edleaf.pem'), /edleaf.pem: OK/);
  });
});
