// KeyUpdate rules beyond the single exchange (RFC 8446 4.6.3, RFC 9147 8 and
// 4.5.3): a second KeyUpdate while one waits for its ACK, crossing requests,
// the API's misuse errors, and the KeyUpdates the AEAD limits start by
// themselves (limits shrunk through the connection's internals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELAY, connected, keyUpdates, numbers, range, sendNumbered, settle } from './keyupdate-pair.ts';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { DtlsError } from '../../src/errors.ts';
import { KeyUpdate13, MAX_READ_EPOCH13, MAX_WRITE_EPOCH13 } from '../../src/handshake/key-update13.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { decodeKeyUpdate } from '../../src/wire/messages13/key-update.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';

test('updateKeys() while a KeyUpdate waits for its ACK is covered by it: no second KeyUpdate before the ACK (RFC 9147 8)', () => {
  const { client, p } = connected(21);
  client.updateKeys(p.now);
  client.updateKeys(p.now);
  client.updateKeys(p.now);
  settle(p);
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3], 'one KeyUpdate');
  sendNumbered(p, client, 0, 3);
  settle(p);
  assert.deepEqual(numbers(p.log.b), range(0, 3));
});

test('a request for the peer update made while our KeyUpdate waits goes in a KeyUpdate once the first is in use', () => {
  const { client, p } = connected(28);
  const t0 = p.now;
  client.updateKeys(p.now);
  client.updateKeys(p.now, { requestPeerUpdate: true });
  settle(p);
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3, 4], 'two KeyUpdates, in epochs 3 and 4');
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [3], 'the second asked for the server update');
  const sent = p.log.a.timeline.filter((e) => e.event.type === 'trace' && e.event.what === 'KeyUpdate' && e.event.direction === 'out');
  assert.deepEqual(
    sent.map((e) => e.time),
    // The server ACKs a KeyUpdate after a quarter of its 100 ms timer (RFC 9147 7.1).
    [t0, t0 + 2 * DELAY + 25],
    'the second only when the ACK of the first came back',
  );
  sendNumbered(p, client, 0, 3);
  settle(p);
  assert.deepEqual(numbers(p.log.b), range(0, 3));
});

test('crossing KeyUpdates with update_requested: each side own KeyUpdate, waiting for its ACK, is its answer (one generation each)', () => {
  const { client, server, p } = connected(22);
  client.updateKeys(p.now, { requestPeerUpdate: true });
  server.updateKeys(p.now, { requestPeerUpdate: true });
  p.flush();
  settle(p);
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3]);
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [3]);
  sendNumbered(p, client, 0, 2);
  sendNumbered(p, server, 7, 2);
  settle(p);
  assert.deepEqual(numbers(p.log.b), [0, 1]);
  assert.deepEqual(numbers(p.log.a), [7, 8]);
});

test('KeyUpdate13: update_requested is not repeated before the peer updates; a request while ours waits is answered by it', () => {
  const suite = suite13ById(0x1301)!;
  let seq = 10;
  const ku = new KeyUpdate13(
    { crypto: nobleProvider, suite, ours: new Uint8Array(32).fill(1), peers: new Uint8Array(32).fill(2), exporter: new Uint8Array(32) },
    { takeMessageSeq: () => seq++ },
  );
  const requestOf = (a: HandshakeAction[]) => {
    const m = a.find((x) => x.kind === 'post-handshake');
    return m && m.kind === 'post-handshake' && m.item.kind === 'handshake' ? decodeKeyUpdate(m.item.message.body).updateRequested : undefined;
  };
  assert.equal(requestOf(ku.start(true)), true);
  assert.ok(ku.pending && ku.askedPeer);
  assert.deepEqual(ku.start(true), [], 'covered by the one waiting, which made the request');
  assert.deepEqual(ku.switched(), []);
  assert.equal(requestOf(ku.start(true)), false, 'the request is still outstanding: not made twice');
  // The peer's KeyUpdates (with requests) while ours waits: read keys now, ours is the answer.
  for (let i = 0; i < 3; i++) {
    const got = ku.receive({ msgType: 24, messageSeq: 5 + i, body: Uint8Array.of(1) });
    assert.deepEqual(
      got.map((a) => a.kind),
      ['read-keys'],
    );
  }
  assert.equal(ku.readEpoch, 6);
  assert.ok(!ku.askedPeer, 'the peer updated');
  assert.deepEqual(ku.switched(), [], 'nothing more to send');
  // Once ours is in use, a request is answered by a new KeyUpdate, in the epoch after.
  const answer = ku.receive({ msgType: 24, messageSeq: 8, body: Uint8Array.of(1) });
  assert.equal(requestOf(answer), false);
  const a = answer[1]!;
  assert.ok(a.kind === 'post-handshake' && a.item.epoch === 5 && a.nextEpoch === 6 && a.item.kind === 'handshake' && a.item.message.messageSeq === 12);
  assert.throws(
    () => ku.receive({ msgType: 24, messageSeq: 6, body: Uint8Array.of(7) }),
    (e: unknown) => e instanceof DtlsError && e.code === 'illegal_parameter',
  );
});

test('updateKeys() misuse: a TypeError before the handshake and under DTLS 1.2, the closed error after close', () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'] }, { seed: 23 });
  assert.throws(() => client.updateKeys(0), TypeError);
  client.start(0);
  server.start(0);
  assert.throws(() => client.updateKeys(0), /handshake has not completed/);
  shuttle(client, server);
  client.updateKeys(0);
  client.close(0);
  assert.throws(
    () => client.updateKeys(0),
    (e: unknown) => e instanceof DtlsError && e.code === 'closed',
  );
  const v12 = createPair({ versions: ['1.2'] }, { versions: ['1.2'] }, { seed: 24 });
  v12.client.start(0);
  v12.server.start(0);
  shuttle(v12.client, v12.server);
  assert.equal(v12.client.state, 'connected');
  assert.throws(() => v12.client.updateKeys(0), /DTLS 1.3 only/);
  assert.throws(() => v12.server.updateKeys(0, { requestPeerUpdate: true }), TypeError);
  assert.equal(v12.server.state, 'connected');
});

test('automatic: at 3/4 of a (shrunken) confidentiality limit the sender updates its keys by itself; data never stops', () => {
  const { client, server, p } = connected(25, { internals: { aeadLimits: { seal: 40 } } });
  for (let i = 0; i < 200; i += 10) {
    sendNumbered(p, client, i, 10);
    sendNumbered(p, server, 1000 + i, 10);
    settle(p);
  }
  assert.deepEqual(numbers(p.log.b), range(0, 200));
  assert.deepEqual(numbers(p.log.a), range(1000, 200));
  // About one KeyUpdate per 30 records each way, every one in the next epoch.
  const toServer = keyUpdates(p.log.b, 'in');
  const toClient = keyUpdates(p.log.a, 'in');
  assert.ok(toServer.length >= 5 && toClient.length >= 5, `${toServer.length} and ${toClient.length} KeyUpdates`);
  assert.deepEqual(toServer, range(3, toServer.length));
  assert.deepEqual(toClient, range(3, toClient.length));
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
});

/** A client record under its current key with its tag broken: fails authentication at the server. */
function forged(p: ReturnType<typeof connected>): Uint8Array {
  p.client.send(p.p.now, Uint8Array.of(9, 9));
  const d = p.client.pollTransmit()!.slice();
  d[d.length - 1]! ^= 1;
  return d;
}

test('automatic: at 3/4 of the integrity limit the receiver asks for the peer KeyUpdate (update_requested), which resets the count', () => {
  const sim = connected(26, { internals: { aeadLimits: { failedOpens: 8 } } });
  const { client, server, p } = sim;
  const bad = forged(sim);
  for (let i = 0; i < 6; i++) server.handleDatagram(p.now, bad);
  p.flush();
  settle(p);
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [3], "the server's KeyUpdate");
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3], 'the client answered its request');
  // The count starts over under the client's new key: 6 more are not the end either.
  const bad2 = forged(sim);
  for (let i = 0; i < 6; i++) server.handleDatagram(p.now, bad2);
  p.flush();
  settle(p);
  assert.equal(server.state, 'connected');
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3, 4]);
  sendNumbered(p, client, 0, 2);
  settle(p);
  assert.deepEqual(numbers(p.log.b), [0, 1]);
  assert.equal(server.stats.dropped.auth_failed, 12);
});

test('automatic: the integrity limit reached before the peer updated closes the connection with bad_record_mac (RFC 9147 4.5.3)', () => {
  const sim = connected(27, { internals: { aeadLimits: { failedOpens: 8 } } });
  const { server, p } = sim;
  const bad = forged(sim);
  for (let i = 0; i < 7; i++) server.handleDatagram(p.now, bad);
  assert.equal(server.state, 'connected');
  server.handleDatagram(p.now, bad);
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'bad_record_mac');
  assert.match(server.error!.message, /integrity limit/);
  p.flush();
  settle(p);
  assert.equal(sim.client.state, 'failed', 'the client got the alert');
  assert.equal(sim.client.error?.code, 'peer_alert');
});

test('KeyUpdate13: the peer may update to read epoch 2^16 - 1, and a KeyUpdate past it is unexpected_message (RFC 9147 8; BoGo KeyUpdate-ReadEpochOverflow-DTLS)', () => {
  const suite = suite13ById(0x1301)!;
  let seq = 10;
  const ku = new KeyUpdate13(
    { crypto: nobleProvider, suite, ours: new Uint8Array(32).fill(1), peers: new Uint8Array(32).fill(2), exporter: new Uint8Array(32) },
    { takeMessageSeq: () => seq++ },
  );
  const update = (i: number) => ku.receive({ msgType: 24, messageSeq: 2 + i, body: Uint8Array.of(0) });
  let i = 0;
  while (ku.readEpoch < MAX_READ_EPOCH13) update(i++);
  assert.equal(i, MAX_READ_EPOCH13 - 3, 'from the first application epoch, 3');
  assert.throws(
    () => update(i),
    (e: unknown) => e instanceof DtlsError && e.code === 'unexpected_message',
  );
  assert.equal(ku.readEpoch, MAX_READ_EPOCH13);
});

test('KeyUpdate13: our own epoch stops at 2^16 - 1 too: one more KeyUpdate fails with internal_error, a request for one is ignored (RFC 9147 8; BoGo KeyUpdate-WriteEpochOverflow-DTLS)', () => {
  const suite = suite13ById(0x1301)!;
  let seq = 10;
  const ku = new KeyUpdate13(
    { crypto: nobleProvider, suite, ours: new Uint8Array(32).fill(1), peers: new Uint8Array(32).fill(2), exporter: new Uint8Array(32) },
    { takeMessageSeq: () => seq++ & 0xffff },
  );
  let updates = 0;
  while (ku.sendEpoch < MAX_WRITE_EPOCH13) {
    assert.equal(ku.start(false).length, 1);
    ku.switched();
    updates++;
  }
  assert.equal(updates, MAX_WRITE_EPOCH13 - 3, 'from the first application epoch, 3');
  assert.throws(
    () => ku.start(false),
    (e: unknown) => e instanceof DtlsError && e.code === 'internal_error' && /too many KeyUpdates/.test(e.message),
  );
  // The peer asks for an update we cannot make: its own update is taken, the request ignored (RFC 9147 8: SHOULD).
  assert.deepEqual(
    ku.receive({ msgType: 24, messageSeq: 2, body: Uint8Array.of(1) }).filter((a) => a.kind === 'post-handshake'),
    [],
  );
  assert.equal(ku.readEpoch, 4);
  assert.equal(ku.sendEpoch, MAX_WRITE_EPOCH13);
});
