// The built package, imported by name without a bundler: in Deno with an npm:
// specifier (resolved from a node_modules directory, "nodeModulesDir": "manual",
// since the package is not on a registry here) and in Bun with a bare specifier.
// The package is built with tsc into a temporary project (not the shared dist/).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { ROOT, command } from './child.ts';

const run = promisify(execFile);

const SCRIPT = (specifier: string): string => `
import { DtlsStream, generateCertificate } from '${specifier}';
const cert = generateCertificate();
const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
const server = new DtlsStream({ role: 'server', certificate: cert });
client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
const info = await client.handshake;
await server.handshake;
console.log(JSON.stringify({ version: info.version, suite: info.cipherSuite }));
await client.close();
`;

describe('the built package by name in Deno (npm:) and Bun, no bundler', { concurrency: true }, () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dtls-pkg-'));
    const pkg = join(dir, 'node_modules/dtls-stream');
    await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist'), '--sourceMap', 'false'],
      // A full tsc build: 10-20 s alone, over 40 s on a loaded 2-core machine.
      { cwd: ROOT, timeout: 120_000 },
    );
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    // The runtime dependencies, read from package.json so a new one is not forgotten.
    const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const dep of deps) {
      mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', dependencies: { 'dtls-stream': '*' } }));
    writeFileSync(join(dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
    writeFileSync(join(dir, 'deno-main.ts'), SCRIPT('npm:dtls-stream'));
    writeFileSync(join(dir, 'bun-main.ts'), SCRIPT('dtls-stream'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  async function inRuntime(t: TestContext, runtime: 'deno' | 'bun'): Promise<void> {
    const [cmd, args] = command(runtime, join(dir, `${runtime}-main.ts`), []);
    // Deno: no permissions at all are needed for the core.
    const argv = runtime === 'deno' ? ['run', join(dir, 'deno-main.ts')] : args;
    const controller = new AbortController();
    t.after(() => controller.abort());
    const { stdout } = await run(cmd, argv, { cwd: dir, timeout: 20_000, signal: controller.signal, env: { ...process.env, NO_COLOR: '1' } });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()!), { version: 'DTLS 1.3', suite: 'TLS_AES_128_GCM_SHA256' });
  }

  it("deno: import { DtlsStream } from 'npm:dtls-stream' and a handshake in memory", { timeout: 30_000 }, (t) => inRuntime(t, 'deno'));
  it("bun: import { DtlsStream } from 'dtls-stream' and a handshake in memory", { timeout: 30_000 }, (t) => inRuntime(t, 'bun'));
});
