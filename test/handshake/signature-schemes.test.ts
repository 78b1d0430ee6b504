// options.signatureSchemes: the peer signature schemes we accept, and offer in
// signature_algorithms (RFC 5246 7.4.1.4.1, RFC 8446 4.2.3), per version; a
// peer signature under another scheme fails with illegal_parameter. BoGo's
// -verify-prefs maps to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { resolveOptions } from '../../src/options.ts';
import type { Connection } from '../../src/connection.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { AlertDescription } from '../../src/errors.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeCertificateRequest } from '../../src/wire/messages/certificate-request.ts';
import { decodeCertificateRequest13 } from '../../src/wire/messages13/certificate-request13.ts';
import { findExtension } from '../../src/wire/extensions/index.ts';
import { decodeSignatureAlgorithms } from '../../src/wire/extensions/signature-algorithms.ts';
import { ContentType, ExtensionType, HandshakeType } from '../../src/wire/types.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { certs, drain } from './helpers.ts';
import { ScriptedClient13, failure, feed, flightMessages } from '../dtls13/server-peer.ts';

/** The signature_algorithms of the ClientHello in these datagrams. */
function offered(datagrams: Uint8Array[]): number[] {
  for (const d of datagrams)
    for (const r of decodeRecords(d).records) {
      if (r.contentType !== ContentType.handshake) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType !== HandshakeType.client_hello) continue;
        return decodeSignatureAlgorithms(findExtension(decodeClientHello(f.body).extensions, ExtensionType.signature_algorithms)!.data);
      }
    }
  throw new Error('no ClientHello');
}

/** The epoch-0 handshake message of this type in the datagrams. */
function plainMessage(datagrams: Uint8Array[], msgType: number): Uint8Array | undefined {
  for (const d of datagrams)
    for (const r of decodeRecords(d).records)
      if (r.contentType === ContentType.handshake && r.epoch === 0)
        for (const f of decodeHandshakeFragments(r.fragment)) if (f.msgType === msgType) return f.body;
  return undefined;
}

function exchange(a: Connection, b: Connection, now: number): Uint8Array[] {
  const ds = drain(a);
  for (const d of ds) b.handleDatagram(now, d);
  return ds;
}

test('resolved per version: names or code points, in the order given; each version keeps what it verifies', () => {
  const o = (signatureSchemes: (string | number)[], versions?: ('1.2' | '1.3')[]) =>
    resolveOptions({ verify: 'insecure', signatureSchemes: signatureSchemes as never, ...(versions ? { versions } : {}) }).signatureSchemes;
  // Both versions verify ed25519 (DTLS 1.2 by RFC 8422 5.1.3).
  assert.deepEqual(o(['ed25519', 'ecdsa_secp256r1_sha256']), {
    schemes12: [S.ed25519, S.ecdsa_secp256r1_sha256],
    schemes13: [S.ed25519, S.ecdsa_secp256r1_sha256],
  });
  assert.deepEqual(o([S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256]), {
    schemes12: [S.rsa_pkcs1_sha256, S.rsa_pss_rsae_sha256],
    schemes13: [S.rsa_pss_rsae_sha256],
  });
  assert.deepEqual(o(['ed25519'], ['1.3']).schemes13, [S.ed25519]);
  assert.deepEqual(o(['ed25519']).schemes12, [S.ed25519]);
  assert.throws(() => o(['rsa_pkcs1_sha256'], ['1.3']), /no scheme DTLS 1.3 can verify/);
  assert.throws(() => o(['ecdsa_sha1']), TypeError);
  assert.throws(() => o([0x0603]), RangeError, 'ecdsa_secp521r1_sha512: not verified here');
  assert.throws(() => o([]), TypeError);
  // Default: every scheme, as before the option.
  const d = resolveOptions({ verify: 'insecure' }).signatureSchemes;
  assert.ok(d.schemes12.includes(S.rsa_pkcs1_sha256) && d.schemes12.includes(S.ed25519) && d.schemes13.includes(S.ed25519));
});

test('DTLS 1.2 and 1.3 ClientHellos offer exactly the schemes given', () => {
  const only12 = createPair({ versions: ['1.2'], signatureSchemes: ['ecdsa_secp384r1_sha384', 'ecdsa_secp256r1_sha256'] }, { versions: ['1.2'] });
  only12.client.start(0);
  assert.deepEqual(offered(drain(only12.client)), [S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256]);
  const both = createPair({ signatureSchemes: ['ecdsa_secp256r1_sha256', 'ed25519'] }, {});
  both.client.start(0);
  assert.deepEqual(offered(drain(both.client)), [S.ecdsa_secp256r1_sha256, S.ed25519]);
});

test('DTLS 1.2 client: a ServerKeyExchange signed with a scheme it did not accept fails with illegal_parameter', () => {
  // Two clients from one seed have the same random and key share; the server
  // flight made for the default one (signed ecdsa_secp256r1_sha256) is valid for
  // the narrowed one too but for its scheme, which only the option refuses.
  const plain = createPair({ versions: ['1.2'] }, { versions: ['1.2'] }, { seed: 3 });
  const narrow = createPair({ versions: ['1.2'], signatureSchemes: ['ecdsa_secp384r1_sha384'] }, { versions: ['1.2'] }, { seed: 3 });
  plain.client.start(0);
  plain.server.start(0);
  narrow.client.start(0);
  drain(narrow.client);
  exchange(plain.client, plain.server, 10);
  const flight4 = drain(plain.server);
  for (const d of flight4) narrow.client.handleDatagram(20, d);
  assert.equal(narrow.client.state, 'failed');
  assert.equal(narrow.client.error?.code, 'illegal_parameter');
  assert.match(narrow.client.error?.message ?? '', /ServerKeyExchange signed with scheme 0x403 we did not offer/);
  // Without the narrowing the same flight is taken (the pair goes on).
  for (const d of flight4) plain.client.handleDatagram(20, d);
  assert.equal(plain.client.state, 'handshaking');
  assert.ok(drain(plain.client).length > 0, 'flight 5');
});

test('DTLS 1.2 server: its CertificateRequest lists the schemes given, and a client CertificateVerify under another is illegal_parameter', () => {
  const client = certs().client;
  const server = { versions: ['1.2' as const], requestClientCertificate: true, verify: { fingerprints: [client.fingerprint] } };
  const plain = createPair({ versions: ['1.2'], certificate: client }, server, { seed: 5 });
  const narrow = createPair({ versions: ['1.2'], certificate: client }, { ...server, signatureSchemes: ['ecdsa_secp384r1_sha384'] }, { seed: 5 });
  for (const p of [plain, narrow]) {
    p.client.start(0);
    p.server.start(0);
  }
  exchange(plain.client, plain.server, 10);
  const hello = exchange(narrow.client, narrow.server, 10);
  assert.ok(hello.length);
  const flight4 = drain(narrow.server);
  assert.deepEqual(decodeCertificateRequest(plainMessage(flight4, HandshakeType.certificate_request)!).signatureSchemes, [S.ecdsa_secp384r1_sha384]);
  // The default server's flight: the client signs its CertificateVerify ecdsa_secp256r1_sha256, which the narrowed server refuses.
  exchange(plain.server, plain.client, 20);
  for (const d of drain(plain.client)) narrow.server.handleDatagram(30, d);
  assert.equal(narrow.server.error?.code, 'illegal_parameter');
  assert.match(narrow.server.error?.message ?? '', /CertificateVerify signed with scheme 0x403 we did not offer/);
});

test('DTLS 1.3 server: its CertificateRequest lists the schemes given, and a client CertificateVerify under another is illegal_parameter', () => {
  const cert = certs().client;
  const o = { role: 'server' as const, versions: ['1.3' as const], certificate: certs().server, crypto: nobleProvider, requestClientCertificate: true };
  const run = (signatureSchemes?: ('ecdsa_secp384r1_sha384' | 'ed25519')[]) => {
    const server = createHandshake(resolveOptions({ ...o, verify: { fingerprints: [cert.fingerprint] }, ...(signatureSchemes ? { signatureSchemes } : {}) }));
    const client = new ScriptedClient13(nobleProvider);
    const a1 = feed(server, [client.helloRecord()]);
    const cr = flightMessages(a1).find((m) => m.message.msgType === HandshakeType.certificate_request)!;
    const schemes = decodeSignatureAlgorithms(findExtension(decodeCertificateRequest13(cr.message.body).extensions, ExtensionType.signature_algorithms)!.data);
    // The scripted client signs with its P-256 key's scheme whatever was asked.
    const done = feed(server, client.finish(a1, certs().server, { cert }).records);
    return { schemes, done };
  };
  const narrow = run(['ecdsa_secp384r1_sha384', 'ed25519']);
  assert.deepEqual(narrow.schemes, [S.ecdsa_secp384r1_sha384, S.ed25519]);
  assert.equal(failure(narrow.done)?.alert, AlertDescription.illegal_parameter);
  const plain = run();
  assert.ok(plain.schemes.includes(S.ecdsa_secp256r1_sha256));
  assert.ok(plain.done.some((a) => a.kind === 'complete'));
});

test('DTLS 1.3: a client accepting only ecdsa_secp256r1_sha256 connects to a P-256 server; a P-384 server can sign with nothing it accepts', () => {
  const p256 = createPair({ versions: ['1.3'], signatureSchemes: ['ecdsa_secp256r1_sha256'] }, { versions: ['1.3'] });
  p256.client.start(0);
  p256.server.start(0);
  for (let i = 0; i < 10; i++) {
    exchange(p256.client, p256.server, i);
    exchange(p256.server, p256.client, i);
  }
  assert.equal(p256.client.state, 'connected');
  const p384cert = generateCertificate({ commonName: 'p384', curve: 'P-384' });
  const p384 = createPair(
    { versions: ['1.3'], signatureSchemes: ['ecdsa_secp256r1_sha256'], verify: { fingerprints: [p384cert.fingerprint] } },
    { versions: ['1.3'], certificate: p384cert },
  );
  p384.client.start(0);
  p384.server.start(0);
  exchange(p384.client, p384.server, 0);
  assert.equal(p384.server.error?.code, 'handshake_failure');
});
