// A DTLS 1.2 ChangeCipherSpec reordered ahead of the messages its flight puts
// before it (RFC 6347 4.1.2.7: records reorder) is held and taken once they are
// in, as in order: the client's NewSessionTicket (RFC 5077 3.3), the server's
// ClientKeyExchange. It was dropped, and the handshake waited for the peer's
// timer to resend the flight (BoGo ReorderHandshakeFragments-*-DTLS-TLS12 with
// the client asking for tickets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/connection.ts';
import { ContentType } from '../../src/wire/types.ts';
import { certs, deliver, drain, makePair } from './helpers.ts';

/** The records of a DTLS 1.2 datagram, each on its own (13-byte header, length in its last two bytes). */
function records(datagrams: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of datagrams) {
    for (let at = 0; at < d.length;) {
      const end = at + 13 + ((d[at + 11]! << 8) | d[at + 12]!);
      out.push(d.subarray(at, end));
      at = end;
    }
  }
  return out;
}

/** Delivers one flight's records with the ChangeCipherSpec first, each in a datagram of its own. */
function ccsFirst(flight: Uint8Array[], to: Connection, now: number): void {
  const recs = records(flight);
  const ccs = recs.findIndex((r) => r[0] === ContentType.change_cipher_spec);
  assert.ok(ccs > 0, 'the flight has a ChangeCipherSpec after other records');
  for (const r of [recs[ccs]!, ...recs.filter((_, i) => i !== ccs)]) to.handleDatagram(now, r);
}

test('a client that asked for a ticket takes the server CCS that came before the NewSessionTicket', () => {
  const { client, server } = makePair({ onSession: () => {} }, { ticketKeys: [new Uint8Array(32).fill(7)] });
  client.start(0);
  server.start(0);
  deliver(client, server, 0);
  deliver(server, client, 0);
  deliver(client, server, 0);
  assert.equal(server.state, 'connected');
  const last = drain(server);
  assert.ok(
    records(last).some((r) => r[0] === ContentType.handshake && r[3] === 0 && r[4] === 0 && r[13] === 4),
    'the final flight carries a NewSessionTicket (type 4) in epoch 0',
  );
  ccsFirst(last, client, 0);
  assert.equal(client.state, 'connected', `no wait for the server's timer: ${client.error?.message ?? ''}`);
  assert.deepEqual(drain(client), [], 'nothing resent');
  assert.equal(client.stats.dropped.unexpected ?? 0, 0, 'the held CCS is not counted as dropped');
});

for (const clientAuth of [false, true])
  test(`a server takes the client's CCS that came before the rest of its flight${clientAuth ? ' (with a client certificate)' : ''}`, () => {
    const { client: clientCert } = certs();
    const { client, server } = clientAuth
      ? makePair({ certificate: clientCert }, { requestClientCertificate: true, verify: { fingerprints: [clientCert.fingerprint] } })
      : makePair();
    client.start(0);
    server.start(0);
    deliver(client, server, 0);
    deliver(server, client, 0);
    ccsFirst(drain(client), server, 0);
    assert.equal(server.state, 'connected', server.error?.message);
    deliver(server, client, 0);
    assert.equal(client.state, 'connected');
  });
