// DTLS 1.2 resumption (RFC 5077 tickets, RFC 5246 7.3 abbreviated handshake)
// with both roles ours, in memory: a full handshake whose NewSessionTicket
// becomes a session, a resumed handshake with it (no certificates, no key
// exchange, the peer still known), and every way a session must not resume:
// each ends in a full handshake, never a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, runPair, shuttle, testCertificates } from '../../src/testing/index.ts';
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type ResolvedOptions } from '../../src/options.ts';
import { sessionCache12 } from '../../src/handshake/server12-cache.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { decodeClientSession } from '../../src/handshake/ticket13.ts';
import { decodeClientSession12, encodeClientSession12, sessionVersion, type ClientSession12 } from '../../src/handshake/ticket12.ts';

const ticketKey = new Uint8Array(32).fill(7);

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : '';
}

function handshake(client: DtlsOptions, server: DtlsOptions = {}, now = 0) {
  const pair = createPair({ versions: ['1.2'], ...client }, { versions: ['1.3', '1.2'], ticketKeys: [ticketKey], ...server });
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
  assert.equal(full.client.handshakeInfo?.version, 'DTLS 1.2');
  assert.equal(sessions.length, 1, 'one NewSessionTicket, one session');
  assert.equal(sessionVersion(sessions[0]!), '1.2');
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

function altered(session: Uint8Array, change: (s: ClientSession12) => void): Uint8Array {
  const s = decodeClientSession12(session);
  change(s);
  return encodeClientSession12(s);
}

function assertFull(p: ReturnType<typeof handshake>): void {
  assert.equal(p.client.state, 'connected', errors(p.client) || errors(p.server));
  assert.equal(p.server.state, 'connected', errors(p.server));
  assert.equal(p.client.handshakeInfo?.resumed, false);
  assert.equal(p.server.handshakeInfo?.resumed, false);
  assert.ok(sent(p.server).includes('Certificate'));
}

test('a full DTLS 1.2 handshake, then an abbreviated one: no certificates, resumed both sides, the peer still known', () => {
  const { session, full } = firstSession();
  assert.ok(sent(full.server).includes('NewSessionTicket'));
  const sessions: Uint8Array[] = [];
  const again = handshake({ session, onSession: (s) => sessions.push(s) });
  assert.equal(again.client.state, 'connected', errors(again.client) || errors(again.server));
  assert.equal(again.server.state, 'connected', errors(again.server));
  assert.equal(again.client.handshakeInfo?.resumed, true);
  assert.equal(again.server.handshakeInfo?.resumed, true);
  assert.equal(again.client.handshakeInfo?.version, 'DTLS 1.2');
  assert.equal(again.client.handshakeInfo?.extendedMasterSecret, true);
  assert.equal(again.client.handshakeInfo?.cipherSuite, full.client.handshakeInfo?.cipherSuite);
  const serverSent = sent(again.server);
  assert.deepEqual(
    serverSent.filter((m) => m !== 'ChangeCipherSpec' && !m.startsWith('flight')),
    ['ServerHello', 'NewSessionTicket', 'Finished'],
    serverSent.join(),
  );
  const clientSent = sent(again.client);
  assert.ok(!clientSent.includes('ClientKeyExchange'), clientSent.join());
  assert.equal(again.client.handshakeInfo?.peerFingerprint, full.client.handshakeInfo?.peerFingerprint);
  assert.deepEqual(again.client.handshakeInfo?.peerCertificates, full.client.handshakeInfo?.peerCertificates);
  assert.deepEqual(again.client.exportKeyingMaterial('EXPORTER-test', undefined, 32), again.server.exportKeyingMaterial('EXPORTER-test', undefined, 32));
  assert.notDeepEqual(again.client.exportKeyingMaterial('EXPORTER-test', undefined, 32), full.client.exportKeyingMaterial('EXPORTER-test', undefined, 32));
  exchange(again.client, again.server);
  // The resumption renewed the ticket: a new session, and it resumes too.
  assert.equal(sessions.length, 1);
  const third = handshake({ session: sessions[0]! });
  assert.equal(third.client.handshakeInfo?.resumed, true, errors(third.client) || errors(third.server));
});

test('a tampered ticket does not open: a full handshake', () => {
  const { session } = firstSession();
  assertFull(handshake({ session: altered(session, (s) => (s.ticket[s.ticket.length - 1]! ^= 1)) }));
});

test("a session whose master secret is not the ticket's: the server's Finished does not decrypt, a counted drop, then handshake_timeout", () => {
  const { session } = firstSession();
  const p = createPair({ versions: ['1.2'], session: altered(session, (s) => (s.master[0]! ^= 1)) }, { ticketKeys: [ticketKey] });
  const r = runPair(p.client, p.server, { seed: 3, until: (x) => x.a.state === 'failed', maxDuration: 60_000 });
  assert.equal(r.reason, 'until');
  assert.ok((p.client.stats.dropped.auth_failed ?? 0) >= 1, JSON.stringify(p.client.stats.dropped));
  assert.equal(p.client.error?.code, 'handshake_timeout', errors(p.client));
  assert.notEqual(p.server.state, 'connected');
});

test('a foreign ticket key is a full handshake; a rotated key list (new key first, old one kept) still resumes', () => {
  const { session } = firstSession();
  assertFull(handshake({ session }, { ticketKeys: [new Uint8Array(32).fill(8)] }));
  const rotated = handshake({ session }, { ticketKeys: [new Uint8Array(32).fill(8), ticketKey] });
  assert.equal(rotated.client.handshakeInfo?.resumed, true, errors(rotated.client) || errors(rotated.server));
});

test('an expired session is not offered; an expired ticket offered anyway is passed over by the server (its own lifetime decides)', () => {
  const { session } = firstSession({}, { ticketLifetime: 10 });
  assert.equal(decodeClientSession12(session).lifetime, 10);
  assertFull(handshake({ session }, {}, 10_001));
  assertFull(handshake({ session: altered(session, (s) => (s.lifetime = 86400)) }, {}, 10_001));
  const fresh = handshake({ session }, {}, 9_000);
  assert.equal(fresh.client.handshakeInfo?.resumed, true, errors(fresh.client) || errors(fresh.server));
});

test('a 1.3 ticket is never a 1.2 session, nor a 1.2 ticket a 1.3 PSK: full handshakes', () => {
  const sessions13: Uint8Array[] = [];
  const p13 = createPair({ versions: ['1.3'], onSession: (s) => sessions13.push(s) }, { versions: ['1.3', '1.2'], ticketKeys: [ticketKey] });
  p13.client.start(0);
  p13.server.start(0);
  shuttle(p13.client, p13.server);
  assert.equal(sessionVersion(sessions13[0]!), '1.3');
  const { session } = firstSession();
  // The 1.3 ticket in a 1.2 session's clothes.
  assertFull(handshake({ session: altered(session, (s) => (s.ticket = decodeClientSession(sessions13[0]!).ticket)) }));
});

test('suite, server name and extended master secret mismatches: full handshakes, never failures (RFC 5246 7.4.1.2, RFC 6066 3, RFC 7627 5.3)', () => {
  const { session, full } = firstSession({ serverName: 'a.example' });
  const suite = full.client.handshakeInfo!.cipherSuite;
  const other = suite.includes('128') ? 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' : 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
  // The server no longer takes the session's suite.
  assertFull(handshake({ session, serverName: 'a.example' }, { cipherSuites: [other] }));
  // The client changed its mind on the name: it does not offer the session; offered anyway, the server passes it over.
  assertFull(handshake({ session, serverName: 'b.example' }));
  assertFull(handshake({ session: altered(session, (s) => (s.serverName = 'b.example')), serverName: 'b.example' }));
  // A server without the extended master secret cannot resume it; a client without it does not offer it.
  assertFull(handshake({ session, serverName: 'a.example' }, { extendedMasterSecret: false }));
  assertFull(handshake({ session, serverName: 'a.example', extendedMasterSecret: false }));
});

test('no session without the extended master secret: no ticket is asked for or issued (RFC 7627 5.3)', () => {
  const sessions: Uint8Array[] = [];
  const p = handshake({ onSession: (s) => sessions.push(s) }, { extendedMasterSecret: false });
  assert.equal(p.client.state, 'connected', errors(p.client));
  assert.equal(p.client.handshakeInfo?.extendedMasterSecret, false);
  assert.ok(!sent(p.server).includes('NewSessionTicket'));
  assert.equal(sessions.length, 0);
});

test('sessionTickets: 0 issues no ticket (the session is named by its ID instead); a client without onSession asks for none', () => {
  const sessions: Uint8Array[] = [];
  const none = handshake({ onSession: (s) => sessions.push(s) }, { sessionTickets: 0 });
  assert.equal(none.client.state, 'connected', errors(none.client));
  assert.ok(!sent(none.server).includes('NewSessionTicket'));
  assert.equal(sessions.length, 1);
  const s = decodeClientSession12(sessions[0]!);
  assert.equal(s.ticket.length, 0);
  assert.equal(s.sessionId.length, 32);
  const quiet = handshake({});
  assert.ok(!sent(quiet.server).includes('NewSessionTicket'));
});

test("session IDs (RFC 5246 7.4.1.2): one server's cache resumes a ticketless session; another server, a forged ID or an expired entry: full handshakes", () => {
  const certs = testCertificates();
  const serverOptions = resolveOptions({ role: 'server', certificate: certs.server, sessionTickets: 0 });
  const otherServer = resolveOptions({ role: 'server', certificate: certs.server, sessionTickets: 0 });
  const connectOnce = (server: ResolvedOptions, o: DtlsOptions, now = 0) => {
    const client = new Connection(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs.server.fingerprint] }, ...o }));
    const srv = new Connection(server);
    client.start(now);
    srv.start(now);
    shuttle(client, srv, now);
    assert.equal(client.state, 'connected', errors(client) || errors(srv));
    return { client, server: srv };
  };
  const sessions: Uint8Array[] = [];
  connectOnce(serverOptions, { onSession: (x) => sessions.push(x) });
  const session = sessions[0]!;
  const again = connectOnce(serverOptions, { session });
  assert.equal(again.client.handshakeInfo?.resumed, true);
  assert.equal(again.server.handshakeInfo?.resumed, true);
  assert.equal(connectOnce(otherServer, { session }).client.handshakeInfo?.resumed, false);
  const forged = altered(session, (x) => (x.sessionId[0]! ^= 1));
  assert.equal(connectOnce(serverOptions, { session: forged }).client.handshakeInfo?.resumed, false);
  // The entry lives ticketLifetime (7200 s by default): the client still believes in it, the server has let it go.
  const late = altered(session, (x) => (x.lifetime = 86400));
  assert.equal(connectOnce(serverOptions, { session: late }, 7_201_000).client.handshakeInfo?.resumed, false);
});

test('the session-ID cache is bounded: 256 sessions, the oldest leave first', () => {
  const o = resolveOptions({ role: 'server', certificate: testCertificates().server });
  const cache = sessionCache12(o);
  const id = (i: number) => Uint8Array.of(i >> 8, i & 0xff);
  const t = { suite: 0xc02b, master: new Uint8Array(48), lifetime: 10, alpn: undefined, serverName: undefined, peerChain: [], issuedAt: 0 };
  for (let i = 0; i < 300; i++) cache.set(id(i), t);
  assert.equal(cache.size, 256);
  assert.equal(cache.get(id(0), 0), undefined);
  assert.ok(cache.get(id(299), 0));
  assert.equal(cache.get(id(299), 10_001), undefined, 'expired');
});

test('a client certificate travels in the ticket: the resumed server still knows it, and a required one is satisfied', () => {
  const { session, full } = firstSession({}, { requestClientCertificate: 'require' });
  const again = handshake({ session }, { requestClientCertificate: 'require' });
  assert.equal(again.server.handshakeInfo?.resumed, true, errors(again.client) || errors(again.server));
  assert.deepEqual(again.server.handshakeInfo?.peerCertificates, full.server.handshakeInfo?.peerCertificates);
});

test('a ticket offered with an empty session ID still resumes (RFC 5077 3.4: the client tells by what follows the ServerHello)', () => {
  const { session } = firstSession();
  const p = createPair({ versions: ['1.2'], session }, { ticketKeys: [ticketKey] });
  const server = p.server;
  p.client.start(0);
  server.start(0);
  // The client's ClientHello with its session_id emptied (the length byte after version and random).
  const hello = p.client.pollTransmit()!;
  const body = 13 + 12;
  assert.equal(hello[body + 34], 32, 'a 32-byte session ID');
  const edited = new Uint8Array([...hello.subarray(0, body + 34), 0, ...hello.subarray(body + 35 + 32)]);
  const fix16 = (at: number, delta: number) => {
    const v = ((edited[at]! << 8) | edited[at + 1]!) - delta;
    edited[at] = v >> 8;
    edited[at + 1] = v & 0xff;
  };
  const fix24 = (at: number, delta: number) => {
    const v = ((edited[at]! << 16) | (edited[at + 1]! << 8) | edited[at + 2]!) - delta;
    edited.set([v >> 16, (v >> 8) & 0xff, v & 0xff], at);
  };
  fix16(11, 32);
  fix24(13 + 1, 32);
  fix24(13 + 9, 32);
  server.handleDatagram(0, edited);
  const sentBack = sent(server);
  assert.ok(sentBack.includes('NewSessionTicket') && !sentBack.includes('Certificate'), `${sentBack.join()} ${errors(server)}`);
});
