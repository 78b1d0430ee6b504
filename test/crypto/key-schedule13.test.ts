// Known answers for the TLS 1.3 key schedule: RFC 8448 section 3 (a simple
// 1-RTT handshake, TLS_AES_128_GCM_SHA256, x25519) with the "tls13 " prefix,
// then the same schedule with DTLS 1.3's "dtls13" prefix (RFC 9147 5.9),
// checked against HKDF-Expand with the HkdfLabel written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { KeySchedule13, deriveSecret, hkdfExpand, hkdfExpandLabel, hkdfExtract } from '../../src/crypto/key-schedule13.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const p = nobleProvider;

// RFC 8448 3, "Simple 1-RTT Handshake".
const V = {
  early: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a',
  derivedEarly: '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
  shared: '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d',
  handshake: '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac',
  helloHash: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8',
  cHs: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  sHs: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  sHsKey: '3fce516009c21727d0f2e4e86ee403bc',
  sHsIv: '5d313eb2671276ee13000b30',
  cHsKey: 'dbfaa693d1762c5b666af5d950258d01',
  cHsIv: '5bd3c71b836e0b76bb73265f',
  master: '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919',
  serverFinishedHash: '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13',
  cAp: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  sAp: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  sApKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  sApIv: 'cf782b88dd83549aadf1e984',
  cApKey: '17422dda596ed5d9acd890e3c63f5051',
  cApIv: '5b78923dee08579033e523d9',
  cFinishedKey: 'b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4',
};

test("HKDF-Extract and HKDF-Expand on the provider's HMAC agree with node:crypto (RFC 5869)", () => {
  const ikm = hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
  const salt = hex('000102030405060708090a0b0c');
  const info = hex('f0f1f2f3f4f5f6f7f8f9');
  for (const [hash, len] of [
    ['sha256', 42],
    ['sha384', 100],
    ['sha256', 255 * 32],
  ] as const) {
    const ours = hkdfExpand(p, hash, hkdfExtract(p, hash, salt, ikm), info, len);
    assert.equal(toHex(ours), Buffer.from(hkdfSync(hash, ikm, salt, info, len)).toString('hex'));
  }
  assert.equal(toHex(hkdfExtract(p, 'sha256', salt, ikm)), createHmac('sha256', salt).update(ikm).digest('hex'));
  assert.throws(() => hkdfExpand(p, 'sha256', new Uint8Array(32), info, 255 * 32 + 1), RangeError);
});

test('the TLS 1.3 key schedule with the "tls13 " prefix reproduces RFC 8448 section 3', () => {
  const ks = new KeySchedule13(p, 'sha256', undefined, 'tls13 ');
  assert.equal(toHex(ks.secret), V.early);
  assert.equal(toHex(deriveSecret(p, 'sha256', hex(V.early), 'derived', p.hash('sha256', new Uint8Array(0)), 'tls13 ')), V.derivedEarly);
  ks.handshake(hex(V.shared));
  assert.equal(toHex(ks.secret), V.handshake);
  const hs = ks.handshakeTrafficSecrets(hex(V.helloHash));
  assert.equal(toHex(hs.client), V.cHs);
  assert.equal(toHex(hs.server), V.sHs);
  const sk = ks.trafficKeys(hs.server, 16, 12);
  assert.equal(toHex(sk.key), V.sHsKey);
  assert.equal(toHex(sk.iv), V.sHsIv);
  const ck = ks.trafficKeys(hs.client, 16, 12);
  assert.equal(toHex(ck.key), V.cHsKey);
  assert.equal(toHex(ck.iv), V.cHsIv);
  assert.equal(toHex(ks.finishedKey(hs.client)), V.cFinishedKey);
  ks.master();
  assert.equal(toHex(ks.secret), V.master);
  const ap = ks.applicationTrafficSecrets(hex(V.serverFinishedHash));
  assert.equal(toHex(ap.client), V.cAp);
  assert.equal(toHex(ap.server), V.sAp);
  const sak = ks.trafficKeys(ap.server, 16, 12);
  const cak = ks.trafficKeys(ap.client, 16, 12);
  assert.deepEqual([toHex(sak.key), toHex(sak.iv), toHex(cak.key), toHex(cak.iv)], [V.sApKey, V.sApIv, V.cApKey, V.cApIv]);
  assert.throws(() => ks.master(), TypeError, 'stages go one way');
});

test('"dtls13" is only the prefix: HKDF-Expand-Label builds HkdfLabel with "dtls13" + label, and the results differ from TLS 1.3\'s', () => {
  const secret = hex(V.sHs);
  // struct { uint16 length = 16; opaque label<7..255> = "dtls13" "key"; opaque context<0..255> = ""; }
  const info = Uint8Array.of(0, 16, 9, ...new TextEncoder().encode('dtls13key'), 0);
  const byHand = hkdfExpand(p, 'sha256', secret, info, 16);
  assert.equal(toHex(hkdfExpandLabel(p, 'sha256', secret, 'key', new Uint8Array(0), 16)), toHex(byHand), 'dtls13 is the default prefix');
  assert.notEqual(toHex(byHand), V.sHsKey);
  // The same chain as RFC 8448 up to the first label: the early secret has no label, and all the rest differ.
  const d = new KeySchedule13(p, 'sha256');
  assert.equal(toHex(d.secret), V.early);
  d.handshake(hex(V.shared));
  assert.notEqual(toHex(d.secret), V.handshake, 'the "derived" salt is labelled too');
  const salt = deriveSecret(p, 'sha256', hex(V.early), 'derived', p.hash('sha256', new Uint8Array(0)), 'dtls13');
  assert.equal(toHex(d.secret), toHex(hkdfExtract(p, 'sha256', salt, hex(V.shared))));
  // sn_key (RFC 9147 4.2.3) is HKDF-Expand-Label(secret, "sn", "", key_length).
  const sn = d.trafficKeys(secret, 16, 12).sn;
  assert.equal(toHex(sn), toHex(hkdfExpand(p, 'sha256', secret, Uint8Array.of(0, 16, 8, ...new TextEncoder().encode('dtls13sn'), 0), 16)));
});

test("cipher suites per version: the TLS 1.3 suites are data beside the 1.2 ones, and neither version negotiates the other's", async () => {
  const { SUITES_BY_VERSION, suite13ById, suiteById, CIPHER_SUITES } = await import('../../src/crypto/suites.ts');
  assert.deepEqual(
    SUITES_BY_VERSION['DTLS 1.3'].map((s) => s.id),
    [0x1301, 0x1302, 0x1303, 0x1304, 0x1305],
  );
  assert.equal(SUITES_BY_VERSION['DTLS 1.2'], CIPHER_SUITES);
  for (const s of SUITES_BY_VERSION['DTLS 1.3']) {
    assert.equal(suiteById(s.id), undefined, `${s.name} is not a 1.2 suite`);
    assert.equal(s.name.endsWith(s.hash.toUpperCase()), true);
    // The AEAD exists in the provider with this key length, and the schedule yields keys of it.
    const aead = p.aead(s.aead, new Uint8Array(s.keyLength));
    assert.equal(aead.tagLength, s.tagLength, s.name);
    const keys = new KeySchedule13(p, s.hash).trafficKeys(new Uint8Array(s.hash === 'sha384' ? 48 : 32), s.keyLength, s.ivLength);
    assert.equal(keys.key.length, s.keyLength);
    assert.equal(keys.iv.length, 12);
  }
  assert.equal(suite13ById(0xc02b), undefined);
  assert.equal(suite13ById(0x1305)?.tagLength, 8);
});
