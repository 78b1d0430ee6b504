// The native provider keeps signature public keys by their bytes too (bounded),
// so a certificate parsed afresh each handshake does not import its key again.
// A key must only ever verify its own signatures, through evictions and with
// fresh copies of the bytes, and the bound must hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { KeyCache, fromB64url } from '../../src/crypto/native-keys.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';

test('native verify: keys kept by their bytes verify only their own signatures, over more keys than the bound', () => {
  const p = createNativeProvider(nc);
  const n = KeyCache.MAX_PUBLIC_BY_BYTES + 6;
  const msg = new TextEncoder().encode('CertificateVerify content');
  const signers = Array.from({ length: n }, () => {
    const d = p.ecdsaGenerateKey('P-256');
    return { pub: p.ecdsaPublicKey('P-256', d), sig: p.sign(S.ecdsa_secp256r1_sha256, d, msg) };
  });
  for (let round = 0; round < 3; round++)
    for (const [i, s] of signers.entries()) {
      // A fresh copy each time, as a certificate parsed again gives.
      assert.equal(p.verify(S.ecdsa_secp256r1_sha256, s.pub.slice(), msg, s.sig), true, `key ${i}, round ${round}`);
      const other = signers[(i + 1) % n]!;
      assert.equal(p.verify(S.ecdsa_secp256r1_sha256, other.pub.slice(), msg, s.sig), false, `key ${i + 1} on ${i}'s signature`);
    }
});

test('KeyCache: the by-bytes table stays within its bound and a buffer rewritten in place is imported anew', () => {
  const kc = new KeyCache(nc);
  const points = Array.from({ length: KeyCache.MAX_PUBLIC_BY_BYTES * 2 }, () => {
    const e = nc.createECDH('prime256v1');
    e.generateKeys();
    return new Uint8Array(e.getPublicKey());
  });
  for (const pt of points) kc.ecPublic('P-256', pt.slice());
  assert.equal(kc.publicKeysByBytes, KeyCache.MAX_PUBLIC_BY_BYTES);
  // Same bytes, same KeyObject, while they are among the most recent.
  const last = points.at(-1)!;
  assert.equal(kc.ecPublic('P-256', last.slice()), kc.ecPublic('P-256', last.slice()));
  // One buffer, its contents replaced: the key follows the bytes.
  const buf = points[0]!.slice();
  const a = kc.ecPublic('P-256', buf);
  buf.set(points[1]!);
  const b = kc.ecPublic('P-256', buf);
  assert.notEqual(a, b);
  assert.equal(
    Buffer.from(b.export({ format: 'der', type: 'spki' }))
      .subarray(-65)
      .toString('hex'),
    Buffer.from(points[1]!).toString('hex'),
  );
  // Same bytes on another curve name never share an entry.
  assert.throws(() => kc.ecPublic('P-384', last.slice()));
});

test('fromB64url decodes what Buffer encodes as base64url (with or without padding) and rejects other characters', () => {
  for (let len = 0; len <= 66; len++) {
    const b = nc.randomBytes(len);
    assert.deepEqual(fromB64url(b.toString('base64url')), new Uint8Array(b), `${len} bytes`);
    const padded = b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    assert.deepEqual(fromB64url(padded), new Uint8Array(b), `${len} bytes, padded`);
  }
  for (const bad of ['a', 'ab$c', 'ab+c', 'é0']) assert.throws(() => fromB64url(bad), TypeError, bad);
});
