// A DtlsStream that is created and never used must not keep Node running: no
// timer before the first use. Real processes, the system clock: the child must
// exit on its own long before the 30 s handshake timeout would fire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SRC = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'src/index.ts'); // run as a child, outside the polyfill suite

async function exitsQuickly(body: string): Promise<{ ms: number; stdout: string }> {
  const script = `import { DtlsStream, generateCertificate } from ${JSON.stringify(SRC)};\n${body}\nconsole.log('done');`;
  const t0 = performance.now();
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 20_000,
    killSignal: 'SIGKILL',
  }).catch((e: { killed?: boolean; stderr?: string }) =>
    assert.fail(e.killed ? 'the child did not exit within 20 s: something holds the event loop' : `the child failed: ${e.stderr}`),
  );
  assert.equal(stderr, '');
  return { ms: performance.now() - t0, stdout };
}

test('a client and a server DtlsStream created and never used let the process exit at once', async () => {
  const { stdout } = await exitsQuickly(`
    const certificate = generateCertificate();
    const client = new DtlsStream({ role: 'client', verify: { fingerprints: [certificate.fingerprint] } });
    const server = new DtlsStream({ role: 'server', certificate });
    client.addEventListener('statechange', () => console.log('started'));
    await new Promise((r) => setTimeout(r, 50)); // a few turns of the loop: still nothing runs
    console.log(client.state, server.state);
  `);
  assert.equal(stdout, 'idle idle\ndone\n');
});

test('a stream whose readable is only looked at (no reader) holds nothing either; one that is used and closed exits too', async () => {
  const { stdout } = await exitsQuickly(`
    const certificate = generateCertificate();
    const client = new DtlsStream({ role: 'client', verify: { fingerprints: [certificate.fingerprint] } });
    void client.outbound.readable.locked; void client.handshake;
    const used = new DtlsStream({ role: 'client', verify: 'insecure' });
    const reader = used.outbound.readable.getReader();
    await reader.read(); // the ClientHello: the timer runs now
    console.log(used.state);
    await used.close();
  `);
  assert.equal(stdout, 'handshaking\ndone\n');
});
