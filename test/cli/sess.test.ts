// --sess_out / --sess_in (OpenSSL's names): a client saves the session the
// server issues, a second client process resumes with it ("Resumed: yes"), a
// server that did not issue it declines ("Resumed: no", a full handshake),
// and a file that is no session is a clear error. Child processes on 127.0.0.1.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliServer, errorLines, killAll } from './helpers.ts';
import { parseArgs, UsageError } from '../../src/cli/args.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-sess-'));
});
afterEach(() => killAll());
after(() => rmSync(dir, { recursive: true, force: true }));

/** One client session against `port`: stdin ends at once; resolves with its stderr. */
async function client(port: number, fingerprint: string, extra: string[]): Promise<string> {
  const c = cli(dir, 'client', ['client', `127.0.0.1:${port}`, '--fingerprint', fingerprint, '--linger', '300', ...extra]);
  c.child.stdin.end('hello\n');
  assert.equal(await c.exit(), 0, c.stderr);
  return c.stderr;
}

test('--sess_out writes the session, --sess_in resumes it in another process; another server declines it', async () => {
  const file = join(dir, 'session.bin');
  const server = await cliServer(dir, ['--echo']);
  const first = await client(server.port, server.fingerprint, ['--sess_out', file]);
  assert.doesNotMatch(first, /^Resumed:/m, 'no session offered: no Resumed line');
  const saved = readFileSync(file);
  assert.ok(saved.length > 32, 'a session was written');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');

  const second = await client(server.port, server.fingerprint, ['--sess_in', file, '--sess_out', file]);
  assert.match(second, /^Resumed: yes$/m);
  assert.notDeepEqual(readFileSync(file), saved, 'the new session replaced the old');

  // Another server process: other ticket keys, the ticket is not its own.
  const other = await cliServer(dir, ['--echo']);
  const third = await client(other.port, other.fingerprint, ['--sess_in', file]);
  assert.match(third, /^Resumed: no$/m);
  assert.match(third, /^Protocol: DTLS 1\.3$/m);
});

test('--sess_in: a missing file or one that is no session fails before the handshake, with a clear message', async () => {
  const missing = cli(dir, 'missing', ['client', '127.0.0.1:9', '--insecure', '--sess_in', join(dir, 'nope.bin')]);
  missing.child.stdin.end();
  assert.equal(await missing.exit(), 1);
  assert.match(errorLines(missing.stderr)[0] ?? '', /cannot read --sess_in .*nope\.bin: ENOENT/);

  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, 'not a session');
  const bad = cli(dir, 'junk', ['client', '127.0.0.1:9', '--insecure', '--sess_in', junk]);
  bad.child.stdin.end();
  assert.equal(await bad.exit(), 1);
  assert.match(errorLines(bad.stderr)[0] ?? '', /--sess_in .*junk\.bin: not a session written by --sess_out/);
});

test('--sess_out / --sess_in are client options that need a value', () => {
  assert.throws(() => parseArgs(['server', '--listen', '0', '--sess_out', 'x']), UsageError);
  assert.throws(() => parseArgs(['client', '127.0.0.1:1', '--insecure', '--sess_in']), UsageError);
  const c = parseArgs(['client', '127.0.0.1:1', '--insecure', '--sess_in=a', '--sess_out', 'b']);
  assert.ok(c.command === 'client' && c.options.sessIn === 'a' && c.options.sessOut === 'b');
});
