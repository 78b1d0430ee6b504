// The DTLS 1.3 client with the 1.3 server over the simulated network: the
// server's ACK of the client Finished ends the client's last flight (RFC 9147
// 7), every flight lost in turn still completes, and seeded loss at 30% with
// the defaults completes every handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, runPair, bothIn, SimPair } from '../../src/testing/index.ts';

const v13 = { versions: ['1.3' as const] };

test('the server ACKs the client Finished: the client stops holding its last flight, nothing is resent', () => {
  const { client, server } = createPair(v13, v13, { seed: 1 });
  const r = runPair(client, server, { seed: 1, link: { delay: 20 } });
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
  const acksIn = r.a.events.filter((e) => e.type === 'trace' && e.direction === 'in' && e.what === 'ACK');
  assert.equal(acksIn.length, 1, 'one ACK for the client Finished');
  assert.equal(client.stats.retransmits, 0);
  assert.equal(client.pollTimeout(), undefined, 'no timer left on the client');
});

for (const [name, drop] of [
  ['the ClientHello', (d: Uint8Array, from: 'a' | 'b', n: number) => from === 'a' && n === 0],
  ['the server flight', (d: Uint8Array, from: 'a' | 'b', n: number) => from === 'b' && n === 0],
  ['the client Finished', (d: Uint8Array, from: 'a' | 'b', n: number) => from === 'a' && n === 1],
  ['the server ACK', (d: Uint8Array, from: 'a' | 'b', n: number) => from === 'b' && n === 1],
] as const) {
  test(`${name} lost once: the handshake completes and both sides go quiet`, () => {
    const { client, server } = createPair(v13, v13, { seed: 2 });
    const pair = new SimPair(client, server, { seed: 2, link: { delay: 10 } });
    const counts = { a: 0, b: 0 };
    // Drop by datagram index per direction, through the links' send.
    for (const [from, link] of [['a', pair.aToB] as const, ['b', pair.bToA] as const]) {
      const send = link.send.bind(link);
      link.send = (now: number, d: Uint8Array) => {
        if (drop(d, from, counts[from]++)) return;
        send(now, d);
      };
    }
    const r = pair.run({ until: bothIn('connected'), maxDuration: 30000 });
    assert.equal(r.reason, 'until', `${client.state}/${server.state}`);
    pair.run({ maxDuration: 120000 });
    assert.equal(client.pollTimeout(), undefined, 'the client has nothing left to resend');
    assert.equal(client.state, 'connected');
    assert.equal(server.state, 'connected');
  });
}

test('30% loss both ways, 60 seeds: every 1.3 handshake completes with the defaults', () => {
  let ok = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const { client, server } = createPair(v13, v13, { seed });
    runPair(client, server, { seed, link: { loss: 0.3, delay: 15 }, until: bothIn('connected'), maxDuration: 30000 });
    if (client.state === 'connected' && server.state === 'connected') ok++;
  }
  assert.equal(ok, 60);
});
