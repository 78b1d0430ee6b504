// Connection.abort(): the application ends a connection with a fatal alert of
// its choice (RFC 8446 6.2, RFC 5246 7.2.2), under DTLS 1.2 and 1.3, and the
// peer fails with that alert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/connection.ts';
import { AlertDescription, DtlsError } from '../../src/errors.ts';
import { makePair } from './helpers.ts';

/** Hands every queued datagram across until both sides are quiet. */
function pump(a: Connection, b: Connection, now: number): void {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let d = from.pollTransmit(); d; d = from.pollTransmit()) {
        to.handleDatagram(now, d);
        moved = true;
      }
    }
  }
}

for (const version of ['1.2', '1.3'] as const) {
  test(`DTLS ${version}: abort() after the handshake sends the fatal alert, and both sides fail with it`, () => {
    const { client, server } = makePair({ versions: [version] }, { versions: [version] });
    client.start(0);
    server.start(0);
    pump(client, server, 1);
    assert.equal(client.state, 'connected');
    assert.equal(server.state, 'connected');

    server.abort(2, 'access_denied');
    assert.equal(server.state, 'failed');
    assert.ok(server.error instanceof DtlsError);
    assert.equal(server.error.code, 'aborted');
    assert.equal(server.error.alert, AlertDescription.access_denied);
    assert.equal(server.error.fromPeer, false);
    assert.equal(server.pollTimeout(), undefined, 'nothing left to resend');
    pump(client, server, 3);
    assert.equal(client.state, 'failed');
    assert.equal(client.error?.code, 'peer_alert');
    assert.equal(client.error?.alert, AlertDescription.access_denied);
    assert.equal(client.error?.fromPeer, true);
    assert.throws(
      () => server.send(4, new Uint8Array(1)),
      (e: unknown) => e === server.error,
      'send() after it throws the abort',
    );
  });
}

test('abort() during the handshake: an alert by number reaches the peer, which fails', () => {
  const { client, server } = makePair();
  client.start(0);
  server.start(0);
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(1, d);
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(1, d);
  assert.equal(client.state, 'handshaking');
  server.abort(2, 30); // decompression_failure (RFC 5246 7.2.2), what BoringSSL's runner asks for
  assert.equal(server.error?.alert, 30);
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(3, d);
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'peer_alert');
  assert.equal(client.error?.alert, AlertDescription.decompression_failure);
});

test('abort() before start() sends nothing; after the end it does nothing; close_notify and out-of-range alerts are RangeErrors', () => {
  const { client, server } = makePair();
  client.abort(0, 'internal_error');
  assert.equal(client.state, 'failed');
  assert.equal(client.pollTransmit(), undefined);

  server.start(0);
  server.close(1);
  assert.equal(server.state, 'closed');
  server.abort(2, 'internal_error');
  assert.equal(server.state, 'closed');
  assert.equal(server.error, undefined);

  const { client: other } = makePair();
  for (const bad of ['close_notify', 0, 256, 1.5, 'no_such_alert'] as const) assert.throws(() => other.abort(0, bad as never), RangeError, String(bad));
  assert.equal(other.state, 'idle', 'a refused call changes nothing');
});
