// The MessagePort adapter: one message per datagram, over Node's MessageChannel
// and across a worker thread, with a real handshake and data both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, Worker } from 'node:worker_threads';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { connect } from '../../src/stream/connect.ts';
import { messagePortDuplex } from '../../src/adapters/message-port.ts';
import { generateCertificate } from '../../src/x509/generate.ts';

const certificate = generateCertificate();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

test('two DtlsStreams handshake and exchange data over a global MessageChannel', async (t) => {
  const { port1, port2 } = new globalThis.MessageChannel();
  t.after(() => port1.close()); // an open port keeps the process alive if an assertion fails first
  const server = new DtlsStream({ role: 'server', certificate });
  const sp = messagePortDuplex(port2);
  const serverPipes = [
    sp.readable.pipeTo(server.inbound.writable),
    server.outbound.readable.pipeTo(sp.writable),
    server.inbound.readable.pipeTo(server.outbound.writable),
  ];
  const client = await connect(messagePortDuplex(port1, { closePort: true }), { verify: { fingerprints: [certificate.fingerprint] } });
  assert.equal(client.info?.version, 'DTLS 1.3');
  const w = client.outbound.writable.getWriter();
  const r = client.inbound.readable.getReader();
  await w.write(enc('over a port'));
  assert.equal(dec((await r.read()).value!), 'over a port');
  await client.close(); // closes port1 (closePort), which closes port2 as well
  await Promise.all(serverPipes); // every server pipe resolves on the clean close
  assert.equal(server.state, 'closed');
});

test('a worker thread serves DTLS over a transferred MessagePort', async (t) => {
  const { port1, port2 } = new MessageChannel();
  // The worker runs TypeScript through tsx's API (a worker's .ts entry is not
  // covered by the --import hooks on Node 20).
  const entry = new URL('./fixtures/port-echo-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(`import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`, {
    eval: true,
    workerData: { port: port2, certificate },
    transferList: [port2],
  });
  // An open port or a running worker keeps the process alive if an assertion fails first.
  t.after(async () => {
    port1.close();
    await worker.terminate();
  });
  const result = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const client = await connect(messagePortDuplex(port1), { verify: { fingerprints: [certificate.fingerprint] } });
  const w = client.outbound.writable.getWriter();
  const r = client.inbound.readable.getReader();
  for (const m of ['one', 'two', 'three']) {
    await w.write(enc(m));
    assert.equal(dec((await r.read()).value!), m);
  }
  await client.close();
  assert.deepEqual(await result, { suite: 'TLS_AES_128_GCM_SHA256', state: 'closed' });
  port1.close();
  assert.equal(await new Promise((resolve) => worker.once('exit', resolve)), 0);
});

test('one message per datagram: exact bytes of a view are sent; non-bytes and overflow are dropped and counted', async (t) => {
  const { port1, port2 } = new MessageChannel();
  // An open port keeps the process alive: closed even when an assertion fails, or the file hangs.
  t.after(() => port1.close());
  const a = messagePortDuplex(port1);
  const b = messagePortDuplex(port2, { highWaterMark: 2 });
  const big = new Uint8Array(64).map((_, i) => i);
  const w = a.writable.getWriter();
  await w.write(big.subarray(10, 13));
  port1.postMessage('text is not a datagram');
  await w.write(Uint8Array.of(1));
  await w.write(Uint8Array.of(2)); // beyond highWaterMark 2: dropped
  // Nothing is read until all four messages came (in order; a fixed wait was too short under load).
  for (const end = Date.now() + 10_000; b.dropped < 2 && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 10));
  const r = b.readable.getReader();
  const first = (await r.read()).value!;
  assert.deepEqual(first, Uint8Array.of(10, 11, 12));
  assert.equal(first.buffer.byteLength, 3, 'only the view is sent, not its buffer');
  assert.deepEqual((await r.read()).value, Uint8Array.of(1));
  assert.equal(b.dropped, 2);
  port1.close();
  assert.equal((await r.read()).done, true, 'the readable ends when the port closes');
  assert.throws(() => messagePortDuplex({} as never), TypeError);
  assert.throws(() => messagePortDuplex(port2, { highWaterMark: 0 }), RangeError);
});
