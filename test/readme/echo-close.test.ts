// The README's echo server (the server half of its "Use" program, taken from
// README.md as written) in a child process, ended both ways a user ends it:
// by the peer's close_notify and by server.close() while a client is still
// connected. A clean close must reject nothing: the process exits 0 on its own
// with nothing on stderr (an unhandled rejection would print and exit 1), and
// the echo's .catch (which prints "peer failed") never runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { README, blocks, runTs } from './blocks.ts';

const use = blocks(README).find((b) => b.lang === 'ts' && b.code.includes('for await (const conn of server)'));
const serverHalf = use?.code.slice(0, use.code.indexOf('// Client:')) ?? '';

/** A client of the README's server: connects, checks the echo, then runs `end`. */
const client = (end: string): string => `
${serverHalf}
const socket = await bindUdp();
const dtls = await connect(nodeUdpConnected(socket, '127.0.0.1', serverSocket.address().port), { verify: { fingerprints: [certificate.fingerprint] } });
const sink: string[] = [];
const inbound = dtls.inbound.readable.pipeTo(new WritableStream({ write: (m) => void sink.push(new TextDecoder().decode(m)) }));
const writer = dtls.outbound.writable.getWriter();
await writer.write(new TextEncoder().encode('ping'));
while (!sink.length) await new Promise((r) => setTimeout(r, 5));
if (sink[0] !== 'ping') throw new Error('no echo');
writer.releaseLock();
${end}
socket.close();
serverSocket.close();
console.log('clean', dtls.state, server.size);
`;

test('the README has the echo server this test runs', () => {
  assert.ok(use && serverHalf.includes('conn.inbound.readable.pipeTo(conn.outbound.writable)'));
});

test("README echo server, closed by the peer's close_notify: exits 0, nothing on stderr, no rejection", async () => {
  const stdout = await runTs(
    client(`
      await dtls.close();          // our close_notify: the server's echo pipe must resolve
      await inbound;               // and ours
      while (server.size) await new Promise((r) => setTimeout(r, 5)); // the server dropped the peer
      await server.close();
      await serving;`),
    'echo server closed by the peer',
  );
  assert.match(stdout, /^clean closed 0$/m);
  assert.doesNotMatch(stdout, /peer failed/);
});

test('README echo server, closed by server.close() with a client connected: exits 0, nothing on stderr, no rejection', async () => {
  const stdout = await runTs(
    client(`
      await server.close();        // close_notify to the client, the echo pipe resolves
      await serving;
      await inbound;               // the client's inbound ends cleanly on the server's close_notify
      await dtls.closed;`),
    'echo server closed by close()',
  );
  assert.match(stdout, /^clean closed 0$/m);
  assert.doesNotMatch(stdout, /peer failed/);
});
