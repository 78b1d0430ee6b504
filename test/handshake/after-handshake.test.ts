// Handshake messages after a DTLS 1.2 handshake completed (BoGo
// DTLS12-SendExtraFinished, -Reordered, -Packed): DTLS 1.2 has none but a
// refused renegotiation, so one under the keys is the peer's error,
// unexpected_message (RFC 5246 7.2.2), where it was silently dropped. At epoch
// 0, where anyone can inject one, it stays a counted drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HandshakeAction } from '../../src/handshake/machine.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { concat } from '../../src/wire/codec.ts';
import { clientAwaitingFinished, plain } from './machine-pair.ts';

const failure = (as: HandshakeAction[]) => as.find((a): a is Extract<HandshakeAction, { kind: 'fail' }> => a.kind === 'fail');
const completed = (as: HandshakeAction[]) => as.some((a) => a.kind === 'complete');

test('a second Finished after the handshake completed fails with unexpected_message (under the keys)', () => {
  const { client, finished } = clientAwaitingFinished();
  const extra = encodeHandshakeMessage({ ...finished, messageSeq: finished.messageSeq + 1 });
  assert.ok(completed(client.handleRecord(2, plain(1, 10, ContentType.handshake, encodeHandshakeMessage(finished)), 1)));
  const acts = client.handleRecord(2, plain(1, 11, ContentType.handshake, extra), 1);
  assert.equal(failure(acts)?.error.code, 'unexpected_message');
});

test('an extra Finished packed after the Finished, or sent before it, fails with unexpected_message once the handshake completes', () => {
  {
    const { client, finished } = clientAwaitingFinished();
    const both = concat(encodeHandshakeMessage(finished), encodeHandshakeMessage({ ...finished, messageSeq: finished.messageSeq + 1 }));
    const acts = client.handleRecord(2, plain(1, 10, ContentType.handshake, both), 1);
    assert.ok(completed(acts), 'packed: the Finished verifies');
    assert.equal(failure(acts)?.error.code, 'unexpected_message', 'packed');
  }
  {
    const { client, finished } = clientAwaitingFinished();
    const first = client.handleRecord(2, plain(1, 10, ContentType.handshake, encodeHandshakeMessage({ ...finished, messageSeq: finished.messageSeq + 1 })), 1);
    assert.equal(failure(first), undefined, 'reordered: the extra one waits for its turn');
    const acts = client.handleRecord(2, plain(1, 11, ContentType.handshake, encodeHandshakeMessage(finished)), 1);
    assert.ok(completed(acts), 'reordered: the Finished verifies');
    assert.equal(failure(acts)?.error.code, 'unexpected_message', 'reordered');
  }
});

test('a refused renegotiation and epoch-0 handshake messages after the handshake do not end the connection', () => {
  const { client, finished } = clientAwaitingFinished();
  assert.ok(completed(client.handleRecord(2, plain(1, 10, ContentType.handshake, encodeHandshakeMessage(finished)), 1)));
  const hello = encodeHandshakeMessage({ msgType: HandshakeType.hello_request, messageSeq: 0, body: new Uint8Array(0) });
  const reneg = client.handleRecord(3, plain(1, 11, ContentType.handshake, hello), 1);
  assert.deepEqual(
    reneg.map((a) => a.kind),
    ['alert'],
    'no_renegotiation, a warning',
  );
  const stray = encodeHandshakeMessage({ ...finished, messageSeq: finished.messageSeq + 1 });
  assert.deepEqual(
    client.handleRecord(3, plain(0, 50, ContentType.handshake, stray), 1).map((a) => a.kind),
    ['drop'],
  );
});
