// Handshake fragments that cannot be put together (RFC 6347 4.2.3), as BoGo
// sends them (FragmentMessageTypeMismatch-DTLS, FragmentMessageLengthMismatch-DTLS,
// SplitFragments-*-DTLS). Under the keys they are the peer's own error and
// fail the handshake (they were dropped, and it stalled); at epoch 0, where
// anyone can inject them, they stay counted drops (RFC 6347 4.1.2.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { Connection } from '../../src/connection.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeFragment, type HandshakeMessage } from '../../src/wire/types.ts';
import { certs } from './helpers.ts';
import { clientAwaitingFinished, plain } from './machine-pair.ts';

function fragment(m: HandshakeMessage, offset: number, n: number, change: Partial<HandshakeFragment> = {}): Uint8Array {
  return encodeHandshakeFragment({
    msgType: m.msgType,
    length: m.body.length,
    messageSeq: m.messageSeq,
    fragmentOffset: offset,
    body: m.body.subarray(offset, offset + n),
    ...change,
  });
}

test('under the keys, fragments of one message that disagree on its type or length fail the handshake with illegal_parameter, not a stall', () => {
  for (const [name, change] of [
    ['type', { msgType: HandshakeType.finished + 1 }],
    ['length', { length: 13 }],
  ] as const) {
    const { client, finished } = clientAwaitingFinished();
    const first = client.handleRecord(2, plain(1, 10, ContentType.handshake, fragment(finished, 0, 1)), 1);
    assert.ok(!first.some((a) => a.kind === 'fail'), `${name}: the first fragment is buffered`);
    const second = client.handleRecord(2, plain(1, 11, ContentType.handshake, fragment(finished, 1, 1, change)), 1);
    const fail = second.find((a) => a.kind === 'fail');
    assert.ok(fail && fail.kind === 'fail', `${name}: ${second.map((a) => a.kind).join(', ')}`);
    assert.equal(fail.error.code, 'illegal_parameter', name);
    assert.equal(client.done, false);
  }
});

test('under the keys, a record that ends inside a fragment (one split across records) fails with decode_error', () => {
  for (const split of [2, 12, 13]) {
    const { client, finished } = clientAwaitingFinished();
    const whole = fragment(finished, 0, finished.body.length);
    const acts = client.handleRecord(2, plain(1, 10, ContentType.handshake, whole.subarray(0, split)), 1);
    const fail = acts.find((a) => a.kind === 'fail');
    assert.ok(fail && fail.kind === 'fail', `split at ${split}`);
    assert.equal(fail.error.code, 'decode_error', `split at ${split}: ${fail.error.message}`);
  }
});

test('at epoch 0, mismatched fragments stay counted drops: a forger cannot end the handshake with one', () => {
  const client = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs().server.fingerprint] } }));
  client.start(0);
  while (client.pollTransmit()) {
    // only what comes next matters
  }
  const body = encodeServerHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(0),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions: [],
  });
  const hello: HandshakeMessage = { msgType: HandshakeType.server_hello, messageSeq: 0, body };
  const record = (fragmentBytes: Uint8Array, sequenceNumber: number) =>
    encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber, fragment: fragmentBytes });
  client.handleDatagram(1, record(fragment(hello, 0, 1), 1));
  client.handleDatagram(2, record(fragment(hello, 1, 1, { length: body.length + 1 }), 2));
  client.handleDatagram(3, record(fragment(hello, 0, 12).subarray(0, 5), 3));
  assert.equal(client.state, 'handshaking');
  assert.equal(client.stats.dropped.reassembly_limit, 1);
  assert.equal(client.stats.dropped.malformed, 1);
});
