import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, Reader, fromHex, toHex } from '../../src/wire/codec.ts';
import {
  decodeAlpn,
  decodeEcPointFormats,
  decodeExtendedMasterSecret,
  decodeExtensions,
  decodeRenegotiationInfo,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeUseSrtp,
  encodeAlpn,
  encodeEcPointFormats,
  encodeExtendedMasterSecret,
  encodeExtensions,
  encodeRenegotiationInfo,
  encodeServerName,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
  encodeUseSrtp,
  findExtension,
} from '../../src/wire/extensions/index.ts';
import { bytes, codecProperties, extensionsArb, u16, u8 } from './props.ts';

const h = (s: string) => fromHex(s);
const bad = (decode: (b: Uint8Array) => unknown, ...hexes: string[]) => {
  for (const x of hexes) assert.throws(() => decode(h(x)), DecodeError, x);
};

test('server_name (RFC 6066 3)', () => {
  const wire = '000e 00 000b 6578616d706c652e636f6d';
  assert.equal(toHex(encodeServerName('example.com')), wire.replace(/ /g, ''));
  assert.equal(decodeServerName(h(wire)), 'example.com');
  assert.equal(decodeServerName(new Uint8Array(0)), undefined); // server's empty echo
  assert.equal(decodeServerName(h('0004 01 0001 41')), undefined); // no host_name entry
  assert.equal(decodeServerName(h('0008 01 0001 41 00 0001 61')), 'a');
  bad(
    decodeServerName,
    '0000',
    '0003 00 0000',
    '0008 00 0001 61 00 0001 62',
    '0004 00 0001 20',
    '0005 00 0002 612e',
    '000e 00 000b 6578616d706c652e636f',
    '000e 00 000b 6578616d706c652e636f6d00',
  );
  for (const host of ['', 'a b', 'example.com.', 'exämple.com']) assert.throws(() => encodeServerName(host), RangeError);
});

test('supported_groups, ec_point_formats, signature_algorithms', () => {
  assert.deepEqual(decodeSupportedGroups(h('0004 001d 0017')), [29, 23]);
  assert.equal(toHex(encodeSupportedGroups([29, 23])), '0004001d0017');
  bad(decodeSupportedGroups, '', '0000', '0003 001d 00', '0002 001d 00');
  assert.deepEqual(decodeEcPointFormats(h('01 00')), [0]);
  assert.equal(toHex(encodeEcPointFormats([0])), '0100');
  bad(decodeEcPointFormats, '', '00', '02 00');
  assert.deepEqual(decodeSignatureAlgorithms(h('0004 0403 0804')), [0x0403, 0x0804]);
  assert.equal(toHex(encodeSignatureAlgorithms([0x0403, 0x0804])), '000404030804');
  bad(decodeSignatureAlgorithms, '0000', '0001 04', '0004 0403');
  assert.throws(() => encodeSupportedGroups([]), RangeError);
  assert.throws(() => encodeSignatureAlgorithms([0x10000]), RangeError);
});

test('use_srtp (RFC 5764 4.1.1)', () => {
  assert.deepEqual(decodeUseSrtp(h('0004 0001 0007 00')), { profiles: [1, 7], mki: new Uint8Array(0) });
  const withMki = h('0002 0001 02 abcd');
  const v = decodeUseSrtp(withMki);
  assert.deepEqual(v, { profiles: [1], mki: h('abcd') });
  assert.equal(v.mki.buffer, withMki.buffer);
  assert.equal(toHex(encodeUseSrtp({ profiles: [1, 7], mki: new Uint8Array(0) })), '00040001000700');
  bad(decodeUseSrtp, '0004 0001 0007', '0000 00', '0003 0001 00 00', '0002 0001 02 ab', '0002 0001 00 00');
});

test('alpn (RFC 7301 3.1)', () => {
  const wire = '000c 02 6832 08 687474702f312e31';
  assert.deepEqual(decodeAlpn(h(wire)), ['h2', 'http/1.1']);
  assert.equal(toHex(encodeAlpn(['h2', 'http/1.1'])), wire.replace(/ /g, ''));
  assert.deepEqual(decodeAlpn(h('0006 02 fafa 02 6832')), ['h2']); // non-UTF-8 (GREASE) name skipped
  bad(decodeAlpn, '', '0000', '0003 00 0161', '0003 02 61', '0002 01 61 00');
  for (const names of [[], [''], ['x'.repeat(256)], ['\ud800']]) assert.throws(() => encodeAlpn(names), RangeError);
});

test('extended_master_secret and renegotiation_info', () => {
  assert.equal(encodeExtendedMasterSecret().length, 0);
  decodeExtendedMasterSecret(new Uint8Array(0));
  bad(decodeExtendedMasterSecret, '00');
  assert.equal(toHex(encodeRenegotiationInfo()), '00');
  assert.deepEqual(decodeRenegotiationInfo(h('00')), new Uint8Array(0));
  assert.deepEqual(decodeRenegotiationInfo(h('03 010203')), h('010203'));
  bad(decodeRenegotiationInfo, '', '01', '00 00');
});

const decodeBlock = (b: Uint8Array) => {
  const r = new Reader(b);
  const exts = decodeExtensions(r);
  r.end();
  return exts;
};

test('extension block keeps unknown types in order and rejects duplicates', () => {
  const wire = h('000f 0017 0000 abcd 0002 0102 ff01 0001 00');
  const exts = decodeBlock(wire);
  assert.deepEqual(exts, [
    { type: 0x17, data: new Uint8Array(0) },
    { type: 0xabcd, data: h('0102') },
    { type: 0xff01, data: h('00') },
  ]);
  assert.equal(toHex(encodeExtensions(exts)), toHex(wire));
  assert.deepEqual(findExtension(exts, 0xabcd), { type: 0xabcd, data: h('0102') });
  assert.equal(findExtension(exts, 16), undefined);
  assert.deepEqual(decodeBlock(h('0000')), []);
  bad(decodeBlock, '', '0008 0017 0000 0017 0000', '0005 0017 0002 01', '0003 0017 00');
  assert.throws(
    () =>
      encodeExtensions([
        { type: 1, data: h('') },
        { type: 1, data: h('') },
      ]),
    RangeError,
  );
});

const hostArb = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 80 })
  .map((a) => String.fromCharCode(...a))
  .filter((s) => !s.endsWith('.'));
const nameArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => new TextEncoder().encode(s).length <= 255);

codecProperties('server_name', hostArb, encodeServerName, (b) => decodeServerName(b) as string);
codecProperties('supported_groups', fc.array(u16, { minLength: 1, maxLength: 20 }), encodeSupportedGroups, decodeSupportedGroups);
codecProperties('ec_point_formats', fc.array(u8, { minLength: 1, maxLength: 5 }), encodeEcPointFormats, decodeEcPointFormats);
codecProperties('signature_algorithms', fc.array(u16, { minLength: 1, maxLength: 20 }), encodeSignatureAlgorithms, decodeSignatureAlgorithms);
codecProperties(
  'use_srtp',
  fc.record({ profiles: fc.array(u16, { minLength: 1, maxLength: 6 }), mki: bytes(0, 40) }, { noNullPrototype: true }),
  encodeUseSrtp,
  decodeUseSrtp,
);
codecProperties('alpn', fc.array(nameArb, { minLength: 1, maxLength: 6 }), encodeAlpn, decodeAlpn);
codecProperties('extended_master_secret', fc.constant(undefined), () => encodeExtendedMasterSecret(), decodeExtendedMasterSecret);
codecProperties('renegotiation_info', bytes(0, 255), encodeRenegotiationInfo, decodeRenegotiationInfo);
codecProperties('extensions', extensionsArb, encodeExtensions, decodeBlock);
