// listen() hands a peer's Connection (requireCookie: false) the datagram whose
// ClientHello carried a valid cookie (message_seq 1). connection.ts then has a
// rule for the server in wait_client_hello: a ClientHello fragment whose
// message_seq differs from nextSeq (and is < 8) resets the reassembler to it.
// If the cookie-bearing ClientHello is fragmented (MTU 128, or a big hello) and
// a delayed duplicate of the first, cookieless ClientHello (message_seq 0)
// arrives between its fragments, the server throws away the half-built
// ClientHello #2, answers the stale ClientHello #1 with a flight numbered
// from 0, and the client (whose next expected message_seq is 1) receives a
// Certificate where it expects a ServerHello: unexpected_message, fatal.
// RFC 6347 4.2.2 / 4.2.4: reordered or duplicated handshake messages must not
// break the handshake; an old message_seq is a retransmission.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { createCookieGate } from '../../src/handshake/cookie.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { certs } from '../handshake/helpers.ts';
import { drainOut, pump } from './helpers.ts';

test('a delayed duplicate of the cookieless ClientHello between fragments of the cookie-bearing one does not break the handshake', () => {
  const c = certs();
  const client = new Connection(
    resolveOptions({
      role: 'client',
      // DTLS 1.2: the HelloVerifyRequest gate and its message_seq rules (a 1.3 server answers with a HelloRetryRequest).
      versions: ['1.2'],
      mtu: 128,
      alpn: ['webrtc', 'c-webrtc', 'h2-custom-protocol'],
      serverName: 'server.example.com',
      verify: { fingerprints: [c.server.fingerprint] },
    }),
  );
  const gate = createCookieGate({ crypto: nobleProvider });
  client.start(0);
  const hello1 = drainOut(client);
  assert.ok(hello1.length >= 2, 'ClientHello is fragmented at MTU 128');
  const v = gate.check(hello1[0]!, 'peer');
  assert.equal(v.action, 'reply');
  if (v.action !== 'reply') return;
  client.handleDatagram(10, v.datagram);
  const hello2 = drainOut(client);
  assert.ok(hello2.length >= 2);
  assert.equal(gate.check(hello2[0]!, 'peer').action, 'accept');

  // What listen() builds for the peer, fed the accepted datagram first.
  const server = new Connection(resolveOptions({ role: 'server', versions: ['1.2'], mtu: 128, alpn: ['webrtc'], certificate: c.server, requireCookie: false }));
  server.handleDatagram(20, hello2[0]!);
  for (const d of hello1) server.handleDatagram(20, d); // the network delivers the old hello late
  for (const d of hello2.slice(1)) server.handleDatagram(20, d);
  for (const d of drainOut(server)) client.handleDatagram(30, d);

  pump(client, server, 30, () => client.state !== 'handshaking' && server.state !== 'handshaking');
  assert.equal(client.state, 'connected', `client: ${client.error?.code} ${client.error?.message}`);
  assert.equal(server.state, 'connected', `server: ${server.error?.code} ${server.error?.message}`);
});
