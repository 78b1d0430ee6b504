// Issue 10's measurement, as it was made: a listen() server (real core, real
// cookie gate) mid-handshake, and 400 spoofed 25-byte epoch-0 fragments from the
// client's address that look like a copy of its ClientHello. Before the flight
// sender bounded answers to peer copies they drew about one certificate flight each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { handshakeRecord, memoryNet, rawClient, realServer, until } from '../stream/memory-server.ts';

test('listen(): 400 forged 25-byte copies of the ClientHello during the handshake draw at most 10 copies of flight 4', async () => {
  const clock = new ManualClock();
  const net = memoryNet();
  const { server, serving, conns } = realServer(net, clock);
  const client = rawClient(net, clock, '192.0.2.7', 5000, { pauseAfterCookie: true });
  await until(() => conns.length === 1 && conns[0]!.stats.datagramsOut > 0, 'the server sent flight 4');
  const conn = conns[0]!;
  const sentBefore = net.sent.length;
  const flight4 = conn.stats.datagramsOut;
  let bytesIn = 0;
  // Copies in the very instant flight 4 went out are part of what it answered, never answered (RFC 6347 4.2.3): time passes first.
  clock.advance(1);
  for (let i = 0; i < 400; i++) {
    // The ClientHello with the cookie is message 1; an empty first fragment of it is 25 bytes.
    const forged = handshakeRecord(100 + i, [{ msgType: HandshakeType.client_hello, length: 200, messageSeq: 1, fragmentOffset: 0, body: new Uint8Array(0) }]);
    assert.equal(forged.length, 25);
    bytesIn += forged.length;
    net.send(forged, '192.0.2.7', 5000);
  }
  await until(() => conn.stats.datagramsIn >= 401, 'the forged copies delivered');
  const answers = (conn.stats.datagramsOut - flight4) / flight4;
  const bytesOut = net.sent.slice(sentBefore).reduce((n, d) => n + d.data.length, 0);
  assert.ok(answers >= 1 && answers <= 10, `${answers} copies of flight 4 for 400 forged datagrams`);
  assert.ok(bytesOut <= 10 * 2000, `${bytesOut} bytes out for ${bytesIn} in`);
  assert.equal(conn.state, 'handshaking');
  client.resume();
  await server.close();
  await serving;
});
