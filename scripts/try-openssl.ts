import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Connection } from '../src/connection.ts';
import { resolveOptions } from '../src/options.ts';
const port = Number(process.argv[2] ?? 24433);
const conn = new Connection(resolveOptions({ role: 'client', verify: { ca: [readFileSync('/tmp/ossl/cert.pem', 'utf8')] }, serverName: 'localhost', groups: (process.argv[3] ?? 'x25519').split(','), cipherSuites: (process.argv[4] ?? 'ECDHE-ECDSA-AES128-GCM-SHA256').split(',') }));
const sock = dgram.createSocket('udp4');
let timer: any;
const pump = () => {
  for (let d; (d = conn.pollTransmit()); ) sock.send(d, port, '127.0.0.1');
  for (let e; (e = conn.pollEvent()); ) console.log('event', e.type, e.type === 'trace' ? `${e.direction} ${e.what}` : e.type === 'handshake' ? JSON.stringify({ ...e.info, peerCertificates: e.info.peerCertificates.length }) : e.type === 'close' ? e.error?.message : e.type === 'alert' ? e.name : '');
  for (let r; (r = conn.pollReceived()); ) console.log('recv', new TextDecoder().decode(r));
  clearTimeout(timer);
  const t = conn.pollTimeout();
  if (t !== undefined) timer = setTimeout(() => { conn.handleTimeout(Date.now()); pump(); }, Math.max(0, t - Date.now()));
  if (conn.state === 'connected' && !sent) { sent = true; conn.send(Date.now(), new TextEncoder().encode('hello from dtls-stream\n')); pump(); setTimeout(() => { conn.close(Date.now()); pump(); setTimeout(() => sock.close(), 100); }, 300); }
  if (conn.state === 'failed') { sock.close(); clearTimeout(timer); }
};
let sent = false;
sock.on('message', (m) => { conn.handleDatagram(Date.now(), new Uint8Array(m)); pump(); });
conn.start(Date.now());
pump();
