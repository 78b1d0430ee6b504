// What an established server connection holds, by field: N in-process
// handshakes (x25519, ECDSA P-256, AES-128-GCM), the clients dropped, then a
// V8 heap snapshot. For each server Connection, every object reachable from
// each of its fields (own fields and those of the objects they hold, to
// `--depth`) is counted once, for the first field that reaches it; objects that
// more than one connection reaches (options, certificate, provider, code) are
// shared and not counted. Prints bytes per connection by field path.
//
// --streams: the servers are DtlsStreams (Web Streams around the core; the
// clients stay raw cores, driven here and dropped), to see what the streams
// layer adds.
//
// --v13: DTLS 1.3 connections (TLS_AES_128_GCM_SHA256) instead of DTLS 1.2's
// ECDHE-ECDSA-AES128-GCM-SHA256, in every mode.
//
// --listen: the servers are the connections a listen() server accepted over an
// in-memory datagram socket (cookie exchange, real timers, an echoing app
// piping inbound.readable to outbound.writable, as bench/load.ts's server
// does): what a server holds per peer. Besides the snapshot's attribution it
// prints the marginal heap growth (heap and array buffers after gc() with N
// peers minus with N/2, per peer), which also counts what points at a
// connection from outside it (the server's peer table, the app's pipe).
//
// Each connection is measured as a server holds it for most of its life: after
// the exchange above, time moves handshakeEpochRetention13() (13 minutes) on
// and one more record comes from the client, so that a DTLS 1.3 server has let
// go of its handshake epoch (connection.ts); --fresh measures right after the
// exchange instead (--streams is always fresh).
//
//   node --expose-gc --import tsx bench/memory.ts [--connections 50] [--depth 2] [--min 64] [--noble] [--v13] [--fresh] [--streams | --listen]
import * as nc from 'node:crypto';
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, handshakeEpochRetention13 } from '../src/connection.ts';
import { ManualClock } from '../src/clock.ts';
import { BENCH_SUITE, BENCH_SUITE13, corePair, shuttle } from './core-pair.ts';
import { resolveOptions } from '../src/options.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { createNativeProvider } from '../src/crypto/native.ts';
import { nobleProvider } from '../src/crypto/noble.ts';
import { DtlsStream } from '../src/stream/dtls-stream.ts';
import { listen } from '../src/stream/server.ts';
import type { Datagram } from '../src/adapters/types.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const N = opt('--connections', 50);
const DEPTH = opt('--depth', 2);
/** Rows below this many bytes per connection are left out. */
const MIN = opt('--min', 64);
const crypto = argv.includes('--noble') ? nobleProvider : createNativeProvider(nc);
const cert = generateCertificate();

const STREAMS = argv.includes('--streams');
const V13 = argv.includes('--v13');
// The version and suite every connection here is pinned to.
const PIN = { versions: [V13 ? '1.3' : '1.2'] as ('1.2' | '1.3')[], cipherSuites: [V13 ? BENCH_SUITE13 : BENCH_SUITE] };
const LISTEN = argv.includes('--listen');
const FRESH = argv.includes('--fresh');
/** When the last record comes: past the handshake epoch's retention. */
const LATER = handshakeEpochRetention13(resolveOptions({ role: 'client', crypto, verify: { fingerprints: [cert.fingerprint] } }).retransmit.max) + 1;
const ROOT_CLASS = STREAMS || LISTEN ? 'DtlsStream' : 'Connection';
const servers: unknown[] = [];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
let marginal = NaN;
if (LISTEN) {
  let ctl!: ReadableStreamDefaultController<Datagram>;
  const routes = new Map<number, (d: Uint8Array) => void>();
  const socket = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (ctl = c) }),
    writable: new WritableStream<Datagram>({ write: (d) => routes.get(d.port)?.(d.data) }, new CountQueuingStrategy({ highWaterMark: 64 })),
  };
  // The server's time moves only when told (by LATER per peer, unless --fresh); its clients keep their own.
  const clock = new ManualClock();
  const server = listen(socket, {
    clock,
    crypto,
    certificate: cert,
    ...PIN,
    groups: ['x25519'],
    maxConnections: N + 16,
    idleTimeout: Infinity,
  });
  server.addEventListener('handshakeerror', (e) => console.error('handshake error:', (e as CustomEvent<{ error: unknown }>).detail.error));
  void (async () => {
    for await (const c of server) void c.inbound.readable.pipeTo(c.outbound.writable).catch(() => {});
  })();
  const turns = async (done: () => boolean) => {
    for (let i = 0; i < 10_000 && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (!done()) throw new Error(`listen(): a client did not finish (${JSON.stringify(server.stats)})`);
  };
  let held = 0;
  let half = 0;
  for (let i = 0; i < N; i++) {
    const port = 10_000 + i;
    const client = new Connection(
      resolveOptions({
        role: 'client',
        crypto,
        verify: { fingerprints: [cert.fingerprint] },
        ...PIN,
        groups: ['x25519', 'secp256r1'],
      }),
    );
    const flush = () => {
      for (let d = client.pollTransmit(); d; d = client.pollTransmit()) ctl.enqueue({ data: d, address: '127.0.0.1', port });
    };
    routes.set(port, (d) => {
      client.handleDatagram(performance.now(), d);
      flush();
    });
    client.start(performance.now());
    flush();
    await turns(() => client.state === 'connected');
    client.send(performance.now(), new Uint8Array(100));
    flush();
    let echoed = false;
    await turns(() => (echoed ||= client.pollReceived() !== undefined));
    if (!FRESH) {
      // One more record from the client once the retention passed; its echo shows the server read it.
      let again = false;
      routes.set(port, () => void (again = true));
      clock.advance(LATER);
      client.send(performance.now(), new Uint8Array(100));
      flush();
      await turns(() => again);
    }
    routes.delete(port); // the client is dropped; the server keeps its peer
    if (server.size !== i + 1) throw new Error(`the server holds ${server.size} peers, expected ${i + 1}`);
    if (i + 1 === Math.floor(N / 2)) {
      half = heap();
      held = i + 1;
    }
  }
  marginal = (heap() - half) / (N - held);
}
for (let i = 0; i < N && STREAMS; i++) {
  const client = new Connection(
    resolveOptions({
      role: 'client',
      crypto,
      verify: { fingerprints: [cert.fingerprint] },
      ...PIN,
      groups: ['x25519', 'secp256r1'],
    }),
  );
  const server = new DtlsStream({ role: 'server', crypto, certificate: cert, ...PIN, groups: ['x25519'] });
  const w = server.inbound.writable.getWriter();
  const out = server.outbound.readable.getReader();
  // All four streams, as an app that also writes has them (they are made when first asked for).
  void server.outbound.writable;
  client.start(0);
  // Server datagrams reach the client as they come; the client's go out after each.
  const pump = (async () => {
    for (;;) {
      const { value, done } = await out.read();
      if (done) return;
      client.handleDatagram(0, value);
      for (let d = client.pollTransmit(); d; d = client.pollTransmit()) await w.write(d);
    }
  })().catch(() => {}); // ends when the reader is released below
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) await w.write(d);
  await server.handshake;
  client.send(0, new Uint8Array(100));
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) await w.write(d);
  const r = server.inbound.readable.getReader();
  await r.read();
  r.releaseLock();
  w.releaseLock();
  // Let go of the client: release the reader (its pending read rejects) so nothing of it stays reachable.
  out.releaseLock();
  await pump;
  servers.push(server);
}
for (let i = 0; i < N && !STREAMS; i++) {
  const { client, server } = corePair(crypto, cert, 'x25519', V13 ? '1.3' : '1.2');
  // One application record each way, as an established connection has seen.
  client.send(0, new Uint8Array(100));
  shuttle(client, server);
  server.send(0, new Uint8Array(100));
  shuttle(client, server);
  while (server.pollReceived());
  if (!FRESH) {
    client.send(LATER, new Uint8Array(100));
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(LATER, d);
    while (server.pollReceived());
    while (server.pollEvent());
  }
  if (server.state !== 'connected') throw new Error('handshake failed');
  servers.push(server);
}
gc();

const dir = mkdtempSync(join(tmpdir(), 'dtls-heap-'));
const file = writeHeapSnapshot(join(dir, 'h.heapsnapshot'));
const snap = JSON.parse(readFileSync(file, 'utf8')) as {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
};
rmSync(dir, { recursive: true, force: true });

const nf = snap.snapshot.meta.node_fields.length;
const ef = snap.snapshot.meta.edge_fields.length;
const NAME = snap.snapshot.meta.node_fields.indexOf('name');
const SIZE = snap.snapshot.meta.node_fields.indexOf('self_size');
const ECOUNT = snap.snapshot.meta.node_fields.indexOf('edge_count');
const TYPE = snap.snapshot.meta.node_fields.indexOf('type');
const ETYPE = snap.snapshot.meta.edge_fields.indexOf('type');
const ENAME = snap.snapshot.meta.edge_fields.indexOf('name_or_index');
const ETO = snap.snapshot.meta.edge_fields.indexOf('to_node');
const edgeTypes = snap.snapshot.meta.edge_types[0];
const nodeTypes = snap.snapshot.meta.node_types[0];
const count = snap.nodes.length / nf;
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += snap.nodes[i * nf + ECOUNT]! * ef;
}
firstEdge[count] = snap.edges.length;

function* edgesOf(n: number): Generator<{ name: string; to: number }> {
  for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += ef) {
    const type = edgeTypes[snap.edges[e + ETYPE]!]!;
    if (type === 'weak' || type === 'shortcut') continue;
    const raw = snap.edges[e + ENAME]!;
    const name = type === 'element' || type === 'hidden' ? `[${raw}]` : snap.strings[raw]!;
    yield { name, to: snap.edges[e + ETO]! / nf };
  }
}
const nameOf = (n: number) => snap.strings[snap.nodes[n * nf + NAME]!]!;
const typeOf = (n: number) => nodeTypes[snap.nodes[n * nf + TYPE]!]!;
const sizeOf = (n: number) => snap.nodes[n * nf + SIZE]!;

const conns: number[] = [];
// Instances only (the class prototype has the same name but no private fields).
for (let n = 0; n < count; n++) if (typeOf(n) === 'object' && nameOf(n) === ROOT_CLASS && [...edgesOf(n)].some((e) => e.name.startsWith('#'))) conns.push(n);

// Who reaches what: owner connection per node, -1 once a second connection reaches it.
const owner = new Int32Array(count).fill(-2);
// The listen() server is shared (every peer's send closure reaches it, and through it every other peer).
const skip = (n: number) => ['code', 'hidden', 'synthetic'].includes(typeOf(n)) || nameOf(n) === 'system / Map' || nameOf(n) === 'DtlsServer';
for (let c = 0; c < conns.length; c++) {
  const stack = [conns[c]!];
  const seen = new Set<number>(stack);
  while (stack.length) {
    const n = stack.pop()!;
    owner[n] = owner[n] === -2 || owner[n] === c ? c : -1;
    for (const { to } of edgesOf(n))
      if (!seen.has(to) && !skip(to)) {
        seen.add(to);
        stack.push(to);
      }
  }
}

// Attribute exclusive bytes to field paths (to DEPTH levels of named fields).
const byPath = new Map<string, number>();
let total = 0;
for (let c = 0; c < conns.length; c++) {
  const counted = new Set<number>([conns[c]!]);
  total += sizeOf(conns[c]!);
  const visit = (start: number, path: string, depth: number) => {
    const stack = [start];
    while (stack.length) {
      const n = stack.pop()!;
      if (counted.has(n) || owner[n] !== c) continue;
      counted.add(n);
      byPath.set(path, (byPath.get(path) ?? 0) + sizeOf(n));
      total += sizeOf(n);
      for (const { name, to } of edgesOf(n)) {
        if (counted.has(to) || owner[to] !== c) continue;
        if (depth > 1 && n === start && !name.startsWith('[') && name !== 'map' && name !== '__proto__') visit(to, `${path}.${name}`, depth - 1);
        else stack.push(to);
      }
    }
  };
  for (const { name, to } of edgesOf(conns[c]!)) if (!name.startsWith('[') && name !== 'map') visit(to, name, DEPTH);
}

if (argv.includes('--json')) {
  console.log(
    JSON.stringify({
      root: ROOT_CLASS,
      connections: conns.length,
      bytesPerConnection: total / conns.length,
      ...(LISTEN ? { marginalBytesPerConnection: marginal } : {}),
    }),
  );
  process.exit(0);
}
console.log(
  `${conns.length} server ${ROOT_CLASS}s${LISTEN ? ' accepted by listen()' : ''} (${crypto.name}, DTLS ${V13 ? '1.3' : '1.2'}${FRESH || STREAMS ? ', right after the handshake' : `, ${LATER / 1000} s after the handshake`}); exclusive bytes per connection: ${(total / conns.length / 1024).toFixed(1)} KiB` +
    (LISTEN ? `; marginal heap + array buffers per connection: ${(marginal / 1024).toFixed(1)} KiB` : ''),
);
console.log('| field | bytes per connection |\n|---|---|');
for (const [path, bytes] of [...byPath].sort((a, b) => b[1] - a[1]))
  if (bytes / conns.length >= MIN) console.log(`| ${path} | ${Math.round(bytes / conns.length)} |`);
