import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeError, fromHex, toHex } from '../../src/wire/codec.ts';
import { decodeAlpn, decodeServerName, decodeSupportedGroups, decodeUseSrtp, findExtension } from '../../src/wire/extensions/index.ts';
import * as M from '../../src/wire/messages/index.ts';
import { ExtensionType } from '../../src/wire/types.ts';
import { bytes, codecProperties, extensionsArb, u16, u8 } from './props.ts';

const h = (s: string) => fromHex(s);
const hex = (s: string) => s.replace(/\s+/g, '');
const RANDOM = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const bad = (decode: (b: Uint8Array) => unknown, ...hexes: string[]) => {
  for (const x of hexes) assert.throws(() => decode(h(x)), DecodeError, x);
};

// RFC 6347 4.2.1 layout, assembled field by field ('#' starts a comment).
const CLIENT_HELLO = hex(
  `
  fefd ${RANDOM}
  00                              # session_id: empty
  04 c00c1e55                     # cookie
  0004 c02b c02f                  # cipher_suites
  01 00                           # compression_methods: null
  004d                            # extensions (77 bytes)
  000a 0006 0004 001d 0017        # supported_groups: x25519, secp256r1
  000b 0002 01 00                 # ec_point_formats: uncompressed
  0017 0000                       # extended_master_secret
  000d 0006 0004 0403 0804        # signature_algorithms
  000e 0005 0002 0001 00          # use_srtp: SRTP_AES128_CM_SHA1_80, no MKI
  0010 0009 0007 06 776562727463  # alpn: "webrtc"
  0000 0010 000e 00 000b 6578616d706c652e636f6d  # server_name: example.com
  ff01 0001 00                    # renegotiation_info: empty
`.replace(/#.*$/gm, ''),
);

test('ClientHello hand-assembled bytes', () => {
  const bytes = h(CLIENT_HELLO);
  const ch = M.decodeClientHello(bytes);
  assert.equal(ch.version, 0xfefd);
  assert.equal(toHex(ch.random), RANDOM);
  assert.equal(ch.sessionId.length, 0);
  assert.equal(toHex(ch.cookie), 'c00c1e55');
  assert.deepEqual(ch.cipherSuites, [0xc02b, 0xc02f]);
  assert.deepEqual(ch.compressionMethods, [0]);
  assert.deepEqual(
    ch.extensions.map((e) => e.type),
    [10, 11, 23, 13, 14, 16, 0, 0xff01],
  );
  assert.deepEqual(decodeSupportedGroups(findExtension(ch.extensions, ExtensionType.supported_groups)!.data), [29, 23]);
  assert.deepEqual(decodeUseSrtp(findExtension(ch.extensions, ExtensionType.use_srtp)!.data).profiles, [1]);
  assert.deepEqual(decodeAlpn(findExtension(ch.extensions, ExtensionType.alpn)!.data), ['webrtc']);
  assert.equal(decodeServerName(findExtension(ch.extensions, ExtensionType.server_name)!.data), 'example.com');
  assert.equal(ch.cookie.buffer, bytes.buffer); // views, not copies
  assert.equal(toHex(M.encodeClientHello(ch)), CLIENT_HELLO);
});

test('ClientHello without extensions, and malformed ones', () => {
  const bare = `fefd ${RANDOM} 00 00 0002 c02b 01 00`;
  const ch = M.decodeClientHello(h(bare));
  assert.deepEqual(ch.extensions, []);
  assert.equal(toHex(M.encodeClientHello(ch)), hex(bare));
  assert.deepEqual(M.decodeClientHello(h(bare + '0000')).extensions, []); // empty block is legal
  bad(
    M.decodeClientHello,
    `fefd ${RANDOM} 21 ${'00'.repeat(33)} 00 0002 c02b 01 00`, // session_id > 32
    `fefd ${RANDOM} 00 00 0000 01 00`, // no cipher suites
    `fefd ${RANDOM} 00 00 0003 c02b00 01 00`, // odd cipher_suites length
    `fefd ${RANDOM} 00 00 0002 c02b 00`, // no compression methods
    `fefd ${RANDOM} 00 00 0002 c02b 01 00 00`, // truncated extensions length
    `fefd ${RANDOM} 00 00 0002 c02b 01 00 0008 0017 0000 0017 0000`, // duplicate extension
    `fefd ${RANDOM.slice(2)}`, // short random
  );
});

test('ServerHello known bytes', () => {
  const wire = hex(`fefd ${'aa'.repeat(32)} 04 01020304 c02b 00 000f 0017 0000 ff01 0001 00 000b 0002 0100`);
  const sh = M.decodeServerHello(h(wire));
  assert.deepEqual(sh, {
    version: 0xfefd,
    random: new Uint8Array(32).fill(0xaa),
    sessionId: h('01020304'),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions: [
      { type: 0x17, data: new Uint8Array(0) },
      { type: 0xff01, data: h('00') },
      { type: 0x0b, data: h('0100') },
    ],
  });
  assert.equal(toHex(M.encodeServerHello(sh)), wire);
  assert.deepEqual(M.decodeServerHello(h(`fefd ${RANDOM} 00 c02b 00`)).extensions, []);
  bad(M.decodeServerHello, `fefd ${RANDOM} 00 c02b`, `fefd ${RANDOM} 00 c02b 00 0001 00`);
});

test('HelloVerifyRequest known bytes', () => {
  const wire = 'fefd 08 0102030405060708';
  assert.deepEqual(M.decodeHelloVerifyRequest(h(wire)), { version: 0xfefd, cookie: h('0102030405060708') });
  assert.equal(toHex(M.encodeHelloVerifyRequest({ version: 0xfefd, cookie: h('0102030405060708') })), hex(wire));
  bad(M.decodeHelloVerifyRequest, 'fefd', 'fefd 02 01', 'fefd 00 00');
});

test('Certificate known bytes', () => {
  const wire = '00000a 000003 aabbcc 000001 dd';
  assert.deepEqual(M.decodeCertificate(h(wire)), { certificates: [h('aabbcc'), h('dd')] });
  assert.equal(toHex(M.encodeCertificate({ certificates: [h('aabbcc'), h('dd')] })), hex(wire));
  assert.deepEqual(M.decodeCertificate(h('000000')), { certificates: [] });
  bad(M.decodeCertificate, '', '000003 000000', '000004 000001 dd 00', '00000a 000003 aabbcc 000002 dd');
  assert.throws(() => M.encodeCertificate({ certificates: [new Uint8Array(0)] }), RangeError);
});

test('ServerKeyExchange (ECDHE) known bytes', () => {
  const pub = '11'.repeat(32);
  const params = `03 001d 20 ${pub}`;
  const wire = `${params} 0403 0004 deadbeef`;
  const ske = M.decodeServerKeyExchange(h(wire));
  assert.deepEqual(ske, { curveType: 3, namedGroup: 29, publicKey: h(pub), signatureScheme: 0x0403, signature: h('deadbeef') });
  assert.equal(toHex(M.encodeServerKeyExchange(ske)), hex(wire));
  assert.equal(toHex(M.encodeEcdheParams(29, h(pub))), hex(params));
  bad(
    M.decodeServerKeyExchange,
    `01 001d 20 ${pub} 0403 0000`,
    `02 001d 20 ${pub} 0403 0000`,
    '03 001d 00 0403 0000',
    `${params} 0403`,
    `${params} 0403 0000 00`,
  );
});

test('CertificateRequest known bytes', () => {
  const wire = '02 01 40  0004 0403 0401  0009 0003 300100 0002 3000';
  const cr = { certificateTypes: [1, 64], signatureSchemes: [0x0403, 0x0401], authorities: [h('300100'), h('3000')] };
  assert.deepEqual(M.decodeCertificateRequest(h(wire)), cr);
  assert.equal(toHex(M.encodeCertificateRequest(cr)), hex(wire));
  assert.deepEqual(M.decodeCertificateRequest(h('01 40 0002 0403 0000')).authorities, []);
  bad(M.decodeCertificateRequest, '00 0002 0403 0000', '01 40 0000 0000', '01 40 0002 0403 0002 0000', '01 40 0002 0403');
});

test('ServerHelloDone, ClientKeyExchange, CertificateVerify, Finished known bytes', () => {
  assert.equal(M.encodeServerHelloDone().length, 0);
  assert.deepEqual(M.decodeServerHelloDone(new Uint8Array(0)), {});
  bad(M.decodeServerHelloDone, '00');

  assert.deepEqual(M.decodeClientKeyExchange(h('03 aabbcc')), { publicKey: h('aabbcc') });
  assert.equal(toHex(M.encodeClientKeyExchange({ publicKey: h('aabbcc') })), '03aabbcc');
  bad(M.decodeClientKeyExchange, '', '00', '03 aabb', '01 aa bb');

  assert.deepEqual(M.decodeCertificateVerify(h('0403 0003 010203')), { signatureScheme: 0x0403, signature: h('010203') });
  assert.equal(toHex(M.encodeCertificateVerify({ signatureScheme: 0x0804, signature: h('ff') })), '08040001ff');
  bad(M.decodeCertificateVerify, '04', '0403 0004 010203', '0403 0001 01 02');

  const vd = '0102030405060708090a0b0c';
  assert.deepEqual(M.decodeFinished(h(vd)), { verifyData: h(vd) });
  assert.equal(toHex(M.encodeFinished({ verifyData: h(vd) })), vd);
  bad(M.decodeFinished, '', '0102030405060708090a0b');
});

const rec = <T>(m: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(m, { noNullPrototype: true });
const random = bytes(32, 32);
const suites = fc.array(u16, { minLength: 1, maxLength: 12 });

codecProperties(
  'ClientHello',
  rec<M.ClientHello>({
    version: u16,
    random,
    sessionId: bytes(0, 32),
    cookie: bytes(0, 255),
    cipherSuites: suites,
    compressionMethods: fc.array(u8, { minLength: 1, maxLength: 3 }),
    extensions: extensionsArb,
  }),
  M.encodeClientHello,
  M.decodeClientHello,
);
codecProperties(
  'ServerHello',
  rec<M.ServerHello>({ version: u16, random, sessionId: bytes(0, 32), cipherSuite: u16, compressionMethod: u8, extensions: extensionsArb }),
  M.encodeServerHello,
  M.decodeServerHello,
);
codecProperties(
  'HelloVerifyRequest',
  rec<M.HelloVerifyRequest>({ version: u16, cookie: bytes(0, 255) }),
  M.encodeHelloVerifyRequest,
  M.decodeHelloVerifyRequest,
);
codecProperties('Certificate', rec<M.Certificate>({ certificates: fc.array(bytes(1, 64), { maxLength: 4 }) }), M.encodeCertificate, M.decodeCertificate);
codecProperties(
  'ServerKeyExchange',
  rec<M.ServerKeyExchange>({ curveType: fc.constant(3), namedGroup: u16, publicKey: bytes(1, 255), signatureScheme: u16, signature: bytes(0, 128) }),
  M.encodeServerKeyExchange,
  M.decodeServerKeyExchange,
);
codecProperties(
  'CertificateRequest',
  rec<M.CertificateRequest>({
    certificateTypes: fc.array(u8, { minLength: 1, maxLength: 4 }),
    signatureSchemes: suites,
    authorities: fc.array(bytes(1, 40), { maxLength: 4 }),
  }),
  M.encodeCertificateRequest,
  M.decodeCertificateRequest,
);
codecProperties('ServerHelloDone', fc.constant({}), M.encodeServerHelloDone, M.decodeServerHelloDone);
codecProperties('ClientKeyExchange', rec<M.ClientKeyExchange>({ publicKey: bytes(1, 255) }), M.encodeClientKeyExchange, M.decodeClientKeyExchange);
codecProperties(
  'CertificateVerify',
  rec<M.CertificateVerify>({ signatureScheme: u16, signature: bytes(0, 300) }),
  M.encodeCertificateVerify,
  M.decodeCertificateVerify,
);
codecProperties('Finished', rec<M.Finished>({ verifyData: bytes(12, 48) }), M.encodeFinished, M.decodeFinished);
