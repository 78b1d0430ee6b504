// Hostile certificates and trust settings found by review: oversized OIDs,
// trust anchors that are not CAs, and a verify callback that forgot `return`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import { generateCertificate, parseCertificate, verifyChain } from '../../src/x509/index.ts';
import { DerReader, Tag, decodeOid, encodeExplicit, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from '../../src/x509/der.ts';
import { runPair } from '../sim/network.ts';
import { makePair } from '../handshake/helpers.ts';
import { TempDir, opensslIssue } from './helpers.ts';

const now = Date.UTC(2030, 5, 1);
const base = generateCertificate({ commonName: 'host', now });

/** One arc of `n` bytes (all continuation bytes 0xff, then 0x7f): a value of 7n bits. */
const hugeArc = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 0x7f : 0xff));

/** `base` with one extra non-critical extension whose extnID has these contents (the signature is not re-made: parsing comes first). */
function withExtension(oidContents: Uint8Array): Uint8Array {
  const cert = new DerReader(base.chain[0]!).sequence('cert');
  const tbs = cert.sequence('tbs');
  const alg = cert.read('alg');
  const sig = cert.read('sig');
  const fields: Uint8Array[] = [];
  let exts: DerReader | undefined;
  while (!tbs.done) {
    const t = tbs.read('field');
    if (t.tag === 0xa3) exts = new DerReader(t.value).sequence('extensions');
    else fields.push(t.der);
  }
  const list: Uint8Array[] = [];
  while (exts && !exts.done) list.push(exts.read('extension').der);
  list.push(encodeSequence(encodeTlv(Tag.OID, oidContents), encodeOctetString(Uint8Array.of(5, 0))));
  return encodeSequence(encodeSequence(...fields, encodeExplicit(3, encodeSequence(...list))), alg.der, sig.der);
}

const rejected = (der: Uint8Array, re: RegExp): void =>
  assert.throws(
    () => parseCertificate(der),
    (e: unknown) => e instanceof DtlsError && e.code === 'bad_certificate' && re.test(e.message),
    String(re),
  );

test('a certificate with a 60 KB OID arc is refused by its size, not decoded', () => {
  // Before the cap this parsed (after ~0.8 s of quadratic BigInt work) and was accepted.
  const arc = Uint8Array.from([0x2b, 6, 1, 4, 1, ...hugeArc(60_000)]);
  rejected(withExtension(arc), /OBJECT IDENTIFIER of 60005 bytes is longer than the 128 allowed/);
  // Within the whole-OID cap, one arc over its own cap.
  rejected(withExtension(Uint8Array.from([0x2b, ...hugeArc(21)])), /OID arc longer than 20 bytes/);
  // Many arcs within both caps: an unknown non-critical extension is fine.
  const many = Uint8Array.from([0x2b, ...Array.from({ length: 127 }, () => 1)]);
  assert.equal(parseCertificate(withExtension(many)).subjectCommonName, 'host');
  assert.equal(decodeOid(many, 'x').split('.').length, 129);
  // The OID caps apply everywhere an OID is read (here signatureAlgorithm).
  assert.throws(() => decodeOid(hugeArc(129), 'alg'), /longer than the 128 allowed/);
});

test('the longest real arcs still decode: a 128-bit UUID under 2.25 (X.667)', () => {
  const uuid = 2n ** 128n - 1n;
  const dotted = `2.25.${uuid}`;
  const der = encodeOid(dotted);
  assert.equal(decodeOid(der.subarray(2), 'uuid'), dotted);
  assert.equal(parseCertificate(withExtension(der.subarray(2))).subjectCommonName, 'host');
});

const bad = (chain: Uint8Array[], anchors: Uint8Array[], re: RegExp): void =>
  assert.throws(
    () => verifyChain(chain, { anchors, now, provider: nobleProvider }),
    (e: unknown) => {
      assert.ok(e instanceof DtlsError, String(e));
      assert.equal(e.code, 'bad_certificate', e.message);
      assert.match(e.message, re);
      return true;
    },
  );

test('a trust anchor that is not a CA does not issue certificates', () => {
  // A plain end-entity certificate (no basicConstraints) given in `ca`, and a
  // certificate its key signed: trusted for itself, not for what it signs.
  const pinned = generateCertificate({ commonName: 'pinned leaf', now });
  const child = generateCertificate({ commonName: 'child', issuer: pinned, now });
  bad(child.chain.slice(0, 1), [pinned.chain[0]!], /CN=child\) is issued by trust anchor \(CN=pinned leaf\), which is not a CA/);
  bad(child.chain, [pinned.chain[0]!], /which is not a CA/);
  // The pinned certificate itself still verifies, and a real CA still issues.
  verifyChain(pinned.chain, { anchors: [pinned.chain[0]!], now, provider: nobleProvider });
  const root = generateCertificate({ commonName: 'Root', ca: true, now });
  verifyChain(generateCertificate({ issuer: root, now }).chain.slice(0, 1), { anchors: [root.chain[0]!], now, provider: nobleProvider });
});

test('a CA anchor whose keyUsage lacks keyCertSign does not issue certificates', (t) => {
  // openssl makes what generateCertificate will not: cA true, keyUsage digitalSignature only.
  const dir = new TempDir();
  t.after(() => dir.remove());
  dir.openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=SignOnly',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  opensslIssue(dir, 'leaf', 'ca', 'leaf', ['subjectAltName=DNS:leaf']);
  const when = Date.now();
  assert.throws(
    () => verifyChain([dir.der('leaf.pem')], { anchors: [dir.der('ca.pem')], now: when, provider: nobleProvider }),
    (e: unknown) => e instanceof DtlsError && e.code === 'bad_certificate' && /CN=SignOnly\), whose keyUsage lacks keyCertSign/.test(e.message),
  );
});

test('a verify callback that returns nothing does not accept the peer', () => {
  const forgotReturn = ((): void => {}) as unknown as () => boolean;
  const { client, server } = makePair({ verify: forgotReturn });
  runPair(client, server, { seed: 1, until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking' });
  assert.notEqual(client.state, 'connected', 'a callback without `return` accepted the server');
  // The same pair with an explicit `true` connects, so the refusal above is the verdict's.
  const ok = makePair({ verify: () => true });
  runPair(ok.client, ok.server, { seed: 1, until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking' });
  assert.equal(ok.client.state, 'connected');
  // Truthy values that are not `true` do not accept either.
  const truthy = makePair({ verify: (() => 1) as unknown as () => boolean });
  runPair(truthy.client, truthy.server, { seed: 1, until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking' });
  assert.notEqual(truthy.client.state, 'connected');
});

test('a long chain is refused before any certificate is parsed or signature checked', () => {
  let verifies = 0;
  const counting = { ...nobleProvider, ecdsaVerify: (...a: Parameters<typeof nobleProvider.ecdsaVerify>) => (verifies++, nobleProvider.ecdsaVerify(...a)) };
  // A chain of 11 certificates, each issued by the next: valid, but longer than any real one.
  let issuer = generateCertificate({ commonName: 'CA 0', ca: true, now });
  const root = issuer;
  const cas = [issuer];
  for (let i = 1; i < 10; i++) cas.push((issuer = generateCertificate({ commonName: `CA ${i}`, ca: true, issuer, now })));
  const leaf = generateCertificate({ commonName: 'leaf', issuer, now });
  assert.equal(leaf.chain.length, 11);
  assert.throws(
    () => verifyChain(leaf.chain, { anchors: [root.chain[0]!], now, provider: counting }),
    (e: unknown) => e instanceof DtlsError && e.code === 'bad_certificate' && /chain of 11 certificates is longer than the 10 allowed/.test(e.message),
  );
  assert.equal(verifies, 0, 'no signature was checked');
  // Ten is fine (the root is sent too, as some servers do), and all its signatures are checked.
  verifyChain(leaf.chain.slice(0, 10), { anchors: [root.chain[0]!], now, provider: counting });
  assert.equal(verifies, 10);
});
