// DTLS 1.3 record protection. First the part DTLS 1.3 shares with TLS 1.3
// (inner plaintext, nonce from the IV and the 64-bit sequence number, AEAD over
// the header) against RFC 8448 section 3's records in TLS framing; then the DTLS
// differences (unified header as AAD with the sequence number in the clear,
// record number encryption, no epoch in the nonce) against node:crypto built by
// hand; then round trips, tampering, padding and the AEAD limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { ecb } from '@noble/ciphers/aes.js';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { AeadName } from '../../src/crypto/provider.ts';
import { DtlsError } from '../../src/errors.ts';
import { decodeInnerPlaintext, encodeInnerPlaintext } from '../../src/wire/inner-plaintext.ts';
import {
  AEAD_LIMITS_13,
  RecordProtection13,
  maskKind,
  protectionFromSecret,
  recordNonce13,
  trafficKeys13,
  type ExpandLabel,
  type RecordNumberMask,
} from '../../src/record/protection13.ts';

const p = nobleProvider;
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8448 section 3 (TLS_AES_128_GCM_SHA256): traffic keys, IVs and records.
const R = {
  sHs: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  sHsKey: '3fce516009c21727d0f2e4e86ee403bc',
  sHsIv: '5d313eb2671276ee13000b30',
  cHsKey: 'dbfaa693d1762c5b666af5d950258d01',
  cHsIv: '5bd3c71b836e0b76bb73265f',
  sApKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  sApIv: 'cf782b88dd83549aadf1e984',
  cApKey: '17422dda596ed5d9acd890e3c63f5051',
  cApIv: '5b78923dee08579033e523d9',
  // {server} EncryptedExtensions..Finished, the first record under the server handshake key.
  serverFlight: `17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f
    45 e4 89 e7 f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd
    05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e
    f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8
    bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92 8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70
    a2 55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea
    52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f 44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89
    f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3 6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1
    00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e 1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84
    c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f
    c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be 5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6
    fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb 56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10
    dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38 eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f
    60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3
    79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e 75 0e dc 53 37 0d 2b`,
  // {client} Finished, the first record under the client handshake key.
  clientFinished: `17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0
    51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46`,
  // {client} application data 00..31, sequence 0 under the client application key.
  clientApp: `17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
    42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4`,
  // {server} application data 00..31, sequence 1 (NewSessionTicket took 0).
  serverApp: `17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
    32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d`,
  // close_notify: client sequence 1, server sequence 2.
  clientAlert: '17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3',
  serverAlert: '17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9',
};
const payload50 = Uint8Array.from({ length: 50 }, (_, i) => i);

/** Opens a TLS 1.3 record (5-byte header as AAD) with the nonce under test. */
function openTls(record: string, key: string, iv: string, seq: number) {
  const bytes = hex(record);
  const header = bytes.subarray(0, 5);
  const inner = p.aead('aes-128-gcm', hex(key)).open(recordNonce13(hex(iv), seq), bytes.subarray(5), header);
  assert.ok(inner, 'authenticates with nonce = iv XOR seq and AAD = the header');
  return decodeInnerPlaintext(inner);
}

test('RFC 8448 3 in TLS framing: each record opens with nonce = iv XOR the 64-bit sequence number and AAD = its header; sealing reproduces them byte for byte', () => {
  const sf = openTls(R.serverFlight, R.sHsKey, R.sHsIv, 0);
  assert.equal(sf.contentType, 22);
  assert.equal(sf.content[0], 8, 'EncryptedExtensions comes first');
  assert.equal(sf.content.length, 0x2a2 - 16 - 1);
  const cf = openTls(R.clientFinished, R.cHsKey, R.cHsIv, 0);
  assert.deepEqual([cf.contentType, toHex(cf.content.subarray(0, 4))], [22, '14000020']);
  const ca = openTls(R.clientApp, R.cApKey, R.cApIv, 0);
  assert.deepEqual([ca.contentType, toHex(ca.content)], [23, toHex(payload50)]);
  const sa = openTls(R.serverApp, R.sApKey, R.sApIv, 1);
  assert.deepEqual([sa.contentType, toHex(sa.content)], [23, toHex(payload50)]);
  for (const [rec, key, iv, seq] of [
    [R.clientAlert, R.cApKey, R.cApIv, 1],
    [R.serverAlert, R.sApKey, R.sApIv, 2],
  ] as const) {
    const a = openTls(rec, key, iv, seq);
    assert.deepEqual([a.contentType, toHex(a.content)], [21, '0100'], 'close_notify');
  }
  // A wrong sequence number is a wrong nonce.
  assert.equal(p.aead('aes-128-gcm', hex(R.sApKey)).open(recordNonce13(hex(R.sApIv), 0), hex(R.serverApp).subarray(5), hex(R.serverApp).subarray(0, 5)), null);
  // Sealing the same inner plaintext gives the RFC's bytes.
  const header = hex(R.clientApp).subarray(0, 5);
  const sealed = p.aead('aes-128-gcm', hex(R.cApKey)).seal(recordNonce13(hex(R.cApIv), 0), encodeInnerPlaintext(23, payload50), header);
  assert.equal(toHex(sealed), toHex(hex(R.clientApp).subarray(5)));
});

test("the nonce XORs all 64 bits of the sequence number into the IV's last 8 bytes, big-endian", () => {
  const iv = hex(R.cApIv);
  const n = recordNonce13(iv, 2 ** 40 + 0x0102_0304);
  const want = iv.slice();
  const seq = hex('0000010001020304');
  for (let i = 0; i < 8; i++) want[4 + i]! ^= seq[i]!;
  assert.equal(toHex(n), toHex(want));
  assert.equal(toHex(recordNonce13(iv, Number.MAX_SAFE_INTEGER).subarray(0, 4)), toHex(iv.subarray(0, 4)));
  assert.throws(() => recordNonce13(iv, -1), RangeError);
  assert.throws(() => recordNonce13(iv, 2 ** 53), RangeError);
});

// Test masks built here from @noble/ciphers (RFC 9147 4.2.3), cross-checked below with node:crypto.
// noble's chacha20 refuses counter 2^32 - 1 (its guard against wrapping), which
// a sample starting ff ff ff ff asks for: that one block comes from node:crypto.
function nobleMask(aead: AeadName, snKey: Uint8Array): RecordNumberMask {
  if (maskKind(aead) === 'chacha20') {
    return (s) => {
      const counter = (s[0]! | (s[1]! << 8) | (s[2]! << 16) | (s[3]! << 24)) >>> 0;
      if (counter === 0xffff_ffff) return nodeMask(aead, snKey, s);
      return chacha20(snKey, s.subarray(4, 16), new Uint8Array(16), undefined, counter);
    };
  }
  return (s) => ecb(snKey, { disablePadding: true }).encrypt(s.slice(0, 16));
}
/** node:crypto's mask: AES-ECB, or ChaCha20 whose 16-byte IV is counter (LE) || nonce, exactly the sample. */
function nodeMask(aead: AeadName, snKey: Uint8Array, sample: Uint8Array): Uint8Array {
  const c =
    maskKind(aead) === 'chacha20'
      ? createCipheriv('chacha20', snKey, sample.subarray(0, 16))
      : createCipheriv(snKey.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb', snKey, null).setAutoPadding(false);
  return Uint8Array.from(Buffer.concat([c.update(maskKind(aead) === 'chacha20' ? new Uint8Array(16) : sample.subarray(0, 16)), c.final()]));
}

test('record number masks: the AES-ECB and ChaCha20 masks used in these tests agree with node:crypto on random samples, counters with the top bit set included', () => {
  const k = p.random(32);
  assert.throws(() => chacha20(k, new Uint8Array(12), new Uint8Array(16), undefined, 0xffff_ffff), /counter/, 'why the fallback exists');
  assert.equal(toHex(nobleMask('chacha20-poly1305', k)(Uint8Array.of(0xff, 0xff, 0xff, 0xff, ...new Uint8Array(12)))).length, 32);
  for (const [aead, len] of [
    ['aes-128-gcm', 16],
    ['aes-256-gcm', 32],
    ['chacha20-poly1305', 32],
  ] as const) {
    for (let i = 0; i < 20; i++) {
      const key = p.random(len);
      const sample = p.random(16);
      if (i === 0) sample.set([0xfe, 0xff, 0xff, 0xff], 0); // counter 2^32 - 2: noble's last allowed block
      if (i === 1) sample.set([0x00, 0x00, 0x00, 0x80], 0);
      assert.equal(toHex(nobleMask(aead, key)(sample)), toHex(nodeMask(aead, key, sample)), `${aead} #${i}`);
    }
  }
});

const SUITES = [
  { name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', keyLength: 16, tag: 16, node: 'aes-128-gcm' },
  { name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', keyLength: 32, tag: 16, node: 'aes-256-gcm' },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', keyLength: 32, tag: 16, node: 'chacha20-poly1305' },
  { name: 'TLS_AES_128_CCM_SHA256', aead: 'aes-128-ccm', keyLength: 16, tag: 16, node: 'aes-128-ccm' },
  { name: 'TLS_AES_128_CCM_8_SHA256', aead: 'aes-128-ccm8', keyLength: 16, tag: 8, node: 'aes-128-ccm' },
] as const;

function pair(s: (typeof SUITES)[number], opts?: ConstructorParameters<typeof RecordProtection13>[5]) {
  const key = p.random(s.keyLength),
    iv = p.random(12),
    sn = p.random(s.keyLength);
  const mk = () => new RecordProtection13(p, s, key, iv, nobleMask(s.aead, sn), opts);
  return { key, iv, sn, send: mk(), recv: mk() };
}

/** A unified header with the sequence number in the clear: 001 C S L EE, [cid], seq, [length]. */
function header(epoch: number, seq: number, o: { bits?: 8 | 16; length?: number; cid?: Uint8Array }): Uint8Array {
  const bits = o.bits ?? 16;
  const out: number[] = [0x20 | (o.cid ? 0x10 : 0) | (bits === 16 ? 0x08 : 0) | (o.length !== undefined ? 0x04 : 0) | (epoch & 3)];
  if (o.cid) out.push(...o.cid);
  if (bits === 16) out.push((seq >>> 8) & 0xff, seq & 0xff);
  else out.push(seq & 0xff);
  if (o.length !== undefined) out.push(o.length >>> 8, o.length & 0xff);
  return Uint8Array.from(out);
}

/** The record number a receiver reconstructs from the low bits, given the expected one (simple form for tests). */
function reconstruct(low: number, bits: 8 | 16, expected: number): number {
  const span = 2 ** bits;
  const base = expected - (expected % span);
  return base + low;
}

test('DTLS 1.3 against node:crypto by hand: AAD is the unified header with the sequence number in the clear, the nonce has no epoch, and the sequence bytes are XORed with the mask of the first 16 ciphertext bytes', () => {
  const s = SUITES[0];
  const { key, iv, sn, send } = pair(s);
  const seq = 0x1_0000_0203;
  const content = new TextEncoder().encode('hello dtls 1.3');
  const h = header(2, seq, { length: send.sealedLength(content.length) });
  const record = send.seal(h, seq, 23, content);
  // Independent AEAD: AES-128-GCM from node:crypto with nonce iv ^ seq and AAD = the clear header.
  const nonce = iv.slice();
  const be = hex(seq.toString(16).padStart(16, '0'));
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= be[i]!;
  const c = createCipheriv('aes-128-gcm', key, nonce).setAAD(h);
  const body = Buffer.concat([c.update(Uint8Array.of(...content, 23)), c.final(), c.getAuthTag()]);
  assert.equal(toHex(record.subarray(h.length)), body.toString('hex'));
  const mask = nodeMask(s.aead, sn, body.subarray(0, 16));
  assert.equal(toHex(record.subarray(0, h.length)), toHex(Uint8Array.of(h[0]!, h[1]! ^ mask[0]!, h[2]! ^ mask[1]!, h[3]!, h[4]!)));
  // The epoch is not in the nonce: the same sequence number in another epoch gives the same GCM keystream (only the tag differs).
  const other = send.seal(header(3, seq, { length: h[3]! * 256 + h[4]! }), seq, 23, content);
  assert.equal(toHex(other.subarray(5, 5 + content.length + 1)), toHex(record.subarray(5, 5 + content.length + 1)));
  assert.notEqual(toHex(other.subarray(-16)), toHex(record.subarray(-16)));
});

test('trafficKeys13: key, iv and sn_key are HKDF-Expand-Label "key", "iv", "sn" of the secret (RFC 8448 3 with "tls13 "; sn_key with "dtls13" by hand)', () => {
  const expand = (secret: Uint8Array, info: Uint8Array, length: number): Uint8Array => {
    // HKDF-Expand (RFC 5869 2.3) with node's HMAC: enough blocks for `length`.
    const out: Buffer[] = [];
    let t = Buffer.alloc(0);
    for (let i = 1; out.reduce((n, b) => n + b.length, 0) < length; i++) {
      t = createHmac('sha256', secret)
        .update(Buffer.concat([t, info, Buffer.of(i)]))
        .digest();
      out.push(t);
    }
    return Uint8Array.from(Buffer.concat(out).subarray(0, length));
  };
  const labelled =
    (prefix: string): ExpandLabel =>
    (secret, label, context, length) => {
      const full = new TextEncoder().encode(prefix + label);
      return expand(secret, Uint8Array.of(length >>> 8, length & 0xff, full.length, ...full, context.length, ...context), length);
    };
  const tls = trafficKeys13(labelled('tls13 '), hex(R.sHs), 16);
  assert.deepEqual([toHex(tls.key), toHex(tls.iv)], [R.sHsKey, R.sHsIv]);
  const dtls = trafficKeys13(labelled('dtls13'), hex(R.sHs), 16);
  assert.equal(toHex(dtls.sn), toHex(expand(hex(R.sHs), Uint8Array.of(0, 16, 8, ...new TextEncoder().encode('dtls13sn'), 0), 16)));
  assert.notEqual(toHex(dtls.key), R.sHsKey);
  // protectionFromSecret wires the same keys: a record sealed by it opens with RecordProtection13 built from them.
  const viaSecret = protectionFromSecret(p, SUITES[0], hex(R.sHs), labelled('dtls13'), nobleMask);
  const direct = new RecordProtection13(p, SUITES[0], dtls.key, dtls.iv, nobleMask('aes-128-gcm', dtls.sn));
  const rec = viaSecret.seal(header(2, 0, {}), 0, 22, Uint8Array.of(1, 2, 3));
  assert.equal(direct.unmaskSequence(rec.subarray(0, 3), rec.subarray(3)), 0);
  assert.deepEqual(direct.open(rec.subarray(0, 3), 0, rec.subarray(3)), { ok: true, contentType: 22, content: Uint8Array.of(1, 2, 3) });
});

test('round trips for every suite and header form (8/16-bit sequence, with and without length, with a CID), sequence numbers past 2^32', () => {
  const cid = Uint8Array.of(9, 8, 7, 6);
  for (const s of SUITES) {
    const { send, recv } = pair(s);
    let n = 0;
    for (const seq of [0, 1, 255, 256, 65_535, 65_536, 2 ** 32 + 7, 2 ** 48 + 3]) {
      for (const form of [{ bits: 8 as const }, { bits: 16 as const }, { bits: 16 as const, withLength: true }, { bits: 8 as const, withLength: true, cid }]) {
        for (const content of [new Uint8Array(0), Uint8Array.of(0), p.random(1 + (seq % 200)), p.random(1200)]) {
          const h = header(1, seq, { bits: form.bits, cid: form.cid, length: form.withLength ? send.sealedLength(content.length, 3) : undefined });
          const rec = send.seal(h, seq, 23, content, 3);
          const hl = h.length;
          const low = recv.unmaskSequence(rec.subarray(0, hl), rec.subarray(hl));
          assert.equal(low, seq % 2 ** form.bits, `${s.name} seq ${seq}`);
          const full = reconstruct(low!, form.bits, seq);
          const opened = recv.open(rec.subarray(0, hl), full, rec.subarray(hl));
          assert.ok(opened.ok, `${s.name} seq ${seq} opens`);
          assert.deepEqual([opened.contentType, toHex(opened.content)], [23, toHex(content)]);
          n++;
        }
      }
    }
    assert.equal(send.sealed, n);
    assert.equal(recv.failedOpens, 0);
  }
});

test('tampering: flipping any one bit of header, masked sequence number, ciphertext or tag makes the record drop, and each AEAD failure is counted', () => {
  for (const s of SUITES) {
    // CCM_8's forgery limit is 2^7 (RFC 9147 A.3): raised here so every flip reaches the AEAD.
    const { send, recv } = pair(s, { limits: { failedOpens: 2 ** 20 } });
    const seq = 300;
    const content = p.random(24);
    const h = header(1, seq, { length: send.sealedLength(content.length) });
    const rec = send.seal(h, seq, 22, content);
    let macFailures = 0;
    for (let bit = 0; bit < rec.length * 8; bit++) {
      const t = rec.slice();
      t[bit >>> 3]! ^= 0x80 >>> (bit & 7);
      // The receiver as it would act: header split as the S/L bits say, sequence unmasked and reconstructed.
      const first = t[0]!;
      const hl = 1 + (first & 0x08 ? 2 : 1) + (first & 0x04 ? 2 : 0);
      const low = recv.unmaskSequence(t.subarray(0, hl), t.subarray(hl));
      const r = low === undefined ? undefined : recv.open(t.subarray(0, hl), reconstruct(low, first & 0x08 ? 16 : 8, seq), t.subarray(hl));
      assert.ok(r === undefined || !r.ok, `${s.name}: flipping bit ${bit} must not authenticate`);
      if (r && !r.ok && r.reason === 'bad_record_mac') macFailures++;
    }
    assert.ok(macFailures > rec.length * 8 - 16, `${s.name}: almost every flip reaches the AEAD (${macFailures})`);
    assert.equal(recv.failedOpens, macFailures);
    // The untouched record still opens.
    assert.equal(recv.open(rec.subarray(0, 5), seq, rec.subarray(5)).ok, true);
  }
});

test('padding: zeros after the type are stripped; an all-zero inner plaintext is no_content_type (unexpected_message in TLS 1.3); CCM_8 pads short records to the 16-byte sample and shorter records drop', () => {
  const s = SUITES[0];
  const { key, iv, send, recv } = pair(s);
  const rec = send.seal(header(0, 5, { length: send.sealedLength(2, 100) }), 5, 21, Uint8Array.of(1, 0), 100);
  assert.equal(rec.length, 5 + 2 + 1 + 100 + 16);
  assert.deepEqual(recv.open(rec.subarray(0, 5), 5, rec.subarray(5)), { ok: true, contentType: 21, content: Uint8Array.of(1, 0) });
  // An all-zero inner plaintext, sealed by hand with the right nonce and AAD.
  const h = header(0, 6, { length: 20 + 16 });
  const body = p.aead(s.aead, key).seal(recordNonce13(iv, 6), new Uint8Array(20), h);
  // open() takes the header as received and writes the clear sequence bits itself, so the clear header works too.
  assert.deepEqual(recv.open(h, 6, body), { ok: false, reason: 'no_content_type' });
  assert.throws(
    () => decodeInnerPlaintext(new Uint8Array(5)),
    (e: unknown) => e instanceof DtlsError && e.code === 'unexpected_message' && e.alert === 10,
  );
  assert.deepEqual(decodeInnerPlaintext(Uint8Array.of(7, 0, 23, 0, 0)), { contentType: 23, content: Uint8Array.of(7, 0) });
  assert.throws(() => encodeInnerPlaintext(0, Uint8Array.of(1)), RangeError, 'type 0 cannot end an inner plaintext');
  assert.throws(() => encodeInnerPlaintext(23, new Uint8Array(2 ** 14), 1), RangeError, 'over 2^14 + 1');

  const c8 = pair(SUITES[4]);
  assert.equal(c8.send.minimumPadding(0), 7);
  assert.equal(c8.send.sealedLength(0), 16);
  const short = c8.send.seal(header(0, 1, { bits: 8 }), 1, 23, new Uint8Array(0));
  assert.equal(short.length, 2 + 16, 'padded to a 16-byte encrypted_record');
  assert.equal(c8.recv.unmaskSequence(short.subarray(0, 2), short.subarray(2)), 1);
  assert.deepEqual(c8.recv.open(short.subarray(0, 2), 1, short.subarray(2)), { ok: true, contentType: 23, content: new Uint8Array(0) });
  assert.equal(c8.recv.unmaskSequence(short.subarray(0, 2), short.subarray(2, 17)), undefined, '15 bytes cannot be sampled');
  assert.deepEqual(c8.recv.open(short.subarray(0, 2), 1, short.subarray(2, 17)), { ok: false, reason: 'short_record' });
  assert.equal(c8.recv.failedOpens, 0, 'a short record never reaches the AEAD');
  assert.equal(pair(SUITES[0]).send.minimumPadding(0), 0, '16-byte tags need no padding');
});

test('seal refuses caller mistakes with RangeError: header sequence bits or length that do not match, not a unified header, bad sequence numbers', () => {
  const { send } = pair(SUITES[0]);
  assert.throws(() => send.seal(header(0, 4, {}), 5, 23, Uint8Array.of(1)), RangeError);
  assert.throws(() => send.seal(header(0, 5, { length: 3 }), 5, 23, Uint8Array.of(1)), RangeError);
  assert.throws(() => send.seal(Uint8Array.of(0x17, 0, 5), 5, 23, Uint8Array.of(1)), RangeError);
  assert.throws(() => send.seal(header(0, 0, {}), -1, 23, Uint8Array.of(1)), RangeError);
  assert.throws(() => send.seal(header(0, 0, {}), 0, 0, Uint8Array.of(1)), RangeError);
  assert.throws(() => new RecordProtection13(p, SUITES[0], new Uint8Array(15), new Uint8Array(12), () => new Uint8Array(16)), RangeError);
  assert.equal(send.sealed, 0, 'nothing counted for refused records');
  // Received garbage is a drop, never an exception.
  assert.deepEqual(send.open(Uint8Array.of(0x17), 0, new Uint8Array(32)), { ok: false, reason: 'bad_header' });
  assert.deepEqual(send.open(header(0, 0, {}), 0, new Uint8Array(2 ** 14 + 257)), { ok: false, reason: 'record_overflow' });
});

test('AEAD limits (RFC 9147 4.5.3): per-suite numbers, KeyUpdate due at three quarters, sealing stops at the limit, and a key past its forgery limit is not tried again', () => {
  assert.equal(AEAD_LIMITS_13['aes-128-gcm'].seal, 23_726_566);
  assert.equal(AEAD_LIMITS_13['aes-128-gcm'].failedOpens, 2 ** 36);
  assert.equal(AEAD_LIMITS_13['chacha20-poly1305'].failedOpens, 2 ** 36);
  assert.equal(AEAD_LIMITS_13['aes-128-ccm'].seal, 2 ** 23);
  assert.equal(AEAD_LIMITS_13['aes-128-ccm'].failedOpens, 11_863_283);
  assert.equal(AEAD_LIMITS_13['aes-128-ccm8'].failedOpens, 128);
  for (const s of SUITES) assert.deepEqual(pair(s).send.limits, AEAD_LIMITS_13[s.aead]);

  const { send, recv } = pair(SUITES[0], { limits: { seal: 4, failedOpens: 4 } });
  const recs = [0, 1, 2, 3].map((seq) => send.seal(header(0, seq, {}), seq, 23, Uint8Array.of(seq)));
  assert.equal(send.sealed, 4);
  assert.equal(send.keyUpdateDue, true);
  assert.throws(() => send.seal(header(0, 4, {}), 4, 23, Uint8Array.of(4)), RangeError, 'the fifth record is refused');
  // Forgeries: three failures make KeyUpdate due, the fourth exhausts the key.
  const forged = recs[0]!.slice();
  forged[forged.length - 1]! ^= 1;
  for (let i = 0; i < 3; i++) assert.deepEqual(recv.open(forged.subarray(0, 3), 0, forged.subarray(3)), { ok: false, reason: 'bad_record_mac' });
  assert.equal(recv.keyUpdateDue, true);
  assert.equal(recv.integrityExhausted, false);
  assert.equal(recv.open(recs[1]!.subarray(0, 3), 1, recs[1]!.subarray(3)).ok, true, 'genuine records still open');
  recv.open(forged.subarray(0, 3), 0, forged.subarray(3));
  assert.equal(recv.integrityExhausted, true);
  assert.deepEqual(recv.open(recs[2]!.subarray(0, 3), 2, recs[2]!.subarray(3)), { ok: false, reason: 'key_exhausted' });
  assert.equal(recv.failedOpens, 4);
});
