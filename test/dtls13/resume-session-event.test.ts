// The 'session' event: each session a DTLS 1.3 client gets from a
// NewSessionTicket comes as a ConnectionEvent (pollEvent) and as a DtlsStream
// event, for a client that asked for tickets (onSession); resuming with it works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream, connect, type DtlsEvent } from '../../src/stream/index.ts';
import { createConnection } from '../../src/core.ts';
import type { ConnectionEvent, ConnectionLike } from '../../src/connection-types.ts';
import { shuttle } from '../../src/testing/index.ts';
import { sessionVersion } from '../../src/index.ts';
import { certs } from '../handshake/helpers.ts';
import type { DtlsOptions } from '../../src/options.ts';

const ticketKeys = [new Uint8Array(32).fill(5)];

function sessionsOf(c: ConnectionLike): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let e: ConnectionEvent | undefined; (e = c.pollEvent());) if (e.type === 'session') out.push(e.session);
  return out;
}

function corePair(client: DtlsOptions) {
  const { server: cert } = certs();
  const c = createConnection({ role: 'client', versions: ['1.3'], verify: { fingerprints: [cert.fingerprint] }, ...client });
  const s = createConnection({ role: 'server', versions: ['1.3'], certificate: cert, ticketKeys, sessionTickets: 2 });
  c.start(0);
  s.start(0);
  shuttle(c, s);
  assert.equal(c.state, 'connected');
  return c;
}

test('core: each NewSessionTicket is a session event with the bytes onSession got; they resume', () => {
  const given: Uint8Array[] = [];
  const c = corePair({ onSession: (s) => given.push(s) });
  const events = sessionsOf(c);
  assert.equal(events.length, 2, 'two tickets, two events');
  assert.deepEqual(events, given);
  assert.notEqual(events[0], given[0], 'a copy: the callback cannot change what the event holds');
  const again = corePair({ session: events[1]!, onSession: () => {} });
  assert.equal(again.handshakeInfo?.resumed, true);
});

test('core: a client that did not ask for tickets gets no session event (and no ticket)', () => {
  const c = corePair({});
  assert.deepEqual(sessionsOf(c), []);
});

function streamServer(): DtlsStream {
  const { server: cert } = certs();
  return new DtlsStream({ role: 'server', versions: ['1.3'], certificate: cert, ticketKeys });
}

function nextSession(s: DtlsStream): Promise<Uint8Array> {
  return new Promise((resolve) => s.addEventListener('session', (e: DtlsEvent<'session'>) => resolve(e.detail.session), { once: true }));
}

test("DtlsStream: a 'session' event with detail.session; a second stream resumes with it", async () => {
  const { server: cert } = certs();
  const run = async (session?: Uint8Array) => {
    const client = new DtlsStream({ role: 'client', versions: ['1.3'], verify: { fingerprints: [cert.fingerprint] }, onSession: () => {}, session });
    const server = streamServer();
    void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
    void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
    const got = nextSession(client);
    const [info] = await Promise.all([client.handshake, server.handshake]);
    const s = await got;
    const resumed = info.resumed;
    await Promise.all([client.close(), server.close()]);
    return { s, resumed };
  };
  const first = await run();
  assert.ok(first.s instanceof Uint8Array && first.s.length > 0);
  assert.equal(first.resumed, false);
  const second = await run(first.s);
  assert.equal(second.resumed, true);
});

test("connect(): the stream it resolves to gets the 'session' event after the handshake", async () => {
  const { server: cert } = certs();
  const server = streamServer();
  const c2s = new TransformStream<Uint8Array, Uint8Array>();
  // Like a network, a datagram takes at least a turn of the event loop (connect() resolves before the ticket can come).
  const s2c = new TransformStream<Uint8Array, Uint8Array>({ transform: async (d, c) => (await new Promise((r) => setTimeout(r, 1)), c.enqueue(d)) });
  void c2s.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(s2c.writable).catch(() => {});
  const dtls = await connect(
    { readable: s2c.readable, writable: c2s.writable },
    { versions: ['1.3'], verify: { fingerprints: [cert.fingerprint] }, onSession: () => {} },
  );
  const s = await nextSession(dtls);
  assert.ok(s.length > 0);
  await Promise.all([dtls.close(), server.close()]);
});

test("core: the 'session' event names the version it resumes, as sessionVersion() reads it from the bytes (DTLS 1.3 and 1.2)", () => {
  const { server: cert } = certs();
  for (const version of ['1.3', '1.2'] as const) {
    const c = createConnection({ role: 'client', versions: [version], verify: { fingerprints: [cert.fingerprint] }, onSession: () => {} });
    const s = createConnection({ role: 'server', versions: ['1.3', '1.2'], certificate: cert, ticketKeys });
    c.start(0);
    s.start(0);
    shuttle(c, s);
    assert.equal(c.state, 'connected', version);
    const events: Extract<ConnectionEvent, { type: 'session' }>[] = [];
    for (let e: ConnectionEvent | undefined; (e = c.pollEvent());) if (e.type === 'session') events.push(e);
    assert.ok(events.length >= 1, `a ${version} session`);
    for (const e of events) {
      assert.equal(e.version, version);
      assert.equal(sessionVersion(e.session), version);
    }
  }
  assert.equal(sessionVersion(Uint8Array.of(3, 1, 2, 3)), undefined, 'not a session');
});
