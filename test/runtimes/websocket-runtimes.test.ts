// webSocketDuplex with Deno's and Bun's global WebSocket: each runtime runs
// fixtures/ws-client.ts (our client, from source) through a `ws` relay to our
// UDP echo server here in Node: handshake, echo, close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import { listen, generateCertificate } from '../../src/index.ts';
import { startRelay } from './relay.ts';
import { Child, type Runtime } from './child.ts';

const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

describe('webSocketDuplex over the runtime’s global WebSocket', { concurrency: true }, () => {
  for (const runtime of ['deno', 'bun'] as Runtime[]) {
    it(`${runtime}: DTLS through a WebSocket relay to our UDP server: handshake, echo, close`, { timeout: 30_000 }, async (t) => {
      const certificate = generateCertificate();
      const udp = await bindUdp({ address: '127.0.0.1' });
      t.after(() => closeSocket(udp).catch(() => {}));
      const server = listen(nodeUdpSocket(udp), { certificate });
      t.after(() => server.close());
      const serving = (async () => {
        for await (const conn of server) void conn.inbound.readable.pipeTo(conn.outbound.writable).catch(() => {});
      })();
      const relay = await startRelay(udp.address().port);
      t.after(() => relay.close());

      const child = new Child(runtime, 'ws-client.ts', [relay.url, certificate.fingerprint], t);
      assert.equal(await child.exit(25_000), 0, child.dump());
      assert.equal(child.step('handshake')?.version, 'DTLS 1.3');
      assert.equal(child.step('echo')?.text, `hello over ${runtime}'s WebSocket`);
      assert.equal(child.step('open-after-close')?.readyState, 1, 'closing DTLS left the WebSocket open');
      assert.ok(child.step('done'));
      for (let i = 0; i < 200 && server.size > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(server.size, 0, 'close_notify arrived through the relay');
      await server.close();
      await serving;
    });
  }
});
