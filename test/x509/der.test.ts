import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DerError,
  DerReader,
  Tag,
  decodeOne,
  decodeString,
  encodeBitString,
  encodeBoolean,
  encodeExplicit,
  encodeInteger,
  encodeOid,
  encodeSequence,
  encodeSet,
  encodeTime,
  encodeTlv,
  encodeUtf8String,
} from '../../src/x509/der.ts';
import { PemError, decodePem, encodePem } from '../../src/x509/pem.ts';
import { DecodeError, fromHex, toHex } from '../../src/wire/codec.ts';
import { DtlsError } from '../../src/errors.ts';

const reader = (hex: string): DerReader => new DerReader(fromHex(hex));

function rejects(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DerError, `expected DerError, got ${String(e)}`);
    assert.ok(e instanceof DecodeError && e instanceof DtlsError);
    assert.equal(e.code, 'decode_error');
    assert.match(e.message, re);
    return true;
  });
}

test('INTEGER encodes minimally and round-trips', () => {
  assert.equal(toHex(encodeInteger(0)), '020100');
  assert.equal(toHex(encodeInteger(127)), '02017f');
  assert.equal(toHex(encodeInteger(128)), '02020080');
  assert.equal(toHex(encodeInteger(256)), '02020100');
  assert.equal(toHex(encodeInteger(Uint8Array.of(0, 0, 0xff))), '020200ff');
  for (const v of [0n, 1n, 255n, 65535n, 2n ** 64n + 3n, 2n ** 127n]) {
    const mag = reader(toHex(encodeInteger(v))).unsigned('n');
    assert.equal(BigInt('0x' + (toHex(mag) || '0')), v);
  }
  assert.equal(reader(toHex(encodeInteger(300))).smallUnsigned('n'), 300);
});

test('OBJECT IDENTIFIER encodes and decodes dotted strings', () => {
  assert.equal(toHex(encodeOid('1.2.840.113549')), '06062a864886f70d');
  assert.equal(toHex(encodeOid('2.999.3')), '0603883703');
  const big = '2.25.329800735698586629295641978511506172918';
  for (const oid of ['1.2.840.10045.4.3.2', '2.5.29.19', '0.0', '1.39', '2.999.3', big]) {
    assert.equal(reader(toHex(encodeOid(oid))).oid('oid'), oid);
  }
  assert.throws(() => encodeOid('1.40'), RangeError);
  assert.throws(() => encodeOid('3.1'), RangeError);
  assert.throws(() => encodeOid('1.2.03'), RangeError);
});

test('times use UTCTime through 2049 and GeneralizedTime after', () => {
  const t2049 = Date.UTC(2049, 11, 31, 23, 59, 59);
  const t2050 = Date.UTC(2050, 0, 1, 0, 0, 0);
  const t1950 = Date.UTC(1950, 0, 1);
  assert.equal(encodeTime(t2049)[0], Tag.UTCTime);
  assert.equal(encodeTime(t2050)[0], Tag.GeneralizedTime);
  for (const t of [t2049, t2050, t1950, Date.UTC(2024, 1, 29, 12, 30, 5), Date.UTC(9999, 11, 31)]) {
    assert.equal(reader(toHex(encodeTime(t))).time('t'), t);
  }
  const utc = (s: string): Uint8Array => encodeTlv(Tag.UTCTime, new TextEncoder().encode(s));
  assert.equal(new DerReader(utc('491231235959Z')).time('t'), t2049);
  assert.equal(new DerReader(utc('500101000000Z')).time('t'), t1950);
  rejects(() => new DerReader(utc('491301000000Z')).time('notBefore'), /notBefore: invalid date/);
  rejects(() => new DerReader(utc('230229000000Z')).time('t'), /invalid date/);
  rejects(() => new DerReader(utc('2301010000Z')).time('t'), /YYMMDDHHMMSSZ/);
  rejects(() => new DerReader(utc('230101000000+0100')).time('t'), /YYMMDDHHMMSSZ/);
  rejects(() => new DerReader(encodeTlv(Tag.GeneralizedTime, new TextEncoder().encode('20230101000000.5Z'))).time('t'), /GeneralizedTime/);
  rejects(() => new DerReader(encodeInteger(5)).time('t'), /expected UTCTime or GeneralizedTime/);
});

test('structures nest and read back', () => {
  const der = encodeSequence(
    encodeInteger(5),
    encodeExplicit(0, encodeBoolean(true)),
    encodeSet(encodeUtf8String('b'), encodeUtf8String('a')),
    encodeBitString(Uint8Array.of(0xa0), 5),
  );
  const r = new DerReader(der).sequence('outer');
  assert.equal(r.smallUnsigned('n'), 5);
  assert.equal(r.explicit(0, 'x')!.boolean('b'), true);
  const set = r.set('set');
  assert.equal(set.read('a').value[0], 0x61); // DER sorts SET OF
  set.read('b');
  set.end('set');
  assert.deepEqual(r.bits('bits'), { unusedBits: 5, bytes: Uint8Array.of(0xa0) });
  r.end('outer');
  assert.equal(r.done, true);
  const big = encodeTlv(Tag.OCTET_STRING, new Uint8Array(70000));
  assert.equal(toHex(big.subarray(0, 5)), '0483011170');
  assert.equal(decodeOne(big, 'big').value.length, 70000);
});

test('malformed DER is rejected with a DerError', () => {
  rejects(() => reader('').read('x'), /x: unexpected end of data/);
  rejects(() => reader('30').read('x'), /truncated length/);
  rejects(() => reader('30800000').read('x'), /indefinite length/);
  rejects(() => reader('0481050102030405').read('x'), /short form/);
  rejects(() => reader('048200050102030405').read('x'), /leading zero/);
  rejects(() => reader('0485ffffffffff').read('x'), /too large/);
  rejects(() => reader('040501').read('x'), /length 5 exceeds the 1 bytes/);
  rejects(() => reader('1f0100').read('x'), /multi-byte tags/);
  rejects(() => reader('02020001').integer('serial'), /serial: INTEGER is not minimally encoded/);
  rejects(() => reader('0202ff80').integer('n'), /not minimally/);
  rejects(() => reader('0200').integer('n'), /empty INTEGER/);
  rejects(() => reader('020180').unsigned('n'), /negative/);
  rejects(() => reader('010101').boolean('critical'), /0x00 or 0xff/);
  rejects(() => reader('0601').oid('o'), /unexpected end|exceeds/);
  rejects(() => reader('060188').oid('o'), /truncated OBJECT IDENTIFIER/);
  rejects(() => reader('06022a81').oid('o'), /truncated/);
  rejects(() => reader('0603808001').oid('o'), /not minimally encoded/);
  rejects(() => reader('03020101').bits('b'), /unused bits must be zero/);
  rejects(() => reader('030108').bits('b'), /unused-bit count/);
  rejects(() => reader('03020100').bitString('key'), /whole bytes/);
  rejects(() => reader('020101').sequence('tbs'), /tbs: expected tag 0x30, found 0x02/);
  rejects(() => decodeOne(fromHex('02010100'), 'one'), /trailing bytes/);
  rejects(() => decodeString(decodeOne(fromHex('0c02c328'), 's'), 'commonName'), /commonName: invalid UTF-8/);
  rejects(() => decodeString(decodeOne(fromHex('1302c328'), 's'), 'cn'), /non-ASCII/);
  rejects(() => decodeString(decodeOne(fromHex('1e0100'), 's'), 'cn'), /odd-length BMPString/);
  assert.equal(decodeString(decodeOne(fromHex('1e0400680069'), 's'), 'cn'), 'hi');
  assert.equal(decodeString(decodeOne(fromHex('0c03e282ac'), 's'), 'cn'), '\u20ac');
});

const sample = encodePem(
  'CERTIFICATE',
  Uint8Array.from({ length: 100 }, (_, i) => i),
);

test('PEM round-trips with 64-column lines', () => {
  const lines = sample.trimEnd().split('\n');
  assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
  assert.equal(lines[1]!.length, 64);
  assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
  const [block] = decodePem(sample);
  assert.equal(block!.label, 'CERTIFICATE');
  assert.deepEqual(
    block!.der,
    Uint8Array.from({ length: 100 }, (_, i) => i),
  );
  for (const n of [1, 2, 3, 4, 5]) assert.deepEqual(decodePem(encodePem('X', new Uint8Array(n).fill(0xfb)))[0]!.der, new Uint8Array(n).fill(0xfb));
});

test('PEM tolerates CRLF, surrounding text, headers and several blocks', () => {
  const key = encodePem('EC PRIVATE KEY', Uint8Array.of(1, 2, 3));
  const text = `Bag Attributes\r\n  friendlyName: x\r\n${sample.replace(/\n/g, '\r\n')}\r\nsome words\n\n  ${key}\ntrailing`;
  const blocks = decodePem(text);
  assert.deepEqual(
    blocks.map((b) => b.label),
    ['CERTIFICATE', 'EC PRIVATE KEY'],
  );
  assert.deepEqual(blocks[1]!.der, Uint8Array.of(1, 2, 3));
  const legacy = '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END EC PRIVATE KEY-----\n';
  assert.deepEqual(decodePem(legacy)[0]!.der, Uint8Array.of(1, 2, 3));
});

test('malformed PEM is rejected with a PemError', () => {
  const bad = (text: string, re: RegExp): void =>
    assert.throws(
      () => decodePem(text),
      (e: unknown) => e instanceof PemError && e instanceof DecodeError && re.test(e.message),
    );
  bad('hello world', /no "-----BEGIN/);
  bad('', /no "-----BEGIN/);
  bad('-----BEGIN CERTIFICATE-----\nAQID\n', /missing "-----END CERTIFICATE-----"/);
  bad('-----BEGIN CERTIFICATE-----\nAQID\n-----END KEY-----\n', /expected "-----END CERTIFICATE-----"/);
  bad('-----BEGIN CERTIFICATE-----\nAQ*D\n-----END CERTIFICATE-----\n', /invalid base64/);
  bad('-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n', /invalid base64/);
  bad('-----BEGIN CERTIFICATE-----\nAQ==AQID\n-----END CERTIFICATE-----\n', /invalid base64/);
  bad('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', /empty block/);
  bad('-----BEGIN  BAD-----\nAQID\n-----END  BAD-----\n', /bad label/);
  assert.throws(() => encodePem('bad--label', Uint8Array.of(1)), TypeError);
});
