// The 1.3 server's CertificateVerify by scheme (RFC 8446 4.4.3): ECDSA with the
// curve's own hash (P-256, P-384), RSA-PSS for an RSA certificate (PKCS#1 is
// not allowed in TLS 1.3), each checked by the scripted client; a client that
// accepts no scheme our key can make is refused with handshake_failure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import { defaultCryptoProvider } from '../../src/crypto/default.ts';
import { SignatureSchemes } from '../../src/crypto/provider.ts';
import { AlertDescription } from '../../src/errors.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { loadCertificateKey } from '../../src/x509/load.ts';
import { decodeCertificateVerify } from '../../src/wire/messages13/certificate-verify13.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import type { CertificateKeyPair, RsaCertificateKeyPair } from '../../src/x509/types.ts';
import { TempDir } from '../x509/helpers.ts';
import { ScriptedClient13, failure, feed, flightMessages, kinds } from './server-peer.ts';

const crypto = defaultCryptoProvider();
let dir: TempDir;
let rsa: RsaCertificateKeyPair;

before(() => {
  dir = new TempDir();
  dir.openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa13', '-days', '2', '-keyout', 'rsa.key', '-out', 'rsa.pem');
  rsa = loadCertificateKey(dir.read('rsa.pem'), dir.read('rsa.key')) as RsaCertificateKeyPair;
});
after(() => dir.remove());

function run(cert: CertificateKeyPair | RsaCertificateKeyPair, schemes?: number[]) {
  const server = createHandshake(resolveOptions({ role: 'server', versions: ['1.3'], certificate: cert, crypto }));
  const client = new ScriptedClient13(crypto);
  return { server, client, a1: feed(server, [client.helloRecord(schemes ? { schemes } : {})]) };
}

function scheme(a: ReturnType<typeof run>['a1']): number {
  const cv = flightMessages(a).find((m) => m.message.msgType === HandshakeType.certificate_verify)!;
  return decodeCertificateVerify(cv.message.body).signatureScheme;
}

for (const [curve, want] of [
  ['P-256', SignatureSchemes.ecdsa_secp256r1_sha256],
  ['P-384', SignatureSchemes.ecdsa_secp384r1_sha384],
] as const) {
  test(`an ECDSA ${curve} certificate signs with its own curve's scheme`, () => {
    const cert = generateCertificate({ commonName: 'ec13', curve });
    const { server, client, a1 } = run(cert);
    assert.equal(scheme(a1), want);
    const c = client.finish(a1, cert);
    assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'complete']);
  });
}

test('an RSA certificate signs RSA-PSS (rsa_pss_rsae_sha256), verified by the client', () => {
  const { server, client, a1 } = run(rsa, [SignatureSchemes.rsa_pkcs1_sha256, SignatureSchemes.rsa_pss_rsae_sha256, SignatureSchemes.ecdsa_secp256r1_sha256]);
  assert.equal(scheme(a1), SignatureSchemes.rsa_pss_rsae_sha256, 'PKCS#1 is never used in a 1.3 CertificateVerify');
  const c = client.finish(a1, rsa);
  assert.deepEqual(kinds(feed(server, c.records)), ['read-keys 3', 'complete']);
});

test('a client that offers only PKCS#1 to an RSA server, or only P-384 to a P-256 one, is refused (handshake_failure)', () => {
  assert.equal(failure(run(rsa, [SignatureSchemes.rsa_pkcs1_sha256]).a1)?.alert, AlertDescription.handshake_failure);
  const p256 = generateCertificate({ commonName: 'ec13', curve: 'P-256' });
  assert.equal(failure(run(p256, [SignatureSchemes.ecdsa_secp384r1_sha384]).a1)?.alert, AlertDescription.handshake_failure);
});
