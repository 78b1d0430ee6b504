// A browser talks WebRTC to Node: dtls-stream as an ICE-lite peer.
//
//   npx tsx examples/webrtc-ice-lite/main.ts              # then open the printed URL and press Start
//   npx tsx examples/webrtc-ice-lite/main.ts --chromium   # or let it drive Chromium itself ($DTLS_STREAM_CHROMIUM, else /usr/bin/chromium)
//
// Options: --role server|client (our DTLS role, default server), --port N
// (HTTP, default 8080; 0 = any), --seconds N (with --chromium: how long to
// watch, default 4).
//
// One UDP socket on 127.0.0.1 carries everything; the first byte of each
// datagram says what it is (RFC 7983):
//
//   udp ─► demuxSocket ─┬─ stun ─► IceLiteResponder (answers the browser's checks)
//                       ├─ dtls ─► icePath ─► DtlsStream (handshake, then SCTP inside)
//                       └─ rtp  ─► SrtpChecker (keys from the DTLS exporter)
import { createServer, type IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { DtlsStream, generateCertificate, type HandshakeInfo } from '../../src/index.ts';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import { demuxSocket, isRtcp } from '../../src/demux/index.ts';
import {
  answerDtlsRole,
  crc32c,
  deriveSrtpSessionKeys,
  generateIceCredentials,
  icePath,
  iceLiteAnswer,
  IceLiteResponder,
  sdpFingerprints,
  sdpIceParameters,
  sdpSetup,
  SrtpChecker,
  srtpKeys,
} from '../../src/webrtc/index.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : (args[i + 1] ?? '');
};
const preferRole = flag('role') === 'client' ? 'client' : 'server';
const httpPort = Number(flag('port') ?? (args.includes('--chromium') ? 0 : 8080));
const seconds = Number(flag('seconds') ?? 4);
const log = (text: string): void => console.log(`node   │ ${text}`);

/** What the page shows next to the browser's own view. */
const status: Record<string, unknown> = { state: 'waiting for an offer' };

/** Answers one offer: binds a socket, starts ICE-lite and DTLS on it, returns our SDP answer. */
async function answerOffer(offer: string): Promise<string> {
  const socket = await bindUdp({ address: '127.0.0.1' });
  const udp = demuxSocket(nodeUdpSocket(socket));

  // ICE-lite: answer the browser's Binding requests (USERNAME "ours:theirs", signed with our ice-pwd).
  const credentials = generateIceCredentials();
  const ice = new IceLiteResponder(udp.stun, { ...credentials, remoteUfrag: sdpIceParameters(offer).ufrag });
  ice.addEventListener('selected', (e) =>
    log(`ICE: the browser checked in from ${e.detail.address}:${e.detail.port}${e.detail.useCandidate ? ' (nominated)' : ''}`),
  );

  // DTLS: the offer says actpass; we pick our role, and authenticate the browser by its a=fingerprint.
  const certificate = generateCertificate();
  const { setup, role } = answerDtlsRole(sdpSetup(offer), preferRole);
  const dtls = new DtlsStream({
    role,
    certificate,
    verify: { fingerprints: sdpFingerprints(offer) },
    srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'],
    ...(role === 'server' ? { requestClientCertificate: 'require' as const } : {}),
  });
  const path = icePath(udp.dtls, ice);
  // Both pipes resolve when DTLS closes cleanly; a failure rejects them (and dtls.handshake).
  const failed = (e: Error): void => log(`DTLS path ended: ${e.message}`);
  path.readable.pipeTo(dtls.inbound.writable).catch(failed);
  dtls.outbound.readable.pipeTo(path.writable).catch(failed);

  dtls.handshake.then(
    (info) => onConnected(info, dtls, role, udp.rtp.readable),
    (e: Error) => {
      log(`DTLS failed: ${e.message}`);
      status.state = `DTLS failed: ${e.message}`;
    },
  );
  // Application data inside DTLS is SCTP (the data channel); we only look at it.
  void (async () => {
    for await (const packet of dtls.inbound.readable) {
      const copy = packet.slice();
      copy.fill(0, 8, 12);
      const crcOk = new DataView(packet.buffer, packet.byteOffset).getUint32(8, true) === crc32c(copy);
      log(`DTLS: ${packet.length} bytes of SCTP (chunk type ${packet[12]}${packet[12] === 1 ? ', INIT' : ''}), CRC-32C ${crcOk ? 'valid' : 'INVALID'}`);
      status.sctp = { firstChunkType: packet[12], crc32c: crcOk };
      break;
    }
  })().catch(() => {});

  const port = socket.address().port;
  log(`answering: a=ice-lite, a=setup:${setup} (we are the DTLS ${role}), candidate 127.0.0.1:${port}`);
  status.state = 'answered';
  return iceLiteAnswer(offer, { ice: credentials, certificate, setup, candidates: [{ address: '127.0.0.1', port }] });
}

function onConnected(info: HandshakeInfo, dtls: DtlsStream, role: 'client' | 'server', media: ReadableStream<{ data: Uint8Array }>): void {
  log(`DTLS: ${info.version} ${info.cipherSuite}, group ${info.group}, SRTP ${info.srtpProfile}`);
  log(`DTLS: the browser's certificate ${info.peerFingerprint?.slice(0, 30)}… matches its SDP`);
  const keys = srtpKeys(dtls, role);
  const checker = new SrtpChecker(deriveSrtpSessionKeys(keys.profile, keys.remote));
  const counts = { authenticated: 0, failed: 0, rtcp: 0 };
  status.state = 'connected';
  status.dtls = { version: info.version, cipherSuite: info.cipherSuite, srtpProfile: keys.profile.ianaName };
  status.srtp = counts;
  void (async () => {
    for await (const { data } of media) {
      if (isRtcp(data)) {
        counts.rtcp++;
        continue;
      }
      const r = checker.open(data);
      if (!r.ok) counts.failed++;
      else if (++counts.authenticated === 1) {
        log(
          `SRTP: first packet authenticated with the exporter's keys: PT ${r.header.payloadType}, SSRC ${r.header.ssrc}, Opus TOC 0x${r.payload[0]?.toString(16)}`,
        );
      }
    }
  })().catch(() => {});
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
      if (text.length > 100_000) req.destroy(new Error('offer too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

const page = await readFile(new URL('./index.html', import.meta.url), 'utf8');
const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/offer') {
    body(req)
      .then(answerOffer)
      .then((answer) => res.writeHead(200, { 'content-type': 'application/sdp' }).end(answer))
      .catch((e: Error) => res.writeHead(400).end(e.message));
  } else if (req.url === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  }
});
await new Promise<void>((resolve) => http.listen(httpPort, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;

if (!args.includes('--chromium')) {
  log(`open ${url} in a browser and press Start (Ctrl-C to stop)`);
} else {
  // Drive Debian's Chromium headless (playwright-core is a dev dependency of this repository).
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.DTLS_STREAM_CHROMIUM ?? '/usr/bin/chromium', // the browser tests' variable; Debian's Chromium otherwise
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  let ok: boolean;
  try {
    const tab = await browser.newPage();
    await tab.goto(url);
    await tab.click('#start'); // a real click: the page's AudioContext needs a user gesture
    await new Promise((r) => setTimeout(r, seconds * 1000));
    type Seen = { connectionState: string; transport?: Record<string, string> } | undefined;
    const seen = await tab.evaluate(() => (window as unknown as { webrtcStatus: unknown }).webrtcStatus as Seen);
    const t = seen?.transport;
    console.log(
      `chrome │ connectionState ${seen?.connectionState}, dtlsState ${t?.dtlsState}, tlsVersion ${t?.tlsVersion}, ${t?.dtlsCipher}, ${t?.srtpCipher}`,
    );
    const srtp = status.srtp as { authenticated: number; failed: number; rtcp: number } | undefined;
    log(`SRTP: ${srtp?.authenticated ?? 0} packets authenticated, ${srtp?.failed ?? 0} failed, ${srtp?.rtcp ?? 0} SRTCP`);
    const dtlsInfo = status.dtls as { cipherSuite: string; srtpProfile: string } | undefined;
    ok =
      seen?.connectionState === 'connected' &&
      t?.dtlsCipher === dtlsInfo?.cipherSuite &&
      t?.srtpCipher === dtlsInfo?.srtpProfile &&
      (srtp?.authenticated ?? 0) > 0 &&
      srtp?.failed === 0;
    log(ok ? 'both sides agree: done' : 'something did not match');
  } finally {
    await browser.close();
  }
  http.closeAllConnections();
  http.close();
  process.exit(ok ? 0 : 1);
}
