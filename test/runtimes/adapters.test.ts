// The Deno (Deno.listenDatagram) and Bun (Bun.udpSocket) adapters' own
// behaviour, checked inside each runtime by fixtures/adapter-checks.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Child, type Runtime } from './child.ts';

describe('native UDP adapters in their runtime', { concurrency: true }, () => {
  for (const runtime of ['deno', 'bun'] as Runtime[]) {
    it(`${runtime}: datagrams with the peer address, strangers ignored, readable ends on close, late writes reject`, { timeout: 20_000 }, async (t) => {
      const child = new Child(runtime, 'adapter-checks.ts', [], t);
      assert.equal(await child.exit(18_000), 0, child.dump());
      assert.deepEqual(child.step('ok')?.checks, [
        'datagram in with the peer address',
        'connected helper ignores strangers',
        'host names refused',
        'readable ends on close',
        'write after close rejects',
      ]);
    });
  }
});
