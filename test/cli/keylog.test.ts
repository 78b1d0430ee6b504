// The NSS key log (options.keyLog, the CLI's --keylog and SSLKEYLOGFILE): a
// loopback session captured with tshark is decrypted by tshark with our key
// log, and the plaintext is found; without the key log it is not.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtlsStream, generateCertificate } from '../../src/index.ts';
import { cli, errorLines, freePort, killAll, Proc } from './helpers.ts';

let dir = '';
const LINE = /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-keylog-'));
});

afterEach(() => killAll());

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('keyLog (DTLS 1.2): one NSS line per side, the same on both, when the handshake completes', async () => {
  const cert = generateCertificate();
  const lines: Record<'client' | 'server', string[]> = { client: [], server: [] };
  const client = new DtlsStream({ role: 'client', versions: ['1.2'], verify: { fingerprints: [cert.fingerprint] }, keyLog: (l) => lines.client.push(l) });
  const server = new DtlsStream({ role: 'server', certificate: cert, keyLog: (l) => lines.server.push(l) });
  client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await Promise.all([client.handshake, server.handshake]);
  assert.equal(lines.client.length, 1);
  assert.match(lines.client[0]!, LINE);
  assert.deepEqual(lines.server, lines.client);
  await client.close();
  await server.close();
  assert.throws(() => new DtlsStream({ role: 'client', verify: 'insecure', keyLog: 'keys.log' as never }), /keyLog must be a function/);
});

test('keyLog (DTLS 1.3, the default): the five TLS 1.3 secrets per side, the same on both', async () => {
  const cert = generateCertificate();
  const lines: Record<'client' | 'server', string[]> = { client: [], server: [] };
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] }, keyLog: (l) => lines.client.push(l) });
  const server = new DtlsStream({ role: 'server', certificate: cert, keyLog: (l) => lines.server.push(l) });
  client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await Promise.all([client.handshake, server.handshake]);
  assert.equal(client.info?.version, 'DTLS 1.3');
  assert.deepEqual(
    lines.client.map((l) => l.split(' ')[0]),
    ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'],
  );
  for (const l of lines.client) assert.match(l, /^[A-Z_0]+ [0-9a-f]{64} [0-9a-f]{64}$/);
  assert.deepEqual([...lines.server].sort(), [...lines.client].sort());
  await client.close();
  await server.close();
});

test('tshark decrypts a captured DTLS 1.2 session (client --dtls1_2, server default) with the key log from --keylog and SSLKEYLOGFILE', async () => {
  const port = await freePort();
  const capture = join(dir, 'cap.pcapng');
  const tshark = new Proc('tshark', 'tshark', ['-i', 'lo', '-f', `udp port ${port}`, '-w', capture, '-q'], dir);
  await tshark.waitFor('stderr', /Capturing on/, 30_000);

  // Our server on the captured port (chosen before, for the capture filter); the client's keys via SSLKEYLOGFILE.
  const s = cli(dir, 'server', ['server', '--listen', `127.0.0.1:${port}`, '--once', '--echo', '--keylog', 'server-keys.log']);
  await s.waitFor('stderr', /^Listening on 127\.0\.0\.1:\d+$/m);
  const [, fingerprint] = await s.waitFor('stderr', /^Fingerprint: (sha-256 [0-9A-F:]+)$/m);
  const c = cli(dir, 'client', ['client', `127.0.0.1:${port}`, '--dtls1_2', '--fingerprint', fingerprint!, '--linger', '1000'], {
    ...process.env,
    SSLKEYLOGFILE: join(dir, 'client-keys.log'),
  });
  c.child.stdin.end('attack at dawn 4242\n');
  assert.equal(await c.exit(), 0, c.stderr);
  assert.equal(c.stdout, 'attack at dawn 4242\n');
  assert.equal(await s.exit(), 0, s.stderr);
  assert.deepEqual(errorLines(c.stderr), []);

  const serverKeys = readFileSync(join(dir, 'server-keys.log'), 'utf8');
  const clientKeys = readFileSync(join(dir, 'client-keys.log'), 'utf8');
  assert.match(serverKeys, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
  assert.equal(clientKeys, serverKeys);
  assert.equal(statSync(join(dir, 'server-keys.log')).mode & 0o777, 0o600);

  // Let the last datagrams reach the capture file, then stop tshark by its PID.
  await new Promise((r) => setTimeout(r, 500));
  tshark.child.kill('SIGINT');
  await tshark.exit(30_000);

  const read = (keylog: string[]): string =>
    execFileSync(
      'tshark',
      ['-r', capture, ...keylog, '-d', `udp.port==${port},dtls`, '-Y', 'data', '-T', 'fields', '-e', 'data.text', '-o', 'data.show_as_text:TRUE'],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
  const decrypted = read(['-o', `tls.keylog_file:${join(dir, 'server-keys.log')}`]);
  // Both directions: the client's record and the server's echo.
  assert.equal(decrypted.split('\n').filter((l) => l.includes('attack at dawn 4242')).length, 2, decrypted);
  assert.doesNotMatch(read([]), /attack at dawn/);
});
