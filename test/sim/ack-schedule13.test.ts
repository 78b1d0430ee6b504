// DTLS 1.3 ACK and retransmission schedule, on the simulated link with real
// client and server Connections (RFC 9147 5.8, 7.1, 7.2): when ACKs are taken
// and sent before the keyed epochs, half-RTT data is no ACK of the client's
// Finished, the Finished flight's give-up, and the ACK timer's quarter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimPair, createPair, bothIn } from '../../src/testing/index.ts';
import { ACK_FLIGHT_MAX_RESENDS } from '../../src/reliability/flight-limits.ts';
import { AckTracker } from '../../src/reliability/ack-tracker.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { encodeAck } from '../../src/wire/ack.ts';
import { ContentType, ProtocolVersion } from '../../src/wire/types.ts';
import { recordNumber } from '../../src/wire/record-number.ts';
import { resends, traces } from './timeline.ts';

test('after a HelloRetryRequest the server ACKs a partial second ClientHello in epoch 0; the client takes it and resends only the rest', () => {
  const mtu = 200;
  const { client, server } = createPair({ versions: ['1.3'], mtu }, { versions: ['1.3'], mtu, requireCookie: true, sessionTickets: 0 }, { seed: 3 });
  // Client datagrams: 0 ClientHello1; 1 and 2 the second ClientHello (200 + 58 bytes at this MTU): the second is lost.
  const sizes: number[] = [];
  const pair = new SimPair(client, server, {
    link: { delay: 25 },
    aToB: {
      filter: (d, i) => {
        sizes.push(d.length);
        return i !== 2;
      },
    },
  });
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  assert.deepEqual(
    sizes.slice(0, 3).map((n) => n === mtu),
    [false, true, false],
    'the second ClientHello took two datagrams',
  );
  assert.deepEqual(
    traces(pair.log.b, 'out', 'ACK').map((a) => a.epoch),
    [0, 3],
    'the server ACKed the partial ClientHello in epoch 0 (then the Finished in 3)',
  );
  assert.equal(traces(pair.log.a, 'in', 'ACK')[0]?.epoch, 0, 'the client took the epoch-0 ACK');
  assert.ok(sizes[3]! < 100, `the client resent only the missing part of its ClientHello, not ${sizes[3]} bytes from offset 0`);
});

test('an ACK of the first ClientHello (version not known yet) is dropped: the client resends all of it', () => {
  const { client } = createPair({ versions: ['1.3', '1.2'] }, {}, { seed: 4 });
  client.start(0);
  const hello = client.pollTransmit()!;
  const ack = encodeRecord({
    contentType: ContentType.ack,
    version: ProtocolVersion.DTLS1_2,
    epoch: 0,
    sequenceNumber: 0,
    fragment: encodeAck([recordNumber(0, 0)]),
  });
  client.handleDatagram(10, ack);
  assert.equal(client.stats.dropped.unexpected, 1);
  const at = client.pollTimeout()!;
  client.handleTimeout(at);
  const again = client.pollTransmit();
  assert.equal(again?.length, hello.length, 'the whole ClientHello again');
});

test('half-RTT data from the server does not end the client Finished flight: it is resent until ACKed', () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'], sessionTickets: 0 }, { seed: 5 });
  // Server datagrams: 0 its flight, 1 the ACK of the client Finished (lost), then data.
  const pair = new SimPair(client, server, { link: { delay: 25 }, bToA: { filter: (_d, i) => i !== 1 } });
  assert.equal(pair.run({ until: bothIn('connected'), maxDuration: 30_000 }).reason, 'until');
  server.send(pair.now, new TextEncoder().encode('hello'));
  pair.run({ maxDuration: 5_000 });
  assert.equal(pair.log.a.received.length, 1, 'the data arrived');
  const ackIn = pair.log.a.timeline.find((e) => e.event.type === 'trace' && e.event.what === 'ACK' && e.event.direction === 'in');
  assert.ok(resends(pair.log.a, 5).length >= 1, 'the Finished was resent');
  assert.ok(ackIn, 'and the resend drew the ACK');
  assert.equal(client.pollTimeout(), undefined, 'then nothing is left to resend');
});

test(`the client Finished never ACKed: resent ${ACK_FLIGHT_MAX_RESENDS} times, then the connection fails with handshake_timeout`, () => {
  const { client, server } = createPair({ versions: ['1.3'] }, { versions: ['1.3'], sessionTickets: 0 }, { seed: 6 });
  // Nothing of the server's after its first flight arrives.
  const pair = new SimPair(client, server, { link: { delay: 25 }, bToA: { filter: (_d, i) => i === 0 } });
  pair.run({ until: () => client.state === 'failed', maxDuration: 600_000 });
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'handshake_timeout');
  assert.equal(resends(pair.log.a, 5).length, ACK_FLIGHT_MAX_RESENDS);
});

test('a partial flight waits a quarter of the timer for its ACK, unrounded (250 ms: 62.5 ms)', () => {
  const t = new AckTracker();
  t.onRecord(0, 0, 1, 0, true, 250);
  assert.equal(t.deadline, 62.5);
});
