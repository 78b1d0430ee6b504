import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import {
  decodePrivateKeyPem,
  encodePem,
  fingerprint,
  fingerprintMatches,
  generateCertificate,
  parseCertificate,
  parseFingerprint,
} from '../../src/x509/index.ts';
import { formatIp, parseIp } from '../../src/x509/parse.ts';
import { encodeExplicit, encodeInteger, encodeOctetString, encodeOid, encodeSequence } from '../../src/x509/der.ts';
import { fromHex } from '../../src/wire/codec.ts';

const cert = generateCertificate({ now: Date.UTC(2030, 0, 1) });

test('parseCertificate rejects malformed input with bad_certificate', () => {
  const bad = (b: Uint8Array, re: RegExp): void =>
    assert.throws(
      () => parseCertificate(b),
      (e: unknown) => e instanceof DtlsError && e.code === 'bad_certificate' && re.test(e.message),
    );
  bad(new Uint8Array(0), /malformed certificate: DER: Certificate: unexpected end/);
  bad(Uint8Array.of(0x30, 0x00), /tbsCertificate/);
  bad(Uint8Array.from([...cert.chain[0]!, 0]), /Certificate: 1 unexpected trailing bytes/);
  assert.throws(() => parseCertificate('x' as unknown as Uint8Array), TypeError);
});

test('parseCertificate copies its input', () => {
  const der = cert.chain[0]!.slice();
  const c = parseCertificate(der);
  der.fill(0);
  assert.deepEqual(c.der, cert.chain[0]);
  assert.equal(c.subjectCommonName, 'dtls-stream');
});

test('IP addresses format per RFC 5952 and parse back', () => {
  const cases: [string, string][] = [
    ['20010db8000000000000000000000001', '2001:db8::1'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['20010db8000000010001000100010000', '2001:db8:0:1:1:1:1:0'],
    ['c0000207', '192.0.2.7'],
  ];
  for (const [hex, text] of cases) {
    assert.equal(formatIp(fromHex(hex)), text);
    assert.deepEqual(parseIp(text), fromHex(hex));
  }
  assert.deepEqual(parseIp('::ffff:192.0.2.1'), fromHex('00000000000000000000ffffc0000201'));
  assert.deepEqual(parseIp('[fe80::1]'), fromHex('fe800000000000000000000000000001'));
  for (const s of ['1.2.3', '1.2.3.256', '01.2.3.4', 'example.com', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '1:2:3:4:5:6:7::8']) {
    assert.equal(parseIp(s), undefined, s);
  }
});

test('fingerprints: format, parse, match', () => {
  const fp = fingerprint(cert.chain[0]!);
  assert.equal(fp, cert.fingerprint);
  assert.match(fp, /^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const parsed = parseFingerprint(`  SHA-256 ${fp.slice(8).toLowerCase()} `);
  assert.equal(parsed.algorithm, 'sha-256');
  assert.equal(parsed.bytes.length, 32);
  assert.ok(fingerprintMatches(cert.chain[0]!, fp, nobleProvider));
  assert.ok(fingerprintMatches(cert.chain[0]!, fingerprint(cert.chain[0]!, 'SHA-512')));
  assert.ok(!fingerprintMatches(generateCertificate().chain[0]!, fp));
  assert.equal(fingerprint(cert.chain[0]!, 'sha-1').length, 'sha-1 '.length + 20 * 3 - 1);
  for (const s of ['', 'sha-256', 'sha-256 AB:CD', 'md5 ' + 'AB:'.repeat(15) + 'AB', 'sha-256 ' + 'ABC:'.repeat(31) + 'AB', 'sha-256 ' + 'AB'.repeat(32)]) {
    assert.throws(() => parseFingerprint(s), TypeError, s);
  }
  assert.throws(() => fingerprint(cert.chain[0]!, 'md5'), TypeError);
});

test('decodePrivateKeyPem reads SEC1 and PKCS#8 and refuses the rest', () => {
  const key = cert.privateKey;
  const sec1 = encodeSequence(encodeInteger(1), encodeOctetString(key), encodeExplicit(0, encodeOid('1.2.840.10045.3.1.7')));
  assert.deepEqual(decodePrivateKeyPem(encodePem('EC PRIVATE KEY', sec1)), { curve: 'P-256', privateKey: key });
  const alg = (curve: string): Uint8Array => encodeSequence(encodeOid('1.2.840.10045.2.1'), encodeOid(curve));
  const pkcs8 = encodeSequence(encodeInteger(0), alg('1.2.840.10045.3.1.7'), encodeOctetString(encodeSequence(encodeInteger(1), encodeOctetString(key))));
  assert.deepEqual(decodePrivateKeyPem(encodePem('PRIVATE KEY', pkcs8)), { curve: 'P-256', privateKey: key });
  const refuse = (label: string, der: Uint8Array, re: RegExp): void =>
    assert.throws(
      () => decodePrivateKeyPem(encodePem(label, der)),
      (e: unknown) => e instanceof TypeError && re.test(e.message),
    );
  refuse('EC PRIVATE KEY', encodeSequence(encodeInteger(1), encodeOctetString(key)), /does not name its curve/);
  refuse(
    'EC PRIVATE KEY',
    encodeSequence(encodeInteger(1), encodeOctetString(key), encodeExplicit(0, encodeOid('1.3.132.0.10'))),
    /unsupported EC curve 1\.3\.132\.0\.10/,
  );
  refuse('PRIVATE KEY', encodeSequence(encodeInteger(0), alg('1.3.132.0.34'), encodeOctetString(sec1)), /differs/);
  refuse('EC PRIVATE KEY', encodeSequence(encodeInteger(1), encodeOctetString(new Uint8Array(32))), /./);
  refuse(
    'EC PRIVATE KEY',
    encodeSequence(encodeInteger(1), encodeOctetString(new Uint8Array(32).fill(0xff)), encodeExplicit(0, encodeOid('1.2.840.10045.3.1.7'))),
    /out of range/,
  );
  refuse('EC PRIVATE KEY', Uint8Array.of(1, 2, 3), /malformed private key/);
  refuse('RSA PRIVATE KEY', Uint8Array.of(1), /malformed private key/);
  refuse('ENCRYPTED PRIVATE KEY', Uint8Array.of(1), /encrypted/);
  refuse('CERTIFICATE', cert.chain[0]!, /no private key found/);
  assert.throws(() => decodePrivateKeyPem('not pem'), TypeError);
});
