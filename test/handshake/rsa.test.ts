// ECDHE-RSA (RFC 5289, RFC 7905) in the DTLS 1.2 handshake, with RSA 2048
// certificates made by the openssl CLI: suite choice by certificate type,
// ServerKeyExchange and CertificateVerify signed with RSA-PSS or PKCS#1
// (RFC 5246 7.4.1.4.1, RFC 8446 4.2.3), and bad signatures refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair } from '../sim/network.ts';
import { certs, connectPair, forging, makePair } from './helpers.ts';
import { TempDir } from '../x509/helpers.ts';
import { loadCertificateKey } from '../../src/x509/load.ts';
import { resolveOptions } from '../../src/options.ts';
import { defaultCryptoProvider } from '../../src/crypto/default.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { SignatureSchemes } from '../../src/crypto/provider.ts';
import { SUPPORTED_SIGNATURE_SCHEMES, chooseSignatureScheme, verifyPeerSignature } from '../../src/handshake/common.ts';
import { parseCertificate } from '../../src/x509/parse.ts';
import { suiteByName } from '../../src/crypto/suites.ts';
import { DtlsError } from '../../src/errors.ts';
import type { RsaCertificateKeyPair } from '../../src/x509/types.ts';

const S = SignatureSchemes;
const nativeCrypto = defaultCryptoProvider();

describe('ECDHE-RSA with RSA 2048 certificates from openssl', () => {
  let dir: TempDir;
  let server: RsaCertificateKeyPair;
  let client: RsaCertificateKeyPair;
  let serverPem: { cert: string; key: string };
  before(() => {
    dir = new TempDir();
    for (const name of ['server', 'client']) {
      dir.openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '2', '-keyout', `${name}.key`, '-out', `${name}.pem`);
    }
    serverPem = { cert: dir.read('server.pem'), key: dir.read('server.key') };
    const load = (name: string) => {
      const p = loadCertificateKey(dir.read(`${name}.pem`), dir.read(`${name}.key`));
      assert.equal(p.keyType.type, 'rsa');
      return p as RsaCertificateKeyPair;
    };
    server = load('server');
    client = load('client');
  });
  after(() => dir.remove());

  for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
    test(`negotiates ${suite} with an RSA server certificate`, () => {
      const p = connectPair({ cipherSuites: [suite], verify: { fingerprints: [server.fingerprint] } }, { certificate: server });
      assert.equal(p.client.state, 'connected', p.client.error?.message);
      assert.equal(p.server.state, 'connected', p.server.error?.message);
      assert.equal(p.client.handshakeInfo?.cipherSuiteId, suiteByName(suite)!.id);
      assert.equal(p.server.handshakeInfo?.cipherSuiteId, suiteByName(suite)!.id);
      assert.deepEqual(p.client.exportKeyingMaterial('l', undefined, 32), p.server.exportKeyingMaterial('l', undefined, 32));
    });
  }

  test('default options: the client offers ECDSA then RSA suites; an RSA server picks the first RSA one', () => {
    const p = connectPair({ verify: { fingerprints: [server.fingerprint] } }, { certificate: serverPem });
    assert.equal(p.client.state, 'connected', p.client.error?.message);
    assert.equal(p.client.handshakeInfo?.cipherSuiteId, 0xc02f);
    assert.deepEqual(p.client.handshakeInfo?.peerCertificates[0], server.chain[0]);
  });

  test('an ECDSA server with the same defaults still picks an ECDSA suite', () => {
    const p = connectPair({}, {});
    assert.equal(p.client.state, 'connected', p.client.error?.message);
    assert.equal(p.client.handshakeInfo?.cipherSuiteId, 0xc02b);
  });

  test('mutual authentication with an RSA client certificate (CertificateVerify signed with RSA)', () => {
    const p = connectPair(
      { certificate: client, verify: { fingerprints: [server.fingerprint] } },
      { certificate: server, requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } },
    );
    assert.equal(p.server.state, 'connected', p.server.error?.message);
    assert.equal(p.client.state, 'connected', p.client.error?.message);
    assert.deepEqual(p.server.handshakeInfo?.peerCertificates[0], client.chain[0]);
    assert.equal(p.server.handshakeInfo?.peerFingerprint, client.fingerprint);
  });

  test('an RSA client certificate against an ECDSA server, and an ECDSA one against an RSA server', () => {
    const a = connectPair({ certificate: client }, { requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } });
    assert.equal(a.server.state, 'connected', a.server.error?.message);
    const b = connectPair(
      { certificate: certs().client, verify: { fingerprints: [server.fingerprint] } },
      { certificate: server, requestClientCertificate: 'require', verify: { fingerprints: [certs().client.fingerprint] } },
    );
    assert.equal(b.server.state, 'connected', b.server.error?.message);
    assert.equal(b.client.handshakeInfo?.cipherSuiteId, 0xc02f);
  });

  test('a tampered RSA ServerKeyExchange signature fails the client with decrypt_error', () => {
    const p = connectPair({ verify: { fingerprints: [server.fingerprint] } }, { certificate: server, crypto: forging(nativeCrypto) });
    assert.equal(p.client.state, 'failed');
    assert.equal(p.client.error?.code, 'decrypt_error', p.client.error?.message);
  });

  test('a tampered RSA CertificateVerify fails the server with decrypt_error', () => {
    const p = connectPair(
      { certificate: client, verify: { fingerprints: [server.fingerprint] }, crypto: forging(nativeCrypto) },
      { certificate: server, requestClientCertificate: 'require', verify: { fingerprints: [client.fingerprint] } },
    );
    assert.equal(p.server.state, 'failed');
    assert.equal(p.server.error?.code, 'decrypt_error', p.server.error?.message);
  });

  test('a client offering only ECDSA suites gets handshake_failure from an RSA server, and the reverse', () => {
    const a = connectPair({ cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'], verify: 'insecure' }, { certificate: server });
    assert.equal(a.server.error?.code, 'handshake_failure');
    assert.match(a.server.error?.message ?? '', /rsa certificate/);
    const b = connectPair({ cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256'] }, {});
    assert.equal(b.server.error?.code, 'handshake_failure');
    assert.match(b.server.error?.message ?? '', /ecdsa certificate/);
  });

  test("a signature scheme of the wrong family for the peer's key is illegal_parameter", () => {
    const ecdsa = certs().server;
    const leaf = parseCertificate(ecdsa.chain[0]!);
    assert.throws(
      () =>
        verifyPeerSignature(nativeCrypto, leaf, S.rsa_pss_rsae_sha256, new Uint8Array(1), new Uint8Array(64), 'ServerKeyExchange', SUPPORTED_SIGNATURE_SCHEMES),
      (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
    );
    const rsaLeaf = parseCertificate(server.chain[0]!);
    assert.throws(
      () =>
        verifyPeerSignature(
          nativeCrypto,
          rsaLeaf,
          S.ecdsa_secp256r1_sha256,
          new Uint8Array(1),
          new Uint8Array(64),
          'ServerKeyExchange',
          SUPPORTED_SIGNATURE_SCHEMES,
        ),
      (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
    );
  });

  test('RSA scheme choice: PSS preferred, PKCS#1 when that is all the peer takes, PKCS#1 SHA-256 without the extension', () => {
    const c = nativeCrypto;
    assert.equal(chooseSignatureScheme(server, [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha256], c), S.rsa_pss_rsae_sha256);
    assert.equal(chooseSignatureScheme(server, [S.rsa_pss_rsae_sha512], c), S.rsa_pss_rsae_sha512);
    assert.equal(chooseSignatureScheme(server, [S.ecdsa_secp256r1_sha256, S.rsa_pkcs1_sha384], c), S.rsa_pkcs1_sha384);
    assert.equal(chooseSignatureScheme(server, undefined, c), S.rsa_pkcs1_sha256);
    assert.throws(
      () => chooseSignatureScheme(server, [S.ecdsa_secp256r1_sha256], c),
      (e: unknown) => e instanceof DtlsError && e.code === 'handshake_failure',
    );
    assert.equal(chooseSignatureScheme(certs().server, [S.rsa_pss_rsae_sha256, S.ecdsa_secp256r1_sha256], c), S.ecdsa_secp256r1_sha256);
  });

  test('an RSA certificate with a provider that cannot sign RSA (noble) is a TypeError at construction', () => {
    assert.throws(
      () => resolveOptions({ role: 'server', certificate: server, crypto: nobleProvider }),
      (e: unknown) => e instanceof TypeError && /native crypto/.test((e as Error).message),
    );
    assert.throws(() => resolveOptions({ role: 'server', certificate: serverPem, crypto: nobleProvider }), TypeError);
    // Verifying RSA needs no signing: a noble client connects to an RSA server.
    const p = connectPair({ crypto: nobleProvider, verify: { fingerprints: [server.fingerprint] } }, { certificate: server });
    assert.equal(p.client.state, 'connected', p.client.error?.message);
    assert.equal(p.client.handshakeInfo?.cipherSuiteId, 0xc02f);
  });
});

test('a ServerHello rewritten to an RSA suite over an ECDSA certificate is refused at the Certificate (unsupported_certificate)', () => {
  const pair = makePair({}, {});
  // record header 13 + handshake header 12 + version 2 + random 32 = 59: the session_id, then the chosen suite.
  const rewrite = (d: Uint8Array, i: number) => {
    if (i !== 0) return [d];
    const at = 60 + d[59]!;
    assert.equal((d[at]! << 8) | d[at + 1]!, 0xc02b, 'the server chose ECDHE-ECDSA-AES128-GCM-SHA256');
    const out = d.slice();
    out[at] = 0xc0;
    out[at + 1] = 0x2f;
    return [out];
  };
  const r = runPair(pair.client, pair.server, { seed: 3, bToA: { rewrite }, until: (p) => p.a.state === 'failed', maxDuration: 5000 });
  assert.equal(r.reason, 'until', `client ${pair.client.state}`);
  assert.equal(pair.client.error?.code, 'unsupported_certificate', pair.client.error?.message);
  assert.match(pair.client.error!.message, /needs rsa/);
});
