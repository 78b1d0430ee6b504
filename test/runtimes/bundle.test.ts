// The core entry point and the non-Node adapters bundle for the browser with
// esbuild, and the bundles contain no Node built-in: any `node:` import (or a
// bare built-in name such as 'crypto' or 'buffer') fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { ROOT } from './child.ts';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles `entry` for the browser; returns the code and every Node built-in something tried to import. */
async function bundle(entry: string): Promise<{ code: string; builtins: string[]; inputs: string[] }> {
  const builtins: string[] = [];
  const spy: Plugin = {
    name: 'node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!args.path.startsWith('node:') && !BUILTINS.has(args.path)) return undefined;
        builtins.push(`${args.path} (from ${args.importer.replace(ROOT, '')})`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [spy],
  });
  const code = result.outputFiles[0]!.text;
  return { code, builtins, inputs: Object.keys(result.metafile.inputs) };
}

for (const entry of ['src/index.ts', 'src/adapters/websocket.ts', 'src/adapters/webtransport.ts', 'src/adapters/deno.ts', 'src/adapters/bun.ts']) {
  test(`${entry} bundles for the browser (esbuild, esm) with no Node built-in`, { timeout: 20_000 }, async () => {
    const { code, builtins, inputs } = await bundle(entry);
    assert.deepEqual(builtins, [], `Node built-ins imported: ${builtins.join(', ')}`);
    assert.doesNotMatch(code, /\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(\s*["']node:/);
    assert.doesNotMatch(code, /\brequire\(/, 'no CommonJS require left in the bundle');
    assert.ok(inputs.includes(entry), `bundle inputs: ${inputs.join(', ')}`);
    assert.ok(code.length > 0);
  });
}

test('the spy does catch a Node built-in (the adapter for node:dgram)', { timeout: 20_000 }, async () => {
  const { builtins } = await bundle('src/adapters/node.ts');
  assert.ok(
    builtins.some((b) => b.startsWith('node:dgram')),
    builtins.join(', '),
  );
});

test('the browser bundle of the core runs: a DtlsStream pair handshakes in memory', { timeout: 20_000 }, async () => {
  const { code } = await bundle('src/index.ts');
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as typeof import('../../src/index.ts');
  const certificate = mod.generateCertificate();
  const server = new mod.DtlsStream({ role: 'server', certificate });
  const client = new mod.DtlsStream({ role: 'client', verify: { fingerprints: [certificate.fingerprint] } });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  const [a, b] = await Promise.all([client.handshake, server.handshake]);
  assert.equal(a.version, 'DTLS 1.3');
  assert.equal(b.cipherSuite, a.cipherSuite);
  await client.close();
  await server.close();
});
