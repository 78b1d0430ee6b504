// The stateless gate in front of a 1.3+1.2 server (hrr-gate.ts, RFC 9147 5.1):
// a ClientHello offering 1.3 draws a HelloRetryRequest with a cookie and no
// state; the ClientHello that returns it is accepted, and the connection made
// for it opens the gate's cookie and completes. 1.2 ClientHellos still get a
// HelloVerifyRequest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type ResolvedOptions } from '../../src/options.ts';
import { Connection } from '../../src/connection.ts';
import { createCookieGate13 } from '../../src/handshake/hrr-gate.ts';
import { gateCookies } from '../../src/handshake/cookie.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { certs } from '../handshake/helpers.ts';
import { WireClient, drain } from './server-wire.ts';

function options(): ResolvedOptions {
  return resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'] });
}

const PEER = '192.0.2.1:4444';

test('gate: a 1.3 ClientHello draws a stateless HRR (record number reused, at most 3x the ClientHello); the returned cookie opens a connection that completes', () => {
  const o = options();
  const gate = createCookieGate13({ options: o });
  const client = new WireClient();
  const ch1 = client.hello();
  const v1 = gate.check(ch1, PEER, 0);
  assert.equal(v1.action, 'reply');
  if (v1.action !== 'reply') return;
  assert.ok(v1.datagram.length <= 3 * ch1.length, 'at most three times what the address sent (RFC 9147 5.1)');
  assert.equal(decodeRecords(v1.datagram).records[0]!.sequenceNumber, decodeRecords(ch1).records[0]!.sequenceNumber);
  client.receive([v1.datagram]);
  const { cookie, group } = client.script.readRetry(client.flight());
  assert.equal(group, undefined, 'the client had a usable share: the HRR is for the cookie alone');
  client.messages = [];

  const ch2 = client.hello({ cookie });
  assert.equal(gate.check(ch2, '192.0.2.9:4444', 0).action, 'drop', 'the cookie is bound to the address it was sent to');
  const v2 = gate.check(ch2, PEER, 0);
  assert.equal(v2.action, 'accept');

  // The connection the gate makes does not know the address: it opens the cookie its first ClientHello brought.
  const server = new Connection({ ...o, hrrCookies: gateCookies(gate) } as ResolvedOptions);
  server.start(0);
  server.handleDatagram(0, ch2);
  const c = client.answer(drain(server));
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected');
  assert.equal(server.handshakeInfo?.version, 'DTLS 1.3');
});

test('gate: the HRR asks for a key share when the ClientHello has none we take, and a tampered cookie is dropped', () => {
  const gate = createCookieGate13({ options: options() });
  const client = new WireClient();
  const v1 = gate.check(client.hello({ groups: ['x25519'], shares: [] }), PEER, 0);
  assert.equal(v1.action, 'reply');
  if (v1.action !== 'reply') return;
  client.receive([v1.datagram]);
  const { cookie, group } = client.script.readRetry(client.flight());
  assert.equal(group, 'x25519');
  const bad = cookie.slice();
  bad[bad.length - 1]! ^= 1;
  assert.equal(gate.check(client.hello({ cookie: bad, shares: ['x25519'] }), PEER, 0).action, 'drop');
  assert.equal(gate.check(client.hello({ cookie, shares: ['x25519'] }), PEER, 0).action, 'accept');
});

test('gate: a DTLS 1.2 ClientHello still gets a HelloVerifyRequest', () => {
  const gate = createCookieGate13({ options: options() });
  const flight = createHandshake(resolveOptions({ role: 'client', verify: 'insecure', versions: ['1.2'] }))
    .start(0)
    .find((a) => a.kind === 'flight');
  assert.ok(flight && flight.kind === 'flight' && flight.items[0]!.kind === 'handshake');
  const layer = new RecordLayer(nobleProvider, () => {});
  const it = flight.items[0]!;
  if (it.kind !== 'handshake') return;
  const datagram = layer.seal(ContentType.handshake, encodeHandshakeMessage(it.message), 0);
  const v = gate.check(datagram, PEER, 0);
  assert.equal(v.action, 'reply');
  if (v.action !== 'reply') return;
  const frag = decodeHandshakeFragments(decodeRecords(v.datagram).records[0]!.fragment)[0]!;
  assert.equal(frag.msgType, HandshakeType.hello_verify_request);
});

test("a connection opening the gate's cookies refuses one from another server's gate (illegal_parameter)", () => {
  const o = options();
  const gate = createCookieGate13({ options: o });
  const client = new WireClient();
  const v1 = createCookieGate13({ options: o }).check(client.hello(), PEER, 0);
  if (v1.action !== 'reply') return assert.fail('an HRR');
  client.receive([v1.datagram]);
  const { cookie } = client.script.readRetry(client.flight());
  const server = new Connection({ ...o, hrrCookies: gateCookies(gate) } as ResolvedOptions);
  server.start(0);
  server.handleDatagram(0, client.hello({ cookie }));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'illegal_parameter');
});
