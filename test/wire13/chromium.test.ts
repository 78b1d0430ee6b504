// Known answers from a real DTLS 1.3 handshake between two Chromium 156 peers
// (test/wire13/chromium-capture.ts says how it was captured). The plaintext
// expectations are what tshark 4.0 dissected from the same capture; the
// unified headers (which tshark 4.0 does not parse) are checked for framing
// and for our encoder writing Chromium's exact header bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concat, fromHex, toHex } from '../../src/wire/codec.ts';
import { decodeKeyShareClient, decodeKeyShareServer, decodePskKeyExchangeModes, decodeSupportedVersionsServer } from '../../src/wire/extensions13/index.ts';
import { decodeSignatureAlgorithms, decodeSupportedGroups, decodeUseSrtp, findExtension } from '../../src/wire/extensions/index.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeServerHello, encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { checkClientHello13, checkServerHello13, downgradeSentinel, isHelloRetryRequest, offeredVersions } from '../../src/wire/messages13/index.ts';
import { ExtensionType } from '../../src/wire/types.ts';
import { decodeDatagram13, encodeUnifiedHeader, type CiphertextRecord13, type PlaintextRecord13 } from '../../src/wire/unified-header.ts';
import { chromiumDtls13 } from './chromium-capture.ts';

const datagrams = chromiumDtls13.map((d) => ({ from: d.from, bytes: fromHex(d.hex) }));
const split = datagrams.map((d) => ({ from: d.from, ...decodeDatagram13(d.bytes) }));
const plaintexts = split.flatMap((d) => d.records.filter((r): r is PlaintextRecord13 => r.kind === 'plaintext'));
const ciphertexts = split.flatMap((d) => d.records.filter((r): r is CiphertextRecord13 => r.kind === 'ciphertext').map((r) => ({ from: d.from, r })));

test('Chromium: every datagram splits into records with nothing dropped', () => {
  assert.equal(datagrams.length, 23);
  for (const d of split) assert.equal(d.dropped, undefined);
  assert.equal(plaintexts.length, 3);
  assert.equal(ciphertexts.length, 20);
});

test('Chromium: plaintext records and handshake fragments as tshark read them', () => {
  // tshark: type, version, epoch, sequence, length per record.
  assert.deepEqual(
    plaintexts.map((p) => [p.contentType, p.version, p.epoch, p.sequenceNumber, p.fragment.length]),
    [
      [22, 0xfeff, 0, 0, 1187],
      [22, 0xfeff, 0, 1, 250],
      [22, 0xfefd, 0, 0, 1186],
    ], // first ClientHello may say 0xfeff (RFC 9147 4)
  );
  const frags = plaintexts.map((p) => decodeHandshakeFragments(p.fragment));
  // tshark: msg type, length, fragment offset, fragment length.
  assert.deepEqual(
    frags.map((f) => f.map((x) => [x.msgType, x.length, x.fragmentOffset, x.body.length])),
    [[[1, 1413, 0, 1175]], [[1, 1413, 1175, 238]], [[2, 1174, 0, 1174]]],
  );
});

test('Chromium: its DTLS 1.3 ClientHello decodes, keeps the 1.3 rules and re-encodes byte for byte', () => {
  const [a, b] = plaintexts.map((p) => decodeHandshakeFragments(p.fragment)[0]!);
  const body = concat(a!.body, b!.body);
  const ch = decodeClientHello(body);
  assert.equal(ch.version, 0xfefd);
  assert.equal(ch.cookie.length, 0);
  checkClientHello13(ch);
  // tshark: extension types in order, versions, groups, key shares, signature algorithms, SRTP profiles.
  assert.deepEqual(
    ch.extensions.map((e) => e.type),
    [14, 45, 23, 13, 11, 51, 65281, 10, 43],
  );
  assert.deepEqual(offeredVersions(ch), [0xfefc, 0xfefd]);
  assert.deepEqual(decodeSupportedGroups(findExtension(ch.extensions, 10)!.data), [0x11ec, 0x1d, 0x17, 0x18]);
  const shares = decodeKeyShareClient(findExtension(ch.extensions, ExtensionType.key_share)!.data);
  assert.deepEqual(
    shares.map((s) => [s.group, s.keyExchange.length]),
    [
      [0x11ec, 1216],
      [29, 32],
    ],
  );
  assert.deepEqual(decodeSignatureAlgorithms(findExtension(ch.extensions, 13)!.data), [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201]);
  assert.deepEqual(decodeUseSrtp(findExtension(ch.extensions, 14)!.data).profiles, [1, 8, 7]);
  assert.deepEqual(decodePskKeyExchangeModes(findExtension(ch.extensions, ExtensionType.psk_key_exchange_modes)!.data), [1]);
  assert.ok(ch.cipherSuites.includes(0x1301));
  assert.equal(toHex(encodeClientHello(ch)), toHex(body));
});

test('Chromium: its DTLS 1.3 ServerHello (X25519MLKEM768) passes the client-side checks', () => {
  const chBody = concat(...plaintexts.slice(0, 2).map((p) => decodeHandshakeFragments(p.fragment)[0]!.body));
  const sent = decodeClientHello(chBody).sessionId;
  const body = decodeHandshakeFragments(plaintexts[2]!.fragment)[0]!.body;
  const sh = decodeServerHello(body);
  assert.deepEqual(
    sh.extensions.map((e) => e.type),
    [51, 43],
  ); // tshark
  assert.equal(sh.cipherSuite, 0x1301); // getStats: TLS_AES_128_GCM_SHA256
  assert.equal(decodeSupportedVersionsServer(findExtension(sh.extensions, 43)!.data), 0xfefc);
  const share = decodeKeyShareServer(findExtension(sh.extensions, 51)!.data);
  assert.deepEqual([share.group, share.keyExchange.length], [0x11ec, 1120]); // ML-KEM-768 ciphertext + X25519
  assert.equal(checkServerHello13(sh, sent), true);
  assert.equal(isHelloRetryRequest(sh), false);
  assert.equal(downgradeSentinel(sh.random), undefined);
  assert.equal(toHex(encodeServerHello(sh)), toHex(body));
});

test('Chromium: unified headers: 16-bit sequence numbers, lengths, epochs 2 then 3, and our encoder writes the same bytes', () => {
  for (const { r } of ciphertexts) {
    assert.equal(r.cid, undefined);
    assert.equal(r.sequenceBits, 16);
    assert.equal(r.lengthPresent, true);
    assert.equal(r.header.length, 5);
    assert.ok(r.encryptedRecord.length >= 16, 'RFC 9147 4.2.3: at least 16 bytes to sample');
    // Our header for the same fields is Chromium's, byte for byte (the sequence is masked on the wire; the layout is the same).
    assert.equal(toHex(encodeUnifiedHeader({ epoch: r.epochBits, sequenceNumber: r.maskedSequence }, r.encryptedRecord.length)), toHex(r.header));
  }
  // The encrypted handshake flights in epoch 2 (server: EncryptedExtensions..Finished; client: Certificate..Finished), then epoch 3.
  assert.deepEqual(
    ciphertexts.slice(0, 2).map(({ from, r }) => [from, r.epochBits, r.encryptedRecord.length]),
    [
      ['s', 2, 512],
      ['c', 2, 449],
    ],
  );
  assert.ok(ciphertexts.slice(2).every(({ r }) => r.epochBits === 3));
});
