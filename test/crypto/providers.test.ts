// Both providers against node:crypto and against the edge cases the handshake
// relies on (typed errors for bad peer keys, false never a throw for bad
// signatures, high-S accepted), so the native default and noble behave alike.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { DtlsError } from '../../src/errors.ts';
import type { AeadName, CryptoProvider, HashName } from '../../src/crypto/provider.ts';

// A fresh (non-pooled) copy: node's own zero-length randomBytes confuses its CCM path.
const rand = (n: number) => new Uint8Array(nc.randomBytes(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const HASHES: HashName[] = ['sha1', 'sha256', 'sha384', 'sha512'];

const PROVIDERS: CryptoProvider[] = [nobleProvider, createNativeProvider(nc)];

for (const p of PROVIDERS) {
  const test = (name: string, fn: () => void) => nodeTest(`${p.name}: ${name}`, fn);

  test('random: lengths, including more than 65536 bytes', () => {
    assert.equal(p.random(0).length, 0);
    assert.equal(p.random(32).length, 32);
    const big = p.random(200_000);
    assert.equal(big.length, 200_000);
    assert.ok(big.subarray(150_000).some((b) => b !== 0));
    assert.notEqual(hex(p.random(16)), hex(p.random(16)));
  });

  test('hash and hmac match node:crypto', () => {
    for (const h of HASHES) {
      for (const n of [0, 1, 64, 1000]) {
        const data = rand(n);
        const key = rand(n % 200);
        assert.equal(hex(p.hash(h, data)), nc.createHash(h).update(data).digest('hex'), `${h} ${n}`);
        assert.equal(hex(p.hmac(h, key, data)), nc.createHmac(h, key).update(data).digest('hex'), `hmac ${h} ${n}`);
      }
    }
  });

  const AEADS: { name: AeadName; node: string; keyLen: number; tag: number }[] = [
    { name: 'aes-128-gcm', node: 'aes-128-gcm', keyLen: 16, tag: 16 },
    { name: 'aes-256-gcm', node: 'aes-256-gcm', keyLen: 32, tag: 16 },
    { name: 'chacha20-poly1305', node: 'chacha20-poly1305', keyLen: 32, tag: 16 },
    { name: 'aes-128-ccm', node: 'aes-128-ccm', keyLen: 16, tag: 16 },
    { name: 'aes-128-ccm8', node: 'aes-128-ccm', keyLen: 16, tag: 8 },
    { name: 'aes-256-ccm', node: 'aes-256-ccm', keyLen: 32, tag: 16 },
    { name: 'aes-256-ccm8', node: 'aes-256-ccm', keyLen: 32, tag: 8 },
  ];

  function nodeSeal(alg: string, tag: number, key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
    const c = nc.createCipheriv(alg as nc.CipherGCMTypes, key, nonce, { authTagLength: tag });
    c.setAAD(aad, { plaintextLength: pt.length });
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
  }

  function nodeOpen(alg: string, tag: number, key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, aad: Uint8Array): Uint8Array {
    const n = ct.length - tag;
    const d = nc.createDecipheriv(alg as nc.CipherGCMTypes, key, nonce, { authTagLength: tag });
    d.setAuthTag(ct.subarray(n));
    d.setAAD(aad, { plaintextLength: n });
    return Buffer.concat([d.update(ct.subarray(0, n)), d.final()]);
  }

  for (const a of AEADS) {
    test(`${a.name}: seal/open agree with node:crypto both ways`, () => {
      const key = rand(a.keyLen);
      const aead = p.aead(a.name, key); // reused for every record, as the record layer does
      assert.equal(aead.tagLength, a.tag);
      for (const [ptLen, aadLen] of [
        [0, 13],
        [1, 13],
        [16, 13],
        [17, 0],
        [100, 13],
        [1500, 300],
      ] as const) {
        const nonce = rand(12);
        const pt = rand(ptLen);
        const aad = rand(aadLen);
        const ours = aead.seal(nonce, pt, aad);
        assert.equal(ours.length, ptLen + a.tag);
        assert.equal(hex(ours), hex(nodeSeal(a.node, a.tag, key, nonce, pt, aad)), `seal ${ptLen}/${aadLen}`);
        assert.equal(hex(nodeOpen(a.node, a.tag, key, nonce, ours, aad)), hex(pt));
        const theirs = nodeSeal(a.node, a.tag, key, nonce, pt, aad);
        assert.equal(hex(aead.open(nonce, theirs, aad)!), hex(pt));
      }
    });

    test(`${a.name}: open returns null on tampering or short input`, () => {
      const aead = p.aead(a.name, rand(a.keyLen));
      const nonce = rand(12);
      const aad = rand(13);
      const pt = rand(40);
      const ct = aead.seal(nonce, pt, aad);
      for (const i of [0, 39, 40, ct.length - 1]) {
        const bad = ct.slice();
        bad[i]! ^= 1;
        assert.equal(aead.open(nonce, bad, aad), null, `flip byte ${i}`);
      }
      const badAad = aad.slice();
      badAad[0]! ^= 0x80;
      assert.equal(aead.open(nonce, ct, badAad), null);
      const badNonce = nonce.slice();
      badNonce[11]! ^= 1;
      assert.equal(aead.open(badNonce, ct, aad), null);
      assert.equal(aead.open(nonce, ct.subarray(0, a.tag - 1), aad), null);
      assert.equal(aead.open(nonce, new Uint8Array(0), aad), null);
      assert.equal(aead.open(nonce.subarray(0, 8), ct, aad), null);
      assert.equal(hex(aead.open(nonce, ct, aad)!), hex(pt));
    });
  }

  test('sealInto, where offered, writes what seal returns at any offset', () => {
    for (const a of AEADS) {
      const aead = p.aead(a.name, rand(a.keyLen));
      if (!aead.sealInto) continue;
      for (const [offset, n] of [
        [0, 0],
        [3, 1200],
        [8, 17],
        [21, 100],
      ] as const) {
        const nonce = rand(12),
          pt = rand(n),
          aad = rand(13);
        const out = new Uint8Array(offset + n + a.tag + 5).fill(0xee);
        aead.sealInto(nonce, pt, aad, out, offset);
        assert.equal(hex(out.subarray(offset, offset + n + a.tag)), hex(aead.seal(nonce, pt, aad)), `${a.name} at ${offset}`);
        assert.ok(out.subarray(0, offset).every((b) => b === 0xee) && out.subarray(offset + n + a.tag).every((b) => b === 0xee), 'nothing outside is touched');
        assert.throws(() => aead.sealInto!(nonce, pt, aad, new Uint8Array(offset + n + a.tag - 1), offset), RangeError);
      }
    }
  });

  test('aead rejects wrong key lengths', () => {
    assert.throws(() => p.aead('aes-128-gcm', rand(32)), RangeError);
    assert.throws(() => p.aead('aes-256-ccm8', rand(16)), RangeError);
  });

  test('x25519 ecdh matches node:crypto both ways', () => {
    const ours = p.generateKeyShare('x25519');
    assert.equal(ours.publicKey.length, 32);
    const theirs = nc.generateKeyPairSync('x25519');
    const theirPub = new Uint8Array(Buffer.from(theirs.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const ourPubKey = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(ours.publicKey).toString('base64url') }, format: 'jwk' });
    const nodeShared = nc.diffieHellman({ privateKey: theirs.privateKey, publicKey: ourPubKey });
    assert.equal(hex(p.ecdh('x25519', ours.privateKey, theirPub)), nodeShared.toString('hex'));
  });

  test('x25519 rejects low-order points and bad lengths with illegal_parameter', () => {
    const priv = p.generateKeyShare('x25519').privateKey;
    const isIllegal = (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter';
    assert.throws(() => p.ecdh('x25519', priv, new Uint8Array(32)), isIllegal); // u = 0
    const one = new Uint8Array(32);
    one[0] = 1;
    assert.throws(() => p.ecdh('x25519', priv, one), isIllegal); // u = 1
    assert.throws(() => p.ecdh('x25519', priv, new Uint8Array(31)), isIllegal);
  });

  for (const [group, nodeCurve, len] of [
    ['secp256r1', 'prime256v1', 32],
    ['secp384r1', 'secp384r1', 48],
  ] as const) {
    test(`${group} ecdh matches node createECDH both ways`, () => {
      const ours = p.generateKeyShare(group);
      assert.equal(ours.publicKey.length, 1 + 2 * len);
      assert.equal(ours.publicKey[0], 4);
      const theirs = nc.createECDH(nodeCurve);
      theirs.generateKeys();
      const theirPub = new Uint8Array(theirs.getPublicKey()); // uncompressed by default
      const a = p.ecdh(group, ours.privateKey, theirPub);
      const b = theirs.computeSecret(ours.publicKey);
      assert.equal(a.length, len);
      assert.equal(hex(a), b.toString('hex'));
    });

    test(`${group} ecdh rejects invalid points with illegal_parameter`, () => {
      const ours = p.generateKeyShare(group);
      const isIllegal = (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter';
      const offCurve = ours.publicKey.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      assert.throws(() => p.ecdh(group, ours.privateKey, offCurve), isIllegal);
      assert.throws(() => p.ecdh(group, ours.privateKey, ours.publicKey.subarray(0, 1 + len)), isIllegal); // compressed-size
      const pub = ours.publicKey;
      const compressed = Uint8Array.of(2 + (pub[pub.length - 1]! & 1), ...pub.subarray(1, 1 + len));
      assert.equal(hex(compressed), nc.ECDH.convertKey(hex(pub), nodeCurve, 'hex', 'hex', 'compressed'));
      assert.throws(() => p.ecdh(group, ours.privateKey, compressed), isIllegal);
      assert.throws(() => p.ecdh(group, ours.privateKey, new Uint8Array(1 + 2 * len)), isIllegal);
      const zeros = new Uint8Array(1 + 2 * len);
      zeros[0] = 4;
      assert.throws(() => p.ecdh(group, ours.privateKey, zeros), isIllegal);
    });
  }

  /** A node KeyObject for an uncompressed public point. */
  function nodePublicKey(crv: 'P-256' | 'P-384', pub: Uint8Array): nc.KeyObject {
    const n = (pub.length - 1) / 2;
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    return nc.createPublicKey({ key: { kty: 'EC', crv, x: b64(pub.subarray(1, 1 + n)), y: b64(pub.subarray(1 + n)) }, format: 'jwk' });
  }

  for (const curve of ['P-256', 'P-384'] as const) {
    const hashes: HashName[] = ['sha256', 'sha384', 'sha512', 'sha1'];
    test(`ECDSA ${curve}: our signatures verify in node:crypto, node's in ours`, () => {
      const priv = p.ecdsaGenerateKey(curve);
      const pub = p.ecdsaPublicKey(curve, priv);
      assert.equal(pub[0], 4);
      const nodePub = nodePublicKey(curve, pub);
      for (const h of hashes) {
        const data = rand(100);
        const sig = p.ecdsaSign(curve, h, priv, data);
        assert.equal(sig[0], 0x30, 'DER SEQUENCE');
        assert.ok(nc.verify(h, data, { key: nodePub, dsaEncoding: 'der' }, sig), `node verifies ours (${h})`);
        assert.ok(p.ecdsaVerify(curve, h, pub, data, sig));
        const other = data.slice();
        other[0]! ^= 1;
        assert.equal(p.ecdsaVerify(curve, h, pub, other, sig), false);
        const wrongHash = h === 'sha256' ? 'sha384' : 'sha256';
        assert.equal(p.ecdsaVerify(curve, wrongHash, pub, data, sig), false);
      }
      const { privateKey, publicKey } = nc.generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = publicKey.export({ format: 'jwk' });
      const theirPub = new Uint8Array(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
      for (const h of hashes) {
        const data = rand(77);
        // Node/OpenSSL signatures are not low-S normalized; try enough to hit high-S ones too.
        for (let i = 0; i < 8; i++) {
          const sig = new Uint8Array(nc.sign(h, data, { key: privateKey, dsaEncoding: 'der' }));
          assert.ok(p.ecdsaVerify(curve, h, theirPub, data, sig), `ours verifies node's (${h})`);
        }
      }
    });

    test(`ECDSA ${curve}: high-S form of a valid signature is accepted`, () => {
      const priv = p.ecdsaGenerateKey(curve);
      const pub = p.ecdsaPublicKey(curve, priv);
      const data = rand(50);
      const sig = p.ecdsaSign(curve, 'sha256', priv, data);
      const { r, s } = parseDer(sig);
      const n =
        curve === 'P-256'
          ? 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
          : 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n;
      const flipped = encodeDer(r, n - s);
      assert.ok(p.ecdsaVerify(curve, 'sha256', pub, data, flipped));
    });

    test(`ECDSA ${curve}: malformed input returns false, never throws`, () => {
      const priv = p.ecdsaGenerateKey(curve);
      const pub = p.ecdsaPublicKey(curve, priv);
      const data = rand(30);
      const sig = p.ecdsaSign(curve, 'sha256', priv, data);
      const bad: Uint8Array[] = [
        new Uint8Array(0),
        Uint8Array.of(0x30),
        Uint8Array.of(0x30, 0x00),
        sig.subarray(0, sig.length - 1),
        Uint8Array.from([...sig, 0]),
        Uint8Array.from([0x31, ...sig.subarray(1)]),
        Uint8Array.from([0x30, sig[1]! + 1, ...sig.subarray(2)]),
        encodeDer(0n, 1n),
        encodeDer(1n, 0n),
        rand(64),
      ];
      for (const b of bad) assert.equal(p.ecdsaVerify(curve, 'sha256', pub, data, b), false, hex(b));
      const offCurve = pub.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      assert.equal(p.ecdsaVerify(curve, 'sha256', offCurve, data, sig), false);
      assert.equal(p.ecdsaVerify(curve, 'sha256', pub.subarray(0, 10), data, sig), false);
      assert.equal(p.ecdsaVerify(curve, 'sha256', new Uint8Array(0), data, sig), false);
      const otherCurve = curve === 'P-256' ? 'P-384' : 'P-256';
      assert.equal(p.ecdsaVerify(otherCurve, 'sha256', pub, data, sig), false);
    });
  }
}

function parseDer(sig: Uint8Array): { r: bigint; s: bigint } {
  let i = 2;
  const int = () => {
    assert.equal(sig[i], 0x02);
    const len = sig[i + 1]!;
    const v = BigInt('0x' + (hex(sig.subarray(i + 2, i + 2 + len)) || '0'));
    i += 2 + len;
    return v;
  };
  return { r: int(), s: int() };
}

function encodeDer(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint) => {
    let h = v.toString(16);
    if (h.length % 2) h = '0' + h;
    let b = Buffer.from(h, 'hex');
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
    return Buffer.concat([Buffer.of(2, b.length), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30, body.length), body]));
}
