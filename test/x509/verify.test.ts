import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import { generateCertificate, parseCertificate, verifyChain } from '../../src/x509/index.ts';
import type { VerifyChainOptions } from '../../src/x509/index.ts';
import { flip } from './helpers.ts';

const DAY = 86_400_000;
const now = Date.UTC(2030, 5, 1);
const p = nobleProvider;
const root = generateCertificate({ commonName: 'Root', ca: true, now, days: 3650 });
const int = generateCertificate({ commonName: 'Intermediate', ca: true, issuer: root, now, days: 365 });
const leaf = generateCertificate({ commonName: 'leaf', subjectAltNames: ['example.com', '*.wild.example.com', '192.0.2.7', '2001:db8::7'], issuer: int, now });
const self = generateCertificate({ commonName: 'peer', now });

const opts = (o: Partial<VerifyChainOptions> = {}): VerifyChainOptions => ({ anchors: [root.chain[0]!], now, provider: p, ...o });
const fails = (code: string, re: RegExp, chain: Uint8Array[], o: Partial<VerifyChainOptions> = {}): void =>
  assert.throws(
    () => verifyChain(chain, opts(o)),
    (e: unknown) => {
      assert.ok(e instanceof DtlsError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, re);
      return true;
    },
  );

test('generateCertificate builds the fields it promises', () => {
  const c = parseCertificate(leaf.chain[0]!);
  assert.equal(leaf.chain.length, 3); // leaf, intermediate, root
  assert.equal(c.notBefore, now - DAY);
  assert.equal(c.notAfter, now + 30 * DAY);
  assert.equal(c.serialNumber.length, 16);
  assert.ok(c.serialNumber[0]! > 0 && c.serialNumber[0]! < 0x80);
  assert.deepEqual(c.issuerDer, parseCertificate(int.chain[0]!).subjectDer);
  assert.deepEqual([...c.keyUsage!], ['digitalSignature']);
  assert.equal(c.basicConstraints, undefined);
  assert.deepEqual(c.subjectAltNames.ip, ['192.0.2.7', '2001:db8::7']);
  const r = parseCertificate(root.chain[0]!);
  assert.deepEqual(r.basicConstraints, { ca: true, pathLen: undefined });
  assert.deepEqual([...r.keyUsage!], ['keyCertSign']);
  assert.equal(parseCertificate(generateCertificate({ curve: 'P-384' }).chain[0]!).signatureAlgorithm.name, 'ecdsa-with-SHA384');
  assert.equal(parseCertificate(self.chain[0]!).subjectCommonName, 'peer');
  assert.match(self.fingerprint, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.throws(() => generateCertificate({ subjectAltNames: ['bad name'] }), RangeError);
});

test('accepts good chains', () => {
  verifyChain(leaf.chain, opts({ serverName: 'example.com' }));
  verifyChain(leaf.chain.slice(0, 2), opts({ serverName: 'EXAMPLE.com.' }));
  verifyChain(leaf.chain, opts({ serverName: 'a.wild.example.com' }));
  verifyChain(leaf.chain, opts({ serverName: '192.0.2.7' }));
  verifyChain(leaf.chain, opts({ serverName: '[2001:db8:0::7]' }));
  verifyChain(leaf.chain, opts({ anchors: [int.chain[0]!] })); // an intermediate can be the anchor
  verifyChain(self.chain, opts({ anchors: [self.chain[0]!], serverName: 'peer' })); // the leaf is the anchor; CN fallback
  const direct = generateCertificate({ issuer: root, now });
  verifyChain(direct.chain, opts({ purpose: 'client' }));
});

test('rejects expired and not-yet-valid certificates', () => {
  fails('certificate_expired', /certificate 0 \(CN=leaf\) expired/, leaf.chain, { now: now + 31 * DAY });
  fails('certificate_expired', /expired/, leaf.chain, { now: now + 100 * 365 * DAY });
  fails('certificate_expired', /not valid until/, leaf.chain, { now: now - 2 * DAY });
  // Only the intermediate has expired.
  const shortInt = generateCertificate({ commonName: 'Short', ca: true, issuer: root, now, days: 1 });
  const longLeaf = generateCertificate({ issuer: shortInt, now, days: 30 });
  fails('certificate_expired', /certificate 1 \(CN=Short\) expired/, longLeaf.chain, { now: now + 2 * DAY });
  // An expired anchor.
  fails('certificate_expired', /trust anchor \(CN=Short\) expired/, longLeaf.chain.slice(0, 1), { anchors: [shortInt.chain[0]!], now: now + 2 * DAY });
});

test('rejects names the leaf is not valid for', () => {
  for (const name of ['example.org', 'www.example.com', 'wild.example.com', 'a.b.wild.example.com', '192.0.2.8', '2001:db8::8', 'leaf']) {
    fails('bad_certificate', /is not valid for/, leaf.chain, { serverName: name });
  }
  fails('bad_certificate', /CN peer/, self.chain, { anchors: [self.chain[0]!], serverName: 'other' });
  const broad = generateCertificate({ subjectAltNames: ['*.com', 'f*.example.com'], issuer: root, now });
  fails('bad_certificate', /not valid for/, broad.chain, { serverName: 'example.com' });
  fails('bad_certificate', /not valid for/, broad.chain, { serverName: 'foo.example.com' });
});

test('rejects chains that do not reach a trust anchor', () => {
  const other = generateCertificate({ commonName: 'Other Root', ca: true, now });
  fails('unknown_ca', /no trust anchor issued/, leaf.chain.slice(0, 2), { anchors: [other.chain[0]!] });
  fails('unknown_ca', /no trust anchor issued/, leaf.chain.slice(0, 1));
  fails('unknown_ca', /./, self.chain, { anchors: [] });
  // Same name as the real root, different key.
  const impostor = generateCertificate({ commonName: 'Root', ca: true, now });
  fails('unknown_ca', /not signed by the trust anchor/, leaf.chain.slice(0, 2), { anchors: [impostor.chain[0]!] });
  // Out of order.
  fails('unknown_ca', /not issued by the next certificate/, [leaf.chain[0]!, root.chain[0]!, int.chain[0]!]);
  // A same-subject self-signed certificate is not the pinned one.
  const twin = generateCertificate({ commonName: 'peer', now });
  fails('unknown_ca', /./, twin.chain, { anchors: [self.chain[0]!] });
});

test('rejects tampered signatures and contents', () => {
  const der = leaf.chain[0]!;
  fails('bad_certificate', /certificate 0 \(CN=leaf\) has an invalid signature/, [flip(der, der.length - 1), ...leaf.chain.slice(1)]);
  const cn = Buffer.from(der).indexOf(Buffer.from('0c046c656166', 'hex')); // UTF8String "leaf"
  assert.ok(cn > 0);
  const renamed = flip(der, cn + 2, 0x20); // "Leaf"
  assert.equal(parseCertificate(renamed).subjectCommonName, 'Leaf');
  fails('bad_certificate', /invalid signature/, [renamed, ...leaf.chain.slice(1)]);
  const intDer = int.chain[0]!;
  fails('unknown_ca', /not signed by the trust anchor/, [der, flip(intDer, intDer.length - 1)]);
});

test('rejects CA misuse', () => {
  // An intermediate without basicConstraints cA.
  const notCa = generateCertificate({ commonName: 'NotCA', issuer: root, now });
  const under = generateCertificate({ issuer: notCa, now });
  fails('bad_certificate', /certificate 1 \(CN=NotCA\) issues certificates but is not a CA/, under.chain);
  // A leaf whose keyUsage lacks digitalSignature.
  const caAsLeaf = generateCertificate({ commonName: 'CA leaf', ca: true, issuer: root, now });
  fails('bad_certificate', /keyUsage does not allow digitalSignature/, caAsLeaf.chain);
  fails('bad_certificate', /CN=Root\) keyUsage does not allow digitalSignature/, root.chain);
});

test('rejects malformed input with the right error types', () => {
  fails('bad_certificate', /empty certificate chain/, []);
  fails('bad_certificate', /certificate 1: malformed certificate/, [leaf.chain[0]!, Uint8Array.of(0x30, 0)]);
  assert.throws(
    () => verifyChain(leaf.chain, opts({ anchors: [Uint8Array.of(1, 2, 3)] })),
    (e: unknown) => e instanceof TypeError && /trust anchor 0/.test(e.message),
  );
});
