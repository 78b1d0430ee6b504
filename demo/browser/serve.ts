// npm run demo:browser [-- --port 8080] [-- --webtransport [4433]] [-- --target HOST:PORT [--cert cert.pem | --fingerprint 'sha-256 AB:..']]
//
// Serves the browser demo on http://127.0.0.1:PORT: a page whose DTLS client
// talks through a WebSocket relay to our own DTLS echo server (default) or to
// any UDP DTLS 1.2 server, e.g. `openssl s_server -dtls1_2 -accept 127.0.0.1:4433 ...`.
// With --webtransport the page can also choose WebTransport (HTTP/3, through
// examples/webtransport-relay under Deno): open it with ?transport=webtransport.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fingerprint as fingerprintOf } from '../../src/index.ts';
import { startDemo, type DemoOptions } from './server.ts';

function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no certificate in the --cert file');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      target: { type: 'string' },
      cert: { type: 'string' },
      fingerprint: { type: 'string' },
      webtransport: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`usage: tsx demo/browser/serve.ts [--port 8080] [--webtransport PORT] [--target HOST:PORT [--cert cert.pem | --fingerprint 'sha-256 AB:..']]
  --webtransport PORT also runs the HTTP/3 WebTransport relay on udp://127.0.0.1:PORT (0: any) under Deno;
  the page then offers WebTransport (or open it with ?transport=webtransport).
  Without --target, starts a dtls-stream echo server on 127.0.0.1 and relays to it.
  With --target, relays to that UDP DTLS server; --cert or --fingerprint lets the page verify it
  (without them the page connects unverified and says so).`);
    return;
  }
  const opts: DemoOptions = { port: Number(values.port), log: (line) => console.log(`  ${line}`) };
  if (values.webtransport !== undefined) opts.webtransport = { port: Number(values.webtransport) };
  if (values.target) {
    const m = /^(.+):(\d+)$/.exec(values.target);
    if (!m) throw new Error('--target takes HOST:PORT');
    opts.target = { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    if (values.cert) opts.fingerprint = fingerprintOf(pemToDer(await readFile(values.cert, 'utf8')));
    else if (values.fingerprint) opts.fingerprint = values.fingerprint;
  }
  const demo = await startDemo(opts);
  console.log(`\n  dtls-stream browser demo\n`);
  console.log(`  open        ${demo.url}`);
  console.log(`  lossy worker ${demo.url}worker.html`);
  if (demo.webtransport) console.log(`  webtransport ${demo.url}?transport=webtransport (relay ${demo.webtransport.url})`);
  console.log(`  relaying to udp://${demo.target.host}:${demo.target.port}${opts.target ? '' : ' (our echo server)'}`);
  console.log(`  Ctrl-C to stop\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return process.exit(1);
    stopping = true;
    console.log('\n  stopping');
    void demo.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: Error) => {
  console.error(`demo:browser: ${e.message}`);
  process.exit(1);
});
