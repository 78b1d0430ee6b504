// DTLS 1.3 post-handshake messages (a NewSessionTicket here) follow setMtu()
// and setRetransmitTimeout() too: the message and its resends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair } from '../../src/testing/index.ts';

function pairWithTicket() {
  const sessions: Uint8Array[] = [];
  const { client, server } = createPair(
    { versions: ['1.3'], onSession: (s) => void sessions.push(s) },
    { versions: ['1.3'], mtu: 1400, retransmit: { initial: 100, adaptive: false } },
    { seed: 9 },
  );
  return { client, server, sessions };
}

test('DTLS 1.3: a NewSessionTicket sent after setMtu(128) comes in datagrams of at most 128 bytes', () => {
  const { client, server, sessions } = pairWithTicket();
  server.setMtu(128);
  const sizes: number[] = [];
  const pair = new SimPair(client, server, { link: { delay: 5 }, bToA: { filter: (d) => (sizes.push(d.length), true) } });
  const r = pair.run({ until: () => sessions.length > 0, maxDuration: 10_000 });
  assert.equal(r.reason, 'until', 'the client got its session');
  assert.ok(
    sizes.every((n) => n <= 128),
    sizes.join(' '),
  );
});

test('DTLS 1.3: a NewSessionTicket lost at MTU 1400 is resent within the MTU set after it, on the timer set after it', () => {
  const { client, server, sessions } = pairWithTicket();
  let dropping = true;
  const sent: [number, number][] = [];
  const pair: SimPair = new SimPair(client, server, {
    link: { delay: 5 },
    bToA: {
      filter: (d) => {
        sent.push([pair.now, d.length]);
        return !(dropping && server.state === 'connected');
      },
    },
  });
  // Everything the server sends once connected (its ACK, the ticket) is lost.
  pair.run({ until: () => server.state === 'connected', maxDuration: 10_000 });
  const at = pair.now;
  const ticket = sent.filter(([t]) => t === at);
  assert.ok(
    ticket.some(([, n]) => n > 128),
    `the ticket went out whole, over 128 bytes: ${ticket.map(([, n]) => n).join(' ')}`,
  );
  assert.equal(server.pollTimeout(), at + 100, "the ticket's timer");
  server.setMtu(128);
  server.setRetransmitTimeout(400);
  assert.equal(server.pollTimeout(), at + 400, 'its running timer rescaled');
  dropping = false;
  const before = sent.length;
  const r = pair.run({ until: () => sessions.length > 0, maxDuration: 10_000 });
  assert.equal(r.reason, 'until', 'the client got its session');
  const resent = sent.slice(before);
  const resend = pair.log.b.timeline.find((e) => e.time > at && e.event.type === 'retransmit');
  assert.equal(resend?.time, at + 400, 'resent at the rescaled deadline');
  assert.ok(
    resent.every(([, n]) => n <= 128),
    resent.map(([, n]) => n).join(' '),
  );
});
