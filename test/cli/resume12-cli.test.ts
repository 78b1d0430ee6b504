// --sess_out / --sess_in with --dtls1_2 (OpenSSL's s_client flags): a DTLS 1.2
// client process saves the ticket our server issues, a second process resumes
// with it (the abbreviated handshake, "Resumed: yes"), another server
// declines it. Child processes on 127.0.0.1.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliServer, killAll } from './helpers.ts';
import { sessionVersion } from '../../src/handshake/ticket12.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-sess12-'));
});
afterEach(() => killAll());
after(() => rmSync(dir, { recursive: true, force: true }));

async function client(port: number, fingerprint: string, extra: string[]): Promise<string> {
  const c = cli(dir, 'client', ['client', `127.0.0.1:${port}`, '--dtls1_2', '--fingerprint', fingerprint, '--linger', '300', ...extra]);
  c.child.stdin.end('hello\n');
  assert.equal(await c.exit(), 0, c.stderr);
  return c.stderr;
}

test('--dtls1_2 --sess_out writes a DTLS 1.2 session, --sess_in resumes it in another process; another server declines it', async () => {
  const file = join(dir, 'session12.bin');
  const server = await cliServer(dir, ['--echo']);
  const first = await client(server.port, server.fingerprint, ['--sess_out', file]);
  assert.match(first, /^Protocol: DTLS 1\.2$/m);
  const saved = new Uint8Array(readFileSync(file));
  assert.equal(sessionVersion(saved), '1.2');

  const second = await client(server.port, server.fingerprint, ['--sess_in', file, '--sess_out', file]);
  assert.match(second, /^Resumed: yes$/m, second);
  assert.match(second, /^Protocol: DTLS 1\.2$/m);
  assert.notDeepEqual(new Uint8Array(readFileSync(file)), saved, 'the renewed ticket replaced the old session');

  const other = await cliServer(dir, ['--echo']);
  const third = await client(other.port, other.fingerprint, ['--sess_in', file]);
  assert.match(third, /^Resumed: no$/m);
});
