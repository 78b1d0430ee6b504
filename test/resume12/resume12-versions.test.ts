// A DTLS 1.2 session held by a client that offers 1.3 and 1.2 (the default):
// its one ClientHello carries the 1.2 ticket and a session ID (RFC 9147 5.3
// allows a cached pre-1.3 session there) and can still negotiate 1.3. A
// 1.2-only server resumes it (also after a HelloVerifyRequest); a 1.3 server
// negotiates 1.3 and the 1.2 session is simply unused. And a ticket never
// crosses versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bothIn, createPair, runPair } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { sessionVersion } from '../../src/handshake/ticket12.ts';
import { decodeClientSession, encodeClientSession } from '../../src/handshake/ticket13.ts';
import { decodeClientSession12 } from '../../src/handshake/ticket12.ts';

const ticketKey = new Uint8Array(32).fill(9);

function errors(c: Connection): string {
  return c.error ? `${c.error.code}: ${c.error.message}` : c.state;
}

function run(client: DtlsOptions, server: DtlsOptions) {
  const p = createPair(client, { ticketKeys: [ticketKey], ...server }, { seed: 4 });
  // Until connected, and a little more: a 1.3 NewSessionTicket comes after the handshake.
  const connected = bothIn('connected');
  let at: number | undefined;
  runPair(p.client, p.server, { seed: 4, link: { delay: 10 }, until: (x) => connected(x) && (at ??= x.now) + 200 <= x.now, maxDuration: 10_000 });
  assert.equal(p.client.state, 'connected', `${errors(p.client)} / ${errors(p.server)}`);
  assert.equal(p.server.state, 'connected', errors(p.server));
  return p;
}

function session12(): Uint8Array {
  let s: Uint8Array | undefined;
  // A 1.3+1.2 client asking for tickets gets a 1.2 one from a 1.2-only server.
  const p = run({ onSession: (x) => (s = x) }, { versions: ['1.2'] });
  assert.equal(p.client.handshakeInfo?.version, 'DTLS 1.2');
  assert.ok(s && sessionVersion(s) === '1.2', 'a DTLS 1.2 session');
  return s;
}

for (const cookie of [false, true]) {
  test(`a 1.3+1.2 client resumes its 1.2 session with a 1.2-only server${cookie ? ', after a HelloVerifyRequest' : ''}`, () => {
    const s = session12();
    const p = run({ session: s }, { versions: ['1.2'], requireCookie: cookie });
    assert.equal(p.client.handshakeInfo?.version, 'DTLS 1.2');
    assert.equal(p.client.handshakeInfo?.resumed, true);
    assert.equal(p.server.handshakeInfo?.resumed, true);
  });
}

test('a 1.3+1.2 client with a 1.2 session and a 1.3 server: DTLS 1.3, full handshake, the 1.2 session unused', () => {
  const s = session12();
  const p = run({ session: s }, { versions: ['1.3', '1.2'] });
  assert.equal(p.client.handshakeInfo?.version, 'DTLS 1.3');
  assert.equal(p.client.handshakeInfo?.resumed, false);
});

test('a 1.2 ticket offered as a 1.3 PSK, and a 1.3 ticket as a 1.2 session ticket: neither opens, full handshakes', () => {
  const s12 = decodeClientSession12(session12());
  let s13: Uint8Array | undefined;
  run({ versions: ['1.3'], onSession: (x) => (s13 = x) }, { versions: ['1.3'] });
  assert.ok(s13);
  // The 1.3 session with the 1.2 ticket as its PSK identity: the server passes it over (no binder check).
  const forged13 = encodeClientSession({ ...decodeClientSession(s13), ticket: s12.ticket });
  const p = run({ versions: ['1.3'], session: forged13 }, { versions: ['1.3'] });
  assert.equal(p.client.handshakeInfo?.resumed, false);
});
