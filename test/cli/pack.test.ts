// The command as a user gets it: `npm pack`, the tarball installed into a fresh
// project that also has tsx (which once made the launcher try the sources and
// fail on a missing tsconfig.json), then `npx dtls-stream` and a client/server
// pair run from that project. Installs come from npm's cache first (`npm ci`
// filled it), so the test needs no network beyond loopback when it is warm.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorLines, killAll, Proc } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let app = '';

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dtls-stream-pack-'));
  app = join(dir, 'app');
  // The package's own files (package.json "files"), with dist/ built into the
  // copy rather than the checkout, so other tests building dist/ at the same
  // time cannot hand `npm pack` a half-written file.
  const stage = join(dir, 'stage');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  mkdirSync(stage);
  cpSync(join(ROOT, 'package.json'), join(stage, 'package.json'));
  for (const f of pkg.files) {
    if (f !== 'dist' && existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
  }
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], {
    stdio: 'pipe',
    timeout: 170_000,
  });
  const tarball = npm(['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], stage).trim().split('\n').pop()!;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const tsx = lock.packages['node_modules/tsx']!.version;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball), `tsx@${tsx}`], app);
});

afterEach(() => killAll());

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('npx dtls-stream from the installed tarball runs the built code beside tsx', async () => {
  const help = new Proc('npx --help', 'npx', ['--no-install', 'dtls-stream', '--help'], app);
  assert.equal(await help.exit(30_000), 0, help.stderr);
  assert.match(help.stdout, /dtls-stream client HOST:PORT/);
  assert.equal(help.stderr, '');

  const version = new Proc('npx --version', 'npx', ['--no-install', 'dtls-stream', '--version'], app);
  assert.equal(await version.exit(30_000), 0, version.stderr);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout, `dtls-stream ${pkg.version}\n`);
});

test('a client/server pair from the installed package echoes a line', async () => {
  const bin = join(app, 'node_modules', '.bin', 'dtls-stream');
  const server = new Proc('server', bin, ['server', '--listen', '127.0.0.1:0', '--echo', '--once'], app);
  const [, fingerprint] = await server.waitFor('stderr', /^Fingerprint: (sha-256 [0-9A-F:]+)$/m, 30_000);
  const [, port] = await server.waitFor('stderr', /^Listening on 127\.0\.0\.1:(\d+)$/m, 30_000);
  const client = new Proc('client', bin, ['client', `127.0.0.1:${port}`, '--fingerprint', fingerprint!, '--linger', '1000'], app);
  client.child.stdin.end('from the tarball\n');
  assert.equal(await client.exit(30_000), 0, client.stderr);
  assert.equal(client.stdout, 'from the tarball\n');
  assert.deepEqual(errorLines(client.stderr), []);
  assert.equal(await server.exit(30_000), 0, server.stderr);
  assert.equal(server.stdout, 'from the tarball\n');
});
