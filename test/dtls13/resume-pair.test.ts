// DTLS 1.3 resumption (RFC 8446 2.2, 4.6.1, 4.2.11) with both roles ours, in
// memory: a full handshake whose NewSessionTicket becomes a session, then a
// PSK-(EC)DHE handshake with it that skips the certificates and still knows
// the peer; and every way a session must not resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';

const ticketKey = new Uint8Array(32).fill(7);

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : '';
}

function handshake(client: DtlsOptions, server: DtlsOptions = {}, now = 0) {
  const pair = createPair({ versions: ['1.3'], ...client }, { versions: ['1.3', '1.2'], ticketKeys: [ticketKey], ...server });
  pair.client.start(now);
  pair.server.start(now);
  shuttle(pair.client, pair.server, now);
  return pair;
}

/** A full handshake that leaves one session behind. */
function firstSession(client: DtlsOptions = {}, server: DtlsOptions = {}): { session: Uint8Array; full: ReturnType<typeof handshake> } {
  const sessions: Uint8Array[] = [];
  const full = handshake({ ...client, onSession: (s) => sessions.push(s) }, server);
  assert.equal(full.client.state, 'connected', errors(full.client) || errors(full.server));
  assert.equal(full.client.handshakeInfo?.resumed, false);
  assert.equal(sessions.length, 1, 'one NewSessionTicket, one session');
  return { session: sessions[0]!, full };
}

/** The handshake messages a connection sent, by name (its trace events). */
function sent(c: Connection): string[] {
  const out: string[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'trace' && e.direction === 'out') out.push(e.what);
  return out;
}

function exchange(a: Connection, b: Connection): void {
  a.send(0, Uint8Array.of(1, 2, 3));
  b.send(0, Uint8Array.of(4, 5));
  shuttle(a, b);
  assert.deepEqual([...(b.pollReceived() ?? [])], [1, 2, 3]);
  assert.deepEqual([...(a.pollReceived() ?? [])], [4, 5]);
}

test('a full handshake, then a resumed one: no certificates on the wire, the peer still known, resumed: true both sides', () => {
  const { session, full } = firstSession();
  const again = handshake({ session });
  assert.equal(again.client.state, 'connected', errors(again.client) || errors(again.server));
  assert.equal(again.server.state, 'connected', errors(again.server));
  assert.equal(again.client.handshakeInfo?.resumed, true);
  assert.equal(again.server.handshakeInfo?.resumed, true);
  const serverSent = sent(again.server);
  assert.ok(serverSent.includes('Finished'), serverSent.join());
  assert.ok(!serverSent.includes('Certificate') && !serverSent.includes('CertificateVerify'), serverSent.join());
  assert.ok(sent(full.server).includes('Certificate'));
  assert.equal(again.client.handshakeInfo?.peerFingerprint, full.client.handshakeInfo?.peerFingerprint);
  assert.deepEqual(again.client.handshakeInfo?.peerCertificates, full.client.handshakeInfo?.peerCertificates);
  assert.deepEqual(again.client.exportKeyingMaterial('EXPORTER-test', undefined, 32), again.server.exportKeyingMaterial('EXPORTER-test', undefined, 32));
  exchange(again.client, again.server);
});
