// A server's NewSessionTicket is resent until the client ACKs it (RFC 9147
// 5.8.4, 5.8.1), "until its maximum retransmission count is reached" (RFC 9147
// 7.1 note): ACK_FLIGHT_MAX_RESENDS timer resends, doubling, then the
// connection fails with handshake_timeout, as the client's unACKed Finished
// does (BoringSSL's runner expects the same: Server-NewSessionTicketTimeout).
// Each ticket is its own state machine (RFC 9147 5.8.4); the client's ACKs are lost here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { ACK_FLIGHT_MAX_RESENDS } from '../../src/reliability/flight-limits.ts';

const ticketKey = new Uint8Array(32).fill(7);

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

test(`the client's ACKs of both tickets lost: the server resends them ${ACK_FLIGHT_MAX_RESENDS} times on a doubling timer, then fails with handshake_timeout`, () => {
  const sessions: Uint8Array[] = [];
  const { client, server } = createPair(
    { versions: ['1.3'], onSession: (s) => sessions.push(s) },
    { versions: ['1.3'], ticketKeys: [ticketKey], sessionTickets: 2, retransmit: { initial: 400, adaptive: false } },
    { seed: 5 },
  );
  client.start(0);
  server.start(0);
  // The handshake, everything delivered.
  for (let i = 0; i < 20 && (client.state !== 'connected' || server.state !== 'connected'); i++) {
    for (const d of drain(client)) server.handleDatagram(0, d);
    for (const d of drain(server)) client.handleDatagram(0, d);
  }
  assert.equal(server.state, 'connected');
  assert.equal(sessions.length, 2, 'both tickets arrived');
  const gaps: number[] = [];
  let last = 0;
  for (let i = 0; i < 100 && server.state === 'connected'; i++) {
    // The client ACKs what came, after its delay; every ACK is lost.
    for (let t = client.pollTimeout(); t !== undefined && t <= last; t = client.pollTimeout()) client.handleTimeout(t);
    drain(client);
    const at = server.pollTimeout();
    assert.ok(at !== undefined, 'the server waits on its timer while the tickets are unACKed');
    server.handleTimeout(at);
    const resent = drain(server);
    if (server.state !== 'connected') break;
    assert.ok(resent.length >= 1, `a resend at ${at}`);
    gaps.push(at - last);
    last = at;
    for (const d of resent) client.handleDatagram(at, d);
  }
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'handshake_timeout');
  assert.match(server.error!.message, /never acknowledged/);
  assert.equal(gaps.length, ACK_FLIGHT_MAX_RESENDS, 'that many resends, then the give-up');
  assert.deepEqual(gaps.slice(0, 4), [400, 800, 1600, 3200], 'the timer doubles');
  assert.equal(sessions.length, 2, 'the copies made no more sessions');
  assert.equal(client.state, 'connected', 'the client knows nothing of it');
});
