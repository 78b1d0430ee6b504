// Runs inside a Web Worker: a DTLS client and a DTLS server, both DtlsStreams,
// joined by a MessageChannel (one message per datagram) that loses datagrams:
// the first transmission of flight 4 (ServerHello … ServerHelloDone), and
// others at random from a seed. Only the retransmission timer, running on the
// worker's event loop, gets the handshake through. Everything that happens is
// posted to the page (worker-page.ts), which draws it.
import { DtlsStream, generateCertificate } from '../../src/index.ts';
import type { DatagramDuplex } from '../../src/adapters/types.ts';

export interface WorkerRun {
  seed: number;
  /** Probability of losing any other datagram, 0..1. */
  loss: number;
  dropFlight4: boolean;
}

export type Side = 'client' | 'server';

export type WorkerReport =
  | { kind: 'trace'; side: Side; what: string; epoch: number; bytes: number }
  | { kind: 'retransmit'; side: Side; flight: number; attempt: number; reason: string }
  | { kind: 'lost'; from: Side; bytes: number; detail: string; why: 'flight 4' | 'random' }
  | { kind: 'handshake'; side: Side; ms: number; suite: string; group: string | undefined }
  | { kind: 'data'; from: Side; text: string; bytes: number }
  | { kind: 'done'; ok: boolean; error?: string; retransmits: Record<Side, number>; lost: number; ms: number };

const post = (r: WorkerReport): void => self.postMessage(r);

/** A small seeded PRNG (mulberry32): the same seed loses the same datagrams. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HANDSHAKE_NAMES: Record<number, string> = {
  1: 'ClientHello',
  2: 'ServerHello',
  3: 'HelloVerifyRequest',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
};

/** What a datagram carries, from its DTLS 1.2 record headers (RFC 6347 4.1). */
function describe(d: Uint8Array): { text: string; flight4: { key: string }[] } {
  const parts: string[] = [];
  const flight4: { key: string }[] = [];
  for (let at = 0; at + 13 <= d.length;) {
    const type = d[at]!;
    const epoch = (d[at + 3]! << 8) | d[at + 4]!;
    const length = (d[at + 11]! << 8) | d[at + 12]!;
    if (type === 20) parts.push('ChangeCipherSpec');
    else if (type === 21) parts.push('Alert');
    else if (type === 23) parts.push('application data');
    else if (type === 22 && epoch > 0) parts.push('Finished (encrypted)');
    else if (type === 22 && at + 25 <= d.length) {
      const msg = d[at + 13]!;
      parts.push(HANDSHAKE_NAMES[msg] ?? `handshake ${msg}`);
      if (msg === 2 || msg === 11 || msg === 12 || msg === 13 || msg === 14) {
        const seq = (d[at + 17]! << 8) | d[at + 18]!;
        const offset = (d[at + 19]! << 16) | (d[at + 20]! << 8) | d[at + 21]!;
        flight4.push({ key: `${seq}/${offset}` });
      }
    }
    at += 13 + length;
  }
  return { text: parts.join(', '), flight4 };
}

/** A MessagePort as a datagram duplex (one message per datagram, transferred). */
function portDuplex(port: MessagePort): DatagramDuplex {
  const readable = new ReadableStream<Uint8Array>({
    start: (c) => {
      port.onmessage = (e: MessageEvent<ArrayBuffer>) => c.enqueue(new Uint8Array(e.data));
      port.start();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write: (d) => {
      const copy = d.slice();
      port.postMessage(copy.buffer, [copy.buffer]);
    },
  });
  return { readable, writable };
}

/** Loses datagrams from `from` before they reach the channel. */
function lossy(from: Side, run: WorkerRun, random: () => number, counter: { lost: number }): TransformStream<Uint8Array, Uint8Array> {
  const seen = new Set<string>();
  return new TransformStream({
    transform: (d, c) => {
      const { text, flight4 } = describe(d);
      // The first transmission of each flight-4 fragment is lost.
      if (from === 'server' && run.dropFlight4 && flight4.length > 0 && flight4.some((f) => !seen.has(f.key))) {
        for (const f of flight4) seen.add(f.key);
        counter.lost++;
        return post({ kind: 'lost', from, bytes: d.byteLength, detail: text, why: 'flight 4' });
      }
      if (random() < run.loss) {
        counter.lost++;
        return post({ kind: 'lost', from, bytes: d.byteLength, detail: text, why: 'random' });
      }
      c.enqueue(d);
    },
  });
}

async function runOnce(run: WorkerRun): Promise<void> {
  const t0 = performance.now();
  const random = rng(run.seed);
  const counter = { lost: 0 };
  const channel = new MessageChannel();
  const certificate = generateCertificate({ commonName: 'worker-server' });
  const retransmit = { initial: 300 };
  // DTLS 1.2 (the library's default offers 1.3 first): describe() reads 1.2 record headers and counts its flight 4.
  const server = new DtlsStream({ role: 'server', versions: ['1.2'], certificate, retransmit, handshakeTimeout: 25_000 });
  const client = new DtlsStream({
    role: 'client',
    versions: ['1.2'],
    verify: { fingerprints: [certificate.fingerprint] },
    retransmit,
    handshakeTimeout: 25_000,
  });
  const retransmits: Record<Side, number> = { client: 0, server: 0 };

  for (const [side, dtls] of [
    ['client', client],
    ['server', server],
  ] as const) {
    dtls.addEventListener('trace', (e) => {
      if (e.detail.direction === 'out') post({ kind: 'trace', side, ...e.detail });
    });
    dtls.addEventListener('retransmit', (e) => {
      retransmits[side]++;
      post({ kind: 'retransmit', side, flight: e.detail.flight, attempt: e.detail.attempt, reason: e.detail.reason });
    });
    void dtls.handshake.then(
      (info) => post({ kind: 'handshake', side, ms: performance.now() - t0, suite: info.cipherSuite, group: info.group }),
      () => {},
    );
  }

  const clientPort = portDuplex(channel.port1);
  const serverPort = portDuplex(channel.port2);
  void clientPort.readable.pipeTo(client.inbound.writable).catch(() => {});
  void client.outbound.readable
    .pipeThrough(lossy('client', run, random, counter))
    .pipeTo(clientPort.writable)
    .catch(() => {});
  void serverPort.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable
    .pipeThrough(lossy('server', run, random, counter))
    .pipeTo(serverPort.writable)
    .catch(() => {});

  try {
    await Promise.all([client.handshake, server.handshake]);
    // One message each way (resent by the app if lost: application data has no retransmission).
    const serverReader = server.inbound.readable.getReader();
    const clientReader = client.inbound.readable.getReader();
    const clientWriter = client.outbound.writable.getWriter();
    const serverWriter = server.outbound.writable.getWriter();
    const text = 'hello from inside a worker';
    let got: string | undefined;
    for (let i = 0; i < 20 && got === undefined; i++) {
      await clientWriter.write(new TextEncoder().encode(text));
      post({ kind: 'data', from: 'client', text, bytes: text.length });
      const r = await Promise.race([serverReader.read(), new Promise<undefined>((res) => setTimeout(res, 250))]);
      if (r && r.value) got = new TextDecoder().decode(r.value);
    }
    if (got) {
      const reply = got.toUpperCase();
      let back: string | undefined;
      for (let i = 0; i < 20 && back === undefined; i++) {
        await serverWriter.write(new TextEncoder().encode(reply));
        post({ kind: 'data', from: 'server', text: reply, bytes: reply.length });
        const r = await Promise.race([clientReader.read(), new Promise<undefined>((res) => setTimeout(res, 250))]);
        if (r && r.value) back = new TextDecoder().decode(r.value);
      }
    }
    post({ kind: 'done', ok: true, retransmits, lost: counter.lost, ms: performance.now() - t0 });
  } catch (e) {
    post({ kind: 'done', ok: false, error: (e as Error).message, retransmits, lost: counter.lost, ms: performance.now() - t0 });
  } finally {
    await Promise.all([client.close(), server.close()]).catch(() => {});
    channel.port1.close();
    channel.port2.close();
  }
}

self.onmessage = (e: MessageEvent<WorkerRun>) => void runOnce(e.data);
