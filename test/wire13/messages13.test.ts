import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DtlsError } from '../../src/errors.ts';
import { concat, fromHex, toHex, utf8 } from '../../src/wire/codec.ts';
import { findExtension } from '../../src/wire/extensions/index.ts';
import {
  clientHelloBinderCut,
  decodeEarlyDataTicket,
  decodeKeyShareClient,
  decodeKeyShareServer,
  decodePreSharedKeyClient,
  decodePskKeyExchangeModes,
  decodeSupportedVersionsServer,
  encodeKeyShareRetry,
  encodeCookie,
  encodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
} from '../../src/wire/extensions13/index.ts';
import { decodeClientHello, encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeServerHello, encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import {
  certificateVerifyContent,
  checkClientHello13,
  checkServerHello13,
  clientHello13,
  decodeCertificate13,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeKeyUpdate,
  decodeNewConnectionId,
  decodeNewSessionTicket13,
  decodeRequestConnectionId,
  downgradeSentinel,
  encodeCertificate13,
  encodeCertificateRequest13,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeHelloRetryRequest,
  encodeKeyUpdate,
  encodeMessageHash,
  encodeNewConnectionId,
  encodeNewSessionTicket13,
  encodeRequestConnectionId,
  encodeTranscriptMessage,
  HELLO_RETRY_REQUEST_RANDOM,
  isHelloRetryRequest,
  offeredVersions,
  serverHello13,
  withDowngradeSentinel,
  ConnectionIdUsage,
  decodeMessage13,
} from '../../src/wire/messages13/index.ts';
import { ExtensionType, HandshakeType } from '../../src/wire/types.ts';
import { bytes, codecProperties13, extensionsArb, refuses, u8 } from './props13.ts';
import { rfc8448 } from './rfc8448.ts';

const h = fromHex;
/** The body of an RFC 8448 message (after its 4-byte TLS handshake header). */
const body = (hex: string) => h(hex).subarray(4);
/** A TLS 1.3 ClientHello body in the DTLS layout: an empty legacy_cookie after legacy_session_id (RFC 9147 5.3). */
function asDtlsClientHello(tls: Uint8Array): Uint8Array {
  const sidEnd = 2 + 32 + 1 + tls[34]!;
  return concat(tls.subarray(0, sidEnd), h('00'), tls.subarray(sidEnd));
}

test('RFC 8448 3: EncryptedExtensions, and the transcript form with its 4-byte header (RFC 9147 5.2)', () => {
  const b = body(rfc8448.encryptedExtensions);
  const ee = decodeEncryptedExtensions(b);
  assert.deepEqual(
    ee.extensions.map((e) => e.type),
    [10, 28, 0],
  ); // supported_groups, record_size_limit, server_name
  assert.equal(toHex(findExtension(ee.extensions, 28)!.data), '4001');
  assert.equal(toHex(encodeEncryptedExtensions(ee)), toHex(b));
  assert.equal(toHex(encodeTranscriptMessage(HandshakeType.encrypted_extensions, b)), rfc8448.encryptedExtensions);
  assert.deepEqual(decodeEncryptedExtensions(h('0000')), { extensions: [] });
  refuses(decodeEncryptedExtensions, [
    ['', /truncated extensions/],
    ['0000 00', /1 trailing/],
    ['0008 000a 0000 000a 0000', /duplicate extension 10/],
  ]);
});

test('RFC 8448 3: Certificate of TLS 1.3 (context, entries with extensions)', () => {
  const b = body(rfc8448.certificate);
  const c = decodeCertificate13(b);
  assert.equal(c.context.length, 0);
  assert.equal(c.entries.length, 1);
  assert.equal(c.entries[0]!.data.length, 0x1b0);
  assert.equal(toHex(c.entries[0]!.data.subarray(0, 4)), '308201ac'); // a DER SEQUENCE
  assert.deepEqual(c.entries[0]!.extensions, []);
  assert.equal(toHex(encodeCertificate13(c)), toHex(b));
  // A client's Certificate echoing a CertificateRequest context, with an entry extension, and the empty one.
  const m = { context: h('0a0b'), entries: [{ data: h('3000'), extensions: [{ type: 5, data: h('01') }] }] };
  assert.equal(toHex(encodeCertificate13(m)), '020a0b' + '00000c' + '000002' + '3000' + '0005' + '00050001' + '01');
  assert.deepEqual(decodeCertificate13(h('00000000')), { context: new Uint8Array(0), entries: [] });
  refuses(decodeCertificate13, [
    ['', /truncated certificate_request_context/],
    ['00 000005 000000 0000', /cert_data: length 0 outside 1/],
    ['00 000005 000001 30', /truncated certificate_list/],
    ['00 000004 000001 30 00', /truncated extensions/],
    ['00 000000 00', /1 trailing/],
    ['00 000009 000001 30 0003 000500', /truncated extension_data/],
  ]);
  assert.throws(() => encodeCertificate13({ context: new Uint8Array(256), entries: [] }), RangeError);
  assert.throws(() => encodeCertificate13({ context: new Uint8Array(0), entries: [{ data: new Uint8Array(0), extensions: [] }] }), RangeError);
});

test('RFC 8448 3: CertificateVerify (the 1.2 shape) and the content a 1.3 signature covers (RFC 8446 4.4.3)', () => {
  const b = body(rfc8448.certificateVerify);
  const cv = decodeCertificateVerify(b);
  assert.equal(cv.signatureScheme, 0x0804); // rsa_pss_rsae_sha256
  assert.equal(cv.signature.length, 128);
  assert.equal(toHex(encodeCertificateVerify(cv)), toHex(b));
  const hash = new Uint8Array(32).fill(1);
  const content = certificateVerifyContent('server', hash);
  assert.equal(toHex(content.subarray(0, 64)), '20'.repeat(64));
  assert.equal(toHex(content.subarray(64, 64 + 33)), toHex(utf8('TLS 1.3, server CertificateVerify')));
  assert.equal(content[97], 0);
  assert.equal(toHex(content.subarray(98)), toHex(hash));
  assert.equal(toHex(certificateVerifyContent('client', hash).subarray(64, 97)), toHex(utf8('TLS 1.3, client CertificateVerify')));
});

test('RFC 8448 3: NewSessionTicket of TLS 1.3, with early_data', () => {
  const b = body(rfc8448.newSessionTicket);
  const t = decodeNewSessionTicket13(b);
  assert.equal(t.lifetime, 30);
  assert.equal(t.ageAdd, 0xfad6aac5);
  assert.equal(toHex(t.nonce), '0000');
  assert.equal(t.ticket.length, 0xb2);
  assert.deepEqual(
    t.extensions.map((e) => e.type),
    [ExtensionType.early_data],
  );
  assert.equal(decodeEarlyDataTicket(t.extensions[0]!.data), 0x400);
  assert.equal(toHex(encodeNewSessionTicket13(t)), toHex(b));
  refuses(decodeNewSessionTicket13, [
    ['00093a81 00000000 00 0001 01 0000', /exceeds 7 days/, 'illegal_parameter'], // 604801 s
    ['00093a80 00000000 00 0000 0000', /ticket: length 0 outside 1/],
    ['0000001e 00000000 00 0001 01', /truncated extensions/],
    ['0000001e 000000', /truncated ticket_age_add/],
  ]);
  assert.equal(decodeNewSessionTicket13(h('00093a80 00000000 00 0001 01 0000')).lifetime, 604800);
  assert.throws(() => encodeNewSessionTicket13({ ...t, lifetime: 604801 }), RangeError);
});

test('RFC 8448 3: the hellos in the DTLS layout: supported_versions, key_share, psk modes', () => {
  const ch = decodeClientHello(asDtlsClientHello(body(rfc8448.clientHello)));
  assert.equal(ch.version, 0x0303);
  assert.equal(ch.cookie.length, 0);
  assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
  assert.deepEqual(offeredVersions(ch), [0x0304]);
  const shares = decodeKeyShareClient(findExtension(ch.extensions, ExtensionType.key_share)!.data);
  assert.deepEqual(
    shares.map((s) => [s.group, s.keyExchange.length]),
    [[29, 32]],
  );
  assert.equal(toHex(shares[0]!.keyExchange.subarray(0, 4)), '99381de5');
  assert.deepEqual(decodePskKeyExchangeModes(findExtension(ch.extensions, ExtensionType.psk_key_exchange_modes)!.data), [1]);
  checkClientHello13(ch);
  const sh = decodeServerHello(body(rfc8448.serverHello));
  assert.equal(sh.cipherSuite, 0x1301);
  assert.equal(decodeSupportedVersionsServer(findExtension(sh.extensions, ExtensionType.supported_versions)!.data), 0x0304);
  const share = decodeKeyShareServer(findExtension(sh.extensions, ExtensionType.key_share)!.data);
  assert.equal(share.group, 29);
  assert.equal(toHex(share.keyExchange.subarray(0, 4)), 'c9828876');
  assert.equal(isHelloRetryRequest(sh), false);
  assert.equal(toHex(encodeServerHello(sh)), toHex(body(rfc8448.serverHello)));
});

test('RFC 8448 4: the resumed ClientHello: identity, binder and the cut before the binders (RFC 8446 4.2.11.2)', () => {
  const dtls = asDtlsClientHello(body(rfc8448.resumedClientHello));
  const ch = decodeClientHello(dtls);
  const last = ch.extensions[ch.extensions.length - 1]!;
  assert.equal(last.type, ExtensionType.pre_shared_key);
  const psk = decodePreSharedKeyClient(last.data);
  assert.equal(psk.identities.length, 1);
  assert.equal(psk.identities[0]!.identity.length, 0xb2);
  assert.equal(psk.identities[0]!.obfuscatedTicketAge, 0xfad6aacb);
  // The ticket the client offers is the one RFC 8448 3's NewSessionTicket carried.
  assert.equal(toHex(psk.identities[0]!.identity), toHex(decodeNewSessionTicket13(body(rfc8448.newSessionTicket)).ticket));
  assert.equal(toHex(psk.binders[0]!), '3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d');
  const cut = clientHelloBinderCut(dtls);
  assert.equal(dtls.length - cut, 35);
  assert.equal(toHex(dtls.subarray(cut - 4, cut)), 'fad6aacb');
  assert.equal(toHex(encodeClientHello(ch)), toHex(dtls));
});

test('the DTLS 1.3 hello rules (RFC 9147 5.3, 5.4; RFC 8446 4.1.2-4.1.4)', () => {
  const random = new Uint8Array(32).fill(0x42);
  const ch = clientHello13({
    random,
    cipherSuites: [0x1301],
    extensions: [{ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient([0xfefc, 0xfefd]) }],
  });
  assert.deepEqual([ch.version, ch.cookie.length, ch.sessionId.length, ch.compressionMethods], [0xfefd, 0, 0, [0]]);
  assert.deepEqual(offeredVersions(ch), [0xfefc, 0xfefd]);
  assert.deepEqual(offeredVersions({ extensions: [] }), []);
  checkClientHello13(ch);
  const illegal = (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter' && e.alert === 47;
  assert.throws(
    () => checkClientHello13({ ...ch, cookie: h('01') }),
    (e: unknown) => illegal(e) && /legacy_cookie/.test((e as Error).message),
  );
  assert.throws(() => checkClientHello13({ ...ch, compressionMethods: [0, 1] }), illegal);
  assert.throws(() => checkClientHello13({ ...ch, compressionMethods: [1] }), illegal);

  const sv = { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0xfefc) };
  const sid = h('aabb');
  const sh = serverHello13({ random, sessionIdEcho: sid, cipherSuite: 0x1301, extensions: [sv] });
  assert.equal(checkServerHello13(sh, sid), true);
  assert.equal(checkServerHello13({ ...sh, extensions: [] }, sid), false); // a 1.2 ServerHello
  for (const bad of [
    { ...sh, extensions: [{ type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0xfefd) }] },
    { ...sh, version: 0xfefc },
    { ...sh, sessionId: h('aabc') },
    { ...sh, compressionMethod: 1 },
  ])
    assert.throws(() => checkServerHello13(bad, sid), illegal);
  assert.throws(() => checkServerHello13({ ...sh, extensions: [{ type: ExtensionType.supported_versions, data: h('fe') }] }, sid), DtlsError);

  // HelloRetryRequest: a ServerHello with SHA-256("HelloRetryRequest") as its random.
  assert.equal(toHex(HELLO_RETRY_REQUEST_RANDOM), 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
  const hrr = encodeHelloRetryRequest({
    sessionIdEcho: new Uint8Array(0),
    cipherSuite: 0x1301,
    extensions: [sv, { type: ExtensionType.key_share, data: encodeKeyShareRetry(0x11ec) }, { type: ExtensionType.cookie, data: encodeCookie(h('c0')) }],
  });
  assert.equal(toHex(hrr.subarray(0, 34)), 'fefd' + toHex(HELLO_RETRY_REQUEST_RANDOM));
  const back = decodeServerHello(hrr);
  assert.ok(isHelloRetryRequest(back));
  assert.equal(checkServerHello13(back, new Uint8Array(0)), true);
  assert.equal(isHelloRetryRequest(sh), false);

  // Downgrade sentinels (RFC 8446 4.1.3, RFC 9147 5.3).
  assert.equal(downgradeSentinel(random), undefined);
  const r12 = withDowngradeSentinel(random, '1.2');
  assert.equal(toHex(r12.subarray(24)), '444f574e47524401');
  assert.equal(downgradeSentinel(r12), '1.2');
  assert.equal(downgradeSentinel(withDowngradeSentinel(random, '1.0')), '1.0');
  assert.equal(toHex(random.subarray(24)), '4242424242424242'); // the input is not changed
  assert.throws(() => withDowngradeSentinel(new Uint8Array(31), '1.2'), RangeError);
});

test('message_hash replaces ClientHello1 after a HelloRetryRequest (RFC 8446 4.4.1)', () => {
  const hash = new Uint8Array(32).fill(0xab);
  assert.equal(toHex(encodeMessageHash(hash)), 'fe000020' + 'ab'.repeat(32));
  assert.throws(() => encodeTranscriptMessage(256, hash), RangeError);
});

test('CertificateRequest of TLS 1.3 (RFC 8446 4.3.2)', () => {
  const m = { context: h('01'), extensions: [{ type: 13, data: h('00020403') }] };
  assert.equal(toHex(encodeCertificateRequest13(m)), '0101' + '0008' + '000d0004' + '00020403');
  assert.deepEqual(decodeCertificateRequest13(h('0101 0008 000d0004 00020403')), m);
  refuses(decodeCertificateRequest13, [
    ['00 0000', /extensions<2..2\^16-1> is empty/],
    ['00', /truncated extensions/],
    ['', /truncated certificate_request_context/],
    ['00 0004 000d0000 00', /1 trailing/],
  ]);
  assert.throws(() => encodeCertificateRequest13({ context: new Uint8Array(0), extensions: [] }), RangeError);
});

test('KeyUpdate (RFC 8446 4.6.3), RequestConnectionId and NewConnectionId (RFC 9147 9)', () => {
  assert.equal(toHex(encodeKeyUpdate({ updateRequested: true })), '01');
  assert.equal(toHex(encodeKeyUpdate({ updateRequested: false })), '00');
  assert.deepEqual(decodeKeyUpdate(h('01')), { updateRequested: true });
  assert.deepEqual(decodeKeyUpdate(h('00')), { updateRequested: false });
  refuses(decodeKeyUpdate, [
    ['02', /request_update 2/, 'illegal_parameter'],
    ['', /0 bytes, expected 1/],
    ['0100', /2 bytes/],
  ]);

  assert.equal(toHex(encodeRequestConnectionId({ numCids: 3 })), '03');
  assert.deepEqual(decodeRequestConnectionId(h('ff')), { numCids: 255 });
  refuses(decodeRequestConnectionId, [
    ['', /0 bytes, expected 1/],
    ['0101', /2 bytes/],
  ]);
  assert.throws(() => encodeRequestConnectionId({ numCids: 256 }), RangeError);

  const m = { cids: [h('0102'), new Uint8Array(0), h('ff')], usage: ConnectionIdUsage.cid_spare };
  assert.equal(toHex(encodeNewConnectionId(m)), '0006' + '020102' + '00' + '01ff' + '01');
  assert.deepEqual(decodeNewConnectionId(h('0006 020102 00 01ff 01')), m);
  assert.deepEqual(decodeNewConnectionId(h('0000 07')), { cids: [], usage: 7 }); // unknown usage kept for the handler
  refuses(decodeNewConnectionId, [
    ['0000', /truncated usage/],
    ['0003 0301 02 00', /truncated ConnectionId/],
    ['0000 00 00', /1 trailing/],
    ['00', /truncated cids/],
  ]);
  assert.throws(() => encodeNewConnectionId({ cids: [new Uint8Array(256)], usage: 0 }), RangeError);
});

codecProperties13(
  'EncryptedExtensions',
  fc.record({ extensions: extensionsArb }, { noNullPrototype: true }),
  encodeEncryptedExtensions,
  decodeEncryptedExtensions,
);
codecProperties13(
  'Certificate (TLS 1.3)',
  fc.record(
    { context: bytes(0, 8), entries: fc.array(fc.record({ data: bytes(1, 40), extensions: extensionsArb }, { noNullPrototype: true }), { maxLength: 3 }) },
    { noNullPrototype: true },
  ),
  encodeCertificate13,
  decodeCertificate13,
);
codecProperties13(
  'CertificateRequest (TLS 1.3)',
  fc.record({ context: bytes(0, 8), extensions: extensionsArb.filter((e) => e.length > 0) }, { noNullPrototype: true }),
  encodeCertificateRequest13,
  decodeCertificateRequest13,
);
codecProperties13(
  'NewSessionTicket (TLS 1.3)',
  fc.record(
    {
      lifetime: fc.integer({ min: 0, max: 604800 }),
      ageAdd: fc.integer({ min: 0, max: 0xffffffff }),
      nonce: bytes(0, 8),
      ticket: bytes(1, 40),
      extensions: extensionsArb,
    },
    { noNullPrototype: true },
  ),
  encodeNewSessionTicket13,
  decodeNewSessionTicket13,
);
codecProperties13('KeyUpdate', fc.record({ updateRequested: fc.boolean() }, { noNullPrototype: true }), encodeKeyUpdate, decodeKeyUpdate);
codecProperties13('RequestConnectionId', fc.record({ numCids: u8 }, { noNullPrototype: true }), encodeRequestConnectionId, decodeRequestConnectionId);
codecProperties13(
  'NewConnectionId',
  fc.record({ cids: fc.array(bytes(0, 20), { maxLength: 5 }), usage: u8 }, { noNullPrototype: true }),
  encodeNewConnectionId,
  decodeNewConnectionId,
);

test('decodeMessage13: each type to its codec, HelloRetryRequest told apart, retired types refused', () => {
  assert.equal(decodeMessage13(8, body(rfc8448.encryptedExtensions)).type, 'encrypted_extensions');
  assert.equal(decodeMessage13(11, body(rfc8448.certificate)).type, 'certificate');
  assert.equal(decodeMessage13(15, body(rfc8448.certificateVerify)).type, 'certificate_verify');
  assert.equal(decodeMessage13(4, body(rfc8448.newSessionTicket)).type, 'new_session_ticket');
  assert.equal(decodeMessage13(2, body(rfc8448.serverHello)).type, 'server_hello');
  assert.equal(decodeMessage13(1, asDtlsClientHello(body(rfc8448.clientHello))).type, 'client_hello');
  const hrr = encodeHelloRetryRequest({ sessionIdEcho: new Uint8Array(0), cipherSuite: 0x1301, extensions: [] });
  assert.equal(decodeMessage13(2, hrr).type, 'hello_retry_request');
  assert.deepEqual(decodeMessage13(20, new Uint8Array(32).fill(9)), { type: 'finished', message: { verifyData: new Uint8Array(32).fill(9) } });
  assert.deepEqual(decodeMessage13(24, h('01')), { type: 'key_update', message: { updateRequested: true } });
  assert.deepEqual(decodeMessage13(9, h('02')), { type: 'request_connection_id', message: { numCids: 2 } });
  assert.deepEqual(decodeMessage13(10, h('0000 01')), { type: 'new_connection_id', message: { cids: [], usage: 1 } });
  assert.equal(decodeMessage13(13, h('00 0004 000d0000')).type, 'certificate_request');
  for (const t of [0, 3, 5, 6, 12, 14, 16, 21, 254, 255]) {
    assert.throws(
      () => decodeMessage13(t, new Uint8Array(0)),
      (e: unknown) => e instanceof DtlsError && e.code === 'unexpected_message' && e.alert === 10,
      String(t),
    );
  }
  assert.throws(() => decodeMessage13(8, h('00')), DtlsError);
});
