import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { nobleProvider as p } from '../../src/crypto/noble.ts';
import { computeExtendedMasterSecret, computeMasterSecret, computeVerifyData, deriveKeys, exportKeyingMaterial, prf } from '../../src/crypto/prf.ts';
import { suiteById } from '../../src/crypto/suites.ts';

const rand = (n: number) => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cat = (...a: Uint8Array[]) => new Uint8Array(Buffer.concat(a));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** OpenSSL 3's TLS1-PRF; its seed is label || seed. */
function opensslPrf(digest: 'SHA256' | 'SHA384', secret: Uint8Array, labelAndSeed: Uint8Array, length: number): string {
  const out = execFileSync(
    'openssl',
    [
      'kdf',
      '-keylen',
      String(length),
      '-kdfopt',
      `digest:${digest}`,
      '-kdfopt',
      `hexsecret:${hex(secret)}`,
      '-kdfopt',
      `hexseed:${hex(labelAndSeed)}`,
      'TLS1-PRF',
    ],
    { encoding: 'utf8' },
  );
  return out.trim().replace(/:/g, '').toLowerCase();
}

test('prf matches OpenSSL TLS1-PRF (SHA-256, SHA-384)', () => {
  for (const [hash, digest] of [
    ['sha256', 'SHA256'],
    ['sha384', 'SHA384'],
  ] as const) {
    for (const [secretLen, seedLen, outLen] of [
      [48, 64, 12],
      [32, 64, 48],
      [1, 1, 1],
      [48, 77, 104],
      [200, 32, 333],
    ]) {
      const secret = rand(secretLen!);
      const seed = rand(seedLen!);
      const ours = prf(p, hash, secret, 'test label', seed, outLen!);
      assert.equal(ours.length, outLen);
      assert.equal(hex(ours), opensslPrf(digest, secret, cat(ascii('test label'), seed), outLen!), `${hash} ${secretLen}/${seedLen}/${outLen}`);
    }
  }
});

test('derived values match OpenSSL with their RFC labels and seeds', () => {
  const pms = rand(32);
  const cr = rand(32);
  const sr = rand(32);
  for (const [hash, digest] of [
    ['sha256', 'SHA256'],
    ['sha384', 'SHA384'],
  ] as const) {
    const ms = computeMasterSecret(p, hash, pms, cr, sr);
    assert.equal(hex(ms), opensslPrf(digest, pms, cat(ascii('master secret'), cr, sr), 48));
    const sessionHash = p.hash(hash, rand(300));
    const ems = computeExtendedMasterSecret(p, hash, pms, sessionHash);
    assert.equal(hex(ems), opensslPrf(digest, pms, cat(ascii('extended master secret'), sessionHash), 48));
    for (const label of ['client finished', 'server finished'] as const) {
      const vd = computeVerifyData(p, hash, ms, label, sessionHash);
      assert.equal(vd.length, 12);
      assert.equal(hex(vd), opensslPrf(digest, ms, cat(ascii(label), sessionHash), 12));
    }
  }
});

test('deriveKeys splits the key block (RFC 5246 6.3) for each suite', () => {
  const ms = rand(48);
  const cr = rand(32);
  const sr = rand(32);
  for (const id of [0xc02b, 0xc02c, 0xcca9]) {
    const suite = suiteById(id)!;
    const k = deriveKeys(p, suite, ms, cr, sr);
    const total = 2 * (suite.keyLength + suite.fixedIvLength);
    const block = opensslPrf(suite.prfHash === 'sha384' ? 'SHA384' : 'SHA256', ms, cat(ascii('key expansion'), sr, cr), total);
    assert.equal(hex(cat(k.clientWriteKey, k.serverWriteKey, k.clientWriteIv, k.serverWriteIv)), block);
    assert.equal(k.clientWriteKey.length, suite.keyLength);
    assert.equal(k.serverWriteKey.length, suite.keyLength);
    assert.equal(k.clientWriteIv.length, suite.fixedIvLength);
    assert.equal(k.serverWriteIv.length, suite.fixedIvLength);
  }
});

test('exporter seed layout (RFC 5705 4): no context vs empty vs some context', () => {
  const ms = rand(48);
  const cr = rand(32);
  const sr = rand(32);
  const label = 'EXTRACTOR-dtls_srtp';
  const none = exportKeyingMaterial(p, 'sha256', ms, label, cr, sr, undefined, 60);
  assert.equal(hex(none), opensslPrf('SHA256', ms, cat(ascii(label), cr, sr), 60));
  const empty = exportKeyingMaterial(p, 'sha256', ms, label, cr, sr, new Uint8Array(0), 60);
  assert.equal(hex(empty), opensslPrf('SHA256', ms, cat(ascii(label), cr, sr, Uint8Array.of(0, 0)), 60));
  assert.notEqual(hex(none), hex(empty));
  const ctx = rand(300);
  const withCtx = exportKeyingMaterial(p, 'sha384', ms, label, cr, sr, ctx, 32);
  assert.equal(hex(withCtx), opensslPrf('SHA384', ms, cat(ascii(label), cr, sr, Uint8Array.of(1, 44), ctx), 32));
});

test('exporter refuses reserved labels and oversized contexts', () => {
  const ms = rand(48);
  for (const label of ['client finished', 'server finished', 'master secret', 'key expansion', 'extended master secret']) {
    assert.throws(() => exportKeyingMaterial(p, 'sha256', ms, label, rand(32), rand(32), undefined, 16), RangeError, label);
  }
  assert.throws(() => exportKeyingMaterial(p, 'sha256', ms, 'EXPORTER-x', rand(32), rand(32), new Uint8Array(0x10000), 16), RangeError);
  assert.equal(exportKeyingMaterial(p, 'sha256', ms, 'EXPORTER-x', rand(32), rand(32), undefined, 16).length, 16);
});

test('prf edge cases: zero length, bad length', () => {
  assert.equal(prf(p, 'sha256', rand(16), 'x', rand(8), 0).length, 0);
  assert.throws(() => prf(p, 'sha256', rand(16), 'x', rand(8), -1), RangeError);
  assert.throws(() => prf(p, 'sha256', rand(16), 'x', rand(8), 1.5), RangeError);
});
