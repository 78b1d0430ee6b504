// The DTLS 1.3 record path seals each record into one buffer, opens with a
// module-wide AAD scratch per header length, and the native provider keeps one
// AES-ECB cipher object per sn_key for the record number mask. Records of many
// connections with headers of every shape, interleaved, must be byte for byte
// what RFC 9147 4 and 4.2.3 build by hand, open only under their own keys, and
// leave the received bytes as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { RecordProtection13 } from '../../src/record/protection13.ts';
import { encodeInnerPlaintext } from '../../src/wire/inner-plaintext.ts';
import { encodeUnifiedHeader, unifiedSequenceOffset, type UnifiedHeader } from '../../src/wire/unified-header.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const SUITE = { aead: 'aes-128-gcm', keyLength: 16 } as const;

/** RFC 9147 4 and 4.2.3 by hand on node:crypto: header || AES-GCM(inner), sequence bytes masked with AES-ECB(sn_key, sample). */
function byHand(key: Uint8Array, iv: Uint8Array, sn: Uint8Array, h: UnifiedHeader, seq: number, type: number, content: Uint8Array): Uint8Array {
  const inner = encodeInnerPlaintext(type, content);
  const header = encodeUnifiedHeader(h, inner.length + 16);
  const nonce = Uint8Array.from(iv);
  for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Math.floor(seq / 2 ** (8 * i)) & 0xff;
  const c = nc.createCipheriv('aes-128-gcm', key, nonce);
  c.setAAD(header);
  const enc = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
  const mask = nc.createCipheriv('aes-128-ecb', sn, null).setAutoPadding(false).update(enc.subarray(0, 16));
  const out = Buffer.concat([header, enc]);
  const at = unifiedSequenceOffset(h);
  for (let i = 0; i < (h.sequenceBits === 8 ? 1 : 2); i++) out[at + i]! ^= mask[i]!;
  return new Uint8Array(out);
}

for (const crypto of [nobleProvider, createNativeProvider(nc)]) {
  test(`${crypto.name}: interleaved 1.3 connections with every header shape seal as by hand and open only their own`, () => {
    const shapes: Omit<UnifiedHeader, 'sequenceNumber'>[] = [
      { epoch: 3 },
      { epoch: 3, sequenceBits: 8 },
      { epoch: 2, omitLength: true },
      { epoch: 3, cid: Uint8Array.of(1, 2, 3, 4) },
      { epoch: 3, sequenceBits: 8, omitLength: true, cid: new Uint8Array(9).fill(9) },
    ];
    const conns = shapes.map((shape) => {
      const key = new Uint8Array(nc.randomBytes(16));
      const iv = new Uint8Array(nc.randomBytes(12));
      const sn = new Uint8Array(nc.randomBytes(16));
      const mask = (s: Uint8Array) => crypto.recordNumberMask('aes-128-gcm', sn, s);
      return { shape, key, iv, sn, send: new RecordProtection13(crypto, SUITE, key, iv, mask), recv: new RecordProtection13(crypto, SUITE, key, iv, mask) };
    });
    const sealed: { from: number; seq: number; header: Uint8Array; body: Uint8Array; content: Uint8Array }[] = [];
    for (const seq of [0, 1, 255, 256, 70000])
      for (const [i, c] of conns.entries()) {
        const content = new Uint8Array(nc.randomBytes(1 + 37 * i + (seq % 7)));
        const h = { ...c.shape, sequenceNumber: seq };
        const record = c.send.seal(encodeUnifiedHeader(h, c.send.sealedLength(content.length)), seq, 23, content);
        assert.equal(hex(record), hex(byHand(c.key, c.iv, c.sn, h, seq, 23, content)), `record ${seq} of connection ${i}`);
        const headerLength = encodeUnifiedHeader(h, 0).length;
        sealed.push({ from: i, seq, header: record.subarray(0, headerLength), body: record.subarray(headerLength), content });
      }
    for (const s of sealed.reverse())
      for (const [j, c] of conns.entries()) {
        if (c.shape.cid?.length !== conns[s.from]!.shape.cid?.length || c.shape.sequenceBits !== conns[s.from]!.shape.sequenceBits) continue;
        const before = hex(s.header) + hex(s.body);
        const bits = c.shape.sequenceBits === 8 ? 0x100 : 0x10000;
        const low = c.recv.unmaskSequence(s.header, s.body);
        const got = c.recv.open(s.header, s.seq, s.body);
        assert.equal(hex(s.header) + hex(s.body), before, 'the received bytes are left as they were');
        if (j === s.from) {
          assert.equal(low, s.seq % bits);
          assert.ok(got.ok, `record ${s.seq} of connection ${s.from}`);
          assert.equal(hex(got.content), hex(s.content));
        } else assert.deepEqual(got, { ok: false, reason: 'bad_record_mac' }, `record ${s.seq} of connection ${s.from} opened by ${j}`);
      }
  });

  test(`${crypto.name}: the record number mask of one sn_key, asked again and again between other keys, is one ECB block each time`, () => {
    const keys = [16, 32, 16].map((n) => new Uint8Array(nc.randomBytes(n)));
    for (let round = 0; round < 20; round++)
      for (const key of keys) {
        const sample = new Uint8Array(nc.randomBytes(16 + round));
        const want = nc
          .createCipheriv(key.length === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null)
          .setAutoPadding(false)
          .update(sample.subarray(0, 16));
        const got = crypto.recordNumberMask(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, sample);
        assert.equal(hex(got.subarray(0, 16)), hex(want), `round ${round}`);
      }
  });
}
