// npm run demo: a DTLS server and client on 127.0.0.1 over real UDP sockets,
// with the defaults (DTLS 1.3; a 1.2-only peer would get 1.2): a handshake,
// messages both ways, what was negotiated, and a clean close. Everything here
// is the public API a user would write.
import { DtlsStream, listen, generateCertificate, type HandshakeInfo } from '../src/index.ts';
import { bindUdp, nodeUdpConnected, nodeUdpSocket } from '../src/adapters/node.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const say = (who: string, text: string) => console.log(`${who.padEnd(7)}│ ${text}`);

async function main() {
  const certificate = generateCertificate({ commonName: 'demo-server' });
  const serverSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
  const port = serverSocket.address().port;
  const server = listen(nodeUdpSocket(serverSocket), { certificate, srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'], alpn: ['demo'] });
  say('server', `listening on udp://127.0.0.1:${port}, certificate ${certificate.fingerprint.slice(0, 31)}…`);

  // The server echoes every message, upper-cased, until the client closes.
  const serving = (async () => {
    for await (const conn of server) {
      say('server', `accepted a connection (${conn.info?.cipherSuite})`);
      for await (const msg of conn.inbound.readable) {
        const text = dec.decode(msg);
        say('server', `got "${text}", echoing`);
        const w = conn.outbound.writable.getWriter();
        await w.write(enc.encode(text.toUpperCase()));
        w.releaseLock();
      }
      say('server', 'client sent close_notify: connection closed');
      return;
    }
  })();

  // The client is wired by hand to show the shape: socket → inbound, outbound → socket.
  // (connect() does exactly this and waits for the handshake.)
  const clientSocket = await bindUdp({ address: '127.0.0.1', port: 0 });
  const udp = nodeUdpConnected(clientSocket, '127.0.0.1', port);
  const client = new DtlsStream({
    role: 'client',
    verify: { fingerprints: [certificate.fingerprint] },
    srtpProfiles: ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_128_GCM'],
    alpn: ['demo'],
  });
  client.addEventListener('trace', (e) => {
    const { direction, what, epoch } = e.detail;
    if (what.startsWith('Alert')) return;
    const line = direction === 'out' ? `${what} ──►` : `◄── ${what}`;
    console.log(`       │   ${direction === 'out' ? line.padEnd(30) : ''.padEnd(30)}${direction === 'in' ? line : ''}${epoch ? '  (encrypted)' : ''}`);
  });
  const started = performance.now();
  void udp.readable.pipeTo(client.inbound.writable).catch(() => {});
  void client.outbound.readable.pipeTo(udp.writable).catch(() => {});
  say('client', 'handshake, as the client sees it:');
  const info = await client.handshake;
  say('client', `handshake complete in ${(performance.now() - started).toFixed(0)} ms`);
  printInfo(info);
  const keys = client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 16);
  say('client', `exported keying material (EXTRACTOR-dtls_srtp, 16 bytes): ${Buffer.from(keys).toString('hex')}`);

  const reader = client.inbound.readable.getReader();
  const writer = client.outbound.writable.getWriter();
  for (const text of ['hello over DTLS', 'datagrams, encrypted', 'goodbye']) {
    say('client', `sending "${text}"`);
    await writer.write(enc.encode(text));
    const { value } = await reader.read();
    say('client', `received "${dec.decode(value)}"`);
  }
  writer.releaseLock();
  reader.releaseLock();
  await client.close();
  say('client', `closed; stats: ${client.stats.datagramsOut} datagrams out, ${client.stats.datagramsIn} in, ${client.stats.retransmits} retransmissions`);
  await serving;
  await server.close();
  serverSocket.close();
  clientSocket.close();
}

function printInfo(info: HandshakeInfo) {
  const rows: [string, string][] = [
    ['protocol', info.version],
    ['cipher suite', info.cipherSuite],
    ['key exchange', info.group ?? '-'],
    ['server certificate', info.peerFingerprint ?? '-'],
    ['SRTP profile', info.srtpProfile ?? '-'],
    ['ALPN', info.alpn ?? '-'],
  ];
  // RFC 7627 is a DTLS 1.2 matter (the TLS 1.3 key schedule always binds the transcript).
  if (info.version === 'DTLS 1.2') rows.push(['extended master secret', info.extendedMasterSecret ? 'yes (RFC 7627)' : 'no']);
  for (const [k, v] of rows) console.log(`       │   ${k.padEnd(23)}${v}`);
}

main().catch((e) => {
  console.error('demo failed:', e);
  process.exit(1);
});
