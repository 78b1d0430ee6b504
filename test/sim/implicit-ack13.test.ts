// RFC 9147 7.2: "the receipt of any record responding to a given flight MUST
// be taken as an implicit acknowledgement for the entire flight to which it is
// responding". Real client and server Connections on the simulated link, the
// rest of the answering flight lost: the flight it answers is not resent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn } from '../../src/testing/index.ts';
import { resends, traces } from './timeline.ts';

const MTU = 256;

test('client: the ServerHello alone (the rest of the server flight lost) ends the ClientHello resends; the server resends the rest', () => {
  const { client, server } = createPair({ versions: ['1.3'], mtu: MTU }, { versions: ['1.3'], mtu: MTU, sessionTickets: 0 }, { seed: 1 });
  // The server's first flight is three datagrams at this MTU: only the first (ServerHello) arrives.
  const pair = new SimPair(client, server, { link: { delay: 25 }, bToA: { filter: (_d, i) => i !== 1 && i !== 2 } });
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  assert.equal(traces(pair.log.a, 'in', 'ServerHello').length, 1);
  assert.deepEqual(resends(pair.log.a, 1), [], 'no ClientHello resent after the ServerHello came');
  assert.ok(resends(pair.log.b, 4).length > 0, 'the server resent what was lost');
});

test('server: the first record of the client flight (the rest lost) ends the resends of the server flight', () => {
  const { client, server } = createPair(
    { versions: ['1.3'], mtu: MTU },
    { versions: ['1.3'], mtu: MTU, sessionTickets: 0, requestClientCertificate: true },
    { seed: 2 },
  );
  // Client datagrams: 0 the ClientHello, then its Certificate..Finished flight over several; only its first arrives.
  const pair = new SimPair(client, server, { link: { delay: 25 }, aToB: { filter: (_d, i) => i < 2 || i > 4 } });
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  assert.ok(traces(pair.log.a, 'out', 'Finished').length === 1);
  assert.deepEqual(resends(pair.log.b, 4), [], 'no server flight resent after part of the client flight came');
  assert.ok(resends(pair.log.a, 5).length > 0, 'the client resent what was lost');
});

test('server: a client record of epoch 3 before its lost Finished draws no resend of the server flight; the client timer resends the Finished', () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'], sessionTickets: 0 }, { seed: 7 });
  // Client datagrams: 0 the ClientHello, 1 its Finished (lost), then its data.
  const pair = new SimPair(client, server, { link: { delay: 25 }, aToB: { filter: (_d, i) => i !== 1 } });
  assert.equal(pair.run({ until: () => client.state === 'connected', maxDuration: 30_000 }).reason, 'until');
  client.send(pair.now, new TextEncoder().encode('early'));
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  pair.run({ maxDuration: 1_000 });
  const early = pair.log.b.timeline.filter((e) => e.event.type === 'retransmit' && e.event.reason === 'peer-retransmit');
  assert.deepEqual(early, [], 'the server did not resend its flight at once (only its own timer may)');
  assert.ok(resends(pair.log.a, 5).length > 0, 'the client resent its Finished on its timer');
  assert.equal(pair.log.b.received.length, 1, 'and the data, held meanwhile, was delivered');
});
