// The native provider: the default where node:crypto exists, the same answers
// as noble on Node, Deno and Bun (each runtime's gaps served by noble), keys
// imported once per key, and the `crypto` option still wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { defaultCryptoProvider, providerFor } from '../../src/crypto/default.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { resolveOptions } from '../../src/options.ts';
import { SignatureSchemes as S } from '../../src/crypto/provider.ts';
import { Connection } from '../../src/connection.ts';
import { shuttle } from '../../src/testing/index.ts';
import { generateCertificate } from '../../src/x509/generate.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(ROOT, 'test/crypto/fixtures/native-check.ts');

test('under Node the default provider is node:crypto, and options.crypto overrides it', () => {
  assert.equal(defaultCryptoProvider().name, 'node:crypto');
  assert.equal(resolveOptions({ role: 'client', verify: 'insecure' }).crypto.name, 'node:crypto');
  assert.equal(resolveOptions({ role: 'client', verify: 'insecure', crypto: nobleProvider }).crypto, nobleProvider);
});

test('without node:crypto (a browser, a worker, Node before 20.16, a polyfilled process) the default is noble', () => {
  assert.equal(providerFor(undefined), nobleProvider);
  assert.equal(providerFor({}), nobleProvider, 'process without getBuiltinModule');
  assert.equal(providerFor({ getBuiltinModule: () => undefined }), nobleProvider);
  assert.equal(providerFor({ getBuiltinModule: () => ({}) }), nobleProvider, 'a stub without ciphers');
  assert.equal(
    providerFor({
      getBuiltinModule: () => {
        throw new Error('no');
      },
    }),
    nobleProvider,
  );
  assert.equal(providerFor(process).name, 'node:crypto');
});

// Bun lacks ChaCha20-Poly1305, CCM and raw ChaCha20 in node:crypto and Deno lacks
// CCM (both measured here); the check script compares every operation with noble.
const RUNTIMES = {
  node: [process.execPath, ['--import', 'tsx', FIXTURE]],
  deno: [join(ROOT, 'node_modules/.bin/deno'), ['run', FIXTURE]],
  bun: [join(ROOT, 'node_modules/.bin/bun'), [FIXTURE]],
} as const;
for (const [runtime, [cmd, args]] of Object.entries(RUNTIMES)) {
  test(`${runtime}: the native provider agrees with noble on every operation, falling back where the runtime lacks one`, { timeout: 90_000 }, async (t) => {
    const controller = new AbortController();
    t.after(() => controller.abort());
    const out = await new Promise<string>((resolve, reject) =>
      execFile(cmd, [...args], { cwd: ROOT, timeout: 80_000, signal: controller.signal, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
        err ? reject(new Error(`${runtime} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const line = out.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, out);
    const r = JSON.parse(line) as { runtime: string; fallbacks: string[]; failures: string[] };
    assert.equal(r.runtime, runtime);
    assert.deepEqual(r.failures, []);
    if (runtime === 'node') assert.deepEqual(r.fallbacks, [], 'Node has every operation natively');
    t.diagnostic(`${runtime} falls back to noble for: ${r.fallbacks.join(', ') || 'nothing'}`);
  });
}

/** node:crypto with some algorithms taken away, and a count of key imports. */
function crippled(missing: string[]) {
  const counts = { createSecretKey: 0, createPrivateKey: 0, createPublicKey: 0 };
  const fake = new Proxy(nc, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'createCipheriv' || prop === 'createDecipheriv') {
        return (alg: string, ...rest: unknown[]) => {
          if (missing.includes(alg)) throw new Error(`Unknown cipher ${alg}`);
          return (v as (...a: unknown[]) => unknown)(alg, ...rest);
        };
      }
      if (prop === 'diffieHellman' && missing.includes('x25519'))
        return () => {
          throw new Error('unsupported');
        };
      if (prop in counts) return (...a: unknown[]) => (counts[prop as keyof typeof counts]++, (v as (...a: unknown[]) => unknown)(...a));
      return v;
    },
  });
  return { fake, counts };
}

test('an algorithm the runtime lacks (or gets wrong) falls back to noble for that operation only', () => {
  const { fake } = crippled(['aes-128-ccm', 'aes-256-ccm', 'chacha20-poly1305', 'x25519']);
  const p = createNativeProvider(fake);
  const key = nobleProvider.random(16);
  const nonce = nobleProvider.random(12);
  const aad = nobleProvider.random(13);
  const pt = nobleProvider.random(100);
  // CCM works (through noble) and agrees with node's own CCM.
  const sealed = p.aead('aes-128-ccm8', key).seal(nonce, pt, aad);
  const c = nc.createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 });
  c.setAAD(aad, { plaintextLength: pt.length });
  assert.deepEqual(Buffer.from(sealed), Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
  const share = p.generateKeyShare('x25519');
  const peer = nobleProvider.generateKeyShare('x25519');
  assert.deepEqual(p.ecdh('x25519', share.privateKey, peer.publicKey), nobleProvider.ecdh('x25519', peer.privateKey, share.publicKey));
  assert.deepEqual(p.fallbacks().sort(), ['ccm', 'chacha20-poly1305', 'x25519']);

  // A runtime that answers wrongly is treated as lacking the operation.
  const wrong = new Proxy(nc, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'createHash') return (alg: string) => (v as typeof nc.createHash)(alg === 'sha384' ? 'sha512' : alg);
      return v;
    },
  });
  const w = createNativeProvider(wrong);
  assert.deepEqual(w.hash('sha384', pt), nobleProvider.hash('sha384', pt));
  assert.deepEqual(w.fallbacks(), ['hash']);
});

test('keys are imported once per key: one AES key object per record direction, one EC key per certificate', () => {
  const { fake, counts } = crippled([]);
  const p = createNativeProvider(fake);
  p.fallbacks(); // run every probe first; count only what follows
  for (const k of Object.keys(counts)) counts[k as keyof typeof counts] = 0;

  const aead = p.aead('aes-128-gcm', nobleProvider.random(16));
  const nonce = nobleProvider.random(12);
  for (let i = 0; i < 50; i++) assert.ok(aead.open(nonce, aead.seal(nonce, new Uint8Array(1200), new Uint8Array(13)), new Uint8Array(13)));
  assert.equal(counts.createSecretKey, 1);

  const d = p.ecdsaGenerateKey('P-256');
  const pub = p.ecdsaPublicKey('P-256', d);
  for (let i = 0; i < 20; i++) assert.ok(p.verify(S.ecdsa_secp256r1_sha256, pub, Uint8Array.of(i), p.sign(S.ecdsa_secp256r1_sha256, d, Uint8Array.of(i))));
  assert.equal(counts.createPrivateKey, 1);
  assert.equal(counts.createPublicKey, 1);
});

test('a full handshake and data both ways with the native provider on one side and noble on the other', () => {
  const cert = generateCertificate();
  for (const [suite, group] of [
    ['ECDHE-ECDSA-AES128-GCM-SHA256', 'x25519'],
    ['ECDHE-ECDSA-CHACHA20-POLY1305', 'secp256r1'],
    ['ECDHE-ECDSA-AES256-GCM-SHA384', 'secp384r1'],
  ] as const) {
    const native = createNativeProvider(nc);
    const client = new Connection(
      resolveOptions({ role: 'client', crypto: native, verify: { fingerprints: [cert.fingerprint] }, cipherSuites: [suite], groups: [group, 'secp256r1'] }),
    );
    const server = new Connection(resolveOptions({ role: 'server', crypto: nobleProvider, certificate: cert, cipherSuites: [suite], groups: [group] }));
    server.start(0);
    client.start(0);
    shuttle(client, server, 0, 50);
    assert.equal(client.state, 'connected', `${suite} ${group}: ${client.error?.message}`);
    assert.equal(server.state, 'connected');
    client.send(0, new TextEncoder().encode('ping'));
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
    assert.equal(new TextDecoder().decode(server.pollReceived()!), 'ping');
    server.send(0, new TextEncoder().encode('pong'));
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(0, d);
    assert.equal(new TextDecoder().decode(client.pollReceived()!), 'pong');
  }
});

test('a key buffer reused with new contents is imported again, not served from the cache', () => {
  const p = createNativeProvider(nc);
  const d1 = p.ecdsaGenerateKey('P-256');
  const d2 = p.ecdsaGenerateKey('P-256');
  const pub1 = p.ecdsaPublicKey('P-256', d1);
  const pub2 = p.ecdsaPublicKey('P-256', d2);
  const key = d1.slice();
  const point = pub1.slice();
  const data = Uint8Array.of(1, 2, 3);
  assert.ok(p.verify(S.ecdsa_secp256r1_sha256, point, data, p.sign(S.ecdsa_secp256r1_sha256, key, data)));
  key.set(d2);
  point.set(pub2);
  const sig = p.sign(S.ecdsa_secp256r1_sha256, key, data);
  assert.ok(p.verify(S.ecdsa_secp256r1_sha256, pub2, data, sig), 'signed with the new key');
  assert.ok(p.verify(S.ecdsa_secp256r1_sha256, point, data, sig), 'verified with the new point');
  assert.equal(p.verify(S.ecdsa_secp256r1_sha256, pub1, data, sig), false);
});

test('RSA-PSS and RSA PKCS#1 v1.5 (native only): PKCS#8 / SPKI DER keys, checked against node:crypto', () => {
  const p = createNativeProvider(nc);
  const { privateKey, publicKey } = nc.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const data = nc.randomBytes(200);
  for (const [scheme, hash, pss] of [
    [S.rsa_pss_rsae_sha256, 'sha256', true],
    [S.rsa_pss_rsae_sha384, 'sha384', true],
    [S.rsa_pss_rsae_sha512, 'sha512', true],
    [S.rsa_pkcs1_sha256, 'sha256', false],
    [S.rsa_pkcs1_sha384, 'sha384', false],
    [S.rsa_pkcs1_sha512, 'sha512', false],
  ] as const) {
    assert.ok(p.signatureSchemes.includes(scheme));
    const sig = p.sign(scheme, pkcs8, data);
    const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[hash];
    // RFC 8446 4.2.3: PSS with MGF1 and a salt as long as the hash.
    assert.ok(
      nc.verify(hash, data, pss ? { key: publicKey, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength } : publicKey, sig),
      `node verifies ${scheme.toString(16)}`,
    );
    assert.ok(p.verify(scheme, spki, data, sig));
    assert.equal(p.verify(scheme, spki, data.subarray(1), sig), false);
    assert.equal(p.verify(scheme, spki.subarray(1), data, sig), false, 'malformed key: false');
  }
  // PSS signatures do not verify as PKCS#1 and back.
  assert.equal(p.verify(S.rsa_pkcs1_sha256, spki, data, p.sign(S.rsa_pss_rsae_sha256, pkcs8, data)), false);
  // noble has no RSA: a typed error.
  assert.ok(!nobleProvider.signatureSchemes.includes(S.rsa_pss_rsae_sha256));
  assert.throws(() => nobleProvider.sign(S.rsa_pss_rsae_sha256, pkcs8, data), /not implemented/);
});
