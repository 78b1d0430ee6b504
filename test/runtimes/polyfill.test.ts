// The stream layer on web-streams-polyfill's reference implementation instead of
// Node's Web Streams, so the code relies only on what the standard says:
// 1. the whole stream-layer suite (test/stream) in a child Node with the
//    polyfill's classes installed as the globals before anything loads;
// 2. here, in this process (its own, under node --test): a DtlsStream client and
//    server over the polyfill: handshake, echo, backpressure, close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ponyfill from 'web-streams-polyfill';
import { ROOT } from './child.ts';

const INSTALL = './test/runtimes/fixtures/web-streams-polyfill.ts';

/** Our environment without the test runner's NODE_TEST_CONTEXT (the child runs its own runner). */
function childEnv(marker: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WSP_MARKER: marker };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

test('the stream-layer suite (test/stream) passes on web-streams-polyfill', { timeout: 90_000 }, async (t) => {
  const files = readdirSync(join(ROOT, 'test/stream'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/stream/${f}`);
  const marker = join(tmpdir(), `dtls-wsp-${process.pid}.txt`);
  rmSync(marker, { force: true });
  t.after(() => rmSync(marker, { force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', INSTALL, '--test', '--test-concurrency=2', '--test-reporter=tap', ...files], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(marker),
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
  assert.equal(code, 0, out.slice(-4000));
  assert.equal(count('fail'), 0);
  assert.ok(count('pass') >= 50 && count('pass') === count('tests'), `tests ${count('tests')}, pass ${count('pass')}`);
  // The installer ran in each test file's process.
  const loaded = readFileSync(marker, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.replace(ROOT, '').replace(/^\//, ''));
  assert.deepEqual(loaded.filter((l) => l.startsWith('test/')).sort(), files);
});

test('a DtlsStream pair on the polyfill: handshake, echo, backpressure, close', { timeout: 20_000 }, async () => {
  await import('./fixtures/web-streams-polyfill.ts');
  const { DtlsStream, generateCertificate } = await import('../../src/index.ts');
  const certificate = generateCertificate();
  const server = new DtlsStream({ role: 'server', certificate });
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [certificate.fingerprint] } });
  assert.ok(client.inbound.readable instanceof ponyfill.ReadableStream, 'streams come from the polyfill');
  assert.ok(client.outbound.writable instanceof ponyfill.WritableStream);
  assert.ok(!(client.inbound.readable instanceof (await import('node:stream/web')).ReadableStream));

  // server → client piped; client → server forwarded by hand so it can be paused.
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  const fromClient = client.outbound.readable.getReader();
  const toServer = server.inbound.writable.getWriter();
  let paused = false;
  let resume = (): void => {};
  const forwarding = (async () => {
    for (;;) {
      while (paused) await new Promise<void>((r) => (resume = r));
      const { value, done } = await fromClient.read();
      if (done) return toServer.close().catch(() => {});
      await toServer.write(value).catch(() => {});
    }
  })();

  const [ci, si] = await Promise.all([client.handshake, server.handshake]);
  assert.equal(ci.version, 'DTLS 1.3');
  assert.equal(si.cipherSuite, ci.cipherSuite);

  // Echo on the server.
  void server.inbound.readable.pipeTo(server.outbound.writable).catch(() => {});
  const w = client.outbound.writable.getWriter();
  const r = client.inbound.readable.getReader();
  await w.write(new TextEncoder().encode('echo me'));
  assert.equal(new TextDecoder().decode((await r.read()).value), 'echo me');

  // Backpressure: with nobody reading outbound.readable, writes stop resolving once its queue is full.
  paused = true;
  await new Promise((res) => setTimeout(res, 20)); // the forwarder is parked after its last read
  const writes: Promise<void>[] = [];
  const settled = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const p = w.write(Uint8Array.of(i));
    writes.push(p);
    void p.then(() => settled.add(i));
  }
  await new Promise((res) => setTimeout(res, 50));
  assert.ok(settled.size < 40, `writes wait while outbound.readable is full (${settled.size} of 40 resolved)`);
  assert.ok(w.desiredSize !== null && w.desiredSize <= 0, `desiredSize ${w.desiredSize}`);
  paused = false;
  resume();
  await Promise.all(writes);
  const echoed: number[] = [];
  while (echoed.length < 40) {
    const { value, done } = await r.read();
    assert.ok(!done);
    echoed.push(...value);
  }
  assert.deepEqual(
    echoed,
    Array.from({ length: 40 }, (_, i) => i),
  );

  // Close: close_notify ends the server's inbound (and so its echo pipe); closed resolves on both.
  w.releaseLock();
  r.releaseLock();
  await client.close();
  await server.closed;
  await client.closed;
  await forwarding;
  assert.equal(client.state, 'closed');
  assert.equal(server.state, 'closed');
});
