// The public API: the root exports what applications use, the sans-IO core is
// its own subpath, and nothing internal (resolved options with the private
// key, test hooks) is reachable through either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as root from '../../src/index.ts';
import * as core from '../../src/core.ts';
import type { ConnectionLike } from '../../src/core.ts';

test('the root exports the application API and not the sans-IO internals', () => {
  for (const name of [
    'DtlsStream',
    'connect',
    'listen',
    'DtlsServer',
    'DtlsError',
    'generateCertificate',
    'loadCertificate',
    'fingerprint',
    'DEFAULTS',
    'LISTEN_DEFAULTS',
  ]) {
    assert.ok(name in root, `root exports ${name}`);
  }
  for (const name of ['Connection', 'resolveOptions', 'createCookieGate', 'trackFlush', 'defaultConnection']) {
    assert.ok(!(name in root), `root does not export ${name}`);
  }
});

test('dtls-stream/core: two sans-IO connections complete a handshake and carry data, driven by hand', () => {
  const cert = root.generateCertificate();
  const client = core.createConnection({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  const server = core.createConnection({ role: 'server', certificate: cert });
  let now = Date.now();
  const pump = (from: ConnectionLike, to: ConnectionLike): number => {
    let n = 0;
    for (let d = from.pollTransmit(); d; d = from.pollTransmit(), n++) to.handleDatagram(now, d);
    return n;
  };
  server.start(now);
  client.start(now);
  for (let i = 0; i < 20 && pump(client, server) + pump(server, client) > 0; i++) now += 1;
  assert.equal(client.state, 'connected');
  assert.equal(server.state, 'connected');
  client.send(now, new TextEncoder().encode('by hand'));
  pump(client, server);
  assert.equal(new TextDecoder().decode(server.pollReceived()), 'by hand');
  const events: string[] = [];
  for (let e = client.pollEvent(); e; e = client.pollEvent()) events.push(e.type);
  assert.ok(events.includes('handshake'));
  assert.throws(() => core.createConnection({ role: 'client' }), TypeError);
  // Only the contract is reachable: no resolved options (they hold the private key), no internal entry points.
  assert.deepEqual(Object.keys(server).sort(), [
    'abort',
    'close',
    'connectionIds',
    'error',
    'exportKeyingMaterial',
    'handleDatagram',
    'handleTimeout',
    'handshakeInfo',
    'issueConnectionIds',
    'newestDatagrams',
    'pollEvent',
    'pollReceived',
    'pollTimeout',
    'pollTransmit',
    'requestConnectionIds',
    'send',
    'setMtu',
    'setRetransmitTimeout',
    'start',
    'state',
    'stats',
    'switchConnectionId',
    'updateKeys',
  ]);
  assert.equal((server as unknown as { options?: unknown }).options, undefined);
  // abort() is typed on what createConnection returns (no optional call): the peer fails with the alert.
  client.abort(now, 'access_denied');
  pump(client, server);
  assert.equal(server.error?.code, 'peer_alert');
  assert.equal(server.error?.alert, 49);
});

test('dtls-stream/core: wrapConnection puts streams around a connection', async () => {
  const cert = root.generateCertificate();
  const a = core.wrapConnection(core.createConnection({ role: 'client', verify: 'insecure' }));
  const b = core.wrapConnection(core.createConnection({ role: 'server', certificate: cert }));
  const pipes = [a.outbound.readable.pipeTo(b.inbound.writable), b.outbound.readable.pipeTo(a.inbound.writable)];
  assert.equal((await a.handshake).peerFingerprint, cert.fingerprint);
  await a.close();
  await Promise.all(pipes); // a clean close: both pipes resolve
});
