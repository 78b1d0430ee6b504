// The `dtls-stream` command as child processes on 127.0.0.1: against itself and
// against OpenSSL 3.0 (s_server / s_client -dtls1_2). Every process is killed by
// the test that started it, and every wait is bounded.
import { opensslCertificate } from '../openssl-cert.ts';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli as cliIn, cliServer as serverIn, errorLines, freePort, killAll, Proc } from './helpers.ts';

let dir = '';

const cli = (name: string, ...args: string[]): Proc => cliIn(dir, name, args);
const cliServer = (...args: string[]): ReturnType<typeof serverIn> => serverIn(dir, args);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-cli-'));
  opensslCertificate(dir);
});

afterEach(() => {
  killAll();
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('dtls-stream command', () => {
  test('--help and --version exit 0 from any directory', async () => {
    const help = cli('help', '--help');
    const version = cli('version', '--version');
    assert.equal(await help.exit(), 0);
    assert.match(help.stdout, /dtls-stream client HOST:PORT/);
    assert.match(help.stdout, /--listen \[HOST:\]PORT/);
    assert.equal(await version.exit(), 0);
    assert.match(version.stdout, /^dtls-stream \d+\.\d+\.\d+/);
  });

  test('usage errors exit 2 with one line and no stack', async () => {
    const unknown = cli('unknown', 'client', '127.0.0.1:4433', '--insecure', '--frobnicate');
    const noVerify = cli('noVerify', 'client', '127.0.0.1:4433');
    assert.equal(await unknown.exit(), 2);
    assert.deepEqual(errorLines(unknown.stderr), ['dtls-stream: unknown option --frobnicate']);
    assert.doesNotMatch(unknown.stderr, /\n\s+at /);
    assert.equal(await noVerify.exit(), 2);
    assert.match(noVerify.stderr, /needs --ca FILE, --fingerprint FP or --insecure/);
  });

  test('client --timeout: exit 1 with the reason when nobody answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const c = cli('client', 'client', `127.0.0.1:${silent.address().port}`, '--insecure', '--timeout', '400');
      c.child.stdin.end();
      assert.equal(await c.exit(), 1);
      assert.deepEqual(errorLines(c.stderr), ['dtls-stream: error: handshake did not complete within 400 ms (state wait_server_hello)']);
    } finally {
      silent.close();
    }
  });

  test('server --echo --once with our client (both defaults: DTLS 1.3): lines echoed, both exit 0', async () => {
    const server = await cliServer('--echo', '--once');
    const c = cli('client', 'client', `127.0.0.1:${server.port}`, '--fingerprint', server.fingerprint, '--linger', '1000');
    c.child.stdin.end('hello\nworld with spaces\n\nlast line\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(c.stdout, 'hello\nworld with spaces\n\nlast line\n');
    assert.match(c.stderr, /^Protocol: DTLS 1\.3$/m);
    assert.match(c.stderr, /^Cipher: TLS_AES_128_GCM_SHA256$/m);
    assert.match(c.stderr, /^Group: x25519$/m);
    assert.ok(c.stderr.includes(`Peer fingerprint: ${server.fingerprint}\n`));
    assert.doesNotMatch(c.stderr, /^Extended master secret/m, 'a DTLS 1.2 matter');
    assert.deepEqual(errorLines(c.stderr), []);

    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
    assert.equal(server.proc.stdout, 'hello\nworld with spaces\n\nlast line\n');
    assert.match(server.proc.stderr, /^Peer fingerprint: none \(no certificate\)$/m); // not asked for one
  });

  test('--verify-client with --fingerprint, options passed through', async () => {
    // --cert/--key: the certificate openssl made in before()
    const clientFp = spawnSync('openssl', ['x509', '-in', 'cert.pem', '-noout', '-fingerprint', '-sha256'], { cwd: dir, encoding: 'utf8' })
      .stdout.trim()
      .replace(/^.*=/, '');
    const server = await cliServer(
      '--once',
      '--no-cookie',
      '--verify-client',
      '--fingerprint',
      `sha-256 ${clientFp}`,
      '--alpn',
      'foo,bar',
      '--groups',
      'P-384',
    );
    const c = cli(
      'client',
      'client',
      `127.0.0.1:${server.port}`,
      '--insecure',
      '--cert',
      'cert.pem',
      '--key',
      'key.pem',
      '--alpn',
      'bar',
      '--cipher',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
      '--groups',
      'P-384,P-256',
      '--mtu',
      '300',
      '--linger',
      '0',
    );
    c.child.stdin.end('x'.repeat(250) + '\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.match(c.stderr, /^Cipher: TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256$/m);
    assert.match(c.stderr, /^Group: secp384r1$/m);
    assert.match(c.stderr, /^ALPN: bar$/m);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
    assert.ok(server.proc.stderr.includes(`Peer fingerprint: sha-256 ${clientFp}\n`));
    assert.equal(server.proc.stdout, 'x'.repeat(250) + '\n');
  });

  test('IPv6: [::1]:PORT on both sides', async () => {
    const server = await cliServer('[::1]', '--echo', '--once', '--no-cookie');
    assert.match(server.proc.stderr, /^Listening on \[::1\]:\d+$/m);
    const c = cli('client', 'client', `[::1]:${server.port}`, '--insecure', '--linger', '1000');
    c.child.stdin.end('over IPv6\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.equal(c.stdout, 'over IPv6\n');
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
  });

  test('a wrong --fingerprint fails with exit 1 and a one-line reason', async () => {
    const server = await cliServer('--no-cookie');
    const wrong = `sha-256 ${Array.from({ length: 32 }, () => '00').join(':')}`;
    const c = cli('client', 'client', `127.0.0.1:${server.port}`, '--fingerprint', wrong);
    c.child.stdin.end('never sent\n');
    assert.equal(await c.exit(), 1);
    const errors = errorLines(c.stderr);
    assert.equal(errors.length, 1, c.stderr);
    assert.match(errors[0]!, /^dtls-stream: error: peer certificate sha-256 [0-9A-F:]+ matches no pinned fingerprint \(sent alert bad_certificate\)$/);
    assert.ok(errors[0]!.includes(server.fingerprint));
    assert.doesNotMatch(c.stderr, /\n\s+at /);
    assert.equal(c.stdout, '');
    assert.equal(server.proc.stdout, '');
  });

  test('server --once: a failed first handshake is reported with the peer address and exits 1', async () => {
    // The server pins a fingerprint that the client's fresh certificate cannot have.
    const wrong = `sha-256 ${Array.from({ length: 32 }, () => '00').join(':')}`;
    const server = await cliServer('--once', '--no-cookie', '--verify-client', '--fingerprint', wrong);
    const c = cli('client', 'client', `127.0.0.1:${server.port}`, '--fingerprint', server.fingerprint);
    c.child.stdin.end('never sent\n');
    assert.equal(await c.exit(), 1, c.stderr);
    assert.match(c.stderr, /bad_certificate/);
    assert.equal(await server.proc.exit(), 1, server.proc.stderr);
    const errors = errorLines(server.proc.stderr);
    assert.ok(
      errors.some((l) => /^dtls-stream: handshake with 127\.0\.0\.1:\d+ failed: .*matches no pinned fingerprint/.test(l)),
      server.proc.stderr,
    );
  });
});

describe('dtls-stream command with OpenSSL', () => {
  test('our client against openssl s_server -dtls1_2 (SRTP keying material agrees)', async () => {
    const port = await freePort();
    const s = new Proc(
      's_server',
      'openssl',
      [
        's_server',
        '-dtls1_2',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        'cert.pem',
        '-key',
        'key.pem',
        '-use_srtp',
        'SRTP_AES128_CM_SHA1_80',
        '-keymatexport',
        'EXTRACTOR-dtls_srtp',
        '-keymatexportlen',
        '60',
      ],
      dir,
    );
    // s_server quits at EOF on stdin: its stdin pipe stays open until the test kills it.
    await s.waitFor('stdout', /^ACCEPT$/m);
    const c = cli(
      'client',
      'client',
      `127.0.0.1:${port}`,
      '--dtls1_2',
      '--ca',
      'cert.pem',
      '--servername',
      'localhost',
      '--srtp',
      'SRTP_AES128_CM_SHA1_80',
      '--export',
      'EXTRACTOR-dtls_srtp:60',
      '--linger',
      '200',
    );
    c.child.stdin.end('hello\nfrom dtls-stream\n');
    assert.equal(await c.exit(), 0, c.stderr);
    assert.match(c.stderr, /^SRTP profile: SRTP_AES128_CM_SHA1_80$/m);
    assert.match(c.stderr, /^Server name: localhost$/m);
    const [, ours] = c.stderr.match(/^Keying material: ([0-9A-F]{120})$/m) ?? assert.fail(c.stderr);
    await s.waitFor('stdout', /DONE/); // it got our close_notify
    const [, theirs] = s.stdout.match(/Keying material: ([0-9A-F]+)/) ?? assert.fail(s.stdout);
    assert.equal(ours, theirs);
    // Each line went with its newline, so s_server (which prints records as they come) shows the lines.
    assert.match(s.stdout, /^hello\nfrom dtls-stream\n/m);
  });

  test('openssl s_client -dtls1_2 against our server --echo --once (SRTP keying material agrees)', async () => {
    const server = await cliServer('--echo', '--once', '--srtp', 'SRTP_AES128_CM_SHA1_80', '--export', 'EXTRACTOR-dtls_srtp:60');
    const s = new Proc(
      's_client',
      'openssl',
      [
        's_client',
        '-dtls1_2',
        '-connect',
        `127.0.0.1:${server.port}`,
        '-use_srtp',
        'SRTP_AES128_CM_SHA1_80',
        '-keymatexport',
        'EXTRACTOR-dtls_srtp',
        '-keymatexportlen',
        '60',
      ],
      dir,
    );
    await s.waitFor('stdout', /Protocol {2}: DTLSv1\.2/);
    s.child.stdin.write('ping from openssl\n');
    await s.waitFor('stdout', /^ping from openssl$/m); // the echo
    s.child.stdin.end(); // s_client sends close_notify and exits
    assert.equal(await s.exit(), 0, s.stdout);
    assert.equal(await server.proc.exit(), 0, server.proc.stderr);
    // s_client sends the newline; the server prints the record as it came.
    assert.equal(server.proc.stdout, 'ping from openssl\n');
    const [, theirs] = s.stdout.match(/Keying material: ([0-9A-F]+)/) ?? assert.fail(s.stdout);
    const [, ours] = server.proc.stderr.match(/^Keying material: ([0-9A-F]{120})$/m) ?? assert.fail(server.proc.stderr);
    assert.equal(ours, theirs);
    assert.match(server.proc.stderr, /^SRTP profile: SRTP_AES128_CM_SHA1_80$/m);
    assert.deepEqual(errorLines(server.proc.stderr), []);
  });
});
