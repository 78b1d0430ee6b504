// One WebRTC session between Debian's Chromium (driven by playwright-core) and
// dtls-stream as an ICE-lite peer on a Node UDP socket:
//
//   page: RTCPeerConnection offer (data channel + oscillator audio)
//     └─► test: ICE-lite answer (our ufrag/pwd, fingerprint, a=setup, 127.0.0.1:PORT)
//   Chromium ──STUN──► demux ─► IceLiteResponder
//            ──DTLS──► demux ─► icePath ─► [filter] ─► DtlsStream
//            ──SRTP──► demux ─► collected for the SRTP checks
//
// Everything is torn down in t.after: the page, the browser, the DTLS stream
// and the socket. Every wait is bounded.
import type { TestContext } from './runner.ts';
import type { Socket } from 'node:dgram';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bindUdp, nodeUdpSocket } from '../../src/adapters/node.ts';
import type { Datagram } from '../../src/adapters/types.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import type { DtlsOptions } from '../../src/options.ts';
import type { HandshakeInfo } from '../../src/connection-types.ts';
import type { DtlsEventDetail } from '../../src/stream/events.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import type { CertificateKeyPair } from '../../src/x509/types.ts';
import { demuxSocket, type DemuxedSocket } from '../../src/demux/index.ts';
import {
  answerDtlsRole,
  generateIceCredentials,
  icePath,
  iceLiteAnswer,
  IceLiteResponder,
  sdpFingerprints,
  sdpIceParameters,
  sdpSetup,
} from '../../src/webrtc/index.ts';
import { servePage } from './page.ts';

export { CHROMIUM_ARGS } from './chromium.ts';
import { launchOptions } from './chromium.ts';

export interface SessionOptions {
  /** Our DTLS role; the answer says a=setup:passive for 'server', active for 'client'. */
  role: 'client' | 'server';
  srtpProfiles?: string[];
  /** Add the oscillator audio track to the offer. Default true. */
  audio?: boolean;
  /** Between the socket and DtlsStream.inbound (Chromium → us). */
  inboundFilter?: TransformStream<Uint8Array, Uint8Array>;
  /** Between DtlsStream.outbound and the socket (us → Chromium). */
  outboundFilter?: TransformStream<Uint8Array, Uint8Array>;
  /** What we check Chromium's certificate against. Default: the offer's a=fingerprint lines. */
  verifyFingerprints?: string[];
  /** Our retransmission timer (DtlsOptions.retransmit); default the library's. */
  retransmit?: DtlsOptions['retransmit'];
  /** Bound on the handshake and on Chromium's "connected". Default 10000 ms. */
  timeout?: number;
  /** The DTLS versions we offer or accept (DtlsOptions.versions); default the library's. */
  versions?: DtlsOptions['versions'];
  /** Our key-exchange groups (DtlsOptions.groups); default the library's. */
  groups?: DtlsOptions['groups'];
}

export interface Session {
  browser: Browser;
  page: Page;
  socket: Socket;
  mux: DemuxedSocket<Datagram>;
  ice: IceLiteResponder;
  dtls: DtlsStream;
  /** Our DTLS role (what the answer's a=setup made it). */
  role: 'client' | 'server';
  certificate: CertificateKeyPair;
  offer: string;
  answer: string;
  /** Plaintext records Chromium sent inside DTLS, in order. */
  plaintexts: Uint8Array[];
  /** Datagrams with first byte 128..191 (SRTP and SRTCP) from Chromium. */
  media: Datagram[];
  /** When things happened on our side (Date.now()), recorded from the stream's creation on. */
  timeline: { handshakeAt: number | undefined; retransmits: { at: number; detail: DtlsEventDetail<'retransmit'> }[] };
  /** Resolves with our handshake info and Chromium's connected state. */
  connected: Promise<HandshakeInfo>;
  /** Waits (bounded) until `predicate` holds, polling every 20 ms. */
  until(predicate: () => boolean, what: string, ms?: number): Promise<void>;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

export async function startSession(t: TestContext, opts: SessionOptions): Promise<Session> {
  const timeout = opts.timeout ?? 10_000;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) {
      try {
        await withTimeout(Promise.resolve().then(c), 5000, 'cleanup');
      } catch {
        // keep tearing down the rest
      }
    }
  });

  const site = await servePage();
  cleanups.push(() => site.close());
  const browser = await chromium.launch(launchOptions());
  cleanups.push(() => browser.close());
  const page = await browser.newPage();
  await page.goto(site.url);
  const offer = await page.evaluate(({ audio }) => (window as unknown as { makeOffer(o: object): Promise<string> }).makeOffer({ audio }), {
    audio: opts.audio ?? true,
  });

  const socket = await bindUdp({ address: '127.0.0.1' });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const mux = demuxSocket(nodeUdpSocket(socket));
  cleanups.push(() => mux.close());

  const local = generateIceCredentials();
  const remoteIce = sdpIceParameters(offer);
  const ice = new IceLiteResponder(mux.stun, { ...local, remoteUfrag: remoteIce.ufrag, software: 'dtls-stream test' });
  cleanups.push(() => ice.close());

  const certificate = generateCertificate();
  const { setup, role } = answerDtlsRole(sdpSetup(offer), opts.role);
  const dtls = new DtlsStream({
    role,
    certificate,
    verify: { fingerprints: opts.verifyFingerprints ?? sdpFingerprints(offer) },
    srtpProfiles: opts.srtpProfiles ?? ['SRTP_AES128_CM_SHA1_80'],
    ...(role === 'server' ? { requestClientCertificate: 'require' as const } : {}),
    ...(opts.retransmit ? { retransmit: opts.retransmit } : {}),
    ...(opts.versions ? { versions: opts.versions } : {}),
    ...(opts.groups ? { groups: opts.groups } : {}),
  });
  cleanups.push(() => dtls.close());
  const timeline: Session['timeline'] = { handshakeAt: undefined, retransmits: [] };
  dtls.addEventListener('handshake', () => (timeline.handshakeAt = Date.now()));
  dtls.addEventListener('retransmit', (e) => timeline.retransmits.push({ at: Date.now(), detail: e.detail }));
  const path = icePath(mux.dtls, ice);
  const inbound = opts.inboundFilter ? path.readable.pipeThrough(opts.inboundFilter) : path.readable;
  const outbound = opts.outboundFilter ? dtls.outbound.readable.pipeThrough(opts.outboundFilter) : dtls.outbound.readable;
  inbound.pipeTo(dtls.inbound.writable).catch(() => {});
  outbound.pipeTo(path.writable).catch(() => {});

  const plaintexts: Uint8Array[] = [];
  void (async () => {
    for await (const m of dtls.inbound.readable) plaintexts.push(m);
  })().catch(() => {});
  const media: Datagram[] = [];
  void (async () => {
    for await (const d of mux.rtp.readable) media.push(d);
  })().catch(() => {});

  const port = socket.address().port;
  const answer = iceLiteAnswer(offer, { ice: local, certificate, setup, candidates: [{ address: '127.0.0.1', port }] });
  await page.evaluate((sdp) => (window as unknown as { applyAnswer(s: string): Promise<void> }).applyAnswer(sdp), answer);

  const connected = (async () => {
    const info = await withTimeout(dtls.handshake, timeout, 'the DTLS handshake');
    await withTimeout(
      page.evaluate((ms) => (window as unknown as { waitConnected(ms: number): Promise<string> }).waitConnected(ms), timeout),
      timeout + 1000,
      "Chromium's connectionState 'connected'",
    );
    return info;
  })();
  connected.catch(() => {});

  const until = async (predicate: () => boolean, what: string, ms = timeout): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return { browser, page, socket, mux, ice, dtls, role, certificate, offer, answer, plaintexts, media, timeline, connected, until };
}

/** RTCTransportStats and friends from the page. */
export interface PageStats {
  transport: Record<string, unknown> | undefined;
  outbound: Record<string, unknown> | undefined;
  certificates: Record<string, { fingerprint: string; fingerprintAlgorithm: string }>;
  connectionState: string;
  /** RTCPeerConnection state changes with Date.now() in the page (the same machine clock as ours). */
  log: { event: string; at: number }[];
}

export function pageStats(page: Page): Promise<PageStats> {
  return page.evaluate(() => (window as unknown as { transportStats(): Promise<PageStats> }).transportStats());
}
