// The test command's check for what npm does not bring (scripts/check-peers.mjs):
// a missing peer stops `run-tests` before any test runs, naming it with the
// command that installs it; the Chromium it finds is handed to the tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs script without type declarations
import { ensurePeers, installHelp, probe, toolsUsedBy } from '../../scripts/check-peers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';

/** A directory on PATH holding `names` as executables that do nothing. */
function fakeBin(sub: string, names: string[]): string {
  const d = join(dir, sub);
  mkdirSync(d);
  for (const n of names) {
    writeFileSync(join(d, n), '#!/bin/sh\nexit 0\n');
    chmodSync(join(d, n), 0o755);
  }
  return d;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-peers-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('run-tests stops before running anything when a peer is missing, and says how to install it', () => {
  // PATH has node and nothing else: no gnutls, no openssl, no apt-get (so no install is tried).
  const bin = fakeBin('node-only', []);
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', 'test/interop/gnutls-client'], {
    cwd: ROOT,
    env: { PATH: bin, HOME: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the tests need openssl \(openssl\), gnutls \(gnutls-serv, gnutls-cli\)/);
  assert.match(r.stderr, /Debian\/Ubuntu: sudo apt-get update && sudo apt-get install -y openssl gnutls-bin/);
  assert.match(r.stderr, /macOS: +brew install openssl@3 gnutls/);
  assert.equal(r.stdout, ''); // the test runner never started
  assert.doesNotMatch(r.stderr, /ℹ tests/);
});

test('where it may install (root on Debian/Ubuntu), apt-get update then install, non-interactive, then checks again', async () => {
  // A stand-in apt-get on PATH: it logs its arguments and DEBIAN_FRONTEND and
  // "installs" gnutls-bin by creating the two commands next to itself.
  const path = fakeBin('apt', ['openssl']);
  const log = join(dir, 'apt.log');
  writeFileSync(
    join(path, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$DEBIAN_FRONTEND $*" >> ${log}`,
      'PATH=/bin:/usr/bin',
      'if [ "$1" = install ]; then',
      `  for b in gnutls-serv gnutls-cli; do printf '#!/bin/sh\\n' > ${path}/$b; chmod 755 ${path}/$b; done`,
      'fi',
    ].join('\n') + '\n',
  );
  chmodSync(join(path, 'apt-get'), 0o755);
  const said: string[] = [];
  const r = await ensurePeers(['openssl', 'gnutls'], { env: { PATH: path }, install: true, log: (l: string) => said.push(l) });
  assert.equal(r.error, undefined);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['noninteractive update', 'noninteractive install -y gnutls-bin']);
  assert.deepEqual(said, ['check-peers: installing gnutls-bin with apt-get (running as root on Debian/Ubuntu)']);

  // An install that does not bring the tool is still reported as missing.
  const broken = fakeBin('apt-broken', []);
  writeFileSync(join(broken, 'apt-get'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(broken, 'apt-get'), 0o755);
  const still = await ensurePeers(['tshark'], { env: { PATH: broken }, install: true, log: () => {} });
  assert.match(still.error, /the tests need tshark \(tshark\), which is not installed/);
});

test('probe names a tool missing when one of its commands is absent', async () => {
  const path = fakeBin('half-gnutls', ['openssl', 'gnutls-serv', 'tshark']);
  const r = await probe(['openssl', 'gnutls', 'tshark'], { PATH: path });
  assert.deepEqual(r.missing, ['gnutls']);
});

test('DTLS_STREAM_CHROMIUM wins and is handed to the tests; a wrong one is an error', async () => {
  const path = fakeBin('browsers', ['my-chromium', 'chromium']);
  const chosen = join(path, 'my-chromium');
  const ok = await ensurePeers(['chromium'], { env: { PATH: path, DTLS_STREAM_CHROMIUM: chosen }, install: false });
  assert.equal(ok.error, undefined);
  assert.equal(ok.env.DTLS_STREAM_CHROMIUM, chosen);

  const bad = await ensurePeers(['chromium'], { env: { PATH: path, DTLS_STREAM_CHROMIUM: join(path, 'nope') }, install: false });
  assert.match(bad.error, /DTLS_STREAM_CHROMIUM=.*nope is not an executable file/);

  // Without the variable: Playwright's own Chromium when present, else chromium on PATH.
  const found = await ensurePeers(['chromium'], { env: { PATH: path }, install: false });
  assert.equal(found.error, undefined);
  assert.ok(found.env.DTLS_STREAM_CHROMIUM === join(path, 'chromium') || /ms-playwright/.test(found.env.DTLS_STREAM_CHROMIUM), found.env.DTLS_STREAM_CHROMIUM);

  const none = await ensurePeers(['chromium'], { env: { PATH: fakeBin('empty', []) }, install: false });
  if (!/ms-playwright/.test(String(none.env?.DTLS_STREAM_CHROMIUM))) {
    assert.match(none.error, /chromium \(chromium\)/);
    assert.match(none.error, /brew install --cask chromium/);
  }
});

test('only the peers the selected tests use are checked', () => {
  assert.deepEqual(toolsUsedBy([join(ROOT, 'test/wire/alert.test.ts')]), []);
  assert.deepEqual(toolsUsedBy([join(ROOT, 'test/interop/gnutls-client.test.ts')]), ['openssl', 'gnutls']);
  assert.ok(toolsUsedBy([join(ROOT, 'test/browser/demo-page.test.ts')]).includes('chromium'));
  // These tests name Chromium only to test its lookup: no browser needed to run them.
  assert.ok(!toolsUsedBy([join(ROOT, 'test/cli/check-peers.test.ts')]).includes('chromium'));
  assert.match(installHelp(['tshark']), /apt-get install -y tshark\n.*brew install wireshark/);
});
