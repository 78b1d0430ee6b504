// The package as a user gets it: built to dist/ and imported by name from plain
// Node (no tsx), with a DtlsStream pair completing a handshake in memory.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

before(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
});

test('the built package imports by name on plain Node and completes a handshake', () => {
  const script = `
    import { DtlsStream, generateCertificate } from 'dtls-stream';
    import { nodeUdpSocket } from 'dtls-stream/node';
    const cert = generateCertificate();
    const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
    const server = new DtlsStream({ role: 'server', certificate: cert });
    client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
    server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
    const info = await client.handshake;
    await server.handshake;
    console.log(JSON.stringify({ version: info.version, suite: info.cipherSuite, adapter: typeof nodeUdpSocket }));
    await client.close();
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), {
    version: 'DTLS 1.2',
    suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    adapter: 'function',
  });
});

test('the core entry point imports no Node built-in', () => {
  // Walk the import graph of dist/index.js and look for node: specifiers.
  const script = `
    import { readFileSync } from 'node:fs';
    import { dirname, resolve } from 'node:path';
    const seen = new Set(); const bad = [];
    const walk = (f) => { if (seen.has(f)) return; seen.add(f);
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:import|export)[^'"]*?from\\s*['"]([^'"]+)['"]|import\\(['"]([^'"]+)['"]\\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('node:') || ['dgram','fs','net','crypto','buffer'].includes(spec)) bad.push(f + ' -> ' + spec);
        else if (spec.startsWith('.')) walk(resolve(dirname(f), spec));
      } };
    walk(resolve('dist/index.js'));
    console.log(JSON.stringify({ files: seen.size, bad }));
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
  assert.ok(r.files > 20);
  assert.deepEqual(r.bad, []);
});
