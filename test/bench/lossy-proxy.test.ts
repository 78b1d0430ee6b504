// The benchmark's lossy UDP proxy (bench/lossy-proxy.ts): deterministic
// decisions from a seed, forwarding both ways, impairment scopes, and stopping
// by itself. Loopback only, < 5 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { decide, describe, isHandshakeDatagram, parseImpair, startLossyProxy, type LossyProxy, type TraceEntry } from '../../bench/lossy-proxy.ts';

function bindSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** Collects datagrams a socket receives, as [first byte, second byte] markers. */
function collect(s: Socket): { got: Buffer[]; waitFor: (n: number, ms?: number) => Promise<void> } {
  const got: Buffer[] = [];
  let wake = (): void => {};
  s.on('message', (m) => {
    got.push(m);
    wake();
  });
  return {
    got,
    waitFor: (n, ms = 1000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${got.length} datagrams, wanted ${n}`)), ms);
        const check = (): void => {
          if (got.length >= n) {
            clearTimeout(timer);
            resolve();
          }
        };
        wake = check;
        check();
      }),
  };
}

/** A DTLS 1.2 plaintext record: content type, epoch 0, seq, body. */
function record(type: number, body: Uint8Array, seq = 0): Buffer {
  const h = Buffer.alloc(13);
  h[0] = type;
  h[1] = 0xfe;
  h[2] = 0xfd;
  h.writeUIntBE(seq, 5, 6);
  h.writeUInt16BE(body.length, 11);
  return Buffer.concat([h, body]);
}

/** A handshake record holding a whole message of type `msgType`, tagged with `tag` in its body. */
function hsDatagram(msgType: number, tag: number): Buffer {
  const msg = Buffer.alloc(12 + 2);
  msg[0] = msgType;
  msg.writeUIntBE(2, 1, 3); // length
  msg.writeUInt16BE(tag & 0xffff, 4); // message_seq (used as a tag)
  msg.writeUIntBE(0, 6, 3);
  msg.writeUIntBE(2, 9, 3);
  msg.writeUInt16BE(tag & 0xffff, 12);
  return record(22, msg, tag);
}

const tagOf = (d: Buffer): number => d.readUInt16BE(d.length - 2);

test('decide() is a pure function of seed, session, direction and index, near the asked rate', () => {
  const rates = { loss: 0.3, duplicate: 0.1, reorder: 0.1 };
  const a = Array.from({ length: 2000 }, (_, i) => decide(7, 0, 'c2s', i, rates));
  const b = Array.from({ length: 2000 }, (_, i) => decide(7, 0, 'c2s', i, rates));
  assert.deepEqual(a, b);
  const drops = a.filter((d) => d.drop).length / a.length;
  assert.ok(drops > 0.26 && drops < 0.34, `drop rate ${drops}`);
  const dups = a.filter((d) => d.duplicate).length / a.length;
  assert.ok(dups > 0.05 && dups < 0.1, `duplicate rate ${dups} (0.1 of the 70% kept)`);
  assert.ok(
    a.every((d) => !d.drop || (!d.duplicate && !d.reorder)),
    'a dropped datagram is not also duplicated or reordered',
  );
  // Another seed, direction or session: another pattern.
  const pattern = (seed: number, dir: 'c2s' | 's2c', session = 0): string =>
    Array.from({ length: 64 }, (_, i) => (decide(seed, session, dir, i, rates).drop ? 1 : 0)).join('');
  assert.notEqual(pattern(7, 'c2s'), pattern(8, 'c2s'));
  assert.notEqual(pattern(7, 'c2s'), pattern(7, 's2c'));
  assert.notEqual(pattern(7, 'c2s'), pattern(7, 'c2s', 1));
  // Rates 0 and 1.
  assert.ok(Array.from({ length: 100 }, (_, i) => decide(1, 0, 's2c', i, { loss: 0 })).every((d) => !d.drop));
  assert.ok(Array.from({ length: 100 }, (_, i) => decide(1, 0, 's2c', i, { loss: 1 })).every((d) => d.drop));
});

test('record parsing: handshake datagrams are told from application data', () => {
  const ch = hsDatagram(1, 0);
  assert.equal(describe(ch), 'ClientHello(seq 0)');
  assert.ok(isHandshakeDatagram(ch));
  const app = record(23, new Uint8Array(20));
  assert.equal(isHandshakeDatagram(app), false);
  assert.ok(isHandshakeDatagram(Buffer.concat([record(20, new Uint8Array([1])), app])), 'CCS counts as handshake');
  assert.deepEqual(parseImpair('datagrams:12'), { datagrams: 12 });
  assert.deepEqual(parseImpair('ms:500'), { ms: 500 });
  assert.throws(() => parseImpair('sometimes'), TypeError);
});

test('forwards both ways; drops exactly the datagrams decide() picks, per direction, replayable', async (t) => {
  const seed = 42;
  const rates = { loss: 0.4 };
  const N = 40;
  const run = async (): Promise<{ serverTags: number[]; clientTags: number[]; proxy: LossyProxy }> => {
    const server = await bindSocket();
    const client = await bindSocket();
    const proxy = await startLossyProxy({ target: { port: server.address().port }, seed, ...rates, trace: true, lifetimeMs: 4000 });
    t.after(() => proxy.close());
    const atServer = collect(server);
    const atClient = collect(client);
    // The server answers each datagram with a handshake datagram of the same tag + 1000.
    server.on('message', (m, rinfo) => server.send(hsDatagram(2, tagOf(m) + 1000), rinfo.port, rinfo.address));
    const expectC2s = Array.from({ length: N }, (_, i) => i).filter((i) => !decide(seed, 0, 'c2s', i, rates).drop);
    for (let i = 0; i < N; i++) {
      client.send(hsDatagram(1, i), proxy.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 1)); // keep arrival order = send order
    }
    await atServer.waitFor(expectC2s.length);
    // Replies: the k-th reply the proxy sees from the server is s2c index k.
    const expectS2c = expectC2s.filter((_, k) => !decide(seed, 0, 's2c', k, rates).drop).map((tag) => tag + 1000);
    await atClient.waitFor(expectS2c.length);
    await new Promise((r) => setTimeout(r, 30)); // nothing more arrives
    assert.deepEqual(atServer.got.map(tagOf), expectC2s);
    assert.deepEqual(atClient.got.map(tagOf), expectS2c);
    await Promise.all([closeSocket(server), closeSocket(client)]);
    return { serverTags: atServer.got.map(tagOf), clientTags: atClient.got.map(tagOf), proxy };
  };
  const first = await run();
  const second = await run();
  assert.deepEqual(second.serverTags, first.serverTags, 'same seed, same datagrams through');
  assert.deepEqual(second.clientTags, first.clientTags);
  const counts = await first.proxy.close();
  assert.equal(counts.sessions, 1);
  assert.equal(counts.c2s.received, N);
  assert.equal(counts.c2s.dropped, N - first.serverTags.length);
  assert.equal(counts.c2s.sent, first.serverTags.length);
  assert.equal(counts.s2c.received, first.serverTags.length);
  assert.equal(counts.s2c.dropped, first.serverTags.length - first.clientTags.length);
  assert.ok(counts.c2s.dropped > 5 && counts.s2c.dropped > 3, 'some loss both ways');
  const traced: TraceEntry[] = first.proxy.trace;
  assert.equal(traced.length, counts.c2s.received + counts.s2c.received);
  assert.deepEqual(traced[0]!.what, 'ClientHello(seq 0)');
  assert.equal(counts.stopped, 'closed');
});

test('default scope impairs handshake datagrams only; duplicates and reorders', async (t) => {
  const server = await bindSocket();
  t.after(() => closeSocket(server));
  const client = await bindSocket();
  t.after(() => closeSocket(client));
  const atServer = collect(server);
  // loss 1: every handshake datagram dropped, application data untouched.
  const proxy = await startLossyProxy({ target: { port: server.address().port }, loss: 1, lifetimeMs: 4000 });
  t.after(() => proxy.close());
  client.send(hsDatagram(1, 0), proxy.port, '127.0.0.1');
  client.send(record(23, Buffer.from([0, 7])), proxy.port, '127.0.0.1');
  await atServer.waitFor(1);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(atServer.got.map(tagOf), [7]);
  const c = await proxy.close();
  assert.deepEqual([c.c2s.received, c.c2s.impaired, c.c2s.dropped, c.c2s.sent], [2, 1, 1, 1]);

  // duplicate 1: each datagram twice. reorder 1 with 'all': each held back until after the next.
  const dup = await startLossyProxy({ target: { port: server.address().port }, duplicate: 1, lifetimeMs: 4000 });
  t.after(() => dup.close());
  atServer.got.length = 0;
  client.send(hsDatagram(1, 5), dup.port, '127.0.0.1');
  await atServer.waitFor(2);
  assert.deepEqual(atServer.got.map(tagOf), [5, 5]);
  assert.equal((await dup.close()).c2s.duplicated, 1);

  const re = await startLossyProxy({ target: { port: server.address().port }, reorder: 1, impair: 'all', reorderHoldMs: 200, lifetimeMs: 4000 });
  t.after(() => re.close());
  atServer.got.length = 0;
  for (const tag of [1, 2, 3]) {
    client.send(record(23, Buffer.from([0, tag])), re.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 5));
  }
  await atServer.waitFor(3);
  // 1 held; 2 arrives: sent, then 1; 3 held until its hold time runs out.
  assert.deepEqual(atServer.got.map(tagOf), [2, 1, 3]);
  await re.close();
});

test('impair { datagrams: N } limits loss to the first N datagrams', async (t) => {
  const server = await bindSocket();
  t.after(() => closeSocket(server));
  const client = await bindSocket();
  t.after(() => closeSocket(client));
  const atServer = collect(server);
  const proxy = await startLossyProxy({ target: { port: server.address().port }, loss: 1, impair: { datagrams: 3 }, lifetimeMs: 4000 });
  t.after(() => proxy.close());
  for (let i = 0; i < 6; i++) {
    client.send(record(23, Buffer.from([0, i])), proxy.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1));
  }
  await atServer.waitFor(3);
  assert.deepEqual(atServer.got.map(tagOf), [3, 4, 5]);
});

test('stops by itself at the end of its lifetime', async () => {
  const server = await bindSocket();
  const client = await bindSocket();
  const atServer = collect(server);
  const proxy = await startLossyProxy({ target: { port: server.address().port }, lifetimeMs: 150 });
  client.send(hsDatagram(1, 9), proxy.port, '127.0.0.1');
  await atServer.waitFor(1);
  const counts = await proxy.closed; // resolves without close()
  assert.equal(counts.stopped, 'lifetime');
  assert.equal(counts.c2s.sent, 1);
  // The port is closed: nothing is forwarded any more.
  client.send(hsDatagram(1, 10), proxy.port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(atServer.got.length, 1);
  assert.deepEqual(await proxy.close(), counts, 'close() after the lifetime returns the same counts');
  await Promise.all([closeSocket(server), closeSocket(client)]);
});

test('command line: prints its port, forwards, stops at --lifetime and prints the counts', async (t) => {
  const { spawn } = await import('node:child_process');
  const server = await bindSocket();
  t.after(() => closeSocket(server));
  const client = await bindSocket();
  t.after(() => closeSocket(client));
  const atServer = collect(server);
  const script = fileURLToPath(new URL('../../bench/lossy-proxy.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--target', `127.0.0.1:${server.address().port}`, '--lifetime', '1500', '--seed', '3'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port printed: ${out}`)), 4000);
    child.stdout.on('data', (s: string) => {
      out += s;
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  client.send(record(23, Buffer.from([0, 1])), port, '127.0.0.1');
  await atServer.waitFor(1);
  assert.equal(await exited, 0);
  const counts = JSON.parse(out.trim().split('\n').pop()!) as { c2s: { received: number; sent: number }; stopped: string };
  assert.deepEqual([counts.c2s.received, counts.c2s.sent, counts.stopped], [1, 1, 'lifetime']);
});
