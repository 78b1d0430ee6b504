// The examples/webrtc-ice-lite program, run as a user would (with --chromium so
// it drives the browser itself): it must exit 0, having seen both sides agree.
import { test } from './runner.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

test('examples/webrtc-ice-lite runs against Chromium and both sides agree', { timeout: 30_000 }, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/webrtc-ice-lite/main.ts', '--chromium', '--seconds', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0, out);
  assert.match(out, /ICE: the browser checked in from 127\.0\.0\.1:\d+/);
  assert.match(out, /DTLS: DTLS 1\.3 TLS_AES_/, 'both sides offer 1.3 by default');
  assert.match(out, /CRC-32C valid/);
  assert.match(out, /SRTP: first packet authenticated/);
  assert.match(out, /both sides agree: done/);
});
