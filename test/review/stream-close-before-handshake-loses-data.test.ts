// DtlsStream: plaintext written before the handshake completes is accepted
// (write() resolves: Connection.send holds it in #pendingSends), but closing
// the writer right after, the normal WritableStream way to say "flush, then
// end", makes #endWritable('out') → close() → Connection.close(), which sends
// close_notify during the handshake and discards #pendingSends. The data a
// resolved write() accepted is never delivered, and the peer's handshake fails.
// (Same with ReadableStream.from([...]).pipeTo(dtls.outbound.writable).)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { certs } from '../handshake/helpers.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

test('data written and then writer.close()d before the handshake completes reaches the peer', async () => {
  const { server: cert } = certs();
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  const server = new DtlsStream({ role: 'server', certificate: cert });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});

  const w = client.outbound.writable.getWriter();
  await w.write(enc('hello')); // resolves: the core holds it until the handshake completes
  const closing = w.close().catch((e: unknown) => e);

  const received: string[] = [];
  const reading = (async () => {
    const r = server.inbound.readable.getReader();
    for (;;) {
      const { value, done } = await r.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      received.push(dec(value!));
    }
  })();
  const serverHandshake = await server.handshake.then(
    () => 'ok',
    (e: Error) => `failed: ${e.message}`,
  );
  await closing;
  await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
  assert.equal(serverHandshake, 'ok');
  assert.deepEqual(received, ['hello']);
  await client.close();
  await server.close();
});
