// STUN against the RFC 5769 test vectors (decode, integrity, fingerprint, XOR
// addresses, and byte-exact encoding), plus the ICE-lite answer rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../../src/wire/codec.ts';
import {
  checkFingerprint,
  checkIntegrity,
  decodeErrorCode,
  decodeMessageType,
  decodeStun,
  decodeU32,
  decodeXorAddress,
  encodeMessageType,
  encodeStun,
  encodeU32,
  encodeXorAddress,
  getAttribute,
  isStun,
  longTermKey,
  shortTermKey,
  StunAttribute,
  StunDecodeError,
  type StunClass,
} from '../../src/webrtc/stun.ts';
import { answerBindingRequest } from '../../src/webrtc/ice-lite.ts';
import { crc32, crc32c } from '../../src/webrtc/crc.ts';
import { formatIp, parseIp } from '../../src/webrtc/ip.ts';

// RFC 5769 2.1-2.4, as printed there (padding bytes are 0x20 in 2.1-2.3).
const REQUEST = fromHex(`
  000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063
  6c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836
  7659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf`);
const RESPONSE_V4 = fromHex(`
  0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
  002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
  80280004c07d4c96`);
const RESPONSE_V6 = fromHex(`
  010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
  002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf1
  1784c97c8292c275bfe3ed4180280004c8fb0b4c`);
const REQUEST_LONG_TERM = fromHex(
  `
  000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383
  e382afe382b900000015001c662f2f3439396b39353464364f4c33346f4c394653547679
  363473410014000b6578616d706c652e6f726700000800 14f67024656dd64a3e02b8e071
  2e85c9a28ca89666`.replace(/\s/g, ''),
);
const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const TXID = fromHex('b7e7a701bc34d686fa87dfae');

test('CRC-32 and CRC-32C check values', () => {
  assert.equal(crc32(utf8('123456789')), 0xcbf43926);
  assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('message type: method and class interleave (RFC 8489 5)', () => {
  assert.equal(encodeMessageType(1, 'request'), 0x0001);
  assert.equal(encodeMessageType(1, 'indication'), 0x0011);
  assert.equal(encodeMessageType(1, 'success'), 0x0101);
  assert.equal(encodeMessageType(1, 'error'), 0x0111);
  for (const cls of ['request', 'indication', 'success', 'error'] as StunClass[]) {
    for (const method of [0, 1, 0x00f, 0x070, 0xf80, 0xfff]) assert.deepEqual(decodeMessageType(encodeMessageType(method, cls)), { method, class: cls });
  }
  assert.throws(() => encodeMessageType(0x1000, 'request'), RangeError);
});

test('RFC 5769 2.1: sample request decodes, its integrity and fingerprint check', () => {
  assert.ok(isStun(REQUEST));
  const m = decodeStun(REQUEST);
  assert.equal(m.class, 'request');
  assert.equal(m.method, 1);
  assert.equal(toHex(m.transactionId), toHex(TXID));
  assert.equal(new TextDecoder().decode(getAttribute(m, StunAttribute.SOFTWARE)), 'STUN test client');
  assert.equal(new TextDecoder().decode(getAttribute(m, StunAttribute.USERNAME)), 'evtj:h6vY');
  assert.equal(decodeU32(getAttribute(m, StunAttribute.PRIORITY)!), 0x6e0001ff);
  assert.equal(toHex(getAttribute(m, StunAttribute.ICE_CONTROLLED)!), '932ff9b151263b36');
  assert.ok(m.integrity && m.fingerprint);
  assert.ok(checkIntegrity(m, shortTermKey(PASSWORD)));
  assert.ok(!checkIntegrity(m, shortTermKey(PASSWORD + 'x')));
  assert.ok(checkFingerprint(m));
});

test('RFC 5769 2.1: encoding the same attributes with 0x20 padding reproduces the vector byte for byte', () => {
  const m = decodeStun(REQUEST);
  const out = encodeStun(
    { method: m.method, class: m.class, transactionId: m.transactionId, attributes: m.attributes },
    { integrityKey: shortTermKey(PASSWORD), fingerprint: true, padByte: 0x20 },
  );
  assert.equal(toHex(out), toHex(REQUEST));
});

test('RFC 5769 2.2: IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, integrity, fingerprint, exact encoding', () => {
  const m = decodeStun(RESPONSE_V4);
  assert.equal(m.class, 'success');
  assert.deepEqual(decodeXorAddress(getAttribute(m, StunAttribute.XOR_MAPPED_ADDRESS)!, m.transactionId), {
    family: 'IPv4',
    address: '192.0.2.1',
    port: 32853,
  });
  assert.ok(checkIntegrity(m, shortTermKey(PASSWORD)));
  assert.ok(checkFingerprint(m));
  const out = encodeStun(
    {
      method: 1,
      class: 'success',
      transactionId: TXID,
      attributes: [
        { type: StunAttribute.SOFTWARE, value: utf8('test vector') },
        { type: StunAttribute.XOR_MAPPED_ADDRESS, value: encodeXorAddress({ address: '192.0.2.1', port: 32853 }, TXID) },
      ],
    },
    { integrityKey: shortTermKey(PASSWORD), fingerprint: true, padByte: 0x20 },
  );
  assert.equal(toHex(out), toHex(RESPONSE_V4));
});

test('RFC 5769 2.3: IPv6 response: XOR-MAPPED-ADDRESS with the transaction ID in the mask', () => {
  const m = decodeStun(RESPONSE_V6);
  assert.deepEqual(decodeXorAddress(getAttribute(m, StunAttribute.XOR_MAPPED_ADDRESS)!, m.transactionId), {
    family: 'IPv6',
    address: '2001:db8:1234:5678:11:2233:4455:6677',
    port: 32853,
  });
  assert.ok(checkIntegrity(m, shortTermKey(PASSWORD)));
  assert.ok(checkFingerprint(m));
  const out = encodeStun(
    {
      method: 1,
      class: 'success',
      transactionId: TXID,
      attributes: [
        { type: StunAttribute.SOFTWARE, value: utf8('test vector') },
        { type: StunAttribute.XOR_MAPPED_ADDRESS, value: encodeXorAddress({ address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, TXID) },
      ],
    },
    { integrityKey: shortTermKey(PASSWORD), fingerprint: true, padByte: 0x20 },
  );
  assert.equal(toHex(out), toHex(RESPONSE_V6));
});

test('RFC 5769 2.4: long-term credentials: MD5(username:realm:password) keys the integrity (password already SASLprep-ed)', () => {
  const m = decodeStun(REQUEST_LONG_TERM);
  const username = new TextDecoder().decode(getAttribute(m, StunAttribute.USERNAME));
  assert.equal(username, '\u30de\u30c8\u30ea\u30c3\u30af\u30b9');
  assert.equal(new TextDecoder().decode(getAttribute(m, StunAttribute.REALM)), 'example.org');
  assert.equal(new TextDecoder().decode(getAttribute(m, StunAttribute.NONCE)), 'f//499k954d6OL34oL9FSTvy64sA');
  assert.equal(m.fingerprint, undefined);
  assert.ok(checkIntegrity(m, longTermKey(username, 'example.org', 'TheMatrIX')));
  assert.ok(!checkIntegrity(m, longTermKey(username, 'example.org', 'TheMatrix')));
});

test('tampering: a changed byte fails integrity and fingerprint', () => {
  for (const at of [21, 30, 60]) {
    const bad = REQUEST.slice();
    bad[at]! ^= 1;
    const m = decodeStun(bad);
    assert.ok(!checkFingerprint(m), `fingerprint at ${at}`);
    assert.ok(!checkIntegrity(m, shortTermKey(PASSWORD)), `integrity at ${at}`);
  }
});

test('decode rejects what is not a whole, well-framed STUN message', () => {
  const cases: [string, Uint8Array][] = [
    ['short', REQUEST.subarray(0, 19)],
    ['top bits', Uint8Array.of(0x40, ...REQUEST.subarray(1))],
    [
      'cookie',
      (() => {
        const b = REQUEST.slice();
        b[4] = 0;
        return b;
      })(),
    ],
    ['length mismatch', REQUEST.subarray(0, REQUEST.length - 4)],
    [
      'attribute overrun',
      (() => {
        const b = REQUEST.slice();
        b[22] = 0x01;
        return b;
      })(),
    ],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(() => decodeStun(bytes), StunDecodeError, name);
    if (name !== 'attribute overrun') assert.ok(!isStun(bytes), name);
  }
  // FINGERPRINT must be last.
  const fpFirst = encodeStun({ method: 1, class: 'request', transactionId: TXID, attributes: [] }, { fingerprint: true });
  const withTrailer = new Uint8Array(fpFirst.length + 4);
  withTrailer.set(fpFirst);
  withTrailer.set([0x80, 0x22, 0x00, 0x00], fpFirst.length);
  withTrailer[3] = fpFirst.length + 4 - 20;
  assert.throws(() => decodeStun(withTrailer), /FINGERPRINT must be the last/);
});

test('attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored; unknown ones round-trip', () => {
  const m = decodeStun(encodeStun({ method: 1, class: 'indication', transactionId: TXID, attributes: [{ type: 0xc057, value: Uint8Array.of(1, 2, 3) }] }));
  assert.deepEqual(
    m.attributes.map((a) => [a.type, toHex(a.value)]),
    [[0xc057, '010203']],
  );
  const signed = encodeStun({ method: 1, class: 'request', transactionId: TXID, attributes: [] }, { integrityKey: utf8('k') });
  const extra = new Uint8Array(signed.length + 8);
  extra.set(signed);
  extra.set([0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4], signed.length);
  extra[3] = extra.length - 20;
  const d = decodeStun(extra);
  assert.equal(d.attributes.length, 0);
  assert.ok(checkIntegrity(d, utf8('k')));
});

test('encode refuses MESSAGE-INTEGRITY/FINGERPRINT among attributes and bad transaction IDs', () => {
  assert.throws(
    () => encodeStun({ method: 1, class: 'request', transactionId: TXID, attributes: [{ type: StunAttribute.FINGERPRINT, value: new Uint8Array(4) }] }),
    TypeError,
  );
  assert.throws(() => encodeStun({ method: 1, class: 'request', transactionId: new Uint8Array(16), attributes: [] }), TypeError);
});

test('IP text: parse and RFC 5952 format', () => {
  for (const [text, canon] of [
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['fe80::1:0:0:0', 'fe80::1:0:0:0'], // a tie: the first run
    ['fe80:0:0:1:0:0:0:0', 'fe80:0:0:1::'],
  ])
    assert.equal(formatIp(parseIp(text!)), canon, text);
  for (const bad of ['256.0.0.1', '1.2.3', '1::2::3', 'a:b:c:d:e:f:1:2:3', 'host.example', '']) assert.throws(() => parseIp(bad), TypeError, bad);
});

// ---- ICE-lite answers ----

const LOCAL = { ufrag: 'ourU', password: 'ourpasswordourpassword' };
const PEER = { address: '127.0.0.1', port: 50000 };

function request(
  opts: { username?: string; key?: Uint8Array | null; fingerprint?: boolean; extra?: { type: number; value: Uint8Array }[]; cls?: StunClass } = {},
): Uint8Array {
  const attributes = [
    ...(opts.username !== undefined ? [{ type: StunAttribute.USERNAME, value: utf8(opts.username) }] : []),
    { type: StunAttribute.PRIORITY, value: encodeU32(1853824767) },
    { type: StunAttribute.ICE_CONTROLLING, value: new Uint8Array(8) },
    ...(opts.extra ?? []),
  ];
  return encodeStun(
    { method: 1, class: opts.cls ?? 'request', transactionId: TXID, attributes },
    { integrityKey: opts.key === null ? undefined : (opts.key ?? shortTermKey(LOCAL.password)), fingerprint: opts.fingerprint ?? true },
  );
}

test('answerBindingRequest: a good check gets a signed success with our view of its address', () => {
  const out = answerBindingRequest(
    request({ username: 'ourU:theirs', extra: [{ type: StunAttribute.USE_CANDIDATE, value: new Uint8Array(0) }] }),
    PEER,
    LOCAL,
    { remoteUfrag: 'theirs', software: 'dtls-stream' },
  );
  assert.equal(out.kind, 'success');
  if (out.kind !== 'success') return;
  assert.equal(out.useCandidate, true);
  assert.equal(out.priority, 1853824767);
  assert.equal(out.remoteUfrag, 'theirs');
  const r = decodeStun(out.response);
  assert.equal(r.class, 'success');
  assert.equal(toHex(r.transactionId), toHex(TXID));
  assert.deepEqual(decodeXorAddress(getAttribute(r, StunAttribute.XOR_MAPPED_ADDRESS)!, r.transactionId), { family: 'IPv4', ...PEER });
  assert.ok(checkIntegrity(r, shortTermKey(LOCAL.password)));
  assert.ok(checkFingerprint(r));
});

test('answerBindingRequest: the error responses and the silently ignored', () => {
  const code = (packet: Uint8Array, remoteUfrag?: string): number | string => {
    const out = answerBindingRequest(packet, PEER, LOCAL, { remoteUfrag });
    if (out.kind === 'ignore') return out.reason;
    const r = decodeStun(out.response);
    assert.ok(checkFingerprint(r));
    // Only authenticated requests get signed answers.
    assert.equal(
      checkIntegrity(r, shortTermKey(LOCAL.password)),
      out.kind === 'success' || ![400, 401].includes(decodeErrorCode(getAttribute(r, StunAttribute.ERROR_CODE)!).code),
    );
    return out.kind === 'success' ? 200 : decodeErrorCode(getAttribute(r, StunAttribute.ERROR_CODE)!).code;
  };
  assert.equal(code(request({ username: 'ourU:theirs' })), 200);
  assert.equal(code(request({ username: 'ourU:theirs' }), 'other'), 401, 'remote ufrag must match when known');
  assert.equal(code(request({ username: 'notU:theirs' })), 401, 'wrong local ufrag');
  assert.equal(code(request({ username: 'ourU' })), 401, 'no colon');
  assert.equal(code(request({ username: 'ourU:theirs', key: utf8('wrong password!!!!!!!!') })), 401);
  assert.equal(code(request({ key: shortTermKey(LOCAL.password) })), 400, 'no USERNAME');
  assert.equal(code(request({ username: 'ourU:theirs', key: null })), 400, 'no MESSAGE-INTEGRITY');
  assert.equal(code(request({ username: 'ourU:theirs', extra: [{ type: StunAttribute.ICE_CONTROLLED, value: new Uint8Array(8) }] })), 487);
  assert.equal(code(request({ username: 'ourU:theirs', extra: [{ type: 0x0777, value: new Uint8Array(4) }] })), 420);
  assert.equal(code(request({ username: 'ourU:theirs', extra: [{ type: 0xc057, value: new Uint8Array(4) }] })), 200, 'optional unknown attributes are fine');
  assert.equal(code(request({ username: 'ourU:theirs', fingerprint: false })), 'bad_fingerprint');
  assert.equal(code(request({ username: 'ourU:theirs', cls: 'indication' })), 'not_request');
  assert.equal(code(Uint8Array.of(0x16, 0xfe, 0xfd)), 'not_stun');
});
