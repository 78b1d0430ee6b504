// The shim's end of a test it fails: it must stay on the TCP connection, reading,
// until the runner closes it. The runner writes its flight one datagram at a time;
// a shim that refuses the Certificate and exits at once closes the socket under
// the rest (the CertificateVerify, the Finished), and on a loaded machine the
// runner's next write fails ("write: broken pipe") before it reads our alert: the
// test then fails with "unexpected error" (bogo/FINDINGS.md). Here a stand-in
// runner (the library's server on the shim's framing) writes again after the
// shim's FIN, as a slow runner does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { DtlsError } from '../../src/index.ts';
import { testCertificates } from '../../src/testing/index.ts';
import { FrameReader, encodePacket } from '../../bogo/framing.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

test('a shim that fails a test keeps reading until the runner closes, so the rest of the flight still lands', async () => {
  const server = new Connection(resolveOptions({ role: 'server', versions: ['1.3'], certificate: testCertificates().server, mtu: 400 }));
  // Half-open, as the Go runner's sockets are: our FIN is not answered with one until we close.
  const listener = createServer({ allowHalfOpen: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = (listener.address() as { port: number }).port;
  // A client that verifies with a callback that refuses (BoringSSL's -verify-fail): it fails on our Certificate.
  const shim = spawn(process.execPath, ['--import', 'tsx', 'bogo/shim.ts', '-port', String(port), '-shim-id', '5', '-dtls', '-verify-peer', '-verify-fail'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  shim.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = once(shim, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const bound = setTimeout(() => shim.kill('SIGKILL'), 60_000);
  try {
    const [sock] = (await once(listener, 'connection')) as [Socket];
    let writeError: Error | undefined;
    sock.on('error', (e) => (writeError = e));
    const frames = new FrameReader();
    let idBytes = 8;
    let flight: Uint8Array[] = [];
    const peerEnded = once(sock, 'end');
    sock.on('data', (chunk: Buffer) => {
      let bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const skip = Math.min(idBytes, bytes.length); // the shim id (u64) comes first
      idBytes -= skip;
      bytes = bytes.subarray(skip);
      if (bytes.length) frames.push(bytes);
      for (let f = frames.next(); f; f = frames.next()) {
        if (f.op !== 'P') continue;
        server.handleDatagram(0, f.datagram);
        const out: Uint8Array[] = [];
        for (let d = server.pollTransmit(); d; d = server.pollTransmit()) out.push(d);
        if (out.length) flight = out;
        for (const d of out) sock.write(encodePacket(d));
      }
    });
    server.start(0);
    // The shim refuses our Certificate: its alert, then its FIN.
    await peerEnded;
    assert.ok(flight.length > 1, 'the flight spans several datagrams');
    assert.equal(server.state, 'failed');
    assert.ok(server.error instanceof DtlsError && server.error.fromPeer, `the shim's alert reached us (${String(server.error)})`);
    // A slow runner is still writing: the shim must still be there to take it.
    await sleep(500);
    for (const d of flight) sock.write(encodePacket(d));
    await sleep(200);
    for (const d of flight) sock.write(encodePacket(d));
    await new Promise<void>((r) => sock.write(new Uint8Array(0), () => r()));
    await sleep(100);
    assert.equal(writeError, undefined, 'the runner wrote to a live peer');
    assert.equal(shim.exitCode, null, `the shim waits for the runner to close (${stderr})`);
    sock.end();
    const [code] = await exited;
    assert.equal(code, 1);
    assert.match(stderr, /verification_failed/);
  } finally {
    clearTimeout(bound);
    shim.kill('SIGKILL');
    listener.close();
  }
});
