// DTLS 1.3: a record whose inner plaintext is over 2^14 + 1 bytes (BoGo
// LargePlaintext-DTLS once 1.3 is negotiated) authenticated, so it is the
// peer's own and fails the connection with record_overflow (RFC 8446 5.4);
// it was a silent drop and the peer waited for an echo. A record too long
// to open (over 2^14 + 256) is not authenticated: a counted drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { DtlsError } from '../../src/errors.ts';
import { ContentType } from '../../src/wire/types.ts';
import { recordNonce13 } from '../../src/record/protection13.ts';
import type { DropReason } from '../../src/connection-types.ts';

const suite = suite13ById(0x1301)!;
const keys = { suite, key: new Uint8Array(16).fill(3), iv: new Uint8Array(12).fill(5), sn: new Uint8Array(16).fill(7) };

/**
 * An epoch-3 record sealed by hand around `inner` (DTLSInnerPlaintext), as a peer
 * that ignores the limit would: our own sealing refuses to write one.
 */
function sealInner(inner: Uint8Array, seq: number): Uint8Array {
  const aead = nobleProvider.aead(suite.aead, keys.key);
  const length = inner.length + aead.tagLength;
  // 001 C=0 S=1 L=1, epoch 3 (RFC 9147 4): written here, the encoder refuses lengths over the limit.
  const header = Uint8Array.of(0x2c | 3, seq >> 8, seq & 0xff, length >> 8, length & 0xff);
  const encrypted = aead.seal(recordNonce13(keys.iv, seq), inner, header);
  const out = new Uint8Array(header.length + encrypted.length);
  out.set(header);
  out.set(encrypted, header.length);
  const mask = nobleProvider.recordNumberMask(suite.aead, keys.sn, encrypted.subarray(0, 16));
  out[header.length - 4]! ^= mask[0]!;
  out[header.length - 3]! ^= mask[1]!;
  return out;
}

/** `n` bytes of application data and its content type. */
const innerOf = (n: number) => {
  const inner = new Uint8Array(n + 1);
  inner[n] = ContentType.application_data;
  return inner;
};

function layers() {
  const drops: DropReason[] = [];
  const sender = new RecordLayer(nobleProvider, () => {});
  const receiver = new RecordLayer(nobleProvider, (r) => drops.push(r));
  sender.protocol = '1.3';
  receiver.protocol = '1.3';
  sender.installWrite(3, keys);
  receiver.installRead(3, keys);
  return { sender, receiver, drops };
}

test('DTLS 1.3: an authenticated record of 2^14 + 1 plaintext bytes fails with record_overflow; 2^14 is fine', () => {
  const { sender, receiver, drops } = layers();
  const ok = receiver.open(sender.seal(ContentType.application_data, new Uint8Array(2 ** 14)));
  assert.equal(ok[0]?.payload.length, 2 ** 14);
  assert.equal(receiver.open(sealInner(innerOf(2 ** 14), 1))[0]?.payload.length, 2 ** 14, 'the hand-made record opens at the limit');
  assert.throws(
    () => receiver.open(sealInner(innerOf(2 ** 14 + 1), 2)),
    (e: unknown) => e instanceof DtlsError && e.code === 'record_overflow',
  );
  assert.deepEqual(drops, []);
});

test('DTLS 1.3: a record over 2^14 + 256 bytes, not opened, is a counted drop', () => {
  const { receiver, drops } = layers();
  assert.deepEqual(receiver.open(sealInner(innerOf(2 ** 14 + 300), 0)), []);
  assert.deepEqual(drops, ['malformed']);
});
