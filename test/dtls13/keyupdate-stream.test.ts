// updateKeys() on the public faces: DtlsStream (a pair in memory, real
// timers, the real core) and the sans-IO connection of dtls-stream/core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/index.ts';
import { createConnection } from '../../src/core.ts';
import { shuttle, testCertificates } from '../../src/testing/index.ts';
import { certs } from '../handshake/helpers.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function streamPair(versions: ('1.2' | '1.3')[]) {
  const { server: cert } = certs();
  const client = new DtlsStream({ role: 'client', versions, verify: { fingerprints: [cert.fingerprint] } });
  const server = new DtlsStream({ role: 'server', versions, certificate: cert });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  return { client, server };
}

/** The epochs of KeyUpdates a stream received. */
function keyUpdatesIn(s: DtlsStream): number[] {
  const got: number[] = [];
  s.addEventListener('trace', (e) => {
    if (e.detail.what === 'KeyUpdate' && e.detail.direction === 'in') got.push(e.detail.epoch);
  });
  return got;
}

test('DtlsStream.updateKeys(): a KeyUpdate each way (requested), data before and after', async () => {
  const { client, server } = streamPair(['1.3']);
  assert.throws(() => client.updateKeys(), TypeError, 'before the handshake');
  const atServer = keyUpdatesIn(server);
  const atClient = keyUpdatesIn(client);
  await Promise.all([client.handshake, server.handshake]);
  const cw = client.outbound.writable.getWriter();
  const sr = server.inbound.readable.getReader();
  const sw = server.outbound.writable.getWriter();
  const cr = client.inbound.readable.getReader();
  await cw.write(enc('before'));
  assert.equal(dec((await sr.read()).value!), 'before');
  client.updateKeys({ requestPeerUpdate: true });
  await cw.write(enc('during'));
  assert.equal(dec((await sr.read()).value!), 'during');
  // The ACKs and the server's answer cross in memory at once; a few turns of the event loop carry them.
  for (let i = 0; i < 50 && (atServer.length < 1 || atClient.length < 1); i++) await new Promise((r) => setTimeout(r, 2));
  assert.deepEqual(atServer, [3]);
  assert.deepEqual(atClient, [3], "the server's answer to update_requested");
  await cw.write(enc('after'));
  assert.equal(dec((await sr.read()).value!), 'after');
  await sw.write(enc('back'));
  assert.equal(dec((await cr.read()).value!), 'back');
  assert.equal(client.state, 'connected');
  await Promise.all([client.close(), server.close()]);
  assert.throws(
    () => client.updateKeys(),
    (e: unknown) => e instanceof Error && /closed/.test(e.message),
  );
});

test('DtlsStream.updateKeys() under DTLS 1.2 is a TypeError and the connection goes on', async () => {
  const { client, server } = streamPair(['1.2']);
  await Promise.all([client.handshake, server.handshake]);
  assert.throws(() => client.updateKeys(), TypeError);
  assert.equal(client.state, 'connected');
  await Promise.all([client.close(), server.close()]);
});

test('dtls-stream/core: createConnection() hands out updateKeys()', () => {
  const { server: cert } = testCertificates();
  const client = createConnection({ role: 'client', versions: ['1.3'], verify: { fingerprints: [cert.fingerprint] } });
  const server = createConnection({ role: 'server', versions: ['1.3'], certificate: cert });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(client.state, 'connected');
  server.updateKeys!(0, { requestPeerUpdate: true });
  shuttle(client, server);
  const traces: string[] = [];
  for (let e = client.pollEvent(); e; e = client.pollEvent()) if (e.type === 'trace' && e.what === 'KeyUpdate') traces.push(`${e.direction}:${e.epoch}`);
  assert.deepEqual(traces, ['in:3', 'out:3']);
  client.send(0, enc('x'));
  shuttle(client, server);
  assert.equal(dec(server.pollReceived()!), 'x');
});
