// RFC 6347 4.2.8: a client that lost its state (reboot, app restart) and comes
// back from the same address and port sends a fresh epoch-0 ClientHello; the
// server SHOULD run a new handshake (after a cookie exchange) and only then
// drop the old association. listen() routes every datagram from a known
// address|port to the existing DtlsStream (server.ts #onDatagram), whose core
// treats the ClientHello as an old retransmission (message_seq 0 < nextSeq)
// and answers with its final flight. Only listen()'s idleTimeout (default 5
// minutes, Infinity allowed) ever frees the address: until then every attempt
// times out. (With idleTimeout: Infinity the client is locked out for good.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { ManualClock } from '../../src/stream/clock.ts';
import { listen } from '../../src/stream/server.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { certs } from '../handshake/helpers.ts';

function fakeSocket() {
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const readable = new ReadableStream<Datagram>({ start: (c) => void (ctl = c) });
  const routes = new Map<string, (d: Uint8Array) => void>();
  const writable = new WritableStream<Datagram>({ write: (d) => routes.get(`${d.address}|${d.port}`)?.(d.data) });
  return { socket: { readable, writable }, deliver: (d: Datagram) => ctl.enqueue(d), routes };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a client restarting from the same address and port can handshake again (RFC 6347 4.2.8)', async () => {
  const { server: cert } = certs();
  const clock = new ManualClock(Date.now());
  const net = fakeSocket();
  const server = listen(net.socket, { certificate: cert, clock });
  const accepting = (async () => {
    for await (const _c of server) {
      // the application keeps its accepted connections
    }
  })();
  const clientAt = (address: string, port: number) => {
    const dtls = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] }, clock });
    const w = dtls.inbound.writable.getWriter();
    net.routes.set(`${address}|${port}`, (d) => void w.write(d).catch(() => {}));
    void dtls.outbound.readable.pipeTo(new WritableStream({ write: (data) => net.deliver({ data, address, port }) })).catch(() => {});
    return dtls;
  };
  const first = clientAt('10.0.0.1', 5000);
  await first.handshake;
  // The client process dies without a close_notify; a new one binds the same
  // port and, like any application, retries when a handshake times out.
  let connected = false;
  let attempts = 0;
  const start = clock.now();
  while (!connected && clock.now() - start < 15 * 60_000) {
    attempts++;
    const again = clientAt('10.0.0.1', 5000);
    let settled = false;
    void again.handshake.then(
      () => ((connected = true), (settled = true)),
      () => (settled = true),
    );
    while (!settled) {
      await tick();
      clock.advance(500);
    }
  }
  assert.ok(connected, `no handshake in 15 minutes from the restarted client; server peers ${server.size}`);
  assert.equal(attempts, 1, `the restarted client needed ${attempts} handshake attempts (${Math.round((clock.now() - start) / 1000)} s) to get through`);
  await server.close();
  await accepting;
});
