// The public testing module (src/testing, published as dtls-stream/testing):
// portable, deterministic, and the same simulator the project's own tests use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as testing from '../../src/testing/index.ts';
import * as legacy from './network.ts';
import { Link, SimPair, bothIn, createPair, runPair, seededCrypto, testCertificates } from '../../src/testing/index.ts';

const dir = new URL('../../src/testing/', import.meta.url);

test('src/testing imports no Node built-in and reads no clock', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('network.ts') && files.includes('index.ts'));
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    assert.doesNotMatch(src, /from\s+'node:|import\('node:|require\(/, `${f} imports a Node built-in`);
    assert.doesNotMatch(src, /Date\.now|new Date\(|performance\.now|setTimeout|setInterval|process\./, `${f} reads a clock or the process`);
  }
});

test('test/sim/network.ts re-exports the same simulator', () => {
  assert.equal(legacy.SimPair, testing.SimPair);
  assert.equal(legacy.Link, testing.Link);
  assert.equal(legacy.runPair, testing.runPair);
});

/** A digest of every datagram both sides sent in a lossy, reordering run at MTU 256. */
function fingerprintOfRun(seed: number): { digest: string; now: number } {
  const h = createHash('sha256');
  const { client, server } = createPair({ mtu: 256 }, { mtu: 256 }, { seed });
  const tap = { filter: (d: Uint8Array) => (h.update(d), true) };
  const r = runPair(client, server, {
    seed,
    link: { loss: 0.2, reorder: 0.2, duplicate: 0.1, delay: 10, jitter: 5, mtu: 256 },
    aToB: tap,
    bToA: tap,
    until: bothIn('connected'),
  });
  assert.equal(r.reason, 'until');
  return { digest: h.digest('hex'), now: r.now };
}

test('createPair with a seed: the same seed gives byte-identical runs, another seed another run', () => {
  const a = fingerprintOfRun(21);
  assert.deepEqual(fingerprintOfRun(21), a);
  assert.notEqual(fingerprintOfRun(22).digest, a.digest);
});

test('seededCrypto: same seed, same bytes; deterministic signatures that verify; valid key shares', () => {
  const x = seededCrypto(5);
  const y = seededCrypto(5);
  assert.deepEqual(x.random(40), y.random(40));
  assert.notDeepEqual(seededCrypto(6).random(40), seededCrypto(5).random(40));
  const key = x.ecdsaGenerateKey('P-256');
  assert.deepEqual(y.ecdsaGenerateKey('P-256'), key);
  const pub = x.ecdsaPublicKey('P-256', key);
  const data = new Uint8Array([1, 2, 3]);
  const sig = x.ecdsaSign('P-256', 'sha256', key, data);
  assert.deepEqual(y.ecdsaSign('P-256', 'sha256', key, data), sig);
  assert.equal(x.ecdsaVerify('P-256', 'sha256', pub, data, sig), true);
  for (const g of ['x25519', 'secp256r1', 'secp384r1'] as const) {
    const a = x.generateKeyShare(g);
    const b = y.generateKeyShare(g);
    assert.deepEqual(a.publicKey, b.publicKey);
    const c = seededCrypto(99).generateKeyShare(g);
    assert.deepEqual(x.ecdh(g, a.privateKey, c.publicKey), x.ecdh(g, c.privateKey, a.publicKey), `${g} agreement`);
  }
  assert.match(x.name, /tests only/);
});

test('createPair: the client pins the test server certificate; with requestClientCertificate both sides are authenticated', () => {
  const certs = testCertificates();
  assert.equal(testCertificates(), certs, 'made once');
  const { client, server } = createPair({}, { requestClientCertificate: 'require' }, { seed: 3 });
  const r = runPair(client, server, { seed: 3, until: bothIn('connected') });
  assert.equal(r.reason, 'until', `${client.error?.message} / ${server.error?.message}`);
  assert.equal(client.handshakeInfo?.peerFingerprint, certs.server.fingerprint);
  assert.equal(server.handshakeInfo?.peerFingerprint, certs.client.fingerprint);
  // Options given win over the defaults.
  const other = testing.testCertificates().client;
  const p2 = createPair({ verify: { fingerprints: [other.fingerprint] } }, {}, { seed: 4 });
  const r2 = runPair(p2.client, p2.server, { seed: 4, until: (p) => p.a.state === 'failed' });
  assert.equal(r2.reason, 'until');
  assert.equal(p2.client.error?.code, 'verification_failed');
});

test('Link rewrite: replaces a datagram by what it returns, each of which then meets the MTU and loss', () => {
  const l = new Link({ mtu: 10, rewrite: (d) => [d.subarray(0, 5), d, new Uint8Array(0)] }, 1);
  l.send(0, new Uint8Array(20));
  const s = l.stats;
  assert.equal(s.sent, 1);
  assert.equal(s.rewritten, 1);
  assert.equal(s.oversize, 1);
  assert.deepEqual(
    l.takeDue(0).map((d) => d.length),
    [5, 0],
  );
  // No rewrite: the stream of random draws is what it was, so old seeds replay unchanged.
  const plain = new Link({ loss: 0.5 }, 7);
  const viaRewrite = new Link({ loss: 0.5, rewrite: (d) => [d] }, 7);
  for (let i = 0; i < 50; i++) {
    plain.send(i, Uint8Array.of(i));
    viaRewrite.send(i, Uint8Array.of(i));
  }
  assert.deepEqual(plain.takeDue(100), viaRewrite.takeDue(100));
});

test('SimPair drives any ConnectionLike: two connected Connections echo through it', () => {
  const { client, server } = createPair({}, {}, { seed: 8 });
  const pair = new SimPair(client, server, { seed: 8, link: { delay: 5 } });
  assert.equal(pair.run({ until: bothIn('connected') }).reason, 'until');
  client.send(pair.now, Uint8Array.of(1, 2, 3));
  pair.flush();
  pair.run({ until: (p) => p.log.b.received.length === 1, maxDuration: 100 });
  assert.deepEqual(pair.log.b.received, [Uint8Array.of(1, 2, 3)]);
});
