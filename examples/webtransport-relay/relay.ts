// A WebTransport ⇄ UDP relay for DTLS, on Deno's QUIC endpoint (HTTP/3).
//
//   deno run --unstable-net --allow-net --allow-read relay.ts --target 127.0.0.1:4444 [--port 4433]
//        [--host 127.0.0.1] [--cert cert.pem --key key.pem] [--max-sessions 100]
//
// Each WebTransport session gets its own UDP socket, so the DTLS server sees
// each browser tab as its own peer; each datagram from the page goes to the
// target as one UDP datagram, and each datagram from the target goes back as
// one WebTransport datagram. The relay holds no DTLS keys: after the handshake
// it only ever sees ciphertext. Datagrams from any address other than the
// target are dropped (and counted), so the relay is no open UDP reflector.
//
// Without --cert/--key it makes a certificate a browser can pin with
// `serverCertificateHashes` (W3C WebTransport): ECDSA P-256, valid 13 days (the
// limit is 14), with the host's IP or name in subjectAltName. It prints one JSON
// line on stdout when ready:
//   {"url":"https://127.0.0.1:4433/dtls","certificateHash":"<hex sha-256 of the DER>",
//    "fingerprint":"sha-256 AB:..","target":"127.0.0.1:4444"}
// and logs to stderr. Stop it with Ctrl-C or SIGTERM.
//
// In the page (see demo/browser/app.ts):
//   const wt = new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value: hexToBytes(certificateHash) }] });
//   await wt.ready;
//   const { duplex, mtu } = webTransportDuplex(wt);   // mtu fits datagrams.maxDatagramSize
//   const dtls = await connect(duplex, { mtu, verify: { fingerprints: [serverFingerprint] } });
import { parseArgs } from 'node:util';
import { encodeCertificatePem, encodePrivateKeyPem, generateCertificate } from '../../src/x509/index.ts';
import { parseIp } from '../../src/x509/parse.ts';

// The little of Deno's API used here, typed so the project's tsc checks this
// file too (Deno's own lib types are not in its compilation).
interface NetAddr {
  transport: 'udp' | 'tcp';
  hostname: string;
  port: number;
}
interface DatagramConn extends AsyncIterable<[Uint8Array, NetAddr]> {
  send(p: Uint8Array, addr: NetAddr): Promise<number>;
  close(): void;
  readonly addr: NetAddr;
}
interface QuicConn {
  readonly handshake: Promise<void>;
  readonly closed: Promise<unknown>;
  readonly remoteAddr: NetAddr;
}
interface QuicIncoming {
  accept(): Promise<QuicConn>;
  refuse(): void;
}
interface QuicListener extends AsyncIterable<QuicIncoming> {
  stop(): void;
}
declare const Deno: {
  readonly args: string[];
  readonly stdin: { readonly readable: ReadableStream<Uint8Array> };
  exit(code?: number): never;
  readTextFile(path: string): Promise<string>;
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  listenDatagram(o: { transport: 'udp'; hostname: string; port: number }): DatagramConn;
  QuicEndpoint: new (o: { hostname: string; port: number }) => {
    readonly addr: NetAddr;
    listen(o: { cert: string; key: string; alpnProtocols: string[]; maxIdleTimeout?: number; keepAliveInterval?: number }): QuicListener;
    close(): void;
  };
  upgradeWebTransport(conn: QuicConn): Promise<WebTransport & { url: string }>;
};

interface RelayOptions {
  host: string;
  port: number;
  target: { hostname: string; port: number };
  cert: string;
  key: string;
  maxSessions: number;
  /** Stop when stdin ends: set by a parent process (start.ts), so the relay never outlives it. */
  exitWithStdin: boolean;
}

/** Longest a WebTransport session may stay silent; keep-alives (below) keep a quiet DTLS session open. */
const MAX_IDLE_MS = 10_000;
const KEEP_ALIVE_MS = 4_000;

function usage(message?: string): never {
  if (message) console.error(`relay: ${message}`);
  else
    console.log(
      'usage: deno run --unstable-net --allow-net --allow-read relay.ts --target HOST:PORT [--port 4433] [--host 127.0.0.1] [--cert cert.pem --key key.pem] [--max-sessions 100]',
    );
  if (!message) Deno.exit(0);
  console.error(
    'usage: deno run --unstable-net --allow-net --allow-read relay.ts --target HOST:PORT [--port 4433] [--host 127.0.0.1] [--cert cert.pem --key key.pem] [--max-sessions 100]',
  );
  Deno.exit(2);
}

async function options(): Promise<RelayOptions> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: 'string' },
      port: { type: 'string', default: '4433' },
      host: { type: 'string', default: '127.0.0.1' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'max-sessions': { type: 'string', default: '100' },
      'exit-with-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) usage();
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(values.target ?? '');
  if (!m) usage('--target HOST:PORT is required');
  const port = Number(values.port);
  const maxSessions = Number(values['max-sessions']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port takes 0..65535');
  if (!Number.isInteger(maxSessions) || maxSessions < 1) usage('--max-sessions takes a positive whole number');
  if (!values.cert !== !values.key) usage('--cert and --key go together');
  let cert: string, key: string;
  if (values.cert && values.key) {
    cert = await Deno.readTextFile(values.cert);
    key = await Deno.readTextFile(values.key);
  } else {
    // Browsers accept a pinned hash only for a certificate valid 14 days or less.
    const pair = generateCertificate({ commonName: 'dtls-stream relay', subjectAltNames: [values.host], days: 12 });
    cert = encodeCertificatePem(pair);
    key = encodePrivateKeyPem(pair);
  }
  return { host: values.host, port, target: { hostname: m[1]!, port: Number(m[2]) }, cert, key, maxSessions, exitWithStdin: values['exit-with-stdin'] };
}

function derOf(pem: string): Uint8Array<ArrayBuffer> {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) usage('no certificate in the --cert file');
  return Uint8Array.from(atob(m[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0));
}

const hex = (b: Uint8Array, sep = ''): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(sep);

/** Same address, whatever its spelling (an IPv4-mapped IPv6 source included). */
function sameHost(a: string, b: string): boolean {
  const x = parseIp(a.replace(/^::ffff:(?=\d+\.)/i, '')),
    y = parseIp(b.replace(/^::ffff:(?=\d+\.)/i, ''));
  return x && y ? x.length === y.length && x.every((v, i) => v === y[i]) : a === b;
}

async function relaySession(wt: WebTransport, conn: QuicConn, id: number, o: RelayOptions, log: (s: string) => void): Promise<void> {
  const v6 = o.target.hostname.includes(':');
  const udp = Deno.listenDatagram({ transport: 'udp', hostname: v6 ? '::' : '0.0.0.0', port: 0 });
  const to: NetAddr = { transport: 'udp', hostname: o.target.hostname, port: o.target.port };
  const counts = { up: 0, down: 0, strangers: 0 };
  log(`session #${id} ⇄ udp://${o.target.hostname}:${o.target.port} from udp port ${(udp.addr as NetAddr).port}`);

  const writer = wt.datagrams.writable.getWriter();
  const down = (async () => {
    for await (const [data, from] of udp) {
      const f = from as NetAddr;
      if (f.port !== o.target.port || !sameHost(f.hostname, o.target.hostname)) {
        counts.strangers++;
        continue;
      }
      counts.down++;
      // A datagram larger than datagrams.maxDatagramSize is dropped by WebTransport, as by a path MTU.
      await writer.write(data).catch(() => {});
    }
  })().catch(() => {});
  const up = (async () => {
    for await (const d of wt.datagrams.readable) {
      counts.up++;
      await udp.send(d, to).catch(() => {});
    }
  })().catch(() => {});

  // The session ends with the WebTransport session or with its QUIC connection, whichever Deno reports first.
  await Promise.race([wt.closed, conn.closed, up]).catch(() => {});
  udp.close();
  await Promise.allSettled([up, down]);
  writer.releaseLock();
  log(
    `session #${id} closed after ${counts.up} datagrams to the server, ${counts.down} back${counts.strangers ? `, ${counts.strangers} from other addresses dropped` : ''}`,
  );
}

async function main(): Promise<void> {
  const o = await options();
  const log = (s: string): void => console.error(`relay: ${s}`);
  const endpoint = new Deno.QuicEndpoint({ hostname: o.host, port: o.port });
  const listener = endpoint.listen({ cert: o.cert, key: o.key, alpnProtocols: ['h3'], maxIdleTimeout: MAX_IDLE_MS, keepAliveInterval: KEEP_ALIVE_MS });
  const der = derOf(o.cert);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  const addr = endpoint.addr;
  const hostPart = addr.hostname.includes(':') ? `[${addr.hostname}]` : addr.hostname;
  console.log(
    JSON.stringify({
      url: `https://${hostPart}:${addr.port}/dtls`,
      certificateHash: hex(hash),
      fingerprint: `sha-256 ${hex(hash, ':').toUpperCase()}`,
      target: `${o.target.hostname}:${o.target.port}`,
    }),
  );

  const stop = (): void => {
    log('stopping');
    listener.stop();
    endpoint.close();
    Deno.exit(0);
  };
  Deno.addSignalListener('SIGINT', stop);
  Deno.addSignalListener('SIGTERM', stop);
  if (o.exitWithStdin) {
    void (async () => {
      for await (const _ of Deno.stdin.readable); // the parent holds our stdin open while it lives
      stop();
    })();
  }

  let open = 0;
  let next = 1;
  for await (const incoming of listener) {
    if (open >= o.maxSessions) {
      incoming.refuse();
      log(`refused a connection: ${open} sessions open (--max-sessions ${o.maxSessions})`);
      continue;
    }
    const id = next++;
    open++;
    void (async () => {
      try {
        // Read remoteAddr from the accepted connection, never from `incoming` (that breaks accept()).
        const conn = await incoming.accept();
        await conn.handshake;
        const wt = await Deno.upgradeWebTransport(conn);
        await wt.ready;
        log(`session #${id} from ${(conn.remoteAddr as NetAddr).hostname}, ${wt.url}`);
        await relaySession(wt, conn, id, o, log);
      } catch (e) {
        log(`session #${id} failed: ${(e as Error).message}`);
      } finally {
        open--;
      }
    })();
  }
}

await main();
