// DTLS 1.3 resumption (RFC 8446 2.2, 4.6.1, 4.2.11) with both roles ours, in
// memory: a full handshake whose NewSessionTicket becomes a session, then a
// PSK-(EC)DHE handshake with it that skips the certificates and still knows
// the peer; and every way a session must not resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { decodeClientSession, encodeClientSession, type ClientSession } from '../../src/handshake/ticket13.ts';

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

/** The body sizes of the EncryptedExtensions a server sent. */
function eeSizes(c: Connection): number[] {
  const out: number[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'trace' && e.direction === 'out' && e.what === 'EncryptedExtensions') out.push(e.bytes);
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

/** A copy of a session with some of its fields changed (what the application stored, altered). */
function altered(session: Uint8Array, change: (s: ClientSession) => void): Uint8Array {
  const s = decodeClientSession(session);
  change(s);
  return encodeClientSession(s);
}

test('a tampered ticket does not open: the server passes it over and runs a full handshake', () => {
  const { session } = firstSession();
  const again = handshake({ session: altered(session, (s) => (s.ticket[s.ticket.length - 1]! ^= 1)) });
  assert.equal(again.client.state, 'connected', errors(again.client) || errors(again.server));
  assert.equal(again.client.handshakeInfo?.resumed, false);
  assert.equal(again.server.handshakeInfo?.resumed, false);
  assert.ok(sent(again.server).includes('Certificate'));
});

test('a ticket from a server with another ticket key (or a retired one) is a full handshake; a rotated key list still opens it', () => {
  const { session } = firstSession();
  const other = handshake({ session }, { ticketKeys: [new Uint8Array(32).fill(8)] });
  assert.equal(other.client.state, 'connected', errors(other.client) || errors(other.server));
  assert.equal(other.client.handshakeInfo?.resumed, false);
  const rotated = handshake({ session }, { ticketKeys: [new Uint8Array(32).fill(8), ticketKey] });
  assert.equal(rotated.client.handshakeInfo?.resumed, true, errors(rotated.client) || errors(rotated.server));
});

test("a wrong binder (the PSK is not the ticket's) ends the handshake with decrypt_error (RFC 8446 4.2.11)", () => {
  const { session } = firstSession();
  const again = handshake({ session: altered(session, (s) => (s.psk[0]! ^= 1)) });
  assert.equal(again.server.state, 'failed');
  assert.equal(again.server.error?.code, 'decrypt_error', errors(again.server));
  assert.equal(again.client.state, 'failed');
  assert.match(errors(again.client), /decrypt_error/);
});

test('an expired session is not offered by the client; an expired ticket offered anyway is passed over by the server', () => {
  const sessions: Uint8Array[] = [];
  const full = handshake({ onSession: (s) => sessions.push(s) }, { ticketLifetime: 10 });
  assert.equal(full.client.state, 'connected');
  const late = 10_001;
  const notOffered = handshake({ session: sessions[0]! }, {}, late);
  assert.equal(notOffered.client.state, 'connected', errors(notOffered.client) || errors(notOffered.server));
  assert.equal(notOffered.client.handshakeInfo?.resumed, false);
  // The client believes the ticket lives a day: the server's own lifetime, sealed in the ticket, decides.
  const offered = handshake({ session: altered(sessions[0]!, (s) => (s.lifetime = 86400)) }, {}, late);
  assert.equal(offered.client.state, 'connected', errors(offered.client) || errors(offered.server));
  assert.equal(offered.client.handshakeInfo?.resumed, false);
  // Still inside the lifetime: resumed.
  const inTime = handshake({ session: sessions[0]! }, {}, 9_000);
  assert.equal(inTime.client.handshakeInfo?.resumed, true, errors(inTime.client) || errors(inTime.server));
});

test('suite hash: a SHA-384 session is not offered with SHA-256 suites only, and a server choosing a SHA-256 suite passes it over', () => {
  const { session } = firstSession({ cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
  const clientSide = handshake({ session, cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  assert.equal(clientSide.client.state, 'connected', errors(clientSide.client) || errors(clientSide.server));
  assert.equal(clientSide.client.handshakeInfo?.resumed, false);
  const serverSide = handshake({ session, cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'] }, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  assert.equal(serverSide.client.state, 'connected', errors(serverSide.client) || errors(serverSide.server));
  assert.equal(serverSide.client.handshakeInfo?.resumed, false);
  assert.equal(serverSide.client.handshakeInfo?.cipherSuite, 'TLS_AES_128_GCM_SHA256');
  // Another suite of the same hash resumes (RFC 8446 4.2.11).
  const sameHash = handshake({ session: firstSession().session, cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] });
  assert.equal(sameHash.client.handshakeInfo?.resumed, true, errors(sameHash.client) || errors(sameHash.server));
  assert.equal(sameHash.client.handshakeInfo?.cipherSuite, 'TLS_CHACHA20_POLY1305_SHA256');
});

test('server name: a session is offered only for the name it was made for; a ticket for another name is passed over', () => {
  const { session, full } = firstSession({ serverName: 'a.example' });
  assert.deepEqual(eeSizes(full.server), [6], 'a full handshake acknowledges the name');
  const same = handshake({ session, serverName: 'a.example' });
  assert.equal(same.client.handshakeInfo?.resumed, true, errors(same.client) || errors(same.server));
  assert.equal(same.server.handshakeInfo?.serverName, 'a.example');
  // RFC 6066 3: the name is not acknowledged when resuming (EncryptedExtensions stays empty: 2 bytes); BoGo's runner checks it.
  assert.deepEqual(eeSizes(same.server), [2]);
  const other = handshake({ session, serverName: 'b.example' });
  assert.equal(other.client.state, 'connected');
  assert.equal(other.client.handshakeInfo?.resumed, false);
  // The client is told the session is for b.example; the ticket knows better.
  const forged = handshake({ session: altered(session, (s) => (s.serverName = 'b.example')), serverName: 'b.example' });
  assert.equal(forged.client.state, 'connected', errors(forged.client) || errors(forged.server));
  assert.equal(forged.client.handshakeInfo?.resumed, false);
});

test('through a HelloRetryRequest (cookie, and another group): the binder covers message_hash and the HRR (RFC 8446 4.2.11.2)', () => {
  const { session } = firstSession();
  const cookie = handshake({ session }, { requireCookie: true });
  assert.equal(cookie.client.state, 'connected', errors(cookie.client) || errors(cookie.server));
  assert.equal(cookie.client.handshakeInfo?.resumed, true);
  assert.equal(cookie.server.handshakeInfo?.resumed, true);
  const group = handshake({ session, groups: ['x25519', 'P-256'] }, { groups: ['P-256'] });
  assert.equal(group.client.state, 'connected', errors(group.client) || errors(group.server));
  assert.equal(group.client.handshakeInfo?.resumed, true);
  assert.equal(group.client.handshakeInfo?.group, 'secp256r1');
});

test("the client's certificate travels in the ticket: a resumed server knows the client without a CertificateRequest", () => {
  const { session, full } = firstSession({}, { requestClientCertificate: 'require' });
  assert.equal(full.server.handshakeInfo?.peerCertificates.length, 1);
  const again = handshake({ session }, { requestClientCertificate: 'require' });
  assert.equal(again.server.state, 'connected', errors(again.client) || errors(again.server));
  assert.equal(again.server.handshakeInfo?.resumed, true);
  assert.deepEqual(again.server.handshakeInfo?.peerCertificates, full.server.handshakeInfo?.peerCertificates);
  assert.equal(again.server.handshakeInfo?.peerFingerprint, full.server.handshakeInfo?.peerFingerprint);
  assert.ok(!sent(again.server).includes('CertificateRequest'));
  // A ticket without a client certificate does not satisfy a server that requires one: full handshake.
  const { session: anonymous } = firstSession();
  const required = handshake({ session: anonymous }, { requestClientCertificate: 'require' });
  assert.equal(required.server.state, 'connected', errors(required.client) || errors(required.server));
  assert.equal(required.server.handshakeInfo?.resumed, false);
});

test('sessionTickets: 0 sends none, 2 sends two (each resumes); a client without onSession is sent none', () => {
  const none: Uint8Array[] = [];
  const off = handshake({ onSession: (s) => none.push(s) }, { sessionTickets: 0 });
  assert.equal(off.client.state, 'connected');
  assert.equal(none.length, 0);
  const two: Uint8Array[] = [];
  handshake({ onSession: (s) => two.push(s) }, { sessionTickets: 2 });
  assert.equal(two.length, 2);
  for (const session of two) assert.equal(handshake({ session }).client.handshakeInfo?.resumed, true);
  const quiet = handshake({});
  assert.ok(!sent(quiet.server).includes('NewSessionTicket'));
});

test('a resumed connection issues a new ticket that resumes too, carrying the same peer', () => {
  const { session, full } = firstSession();
  const next: Uint8Array[] = [];
  const second = handshake({ session, onSession: (s) => next.push(s) });
  assert.equal(second.client.handshakeInfo?.resumed, true);
  assert.equal(next.length, 1);
  const third = handshake({ session: next[0]! });
  assert.equal(third.client.handshakeInfo?.resumed, true, errors(third.client) || errors(third.server));
  assert.equal(third.client.handshakeInfo?.peerFingerprint, full.client.handshakeInfo?.peerFingerprint);
});

test('a lost NewSessionTicket is resent until the client ACKs it (RFC 9147 5.8.4)', () => {
  const sessions: Uint8Array[] = [];
  const { client, server } = createPair({ versions: ['1.3'], onSession: (s) => sessions.push(s) }, { versions: ['1.3'], ticketKeys: [ticketKey] });
  client.start(0);
  server.start(0);
  let dropped = 0;
  // Deliver everything, except what the server sends in the step that completes its handshake (its NewSessionTicket, its ACK).
  for (let round = 0; round < 100 && server.state !== 'connected'; round++) {
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
      const was: string = server.state;
      server.handleDatagram(0, d);
      if (was !== 'connected' && (server.state as string) === 'connected') for (; server.pollTransmit();) dropped++;
    }
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(0, d);
  }
  assert.equal(server.state, 'connected');
  assert.ok(dropped >= 1);
  shuttle(client, server);
  assert.equal(sessions.length, 0, 'the ticket was lost');
  const t = server.pollTimeout();
  assert.ok(t !== undefined, 'the server waits for the ACK of its ticket');
  server.handleTimeout(t);
  assert.ok(server.stats.retransmits >= 1);
  shuttle(client, server, t);
  assert.equal(sessions.length, 1);
  // The client ACKs the ticket after a short delay (RFC 9147 7.1); its Finished, whose ACK was lost
  // too, is resent, and the server ACKs that copy a quarter of its timer later: both timers run until quiet.
  let now = t;
  for (let i = 0; i < 10 && (client.pollTimeout() ?? server.pollTimeout()) !== undefined; i++) {
    now = Math.max(now, Math.min(client.pollTimeout() ?? Infinity, server.pollTimeout() ?? Infinity));
    client.handleTimeout(now);
    server.handleTimeout(now);
    shuttle(client, server, now);
  }
  assert.ok(now < t + 1000, `settled within a second (${now - t} ms)`);
  assert.equal(server.pollTimeout(), undefined, 'the ticket is acknowledged: nothing left to resend');
  assert.equal(client.pollTimeout(), undefined, 'the Finished is acknowledged');
  assert.equal(server.stats.retransmits, 1, 'the ticket went twice, no more');
  assert.equal(handshake({ session: sessions[0]! }).client.handshakeInfo?.resumed, true);
});

test('options: a session that is not one onSession gave is a TypeError; bad ticket options are refused', () => {
  assert.throws(() => createPair({ session: new Uint8Array(10) }), TypeError);
  assert.throws(() => createPair({}, { ticketKeys: [new Uint8Array(16)] }), TypeError);
  assert.throws(() => createPair({}, { ticketLifetime: 604801 }), RangeError);
  assert.throws(() => createPair({}, { sessionTickets: 5 }), RangeError);
});

test('a session offered to a server that answers in DTLS 1.2: the fallback completes a full 1.2 handshake', () => {
  const { session } = firstSession();
  const pair = createPair({ versions: ['1.3', '1.2'], session }, { versions: ['1.2'] });
  pair.client.start(0);
  pair.server.start(0);
  shuttle(pair.client, pair.server);
  assert.equal(pair.client.state, 'connected', errors(pair.client) || errors(pair.server));
  assert.equal(pair.client.handshakeInfo?.version, 'DTLS 1.2');
  assert.equal(pair.client.handshakeInfo?.resumed, false);
});
