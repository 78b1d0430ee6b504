// The command's behaviour around a session, as child processes on 127.0.0.1:
// a closed port, a silent one, bytes kept as sent, --trace/--json/--quiet, and
// --ca with an IP target checking the certificate's IP subjectAltName.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCertificate } from '../openssl-cert.ts';
import { cli, cliServer, errorLines, freePort, killAll } from './helpers.ts';

let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-session-'));
  opensslCertificate(dir, { name: 'ip-', san: 'IP:127.0.0.1' });
  opensslCertificate(dir, { name: 'dns-', san: 'DNS:localhost' });
});

afterEach(() => killAll());

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('waiting for a server', () => {
  test('nothing listening: fails with "port unreachable" from the ICMP error, long before the timeout', async () => {
    const port = await freePort();
    const c = cli(dir, 'client', ['client', `127.0.0.1:${port}`, '--insecure', '--timeout', '120000']);
    c.child.stdin.end();
    // Bounded well under --timeout: only the ICMP report can end it this early.
    assert.equal(await c.exit(30_000), 1, c.stderr);
    assert.deepEqual(errorLines(c.stderr), [`dtls-stream: error: no DTLS server at 127.0.0.1:${port} (port unreachable)`]);
  });

  test('a silent server: the wait says which flight goes out again and how often', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const port = silent.address().port;
    try {
      const c = cli(dir, 'client', ['client', `127.0.0.1:${port}`, '--insecure', '--timeout', '1000', '--retransmit', '100']);
      c.child.stdin.end();
      assert.equal(await c.exit(), 1);
      assert.match(c.stderr, new RegExp(`^No answer from 127\\.0\\.0\\.1:${port} yet: retransmitting flight 1, 2 tries$`, 'm'));
      assert.match(c.stderr, /retransmitting flight 1, 3 tries$/m);
      assert.deepEqual(errorLines(c.stderr), ['dtls-stream: error: handshake did not complete within 1000 ms (state wait_server_hello)']);

      // --quiet: only the error.
      const q = cli(dir, 'quiet', ['client', `127.0.0.1:${port}`, '--insecure', '--timeout', '500', '--quiet']);
      q.child.stdin.end();
      assert.equal(await q.exit(), 1);
      assert.equal(q.stderr, 'dtls-stream: error: handshake did not complete within 500 ms (state wait_server_hello)\n');
    } finally {
      silent.close();
    }
  });
});

describe('records', () => {
  test('bytes go as sent: newlines kept, no newline added, a long line split into records', async () => {
    const server = await cliServer(dir, ['--echo', '--once', '--no-cookie']);
    const long = 'y'.repeat(20_000); // more than one record (2^14 bytes) of plaintext
    const input = `line A\nline B\n\n${long}\nno newline at the end`;
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--fingerprint', server.fingerprint, '--linger', '1500', '--quiet']);
    c.child.stdin.end(input);
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
    assert.equal(server.proc.stdout, input);
    assert.equal(c.stdout, input);
    assert.equal(c.stderr, ''); // --quiet: no summary
  });
});

describe('--trace and --json', () => {
  test('--trace draws the ladder of the handshake (DTLS 1.2: --dtls1_2)', async () => {
    const server = await cliServer(dir, ['--once']);
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--dtls1_2', '--fingerprint', server.fingerprint, '--trace', '--linger', '0']);
    c.child.stdin.end();
    assert.equal(await c.exit(), 0, c.stderr);
    const ladder = c.stderr
      .split('\n')
      .filter((l) => /──►|◄──/.test(l))
      .map((l) => l.trim());
    // With cookies on: ClientHello, HelloVerifyRequest, ClientHello again, then the server's flight 4.
    const firsts = ladder.filter((l, i) => ladder.indexOf(l) === i);
    assert.deepEqual(firsts.slice(0, 3), ['ClientHello ──►', '◄── HelloVerifyRequest', '◄── ServerHello']);
    for (const m of [
      '◄── Certificate',
      '◄── ServerKeyExchange',
      '◄── ServerHelloDone',
      'ClientKeyExchange ──►',
      'ChangeCipherSpec ──►',
      'Finished ──►  (encrypted)',
      '◄── Finished  (encrypted)',
    ]) {
      assert.ok(ladder.includes(m), `${m} in\n${c.stderr}`);
    }
    assert.match(c.stderr, /^client \(us\) +server$/m);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
  });

  test('--trace draws the ladder of the default handshake (DTLS 1.3: the HelloRetryRequest by its name, the ServerHello, then the encrypted flight)', async () => {
    const server = await cliServer(dir, ['--once']);
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--fingerprint', server.fingerprint, '--trace', '--linger', '0']);
    c.child.stdin.end();
    assert.equal(await c.exit(), 0, c.stderr);
    const ladder = c.stderr
      .split('\n')
      .filter((l) => /──►|◄──/.test(l))
      .map((l) => l.trim());
    const firsts = ladder.filter((l, i) => ladder.indexOf(l) === i);
    assert.deepEqual(firsts.slice(0, 3), ['ClientHello ──►', '◄── HelloRetryRequest', '◄── ServerHello']);
    for (const m of [
      '◄── EncryptedExtensions  (encrypted)',
      '◄── Certificate  (encrypted)',
      '◄── CertificateVerify  (encrypted)',
      '◄── Finished  (encrypted)',
      'Finished ──►  (encrypted)',
    ]) {
      assert.ok(ladder.includes(m), `${m} in\n${c.stderr}`);
    }
    assert.ok(!ladder.some((l) => /HelloVerifyRequest|ChangeCipherSpec|ClientKeyExchange/.test(l)), c.stderr);
    assert.match(c.stderr, /^Protocol: DTLS 1\.3$/m);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
  });

  test("the server's --trace shows its handshake from the first ClientHello after the cookie (DTLS 1.2)", async () => {
    const server = await cliServer(dir, ['--once', '--trace']);
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--dtls1_2', '--fingerprint', server.fingerprint, '--linger', '0']);
    c.child.stdin.end();
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
    const ladder = server.proc.stderr
      .split('\n')
      .filter((l) => /──►|◄──/.test(l))
      .map((l) => l.trim());
    // The cookie exchange is stateless (no connection yet); the connection starts at the second ClientHello.
    assert.match(server.proc.stderr, /^server \(us\) +client$/m);
    for (const m of [
      '◄── ClientHello',
      'ServerHello ──►',
      'Certificate ──►',
      'ServerHelloDone ──►',
      '◄── ClientKeyExchange',
      '◄── Finished  (encrypted)',
      'Finished ──►  (encrypted)',
    ]) {
      assert.ok(ladder.includes(m), `${m} in\n${server.proc.stderr}`);
    }
  });

  test('--json: events, summary and errors as JSON lines on stderr', async () => {
    const server = cli(dir, 'server', ['server', '--listen', '127.0.0.1:0', '--once', '--echo', '--json', '--export', 'EXTRACTOR-dtls_srtp:16']);
    const [line] = await server.waitFor('stderr', /^\{"event":"listening".*\}$/m);
    const listening = JSON.parse(line) as { address: string; port: number; fingerprint: string };
    assert.equal(listening.address, '127.0.0.1');
    const c = cli(dir, 'client', [
      'client',
      `127.0.0.1:${listening.port}`,
      '--fingerprint',
      listening.fingerprint,
      '--json',
      '--trace',
      '--linger',
      '1000',
      '--export',
      'EXTRACTOR-dtls_srtp:16',
    ]);
    c.child.stdin.end('json\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(c.stdout, 'json\n');
    const events = c.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const handshake = events.find((e) => e.event === 'handshake')!;
    assert.equal(handshake.version, 'DTLS 1.3');
    assert.equal(handshake.cipherSuite, 'TLS_AES_128_GCM_SHA256');
    assert.equal(handshake.peerFingerprint, listening.fingerprint);
    assert.equal(handshake.peer, `127.0.0.1:${listening.port}`);
    assert.equal((handshake.peerCertificates as string[]).length, 1);
    assert.ok(events.some((e) => e.event === 'trace' && e.direction === 'out' && e.what === 'ClientHello' && e.epoch === 0));
    assert.ok(events.some((e) => e.event === 'alert' && e.name === 'close_notify' && e.from === 'us'));
    assert.deepEqual(events.at(-1), { event: 'close', peer: `127.0.0.1:${listening.port}`, clean: true });
    assert.equal(await server.exit(), 0, server.stderr);
    const serverEvents = server.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ours = events.find((e) => e.event === 'keying_material')!;
    const theirs = serverEvents.find((e) => e.event === 'keying_material')!;
    assert.match(String(ours.hex), /^[0-9A-F]{32}$/);
    assert.equal(ours.hex, theirs.hex);
    assert.ok(serverEvents.some((e) => e.event === 'alert' && e.name === 'close_notify' && e.from === 'peer'));

    // A failure is one JSON line too.
    const port = await freePort();
    const bad = cli(dir, 'bad', ['client', `127.0.0.1:${port}`, '--insecure', '--json']);
    bad.child.stdin.end();
    assert.equal(await bad.exit(30_000), 1);
    const last = JSON.parse(bad.stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(last, { event: 'error', message: `no DTLS server at 127.0.0.1:${port} (port unreachable)` });
  });
});

describe('--ca with an IP target checks the IP subjectAltName', () => {
  test('a certificate with IP:127.0.0.1 is accepted', async () => {
    const server = await cliServer(dir, ['--once', '--echo', '--no-cookie', '--cert', 'ip-cert.pem', '--key', 'ip-key.pem']);
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--ca', 'ip-cert.pem', '--linger', '1000']);
    c.child.stdin.end('by address\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(c.stdout, 'by address\n');
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
  });

  test('a certificate for another identity is refused, though the CA signed it', async () => {
    const server = await cliServer(dir, ['--no-cookie', '--cert', 'dns-cert.pem', '--key', 'dns-key.pem']);
    const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--ca', 'dns-cert.pem']);
    c.child.stdin.end('never sent\n');
    assert.equal(await c.exit(), 1, c.stderr);
    const errors = errorLines(c.stderr);
    assert.equal(errors.length, 1, c.stderr);
    assert.match(errors[0]!, /is not valid for "127\.0\.0\.1" \(subjectAltName localhost\)/);
    assert.equal(server.proc.stdout, '');

    // --servername names the identity to check instead (the certificate is for localhost).
    const named = cli(dir, 'named', ['client', `127.0.0.1:${server.port}`, '--ca', 'dns-cert.pem', '--servername', 'localhost', '--linger', '300']);
    named.child.stdin.end('by name\n');
    assert.equal(await named.exit(), 0, named.stderr);
  });
});
