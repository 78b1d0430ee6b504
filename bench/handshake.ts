// In-process benchmarks of the sans-IO core: full DTLS 1.2 handshakes per
// second and bulk application-data throughput between a client and a server
// connected by plain arrays (no sockets, no timers). Prints a Markdown table.
//   npm run bench            (or: npx tsx bench/handshake.ts [seconds])
import { Connection } from '../src/connection.ts';
import { resolveOptions } from '../src/options.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import type { GroupName } from '../src/crypto/provider.ts';

const seconds = Number(process.argv[2] ?? 3);
const cert = generateCertificate();

function pair(suite: string, group: GroupName) {
  // The client lists the certificate's curve too (RFC 8422 5.1); the server picks `group`.
  const client = new Connection(resolveOptions({ role: 'client', verify: { fingerprints: [cert.fingerprint] }, cipherSuites: [suite], groups: [group, 'secp256r1'] }));
  const server = new Connection(resolveOptions({ role: 'server', certificate: cert, cipherSuites: [suite], groups: [group] }));
  return { client, server };
}

/** Moves datagrams between the two until neither has anything to send. */
function shuttle(a: Connection, b: Connection, now: number): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) (b.handleDatagram(now, d), (moved = true));
    for (let d = b.pollTransmit(); d; d = b.pollTransmit()) (a.handleDatagram(now, d), (moved = true));
  }
  while (a.pollEvent());
  while (b.pollEvent());
}

function handshake(suite: string, group: GroupName) {
  const { client, server } = pair(suite, group);
  server.start(0);
  client.start(0);
  shuttle(client, server, 0);
  if (client.state !== 'connected' || server.state !== 'connected') throw new Error(`handshake failed: ${client.error?.message ?? server.error?.message}`);
  return { client, server };
}

function measure(fn: () => number, secs: number): { ops: number; units: number; elapsed: number } {
  const start = performance.now();
  let ops = 0;
  let units = 0;
  while (performance.now() - start < secs * 1000) {
    units += fn();
    ops++;
  }
  return { ops, units, elapsed: (performance.now() - start) / 1000 };
}

const rows: string[] = [];
for (const group of ['x25519', 'secp256r1', 'secp384r1'] as GroupName[]) {
  handshake('ECDHE-ECDSA-AES128-GCM-SHA256', group); // warm-up
  const m = measure(() => (handshake('ECDHE-ECDSA-AES128-GCM-SHA256', group), 1), seconds);
  rows.push(`| handshake, ECDHE-ECDSA-AES128-GCM-SHA256, ${group} (client+server) | ${(m.ops / m.elapsed).toFixed(1)} handshakes/s |`);
}

for (const suite of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
  const { client, server } = handshake(suite, 'x25519');
  const payload = new Uint8Array(1024).fill(7);
  const batch = 64;
  const m = measure(() => {
    for (let i = 0; i < batch; i++) client.send(0, payload);
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
    let n = 0;
    for (let r = server.pollReceived(); r; r = server.pollReceived()) n += r.length;
    if (n !== batch * payload.length) throw new Error('lost data');
    return n;
  }, seconds);
  rows.push(`| bulk, ${suite}, 1 KiB records (seal+open) | ${(m.units / m.elapsed / 1e6).toFixed(2)} MB/s |`);
}

console.log(`dtls-stream ${process.version} ${process.platform}/${process.arch}, ${seconds}s per row`);
console.log('| benchmark | result |\n|---|---|');
for (const r of rows) console.log(r);
