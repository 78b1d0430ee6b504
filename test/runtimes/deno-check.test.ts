// `deno check` (Deno's own TypeScript and lib types) accepts the core and the
// adapters, and Deno's real types fit the adapters' local interfaces:
// Deno.DatagramConn for denoUdpSocket, the global WebSocket for webSocketDuplex,
// WebTransport for webTransportDuplex. The usage file is written to a temporary
// directory, since its Deno lib references would not typecheck under Node's tsc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './child.ts';

test('deno check: the core, the adapters, and Deno’s own types passed to them', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-deno-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = (p: string): string => pathToFileURL(join(ROOT, 'src', p)).href;
  const usage = join(dir, 'usage.ts');
  writeFileSync(
    usage,
    `/// <reference lib="deno.ns" />
/// <reference lib="deno.unstable" />
import { denoUdpSocket, denoUdpConnected } from '${src('adapters/deno.ts')}';
import { webSocketDuplex } from '${src('adapters/websocket.ts')}';
import { webTransportDuplex } from '${src('adapters/webtransport.ts')}';
import type { DatagramDuplex, DatagramSocket } from '${src('adapters/types.ts')}';
export function wire(conn: Deno.DatagramConn, ws: WebSocket, wt: WebTransport): [DatagramSocket, DatagramDuplex, DatagramDuplex, DatagramDuplex, DatagramDuplex] {
  return [denoUdpSocket(conn), denoUdpConnected(conn, '127.0.0.1', 4433), webSocketDuplex(ws), webTransportDuplex(wt).duplex, wt.datagrams];
}
`,
  );
  const deno = join(ROOT, 'node_modules/.bin/deno');
  const files = ['src/index.ts', 'src/adapters/deno.ts', 'src/adapters/bun.ts', 'src/adapters/websocket.ts', 'src/adapters/webtransport.ts', usage];
  const controller = new AbortController();
  t.after(() => controller.abort());
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(
      deno,
      ['check', '--unstable-net', ...files],
      { cwd: ROOT, timeout: 55_000, signal: controller.signal, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  assert.equal(result.code, 0, result.out);
});
