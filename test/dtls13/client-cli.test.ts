// The CLI's version switches (OpenSSL's names): --dtls1_3 and --dtls1_2, alone
// or together; our client and server over 127.0.0.1 print `Protocol: DTLS 1.3`.
import { afterEach, after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/args.ts';
import { dtlsOptions } from '../../src/cli/config.ts';
import { resolveOptions } from '../../src/options.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { cli, cliServer, errorLines, killAll } from '../cli/helpers.ts';

let dir = '';
before(() => (dir = mkdtempSync(join(tmpdir(), 'dtls-stream-cli13-'))));
afterEach(() => killAll());
after(() => rmSync(dir, { recursive: true, force: true }));

function versionsOf(...args: string[]) {
  const c = parseArgs(['client', '127.0.0.1:1', '--insecure', ...args]);
  assert.equal(c.command, 'client');
  if (c.command !== 'client') return undefined;
  return resolveOptions(dtlsOptions(c.options, 'client', generateCertificate())).versions;
}

test('--dtls1_3 offers 1.3 alone, --dtls1_2 1.2 alone, both offer both (1.3 first), neither the default', () => {
  assert.deepEqual(versionsOf('--dtls1_3'), ['1.3']);
  assert.deepEqual(versionsOf('--dtls1_2'), ['1.2']);
  assert.deepEqual(versionsOf('--dtls1_2', '--dtls1_3'), ['1.3', '1.2']);
  assert.deepEqual(versionsOf(), resolveOptions({ verify: 'insecure' }).versions);
  assert.deepEqual(versionsOf(), ['1.3', '1.2'], 'by default both, 1.3 first');
});

test('--cipher takes DTLS 1.3 suites and --groups X25519MLKEM768', () => {
  const c = parseArgs(['client', '127.0.0.1:1', '--insecure', '--dtls1_3', '--cipher', 'TLS_CHACHA20_POLY1305_SHA256', '--groups', 'X25519MLKEM768,x25519']);
  assert.equal(c.command, 'client');
  if (c.command !== 'client') return;
  const o = resolveOptions(dtlsOptions(c.options, 'client', generateCertificate()));
  assert.deepEqual(o.cipherSuites13, [0x1303]);
  assert.deepEqual(o.groups13, ['X25519MLKEM768', 'x25519']);
  assert.throws(() => parseArgs(['client', '127.0.0.1:1', '--insecure', '--cipher', 'TLS_NOPE']), /supported: .*TLS_AES_128_GCM_SHA256 \(DTLS 1\.3\)/);
});

test('client --dtls1_3 with server --dtls1_3: lines echoed, the summary says DTLS 1.3', async () => {
  // --no-cookie: the connection's own 1.3 path without the gate (session.test.ts runs the default, the gate's HelloRetryRequest).
  const server = await cliServer(dir, ['--dtls1_3', '--no-cookie', '--echo', '--once']);
  const c = cli(dir, 'client', ['client', `127.0.0.1:${server.port}`, '--dtls1_3', '--fingerprint', server.fingerprint, '--linger', '1000']);
  c.child.stdin.end('hello\nDTLS 1.3\n');
  assert.equal(await c.exit(), 0, c.stderr);
  assert.equal(c.stdout, 'hello\nDTLS 1.3\n');
  assert.match(c.stderr, /^Protocol: DTLS 1\.3$/m);
  assert.match(c.stderr, /^Cipher: TLS_AES_128_GCM_SHA256$/m);
  assert.deepEqual(errorLines(c.stderr), []);
  assert.equal(await server.proc.exit(), 0, server.proc.stderr);
  assert.match(server.proc.stderr, /^Protocol: DTLS 1\.3$/m);
});
