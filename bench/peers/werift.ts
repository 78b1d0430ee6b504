// werift-dtls driven in-process like our core: a client and a server whose
// transports hand each datagram straight to the other (no sockets). werift is
// promise-based, so a handshake is awaited; delivery is deferred to a
// microtask so a send never re-enters the sender.
// The package's "main" (lib/index.js) is missing from its published files: import the DTLS entry itself.
import werift from 'werift-dtls/lib/dtls/src/index.js';
import type { DtlsSocket } from 'werift-dtls/lib/dtls/src/index.js';

const { DtlsClient, DtlsServer, NamedCurveAlgorithm, NamedCurveAlgorithmList, HashAlgorithm, SignatureAlgorithm } = werift;

interface Pipe {
  type: string;
  address: { address: string; port: number; family: string };
  closed: boolean;
  onData: (data: Buffer, addr: unknown) => void;
  send: (data: Buffer) => Promise<void>;
  close: () => Promise<void>;
}

function pipes(): [Pipe, Pipe] {
  const make = (port: number): Pipe => ({
    type: 'udp',
    address: { address: '127.0.0.1', port, family: 'IPv4' },
    closed: false,
    onData: () => {},
    send: async () => {},
    close: async () => {},
  });
  const a = make(1),
    b = make(2);
  a.send = async (d) => queueMicrotask(() => b.onData(d, a.address));
  b.send = async (d) => queueMicrotask(() => a.onData(d, b.address));
  return [a, b];
}

/** Restricts werift's offered groups: the server takes the client's first. */
function useGroup(group: 'x25519' | 'secp256r1'): void {
  const g = group === 'x25519' ? NamedCurveAlgorithm.x25519_29 : NamedCurveAlgorithm.secp256r1_23;
  NamedCurveAlgorithmList.splice(0, NamedCurveAlgorithmList.length, g);
}

export interface WeriftPair {
  client: DtlsSocket;
  server: DtlsSocket;
  close(): void;
}

export async function weriftHandshake(certPem: string, keyPem: string, group: 'x25519' | 'secp256r1'): Promise<WeriftPair> {
  useGroup(group);
  const [a, b] = pipes();
  const signatureHash = { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 };
  const server = new DtlsServer({ transport: b as never, cert: certPem, key: keyPem, signatureHash });
  const client = new DtlsClient({ transport: a as never, cert: certPem, key: keyPem, signatureHash });
  const serverUp = new Promise<void>((resolve) => server.onConnect.once(() => resolve()));
  await client.connect();
  await serverUp;
  return {
    client,
    server,
    close() {
      a.closed = b.closed = true;
      client.close();
      server.close();
    },
  };
}

/** Sends `count` records of `size` bytes client -> server; resolves when all arrived. */
export function weriftBulk(pair: WeriftPair, size: number, count: number): Promise<number> {
  const payload = Buffer.alloc(size, 7);
  return new Promise((resolve) => {
    let got = 0;
    const sub = pair.server.onData.subscribe((d: Buffer) => {
      got += d.length;
      if (got >= size * count) {
        sub.unSubscribe();
        resolve(got);
      }
    });
    for (let i = 0; i < count; i++) void pair.client.send(payload);
  });
}

/**
 * werift waits on a real timer after each flight (its retransmission loop
 * sleeps 500 ms before checking for the answer), so one handshake at a time
 * measures its timer, not its CPU: 100 handshakes are kept in flight and the
 * rate is completions per second of wall time.
 */
export async function weriftHandshakeRate(certPem: string, keyPem: string, group: 'x25519' | 'secp256r1', seconds: number): Promise<number> {
  const start = performance.now();
  const until = start + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const p = await weriftHandshake(certPem, keyPem, group);
      p.close();
      done++;
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
  return done / ((performance.now() - start) / 1000);
}

export async function weriftBulkRate(certPem: string, keyPem: string, size: number, seconds: number): Promise<number> {
  const p = await weriftHandshake(certPem, keyPem, 'x25519');
  const start = performance.now();
  let bytes = 0;
  while (performance.now() - start < seconds * 1000) bytes += await weriftBulk(p, size, 64);
  const rate = bytes / ((performance.now() - start) / 1000);
  p.close();
  return rate / 1e6;
}

/**
 * Run as a child process, so werift's pending retransmission sleeps (they
 * outlive close()) cannot steal CPU from the other rows:
 *   tsx bench/peers/werift.ts <cert.pem> <key.pem> handshake|bulk x25519|secp256r1 <seconds>
 */
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [certFile, keyFile, mode, group, seconds] = process.argv.slice(2) as [string, string, string, 'x25519' | 'secp256r1', string];
  const { readFileSync } = await import('node:fs');
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  // Warm-up outside the measurement.
  (await weriftHandshake(cert, key, group)).close();
  const value = mode === 'handshake' ? await weriftHandshakeRate(cert, key, group, Number(seconds)) : await weriftBulkRate(cert, key, 1200, Number(seconds));
  process.stdout.write(`${JSON.stringify({ value })}\n`, () => process.exit(0));
}
