// Handshake fragments that cannot be put together (RFC 6347 4.2.3), as BoGo
// sends them (FragmentMessageTypeMismatch-DTLS, FragmentMessageLengthMismatch-DTLS,
// SplitFragments-*-DTLS). Under the keys they are the peer's own error and
// fail the handshake (they were dropped, and it stalled); at epoch 0, where
// anyone can inject them, they stay counted drops (RFC 6347 4.1.2.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import type { HandshakeAction, HandshakeMachine } from '../../src/handshake/machine.ts';
import type { PlainRecord } from '../../src/record/record-layer.ts';
import { Connection } from '../../src/connection.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, HandshakeType, ProtocolVersion, type HandshakeFragment, type HandshakeMessage } from '../../src/wire/types.ts';
import { certs } from './helpers.ts';

type Flight = Extract<HandshakeAction, { kind: 'flight' }>;

function flightOf(actions: HandshakeAction[]): Flight {
  const f = actions.find((a): a is Flight => a.kind === 'flight');
  assert.ok(f, `a flight in ${actions.map((a) => a.kind).join(', ')}`);
  return f;
}

function plain(epoch: number, sequenceNumber: number, contentType: number, payload: Uint8Array): PlainRecord {
  return { contentType, epoch, sequenceNumber, payload };
}

/** Hands a flight's records to a machine as the record layer would, unprotected; returns what it asked for. */
function deliver(m: HandshakeMachine, f: Flight, readEpoch: number, only?: (it: Flight['items'][number]) => boolean): HandshakeAction[] {
  const out: HandshakeAction[] = [];
  f.items.forEach((it, i) => {
    if (only && !only(it)) return;
    const rec =
      it.kind === 'ccs'
        ? plain(it.epoch, i, ContentType.change_cipher_spec, Uint8Array.of(1))
        : plain(it.epoch, i, ContentType.handshake, encodeHandshakeMessage(it.message));
    out.push(...m.handleRecord(1, rec, readEpoch));
  });
  return out;
}

/** A client machine that read the server's ChangeCipherSpec and waits for its Finished (epoch 1), and that Finished. */
function clientAwaitingFinished(): { client: HandshakeMachine; finished: HandshakeMessage } {
  const c = certs();
  const client = createHandshake(resolveOptions({ role: 'client', verify: { fingerprints: [c.server.fingerprint] } }));
  const server = createHandshake(resolveOptions({ role: 'server', certificate: c.server }));
  const f1 = flightOf(client.start(0));
  const f4 = flightOf(deliver(server, f1, 0));
  const f5 = flightOf(deliver(client, f4, 0));
  // The server reads the ChangeCipherSpec at epoch 0, then the Finished under epoch 1.
  const f6 = flightOf(deliver(server, f5, 0, (it) => it.epoch === 0).concat(deliver(server, f5, 1, (it) => it.epoch === 1)));
  const keys = deliver(client, f6, 0, (it) => it.kind === 'ccs');
  assert.ok(
    keys.some((a) => a.kind === 'read-keys'),
    'the client opened epoch 1',
  );
  const fin = f6.items.find((it) => it.kind === 'handshake' && it.epoch === 1);
  assert.ok(fin && fin.kind === 'handshake' && fin.message.msgType === HandshakeType.finished);
  return { client, finished: fin.message };
}

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
  const client = new Connection(resolveOptions({ role: 'client', verify: { fingerprints: [certs().server.fingerprint] } }));
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
