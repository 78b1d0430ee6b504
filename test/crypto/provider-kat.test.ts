// Known answers for the provider operations DTLS 1.3 needs (HKDF, Ed25519,
// the record number mask), run against both providers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { chacha20Block } from '../../src/crypto/chacha-block.ts';
import { SignatureSchemes as S, type CryptoProvider } from '../../src/crypto/provider.ts';
import { DtlsError } from '../../src/errors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const PROVIDERS: CryptoProvider[] = [nobleProvider, createNativeProvider(nc)];

// RFC 5869 Appendix A.1-A.3 (SHA-256).
const HKDF = [
  {
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '000102030405060708090a0b0c',
    info: 'f0f1f2f3f4f5f6f7f8f9',
    len: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    ikm: Array.from({ length: 80 }, (_, i) => i.toString(16).padStart(2, '0')).join(''),
    salt: Array.from({ length: 80 }, (_, i) => (0x60 + i).toString(16).padStart(2, '0')).join(''),
    info: Array.from({ length: 80 }, (_, i) => (0xb0 + i).toString(16).padStart(2, '0')).join(''),
    len: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    ikm: '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    salt: '',
    info: '',
    len: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

for (const p of PROVIDERS) {
  test(`${p.name}: HKDF-Extract and HKDF-Expand give RFC 5869 A.1-A.3`, () => {
    for (const v of HKDF) {
      const prk = p.hkdfExtract('sha256', unhex(v.salt), unhex(v.ikm));
      assert.equal(hex(prk), v.prk);
      assert.equal(hex(p.hkdfExpand('sha256', prk, unhex(v.info), v.len)), v.okm);
    }
  });

  test(`${p.name}: HKDF-Expand agrees with node's hkdfSync for every hash, and bounds its length`, () => {
    for (const h of ['sha256', 'sha384', 'sha512'] as const) {
      const ikm = nc.randomBytes(40),
        salt = nc.randomBytes(20),
        info = nc.randomBytes(30);
      const want = new Uint8Array(nc.hkdfSync(h, ikm, salt, info, 200));
      assert.equal(hex(p.hkdfExpand(h, p.hkdfExtract(h, salt, ikm), info, 200)), hex(want));
      assert.equal(p.hkdfExpand(h, p.hkdfExtract(h, salt, ikm), info, 0).length, 0);
    }
    assert.throws(() => p.hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1), RangeError);
  });

  test(`${p.name}: Ed25519 signs RFC 8032 7.1 test 1 and verifies strictly`, () => {
    const seed = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pub = unhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = unhex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    assert.equal(hex(p.sign(S.ed25519, seed, new Uint8Array(0))), hex(sig));
    assert.equal(p.verify(S.ed25519, pub, new Uint8Array(0), sig), true);
    const bad = sig.slice();
    bad[10]! ^= 1;
    assert.equal(p.verify(S.ed25519, pub, new Uint8Array(0), bad), false);
    assert.equal(p.verify(S.ed25519, pub.subarray(1), new Uint8Array(0), sig), false, 'short key: false, not a throw');
  });

  test(`${p.name}: ECDSA by scheme; the curve comes from the key; garbage verifies false`, () => {
    for (const [scheme, curve, hash] of [
      [S.ecdsa_secp256r1_sha256, 'P-256', 'sha256'],
      [S.ecdsa_secp384r1_sha384, 'P-384', 'sha384'],
    ] as const) {
      const d = p.ecdsaGenerateKey(curve);
      const pub = p.ecdsaPublicKey(curve, d);
      const data = nc.randomBytes(100);
      const sig = p.sign(scheme, d, data);
      assert.equal(p.verify(scheme, pub, data, sig), true);
      // Cross-checked with node:crypto's own verify.
      const spkiKey = nc.createPublicKey({
        key: {
          kty: 'EC',
          crv: curve,
          x: Buffer.from(pub.subarray(1, 1 + d.length)).toString('base64url'),
          y: Buffer.from(pub.subarray(1 + d.length)).toString('base64url'),
        },
        format: 'jwk',
      });
      assert.equal(nc.verify(hash, data, spkiKey, sig), true);
      assert.equal(p.verify(scheme, pub, data, sig.subarray(1)), false);
      assert.equal(p.verify(scheme, pub.subarray(0, 40), data, sig), false);
      assert.equal(p.verify(scheme, new Uint8Array(pub.length), data, sig), false);
    }
  });

  test(`${p.name}: an unimplemented scheme is a typed error`, () => {
    const unknown = 0x0203; // ecdsa_sha1: never implemented
    assert.ok(!p.signatureSchemes.includes(unknown));
    assert.throws(
      () => p.sign(unknown, new Uint8Array(32), new Uint8Array(1)),
      (e: unknown) => e instanceof DtlsError && e.code === 'handshake_failure',
    );
    assert.throws(() => p.verify(unknown, new Uint8Array(65), new Uint8Array(1), new Uint8Array(64)), DtlsError);
    for (const s of [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ed25519]) assert.ok(p.signatureSchemes.includes(s));
  });

  test(`${p.name}: record number mask (RFC 9147 4.2.3): AES-ECB of the sample, ChaCha20 block at the sample's counter and nonce`, () => {
    for (const kl of [16, 32]) {
      const key = nc.randomBytes(kl),
        sample = nc.randomBytes(16);
      const c = nc.createCipheriv(`aes-${kl * 8}-ecb`, key, null).setAutoPadding(false);
      const want = c.update(sample);
      assert.equal(hex(p.recordNumberMask(kl === 16 ? 'aes-128-gcm' : 'aes-256-gcm', new Uint8Array(key), new Uint8Array(sample))), hex(want));
      // The same key object again (cached per-key state) and a longer ciphertext as sample.
      const longer = new Uint8Array(40);
      longer.set(sample);
      assert.equal(
        hex(p.recordNumberMask('aes-128-ccm', new Uint8Array(key.subarray(0, 16)), longer)),
        hex(nc.createCipheriv('aes-128-ecb', key.subarray(0, 16), null).setAutoPadding(false).update(sample)),
      );
    }
    const key = new Uint8Array(nc.randomBytes(32));
    for (const counter of [0, 1, 0x7fffffff, 0xffffffff]) {
      const sample = new Uint8Array(nc.randomBytes(16));
      new DataView(sample.buffer).setUint32(0, counter, true);
      // OpenSSL's chacha20 takes counter || nonce as its 16-byte IV.
      const want = nc.createCipheriv('chacha20', key, sample).update(new Uint8Array(16));
      assert.equal(hex(p.recordNumberMask('chacha20-poly1305', key, sample)), hex(want), `counter ${counter}`);
    }
    assert.throws(() => p.recordNumberMask('aes-128-gcm', new Uint8Array(16), new Uint8Array(15)), RangeError);
  });
}

test('ChaCha20 block function: RFC 8439 2.3.2', () => {
  const key = unhex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const nonce = unhex('000000090000004a00000000');
  const out = chacha20Block(key, 1, nonce, new Uint8Array(64));
  assert.equal(hex(out), '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e');
});
