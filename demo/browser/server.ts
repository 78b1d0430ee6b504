// The browser demo's server side: the page (bundled in memory with esbuild),
// the WebSocket ⇄ UDP relay, optionally the WebTransport ⇄ UDP relay (Deno,
// HTTP/3), and, unless a target is given, our own DTLS echo server on 127.0.0.1. Used by serve.ts (npm run demo:browser) and the tests.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:dgram';
import { build } from 'esbuild';
import { listen, generateCertificate, type DtlsServer } from '../../src/index.ts';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import { attachRelay, type Relay, type RelayTarget } from './relay.ts';
import { startWebTransportRelay, type WebTransportRelay } from '../../examples/webtransport-relay/start.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface DemoOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default 8080. */
  port?: number;
  /** Relay to this UDP DTLS server instead of starting our own. */
  target?: RelayTarget;
  /** The target's certificate fingerprint ("sha-256 AB:.."), so the page can verify it. */
  fingerprint?: string;
  /** Also run the HTTP/3 WebTransport relay (examples/webtransport-relay, under Deno) on this UDP port (0: any free one). */
  webtransport?: { port?: number };
  log?: (line: string) => void;
}

export interface Demo {
  url: string;
  /** Where the relay sends datagrams. */
  target: RelayTarget;
  /** The fingerprint the page verifies (our server's, or the one given). */
  fingerprint: string | undefined;
  relay: Relay;
  /** The WebTransport relay, when asked for. */
  webtransport: WebTransportRelay | undefined;
  close(): Promise<void>;
}

const STATIC: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/worker.html': ['worker.html', 'text/html; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

let bundled: Promise<Map<string, Uint8Array>> | undefined;

/** Bundles the page scripts for the browser, in memory, once per process: { '/app.js': code, ... }. */
export function bundle(): Promise<Map<string, Uint8Array>> {
  bundled ??= buildScripts();
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

async function buildScripts(): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: { app: join(here, 'app.ts'), 'worker-page': join(here, 'worker-page.ts'), worker: join(here, 'worker.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/bundle',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((f) => [`/${f.path.split('/').pop()}`, f.contents]));
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const log = opts.log ?? (() => {});
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep closing the rest
      }
    }
  };

  try {
    const scripts = await bundle();

    // Our DTLS echo server, unless we relay to someone else's.
    let target = opts.target;
    let fingerprint = opts.fingerprint;
    if (!target) {
      const certificate = generateCertificate({ commonName: 'dtls-stream demo' });
      const socket: Socket = await bindUdp({ address: '127.0.0.1', port: 0 });
      cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
      const server: DtlsServer = listen(nodeUdpSocket(socket), { certificate });
      cleanups.push(() => server.close());
      target = { host: '127.0.0.1', port: socket.address().port };
      fingerprint = certificate.fingerprint;
      void (async () => {
        for await (const conn of server) {
          const peer = conn.remote ? `${conn.remote.address}:${conn.remote.port}` : 'a peer';
          log(`dtls: ${peer} connected (${conn.info?.cipherSuite}, ${conn.info?.group})`);
          conn.inbound.readable.pipeTo(conn.outbound.writable).then(
            () => log(`dtls: ${peer} closed`),
            () => log(`dtls: ${peer} went away`),
          );
        }
      })().catch(() => {});
      log(`dtls: echo server on udp://${target.host}:${target.port}, certificate ${fingerprint}`);
    }
    let webtransport: WebTransportRelay | undefined;
    if (opts.webtransport) {
      webtransport = await startWebTransportRelay({ target, port: opts.webtransport.port ?? 0, onLog: log });
      cleanups.push(() => webtransport!.close());
      log(`webtransport: relay at ${webtransport.url}, certificate ${webtransport.fingerprint}`);
    }
    const config = JSON.stringify({
      target: `${target.host}:${target.port}`,
      ours: !opts.target,
      fingerprint,
      ...(webtransport ? { webtransport: { url: webtransport.url, certificateHash: webtransport.certificateHash } } : {}),
    });

    const http: Server = createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      try {
        const script = scripts.get(path);
        if (script) {
          res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
          return void res.end(script);
        }
        if (path === '/config.json') {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          return void res.end(config);
        }
        const file = STATIC[path];
        if (file) {
          res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
          return void res.end(await readFile(join(here, file[0])));
        }
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
      }
    });
    const relay = attachRelay(http, target, { log });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(opts.port ?? 8080, '127.0.0.1', () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          // Upgraded (WebSocket) connections are not the http server's any more: the relay ends them.
          void relay.close();
          http.closeAllConnections();
          http.close(() => resolve());
        }),
    );
    const { port } = http.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/`, target, fingerprint, relay, webtransport, close };
  } catch (e) {
    await close();
    throw e;
  }
}
