// A record whose plaintext is over 2^14 bytes (BoGo LargePlaintext-DTLS): under
// the keys it authenticated, so it is the peer's own and fails the connection
// with record_overflow (RFC 5246 6.2.1, 7.2.2; RFC 8446 5.4); it was silently
// dropped and the peer waited. At epoch 0 anyone could send it: a counted drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suiteById } from '../../src/crypto/suites.ts';
import { DtlsError } from '../../src/errors.ts';
import { ContentType } from '../../src/wire/types.ts';
import type { DropReason } from '../../src/connection-types.ts';

function layers() {
  const keys = { suite: suiteById(0xc02b)!, key: new Uint8Array(16).fill(3), iv: new Uint8Array(4).fill(5) };
  const drops: DropReason[] = [];
  const sender = new RecordLayer(nobleProvider, () => {});
  const receiver = new RecordLayer(nobleProvider, (r) => drops.push(r));
  sender.installWrite(1, keys);
  receiver.installRead(1, keys);
  return { sender, receiver, drops };
}

test('an authenticated record of 2^14 + 1 plaintext bytes fails with record_overflow; 2^14 is fine', () => {
  const { sender, receiver } = layers();
  const ok = receiver.open(sender.seal(ContentType.application_data, new Uint8Array(2 ** 14), 1));
  assert.equal(ok.length, 1);
  assert.equal(ok[0]!.payload.length, 2 ** 14);
  const big = sender.seal(ContentType.application_data, new Uint8Array(2 ** 14 + 1), 1);
  assert.throws(
    () => receiver.open(big),
    (e: unknown) => e instanceof DtlsError && e.code === 'record_overflow',
  );
});

test('an epoch-0 record of 2^14 + 1 bytes is a counted drop', () => {
  const { sender, receiver, drops } = layers();
  assert.deepEqual(receiver.open(sender.seal(ContentType.handshake, new Uint8Array(2 ** 14 + 1), 0)), []);
  assert.deepEqual(drops, ['malformed']);
});
