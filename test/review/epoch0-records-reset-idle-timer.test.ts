// connection.ts handleDatagram sets #lastHeard (documented as "when an
// authenticated record last arrived") for every record RecordLayer.open
// returns, and after the handshake that includes plaintext epoch-0 records,
// which anyone can forge. So a spoofed datagram every idleTimeout/2 keeps a
// dead peer's association (and its listen() slot) alive forever. It also
// defeats listen()'s idle expiry in RFC 6347 4.2.8's restart case: the
// restarting client's own epoch-0 ClientHello retransmissions, routed to the
// old association, keep it from ever idling out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectedPair, handshakeRecord } from './helpers.ts';
import { HandshakeType } from '../../src/wire/types.ts';

test('plaintext epoch-0 records after the handshake do not count as hearing from the peer (idleTimeout)', () => {
  const { server, now } = connectedPair({}, { idleTimeout: 10_000 });
  let t: number;
  for (let i = 1; i <= 6; i++) {
    t = now + i * 5_000;
    // Junk an off-path attacker can send: an epoch-0 "handshake" record.
    server.handleDatagram(t, handshakeRecord(HandshakeType.client_hello, 0, new Uint8Array([0xfe]), 0, 100 + i));
    server.handleTimeout(t);
  }
  assert.equal(server.state, 'failed', `30 s with nothing from the peer, idleTimeout 10 s: server is ${server.state}`);
  assert.equal(server.error?.code, 'idle_timeout');
});
