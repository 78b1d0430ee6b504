// stream/clock.ts: systemClock.now() is Date.now(), the wall clock, and the
// core's retransmission, handshake and idle deadlines are absolute times on
// it. When the wall clock is stepped (NTP sync after boot on a device with no
// RTC, a manual change, a VM resume), every deadline moves with it: a step
// forward fires the handshake timeout at once (a healthy handshake fails with
// handshake_timeout), a step back silences retransmissions for as long as the
// step. RFC 6347 4.2.4.1 timers measure elapsed time; they need a monotonic
// clock (performance.now()), with Date.now() kept only for certificate validity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { certs } from '../handshake/helpers.ts';

test('a wall-clock step during the handshake does not make it time out', async () => {
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  try {
    const { server: cert } = certs();
    const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
    const server = new DtlsStream({ role: 'server', certificate: cert });
    let first = true;
    const stepOnFirst = new TransformStream<Uint8Array, Uint8Array>({
      transform(d, c) {
        // NTP steps the clock forward by an hour just as the ClientHello leaves.
        if (first) offset = 3_600_000;
        first = false;
        c.enqueue(d);
      },
    });
    void client.outbound.readable
      .pipeThrough(stepOnFirst)
      .pipeTo(server.inbound.writable)
      .catch(() => {});
    // 20 ms of network latency on the way back.
    const latency = new TransformStream<Uint8Array, Uint8Array>({
      transform: (d, c) =>
        new Promise((r) =>
          setTimeout(() => {
            try {
              c.enqueue(d);
            } catch {
              // closed meanwhile
            }
            r();
          }, 20),
        ),
    });
    void server.outbound.readable
      .pipeThrough(latency)
      .pipeTo(client.inbound.writable)
      .catch(() => {});
    const outcome = await client.handshake.then(
      () => 'connected',
      (e: Error) => `failed: ${e.message}`,
    );
    const serverOutcome = await server.handshake.then(
      () => 'connected',
      (e: Error) => `failed: ${e.message}`,
    );
    assert.equal(serverOutcome, 'connected');
    assert.equal(outcome, 'connected');
    await client.close();
    await server.close();
  } finally {
    Date.now = realNow;
  }
});
