// connectUdp() + nodeUdpConnected(): the ICMP port unreachable that a connected
// socket reports (ECONNREFUSED) over real loopback UDP (127.0.0.1 only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { bindUdp, connectUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import { connect } from '../../src/stream/connect.ts';
import { DtlsError } from '../../src/errors.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const closeSocket = (s: Socket): Promise<void> => new Promise((resolve) => s.close(() => resolve()));

/** A port nothing listens on (bound a moment ago, then closed). */
async function closedPort(): Promise<number> {
  const s = await bindUdp({ address: '127.0.0.1' });
  const { port } = s.address();
  await closeSocket(s);
  return port;
}

test('connect() to a closed port fails at once with "no DTLS server" instead of retransmitting', async () => {
  const port = await closedPort();
  const socket = await connectUdp('127.0.0.1', port);
  try {
    // handshakeTimeout is far away: only the port-unreachable report ends this.
    const error = await connect(nodeUdpConnected(socket, '127.0.0.1', port), { verify: 'insecure', handshakeTimeout: 600_000 }).then(
      () => assert.fail('connected to nobody'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DtlsError, String(error));
    assert.equal(error.code, 'closed');
    assert.equal(error.message, `no DTLS server at 127.0.0.1:${port} (port unreachable)`);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  } finally {
    await closeSocket(socket);
  }
});

test('once the peer has answered, a port unreachable is counted and ignored (a forged ICMP must not end a connection)', async () => {
  const peer = await bindUdp({ address: '127.0.0.1' });
  const peerPort = peer.address().port;
  const socket = await connectUdp('127.0.0.1', peerPort);
  const c = nodeUdpConnected(socket, '127.0.0.1', peerPort);
  const reader = c.readable.getReader();
  const writer = c.writable.getWriter();
  try {
    const local = socket.address();
    await new Promise<void>((resolve) => peer.send(enc('hello'), local.port, '127.0.0.1', () => resolve()));
    assert.equal(new TextDecoder().decode((await reader.read()).value), 'hello');
    await closeSocket(peer); // the peer goes away: our next datagrams draw ICMP port unreachable
    for (let i = 0; i < 50 && c.unreachable === 0; i++) {
      await writer.write(enc('anyone?'));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(c.unreachable >= 1, 'no port unreachable was reported');
    // The readable is still open: a datagram from a new socket on that port still arrives.
    const back = await bindUdp({ address: '127.0.0.1', port: peerPort });
    try {
      await new Promise<void>((resolve) => back.send(enc('back'), local.port, '127.0.0.1', () => resolve()));
      assert.equal(new TextDecoder().decode((await reader.read()).value), 'back');
    } finally {
      await closeSocket(back);
    }
  } finally {
    reader.releaseLock();
    writer.releaseLock();
    await closeSocket(socket);
  }
});

test('an unconnected socket keeps its behaviour: sends go to the address given, no ICMP reaches it', async () => {
  const port = await closedPort();
  const socket = await bindUdp({ address: '127.0.0.1' });
  const c = nodeUdpConnected(socket, '127.0.0.1', port);
  const writer = c.writable.getWriter();
  try {
    await writer.write(enc('into the void'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.unreachable, 0);
    assert.equal(c.sendErrors, 0);
  } finally {
    writer.releaseLock();
    await closeSocket(socket);
  }
});
