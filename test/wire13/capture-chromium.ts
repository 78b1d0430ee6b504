// How chromium-capture.ts was made: two RTCPeerConnections in one headless
// Chromium page negotiate DTLS 1.3 over the host's own address (the kernel
// routes it over lo) while tshark captures lo. Needs root (capture), tshark and
// /usr/bin/chromium. Run: npx tsx test/wire13/capture-chromium.ts
// It writes a fresh capture to a temporary directory, not over the committed
// one: the tests' expected lengths belong to that capture.
// Bounded: Chromium's wait is 10 s, tshark is stopped by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, launchOptions } from '../browser/chromium.ts';

const page = `<!doctype html><script>
window.run = async () => {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const dc = a.createDataChannel('x');
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  await new Promise((res, rej) => { const t = setTimeout(() => rej(new Error('no data channel in 10 s')), 10000);
    dc.onopen = () => { clearTimeout(t); res(); }; });
  for (let i = 0; i < 3; i++) dc.send('hello ' + i);
  await new Promise((r) => setTimeout(r, 500));
  const stats = []; (await a.getStats()).forEach((v) => v.type === 'transport' && stats.push(v.tlsVersion + ' ' + v.dtlsCipher));
  a.close(); b.close();
  return stats;
};
</script>`;

const dir = mkdtempSync(join(tmpdir(), 'dtls13-capture-'));
const pcap = join(dir, 'cap.pcapng');
const tshark = spawn('tshark', ['-i', 'lo', '-f', 'udp', '-w', pcap, '-q'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 2000));
const server = createServer((_, res) => res.end(page));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
// mDNS names would hide the host candidates from the other peer in the page.
const browser = await chromium.launch(launchOptions([...CHROMIUM_ARGS, '--disable-features=WebRtcHideLocalIpsWithMdns']));
try {
  const p = await browser.newPage();
  await p.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  console.log('negotiated:', await p.evaluate('window.run()'));
} finally {
  await browser.close();
  server.close();
  await new Promise((r) => setTimeout(r, 500));
  process.kill(tshark.pid!, 'SIGINT');
  await new Promise((r) => tshark.once('exit', r));
}

// Rows: source port, destination port, payload. ICE may use more than one
// address pair (IPv4 one way, IPv6 the other): every pair that carried STUN is
// Chromium's. The DTLS client's ports are where the ClientHello came from and
// the ServerHello went to.
const out = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.payload'], { encoding: 'utf8' });
const rows = out.stdout
  .trim()
  .split('\n')
  .map((l) => l.split('\t') as [string, string, string]);
const isStun = (hex: string) => hex.slice(8, 16) === '2112a442';
const pairs = new Set(rows.filter((r) => isStun(r[2])).flatMap((r) => [`${r[0]}>${r[1]}`, `${r[1]}>${r[0]}`]));
const dtls = rows.filter((r) => pairs.has(`${r[0]}>${r[1]}`) && !isStun(r[2]));
const handshakeType = (hex: string) => (hex.startsWith('16fe') ? hex.slice(26, 28) : '');
const clientPorts = new Set([
  ...dtls.filter((r) => handshakeType(r[2]) === '01').map((r) => r[0]),
  ...dtls.filter((r) => handshakeType(r[2]) === '02').map((r) => r[1]),
]);
if (clientPorts.size === 0) throw new Error('no DTLS handshake between the STUN pairs');
const entries = dtls.map(
  (r) =>
    `  {\n    from: '${clientPorts.has(r[0]) ? 'c' : 's'}',\n    hex:\n${r[2]
      .match(/.{1,96}/g)!
      .map((l) => `      '${l}'`)
      .join(' +\n')},\n  },`,
);
const file = join(dir, 'chromium-capture.ts');
const header = `// DTLS 1.3 datagrams of one real handshake between two Chromium 156 WebRTC peers
// (BoringSSL; getStats(): tlsVersion FEFC, TLS_AES_128_GCM_SHA256, X25519MLKEM768),
// captured on loopback with tshark (two RTCPeerConnections in one page, a data
// channel, three messages) by capture-chromium.mjs. STUN datagrams are left out.
// 'c' is the DTLS client. Randoms and key shares are ephemeral; everything after
// the ServerHello is encrypted under keys nobody kept, so only the framing can
// be checked. tshark 4.0 read the plaintext records (its values are in the
// tests); it does not parse unified headers.
export const chromiumDtls13: readonly { from: 'c' | 's'; hex: string }[] = [
`;
writeFileSync(file, header + entries.join('\n') + '\n];\n');
console.log(`${dtls.length} datagrams written to ${file}`);
