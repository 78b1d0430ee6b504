// The DTLS 1.3 server inside a Connection, over the real 1.3 record layer:
// the scripted client (server-peer.ts) seals and opens its records with a
// RecordLayer of its own (unified header, encrypted record numbers), so the
// server's datagrams are what goes on the wire. The handshake completes and
// application data flows both ways in epoch 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { Connection } from '../../src/connection.ts';
import type { RecordLayer } from '../../src/record/record-layer.ts';
import { ContentType } from '../../src/wire/types.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { certs } from '../handshake/helpers.ts';
import { WireClient, drain } from './server-wire.ts';

function server13(extra: object = {}): Connection {
  const s = new Connection(resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'], ...extra }));
  s.start(0);
  return s;
}

test('the 1.3 server in a Connection completes over real 1.3 records and carries data both ways in epoch 3', () => {
  const server = server13();
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  const first = drain(server);
  assert.ok(first.length >= 1);
  // The ServerHello (epoch 0, plaintext) gives the keys that open the rest.
  client.receive(first);
  assert.equal(client.messages.length, 1, 'only the ServerHello opens without keys');
  const peek = client.peekKeys();
  client.openEpoch(2, peek.serverHs, peek.suite);
  assert.equal(client.messages.length, 5, 'ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished');
  assert.ok(client.messages.slice(1).every((m) => m.epoch === 2));

  // A fresh run of the script over the whole flight: it checks CertificateVerify and Finished.
  const c = client.script.finish(client.flight(), certs().server);
  client.layer.installWrite(2, { suite: c.suite, ...c.clientHs } as Parameters<RecordLayer['installWrite']>[1]);
  for (const r of c.records) server.handleDatagram(0, client.layer.seal(ContentType.handshake, r.payload, 2));
  assert.equal(server.state, 'connected');
  assert.equal(server.handshakeInfo?.version, 'DTLS 1.3');
  assert.deepEqual(server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 60), c.exporter('EXTRACTOR-dtls_srtp', undefined, 60));

  client.openEpoch(3, c.serverAp, c.suite);
  client.layer.installWrite(3, { suite: c.suite, ...c.clientAp } as Parameters<RecordLayer['installWrite']>[1]);
  server.send(0, new TextEncoder().encode('from server'));
  const got = client.receive(drain(server)).filter((r) => r.contentType === ContentType.application_data);
  assert.deepEqual(
    got.map((r) => [r.epoch, new TextDecoder().decode(r.payload)]),
    [[3, 'from server']],
  );
  server.handleDatagram(0, client.layer.seal(ContentType.application_data, new TextEncoder().encode('from client'), 3));
  assert.equal(new TextDecoder().decode(server.pollReceived()!), 'from client');
});

test('a HelloRetryRequest over the wire: no keys, no retransmission timer, then the second ClientHello completes', () => {
  const server = server13({ requireCookie: true });
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  const hrr = drain(server);
  assert.equal(hrr.length, 1);
  client.receive(hrr);
  const { cookie } = client.script.readRetry(client.flight());
  assert.equal(server.pollTimeout(), 30000, 'only the handshake deadline: a HelloRetryRequest is never resent on a timer (RFC 9147 5.1)');
  client.messages = [];
  server.handleDatagram(0, client.hello({ cookie }));
  client.receive(drain(server));
  const peek = client.peekKeys();
  client.openEpoch(2, peek.serverHs, peek.suite);
  const c = client.script.finish(client.flight(), certs().server);
  client.layer.installWrite(2, { suite: c.suite, ...c.clientHs } as Parameters<RecordLayer['installWrite']>[1]);
  for (const r of c.records) server.handleDatagram(0, client.layer.seal(ContentType.handshake, r.payload, 2));
  assert.equal(server.state, 'connected');
});

test('a forged epoch-0 record after the ServerHello does not disturb the handshake; a tampered Finished fails it with decrypt_error', () => {
  const server = server13();
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  client.receive(drain(server));
  const peek = client.peekKeys();
  client.openEpoch(2, peek.serverHs, peek.suite);
  // An off-path epoch-0 "Finished" is not where a Finished can come from.
  const forged = encodeHandshakeMessage({ msgType: 20, messageSeq: 1, body: new Uint8Array(32) });
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, forged, 0));
  assert.equal(server.state, 'handshaking');
  const c = client.script.finish(client.flight(), certs().server, { badFinished: true });
  client.layer.installWrite(2, { suite: c.suite, ...c.clientHs } as Parameters<RecordLayer['installWrite']>[1]);
  for (const r of c.records) server.handleDatagram(0, client.layer.seal(ContentType.handshake, r.payload, 2));
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'decrypt_error');
  // After its Finished the server writes in epoch 3, so its alert opens under the client's application keys.
  client.openEpoch(3, c.serverAp, c.suite);
  const alerts = client.receive(drain(server)).filter((r) => r.contentType === ContentType.alert);
  assert.deepEqual(
    alerts.map((r) => [r.epoch, ...r.payload]),
    [[3, 2, 51]],
  );
});

test("after the handshake a KeyUpdate from the client is taken: ACKed, and update_requested answered with the server's own in epoch 3", () => {
  const server = server13();
  const client = new WireClient();
  server.handleDatagram(0, client.hello());
  const c = client.answer(drain(server));
  for (const d of c.datagrams) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected');
  client.sealEpoch(3, c.clientAp, c.suite);
  client.openEpoch(3, c.serverAp, c.suite);
  const keyUpdate = encodeHandshakeMessage({ msgType: 24, messageSeq: client.script.nextSeq, body: Uint8Array.of(1) });
  server.handleDatagram(0, client.layer.seal(ContentType.handshake, keyUpdate, 3));
  assert.equal(server.state, 'connected', server.error?.message);
  const out = client.receive(drain(server));
  assert.ok(
    out.some((r) => r.contentType === ContentType.ack && r.epoch === 3),
    'the KeyUpdate ACKed',
  );
  assert.ok(
    out.some((r) => r.contentType === ContentType.handshake && r.epoch === 3 && r.payload[0] === 24 && r.payload.at(-1) === 0),
    'its own KeyUpdate',
  );
});
