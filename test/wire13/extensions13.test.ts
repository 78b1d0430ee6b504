import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../src/wire/codec.ts';
import { encodeExtensions } from '../../src/wire/extensions/index.ts';
import {
  clientHelloBinderCut,
  decodeCertificateAuthorities,
  decodeConnectionIdExtension,
  decodeCookie,
  decodeEarlyDataIndication,
  decodeEarlyDataTicket,
  decodeKeyShareClient,
  decodeKeyShareRetry,
  decodeKeyShareServer,
  decodePreSharedKeyClient,
  decodePreSharedKeyServer,
  decodePskKeyExchangeModes,
  decodeSignatureAlgorithmsCert,
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  encodeCertificateAuthorities,
  encodeConnectionIdExtension,
  encodeCookie,
  encodeEarlyDataIndication,
  encodeEarlyDataTicket,
  encodeKeyShareClient,
  encodeKeyShareRetry,
  encodeKeyShareServer,
  encodePreSharedKeyClient,
  encodePreSharedKeyServer,
  encodePskKeyExchangeModes,
  encodeSignatureAlgorithmsCert,
  encodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
  pskBindersLength,
  PskKeyExchangeMode,
  replacePskBinders,
  type KeyShareEntry,
  type OfferedPsks,
} from '../../src/wire/extensions13/index.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { clientHello13 } from '../../src/wire/messages13/hello13.ts';
import { ExtensionType } from '../../src/wire/types.ts';
import { bytes, codecProperties13, refuses, u16, u8 } from './props13.ts';

const h = fromHex;

test('supported_versions (RFC 8446 4.2.1, RFC 9147 5.3)', () => {
  assert.equal(toHex(encodeSupportedVersionsClient([0xfefc, 0xfefd])), '04fefcfefd');
  assert.deepEqual(decodeSupportedVersionsClient(h('06 fefc 0a0a fefd')), [0xfefc, 0x0a0a, 0xfefd]); // GREASE kept
  assert.equal(toHex(encodeSupportedVersionsServer(0xfefc)), 'fefc');
  assert.equal(decodeSupportedVersionsServer(h('fefc')), 0xfefc);
  refuses(decodeSupportedVersionsClient, [
    ['00', /supported_versions: length 0 outside 2..254/],
    ['03 fefc fe', /odd length 3/],
    ['04 fefc', /truncated supported_versions/],
    ['02 fefc 00', /1 trailing bytes/],
    ['', /truncated supported_versions/],
  ]);
  refuses(decodeSupportedVersionsServer, [
    ['fe', /1 bytes, expected 2/],
    ['fefcfe', /3 bytes, expected 2/],
  ]);
  assert.throws(() => encodeSupportedVersionsClient([]), RangeError);
  assert.throws(() => encodeSupportedVersionsClient(new Array(128).fill(0xfefc)), RangeError);
});

test('key_share: client shares, server share, HelloRetryRequest group (RFC 8446 4.2.8)', () => {
  const shares: KeyShareEntry[] = [
    { group: 0x11ec, keyExchange: h('aabb') },
    { group: 29, keyExchange: h('cc') },
  ];
  const wire = '000b 11ec 0002 aabb 001d 0001 cc'.replace(/ /g, '');
  assert.equal(toHex(encodeKeyShareClient(shares)), wire);
  assert.deepEqual(decodeKeyShareClient(h(wire)), shares);
  assert.deepEqual(decodeKeyShareClient(h('0000')), []); // no share: asks for an HRR
  assert.equal(toHex(encodeKeyShareServer({ group: 23, keyExchange: h('04') })), '0017000104');
  assert.deepEqual(decodeKeyShareServer(h('0017000104')), { group: 23, keyExchange: h('04') });
  assert.equal(toHex(encodeKeyShareRetry(0x11ec)), '11ec');
  assert.equal(decodeKeyShareRetry(h('001d')), 29);
  refuses(decodeKeyShareClient, [
    ['0005 001d 0001 cc 00', /truncated key share group|trailing/],
    ['0004 001d 0000', /key_exchange: length 0 outside 1\.\./],
    ['000a 001d 0001 cc 001d 0001 dd', /group 29 offered twice/, 'illegal_parameter'],
    ['0005 001d 0002 cc', /truncated key_exchange/],
    ['0000 00', /1 trailing bytes/],
  ]);
  refuses(decodeKeyShareServer, [
    ['0017 0000', /length 0 outside/],
    ['0017 0001 04 00', /trailing/],
    ['00', /truncated key share group/],
  ]);
  refuses(decodeKeyShareRetry, [['1d', /1 bytes, expected 2/]]);
  assert.throws(() => encodeKeyShareClient([shares[1]!, shares[1]!]), RangeError);
  assert.throws(() => encodeKeyShareServer({ group: 29, keyExchange: new Uint8Array(0) }), RangeError);
});

test('cookie, psk_key_exchange_modes, early_data, connection_id, signature_algorithms_cert, certificate_authorities', () => {
  assert.equal(toHex(encodeCookie(h('c0ffee'))), '0003c0ffee');
  assert.equal(toHex(decodeCookie(h('0003c0ffee'))), 'c0ffee');
  refuses(decodeCookie, [
    ['0000', /cookie: length 0 outside 1\.\./],
    ['0003c0ff', /truncated cookie/],
    ['0001c0ff', /1 trailing/],
  ]);
  assert.throws(() => encodeCookie(new Uint8Array(0)), RangeError);

  assert.equal(toHex(encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke])), '0101');
  assert.deepEqual(decodePskKeyExchangeModes(h('03 01 00 fe')), [1, 0, 0xfe]); // unknown kept
  refuses(decodePskKeyExchangeModes, [
    ['00', /length 0 outside 1/],
    ['02 01', /truncated/],
    ['01 01 01', /trailing/],
  ]);
  assert.throws(() => encodePskKeyExchangeModes([]), RangeError);
  assert.throws(() => encodePskKeyExchangeModes(new Array(256).fill(1)), RangeError);

  assert.equal(encodeEarlyDataIndication().length, 0);
  decodeEarlyDataIndication(new Uint8Array(0));
  refuses(decodeEarlyDataIndication, [['00', /must be empty/]]);
  assert.equal(toHex(encodeEarlyDataTicket(0x4000)), '00004000');
  assert.equal(decodeEarlyDataTicket(h('ffffffff')), 0xffffffff);
  refuses(decodeEarlyDataTicket, [
    ['000040', /truncated max_early_data_size/],
    ['0000400000', /trailing/],
  ]);

  assert.equal(toHex(encodeConnectionIdExtension(h('0102'))), '020102');
  assert.equal(toHex(encodeConnectionIdExtension(new Uint8Array(0))), '00'); // "send me none"
  assert.equal(toHex(decodeConnectionIdExtension(h('020102'))), '0102');
  refuses(decodeConnectionIdExtension, [
    ['', /truncated cid/],
    ['0301', /truncated cid/],
    ['0001', /trailing/],
  ]);
  assert.throws(() => encodeConnectionIdExtension(new Uint8Array(256)), RangeError);

  assert.equal(toHex(encodeSignatureAlgorithmsCert([0x0403, 0x0807])), '000404030807');
  assert.deepEqual(decodeSignatureAlgorithmsCert(h('000404030807')), [0x0403, 0x0807]);
  refuses(decodeSignatureAlgorithmsCert, [
    ['0000', /length 0 outside 2/],
    ['0003 040308', /odd length/],
  ]);

  const dn = h('300b3109300706035504030c0061'); // any non-empty DER blob
  assert.equal(toHex(encodeCertificateAuthorities([dn])), '0010000e' + toHex(dn));
  assert.deepEqual(decodeCertificateAuthorities(h('0010000e' + toHex(dn))), [dn]);
  refuses(decodeCertificateAuthorities, [
    ['0000', /authorities: length 0 outside 3/],
    ['0003 0000 00', /DistinguishedName: length 0/],
    ['0004 0002 01', /truncated/],
  ]);
  assert.throws(() => encodeCertificateAuthorities([]), RangeError);
});

const binder = (n: number, v: number) => new Uint8Array(n).fill(v);

test('pre_shared_key: OfferedPsks bytes, counts, selected identity (RFC 8446 4.2.11)', () => {
  const m: OfferedPsks = { identities: [{ identity: h('7469636b6574'), obfuscatedTicketAge: 0x01020304 }], binders: [binder(32, 0xbb)] };
  const wire = '000c 0006 7469636b6574 01020304 0021 20'.replace(/ /g, '') + 'bb'.repeat(32);
  assert.equal(toHex(encodePreSharedKeyClient(m)), wire);
  assert.deepEqual(decodePreSharedKeyClient(h(wire)), m);
  assert.equal(pskBindersLength(m.binders), 35);
  assert.equal(toHex(encodePreSharedKeyServer(0)), '0000');
  assert.equal(decodePreSharedKeyServer(h('0001')), 1);
  const two = '000e 0001 61 00000000 0001 62 00000000'.replace(/ /g, '');
  refuses(decodePreSharedKeyClient, [
    ['0000 0021 20' + 'bb'.repeat(32), /identities: length 0 outside 7/],
    ['0007 0000 00000000 0021 20' + 'bb'.repeat(32), /identity: length 0 outside 1/],
    ['000c 0006 7469636b6574 01020304 0000', /binders: length 0 outside 33/],
    ['000c 0006 7469636b6574 01020304 0021 1f' + 'bb'.repeat(32), /PskBinderEntry: length 31 outside 32..255|trailing/],
    [two + '0021 20' + 'bb'.repeat(32), /2 identities but 1 binders/, 'illegal_parameter'],
    [wire + '00', /trailing/],
  ]);
  refuses(decodePreSharedKeyServer, [['00', /1 bytes, expected 2/]]);
  assert.throws(() => encodePreSharedKeyClient({ identities: m.identities, binders: [] }), RangeError);
  assert.throws(() => encodePreSharedKeyClient({ identities: m.identities, binders: [binder(31, 0)] }), RangeError);
  assert.throws(() => encodePreSharedKeyClient({ identities: [], binders: [] }), RangeError);
});

test('pre_shared_key: the binder cut is the end of the ClientHello less the binders list (RFC 8446 4.2.11.2)', () => {
  const psk = encodePreSharedKeyClient({
    identities: [
      { identity: h('01'), obfuscatedTicketAge: 9 },
      { identity: h('0203'), obfuscatedTicketAge: 10 },
    ],
    binders: [binder(32, 0), binder(48, 0)],
  });
  const ch = clientHello13({
    random: binder(32, 0x11),
    cipherSuites: [0x1301],
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient([0xfefc]) },
      { type: ExtensionType.pre_shared_key, data: psk },
    ],
  });
  const body = encodeClientHello(ch);
  const cut = clientHelloBinderCut(body);
  assert.equal(cut, body.length - (2 + 33 + 49));
  // The cut is right after the last identity's obfuscated_ticket_age (0x0000000a).
  assert.equal(toHex(body.subarray(cut - 4, cut)), '0000000a');
  assert.equal(toHex(body.subarray(cut, cut + 3)), '005220'); // binders<..>: 82 bytes, first of 32
  const real = [binder(32, 0xa1), binder(48, 0xb2)];
  const filled = replacePskBinders(body, real);
  assert.equal(filled.length, body.length);
  assert.equal(toHex(filled.subarray(0, cut)), toHex(body.subarray(0, cut)));
  assert.equal(toHex(filled.subarray(cut)), '0052' + '20' + 'a1'.repeat(32) + '30' + 'b2'.repeat(48));
  assert.throws(() => replacePskBinders(body, [binder(48, 0), binder(32, 0)]), RangeError); // same total, wrong lengths
  assert.throws(() => replacePskBinders(body, [binder(32, 0)]), RangeError);
  // pre_shared_key not last: illegal_parameter; absent: decode_error.
  const notLast = encodeClientHello({ ...ch, extensions: [...ch.extensions].reverse() });
  refuses(clientHelloBinderCut, [[toHex(notLast), /not the last/, 'illegal_parameter']]);
  const none = encodeClientHello({ ...ch, extensions: [ch.extensions[0]!] });
  refuses(clientHelloBinderCut, [
    [toHex(none), /no pre_shared_key/],
    [toHex(concat(body, h('00'))), /trailing|truncated|ClientHello/],
  ]);
});

const listOf = (arb: fc.Arbitrary<number>, min: number, max: number) => fc.array(arb, { minLength: min, maxLength: max });
codecProperties13('supported_versions (client)', listOf(u16, 1, 20), encodeSupportedVersionsClient, decodeSupportedVersionsClient);
codecProperties13('supported_versions (server)', u16, encodeSupportedVersionsServer, decodeSupportedVersionsServer);
const shareArb = fc.record({ group: u16, keyExchange: bytes(1, 40) }, { noNullPrototype: true });
codecProperties13('key_share (client)', fc.uniqueArray(shareArb, { selector: (e) => e.group, maxLength: 4 }), encodeKeyShareClient, decodeKeyShareClient);
codecProperties13('key_share (server)', shareArb, encodeKeyShareServer, decodeKeyShareServer);
codecProperties13('key_share (HelloRetryRequest)', u16, encodeKeyShareRetry, decodeKeyShareRetry);
codecProperties13('cookie', bytes(1, 60), encodeCookie, decodeCookie);
codecProperties13('psk_key_exchange_modes', listOf(u8, 1, 8), encodePskKeyExchangeModes, decodePskKeyExchangeModes);
codecProperties13('connection_id', bytes(0, 40), encodeConnectionIdExtension, decodeConnectionIdExtension);
codecProperties13('signature_algorithms_cert', listOf(u16, 1, 20), encodeSignatureAlgorithmsCert, decodeSignatureAlgorithmsCert);
codecProperties13(
  'certificate_authorities',
  fc.array(bytes(1, 30), { minLength: 1, maxLength: 4 }),
  encodeCertificateAuthorities,
  decodeCertificateAuthorities,
);
codecProperties13('early_data (NewSessionTicket)', fc.integer({ min: 0, max: 0xffffffff }), encodeEarlyDataTicket, decodeEarlyDataTicket);
codecProperties13('pre_shared_key (server)', u16, encodePreSharedKeyServer, decodePreSharedKeyServer);
codecProperties13(
  'pre_shared_key (client)',
  fc.integer({ min: 1, max: 3 }).chain((n) =>
    fc.record(
      {
        identities: fc.array(fc.record({ identity: bytes(1, 20), obfuscatedTicketAge: fc.integer({ min: 0, max: 0xffffffff }) }, { noNullPrototype: true }), {
          minLength: n,
          maxLength: n,
        }),
        binders: fc.array(bytes(32, 64), { minLength: n, maxLength: n }),
      },
      { noNullPrototype: true },
    ),
  ),
  encodePreSharedKeyClient,
  decodePreSharedKeyClient,
);

test('the 1.3 extensions sit in the shared extension block unchanged', () => {
  const block = encodeExtensions([{ type: ExtensionType.cookie, data: encodeCookie(h('01')) }]);
  assert.equal(toHex(block), '0007002c0003000101');
});
