// KeyUpdate in both roles on the simulated network (RFC 8446 4.6.3, RFC 9147
// 8): the real sans-IO core on each side, deterministic from a seed. What the
// peer saw tells the epochs apart: the epoch each KeyUpdate came in (its trace)
// and the epoch bits of the records on the link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELAY, connected, epochBitsOf, keyUpdates, numbers, range, sendNumbered, settle } from './keyupdate-pair.ts';

test('client KeyUpdate, not requested: the server reads epoch 4, the client writes it only after the ACK, the server keeps writing epoch 3', () => {
  const bits: number[] = [];
  const { client, server, p } = connected(1, { aToB: { filter: (d) => (bits.push(epochBitsOf(d) ?? -1), true) } });
  const before = bits.length;
  client.updateKeys(p.now);
  sendNumbered(p, client, 0, 3); // still epoch 3: the ACK has not come
  settle(p);
  sendNumbered(p, client, 3, 3); // epoch 4
  sendNumbered(p, server, 100, 3);
  settle(p);
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3], 'the server got one KeyUpdate, in epoch 3');
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [], 'not requested: the server sent none');
  // The client's records after the handshake: KeyUpdate, 3 data (epoch 3), then 3 data in epoch 4 (bits 0).
  assert.deepEqual(bits.slice(before), [3, 3, 3, 3, 0, 0, 0]);
  assert.deepEqual(numbers(p.log.b), range(0, 6));
  assert.deepEqual(numbers(p.log.a), range(100, 3));
  assert.equal(client.stats.retransmits, 0);
  assert.equal(server.stats.retransmits, 0);
});

test('server KeyUpdate with update_requested: the client answers with its own; both write epoch 4 afterwards', () => {
  const toServer: number[] = [];
  const toClient: number[] = [];
  const { client, server, p } = connected(2, {
    aToB: { filter: (d) => (toServer.push(epochBitsOf(d) ?? -1), true) },
    bToA: { filter: (d) => (toClient.push(epochBitsOf(d) ?? -1), true) },
  });
  server.updateKeys(p.now, { requestPeerUpdate: true });
  settle(p);
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [3], 'the client got the server KeyUpdate in epoch 3');
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3], "and the server the client's answer, in epoch 3");
  const [c, s] = [toServer.length, toClient.length];
  sendNumbered(p, client, 0, 2);
  sendNumbered(p, server, 50, 2);
  settle(p);
  assert.deepEqual(toServer.slice(c), [0, 0], 'client data in epoch 4');
  assert.deepEqual(toClient.slice(s), [0, 0], 'server data in epoch 4');
  assert.deepEqual(numbers(p.log.b), [0, 1]);
  assert.deepEqual(numbers(p.log.a), [50, 51]);
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
});

test('the KeyUpdate lost: resent on its timer, the switch follows the ACK of the copy, data intact', () => {
  let armed = false;
  let dropped = 0;
  const { client, server, p } = connected(3, {
    // The first datagram the server sends after connecting carries its KeyUpdate: dropped once.
    bToA: { filter: (d) => !(armed && epochBitsOf(d) === 3 && dropped++ === 0) },
  });
  armed = true;
  server.updateKeys(p.now);
  const sentAt = p.now;
  settle(p);
  assert.equal(dropped >= 1, true);
  assert.equal(server.stats.retransmits, 1, 'one resend of the KeyUpdate');
  assert.deepEqual(keyUpdates(p.log.a, 'in'), [3], 'the copy arrived once');
  assert.ok(p.now > sentAt + 2 * DELAY);
  sendNumbered(p, server, 0, 5);
  settle(p);
  assert.deepEqual(numbers(p.log.a), range(0, 5));
  assert.equal(client.state, 'connected');
});

test("the KeyUpdate's ACK lost: the sender resends, the peer ACKs the copy without taking it twice, and the sender switches then", () => {
  let armed = false;
  let dropped = 0;
  const { client, server, p } = connected(4, { bToA: { filter: () => !(armed && dropped++ === 0) } });
  armed = true;
  client.updateKeys(p.now);
  settle(p);
  assert.equal(dropped > 1, true, 'the first server datagram after the KeyUpdate (its ACK) was lost');
  assert.equal(client.stats.retransmits, 1);
  assert.deepEqual(keyUpdates(p.log.b, 'in'), [3], 'the copy is not a second KeyUpdate');
  sendNumbered(p, client, 0, 4);
  sendNumbered(p, server, 10, 4);
  settle(p);
  assert.deepEqual(numbers(p.log.b), range(0, 4));
  assert.deepEqual(numbers(p.log.a), range(10, 4));
  assert.equal(server.state, 'connected');
});

test('data both ways across KeyUpdates of both sides on a reordering link: nothing lost, nothing twice', () => {
  const { client, server, p } = connected(5, { link: { reorder: 0.3, reorderDelay: 15, jitter: 5 } });
  let c = 0,
    s = 1000;
  for (let round = 0; round < 6; round++) {
    sendNumbered(p, client, c, 7);
    sendNumbered(p, server, s, 7);
    c += 7;
    s += 7;
    (round % 2 ? server : client).updateKeys(p.now, { requestPeerUpdate: round % 3 === 0 });
    p.flush();
    // Half a round trip: data goes out while the KeyUpdate and its ACK are in flight.
    p.run({ maxDuration: DELAY / 2 });
    sendNumbered(p, client, c, 5);
    sendNumbered(p, server, s, 5);
    c += 5;
    s += 5;
    settle(p);
  }
  assert.deepEqual(
    [...numbers(p.log.b)].sort((x, y) => x - y),
    range(0, c),
  );
  assert.deepEqual(
    [...numbers(p.log.a)].sort((x, y) => x - y),
    range(1000, s - 1000),
  );
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
  assert.ok(keyUpdates(p.log.a, 'in').length >= 3 && keyUpdates(p.log.b, 'in').length >= 3);
});

test('old-epoch data reordered behind the new epoch is still read (two epochs back); older is not', () => {
  const { client, server, p } = connected(6);
  const held: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) {
    // One record in the current epoch (3 + i) held back, then a KeyUpdate and data in the next.
    client.send(p.now, Uint8Array.of(0, i));
    held.push(client.pollTransmit()!);
    client.updateKeys(p.now);
    settle(p);
    sendNumbered(p, client, 100 + i, 1);
    settle(p);
  }
  assert.deepEqual(numbers(p.log.b), [100, 101, 102], 'epochs 4, 5, 6 read');
  // The server reads epoch 6 now and keeps 5 and 4 (RFC 9147 8: older epochs SHOULD be tried); epoch 3 is gone.
  for (const d of held) server.handleDatagram(p.now, d);
  p.flush();
  assert.deepEqual(numbers(p.log.b), [100, 101, 102, 1, 2], 'the held records of epochs 4 and 5 come late and are read; not the one of epoch 3');
  // A replay of them is dropped as such.
  const replays = server.stats.dropped.replay ?? 0;
  for (const d of held.slice(1)) server.handleDatagram(p.now, d);
  p.flush();
  assert.equal(numbers(p.log.b).length, 5);
  assert.equal(server.stats.dropped.replay, replays + 2);
  // The epoch-3 record's 2 bits are those of epoch 7, the next one: held (bounded) for it, and when 7 opens it fails there, counted.
  const failed = server.stats.dropped.auth_failed ?? 0;
  client.updateKeys(p.now);
  settle(p);
  assert.equal(server.stats.dropped.auth_failed, failed + 1);
  assert.equal(numbers(p.log.b).length, 5);
  assert.equal(server.state, 'connected');
});

test('520 KeyUpdates in a row, alternating sides, some requested: epochs past 255 reconstruct from their 2 bits, data flows each time', () => {
  const { client, server, p } = connected(7);
  const sent = { c: 0, s: 0 };
  for (let i = 0; i < 520; i++) {
    (i % 2 ? server : client).updateKeys(p.now, { requestPeerUpdate: i % 5 === 0 });
    settle(p);
    sendNumbered(p, client, sent.c++, 1);
    sendNumbered(p, server, 5000 + sent.s++, 1);
    settle(p);
  }
  const toServer = keyUpdates(p.log.b, 'in');
  const toClient = keyUpdates(p.log.a, 'in');
  // Each KeyUpdate comes in the epoch after the previous one: 3, 4, 5, ... whatever the wire's 2 bits say.
  assert.deepEqual(toServer, range(3, toServer.length));
  assert.deepEqual(toClient, range(3, toClient.length));
  // 260 each, plus the answers to update_requested (every fifth: 52 each way): epochs 3 .. 314 both ways.
  assert.equal(toServer.length, 312);
  assert.equal(toClient.length, 312);
  assert.ok(toServer.at(-1)! > 255 && toClient.at(-1)! > 255);
  assert.deepEqual(numbers(p.log.b), range(0, 520));
  assert.deepEqual(numbers(p.log.a), range(5000, 520));
  assert.equal(client.stats.retransmits + server.stats.retransmits, 0);
});
