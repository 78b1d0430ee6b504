// Recorded handshakes for mutation fuzzing. Each scenario runs a real client
// and server Connection over a direct, seeded in-memory link with a virtual
// clock and keeps, for each side, the ordered datagrams it received and when.
// Everything is deterministic (see det-crypto.ts): the same scenario always
// records the same bytes, in this process or another.
import { Connection } from '../../src/connection.ts';
import { resolveOptions, type DtlsOptions, type ResolvedOptions } from '../../src/options.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import type { CertificateKeyPair } from '../../src/x509/types.ts';
import type { Role } from '../../src/options.ts';
import { utf8 } from '../../src/wire/codec.ts';
import { detCrypto, type DetCryptoOptions } from './det-crypto.ts';

/** Virtual time starts here so certificates (generated "now") are valid under { ca } verification. */
export const T0 = Date.UTC(2030, 0, 1);
/** One-way delay of the recording link, ms. */
const DELAY = 5;

export interface Delivery {
  at: number;
  data: Uint8Array;
}

export interface Side {
  role: Role;
  /** Options without crypto; a replay adds detCrypto(seed). */
  options: ResolvedOptions;
  seed: number;
  /** What this side received, in order. */
  received: Delivery[];
  /** Application data the peer sent (what this side may legitimately deliver). */
  peerAppData: Uint8Array[];
  /** What the recorded handshake negotiated: a replay that completes must agree. */
  info: string;
  exporter: string;
}

export interface Recording {
  name: string;
  client: Side;
  server: Side;
}

interface Scenario {
  name: string;
  client: DtlsOptions;
  server: DtlsOptions;
  /** Datagram indexes (per direction, 0-based as sent) the link drops, to record retransmissions. */
  dropToServer?: number[];
  dropToClient?: number[];
  /** After the handshake: application data each way, then optionally a close by one side. */
  appData?: number;
  close?: Role;
}

let certCache: Record<string, CertificateKeyPair> | undefined;
/** Deterministic certificates: a self-signed server and client, and a CA with a leaf. */
export function fuzzCerts(): Record<string, CertificateKeyPair> {
  if (certCache) return certCache;
  const p = detCrypto(0xce27);
  const ca = generateCertificate({ commonName: 'Fuzz CA', ca: true, now: T0, provider: p });
  certCache = {
    server: generateCertificate({ commonName: 'server', now: T0, provider: p }),
    client: generateCertificate({ commonName: 'client', now: T0, provider: p }),
    server384: generateCertificate({ commonName: 'server384', curve: 'P-384', now: T0, provider: p }),
    ca,
    leaf: generateCertificate({ commonName: 'leaf', subjectAltNames: ['fuzz.test'], issuer: ca, now: T0, provider: p }),
  };
  return certCache;
}

function scenarios(): Scenario[] {
  const c = fuzzCerts();
  const pinServer = { verify: { fingerprints: [c.server!.fingerprint] } };
  const server = { certificate: c.server! };
  return [
    { name: 'basic', client: pinServer, server, appData: 2 },
    { name: 'cookie', client: { ...pinServer, extendedMasterSecret: 'require' }, server: { ...server, requireCookie: true }, appData: 1, close: 'client' },
    {
      name: 'client-cert',
      client: { ...pinServer, certificate: c.client! },
      server: { ...server, requestClientCertificate: 'require', verify: { fingerprints: [c.client!.fingerprint] }, extendedMasterSecret: 'require' },
      appData: 1,
      close: 'server',
    },
    {
      name: 'mtu128-cookie-client-cert',
      // Long ALPN names make the ClientHello span several datagrams (RFC 6347 4.2.3).
      client: { ...pinServer, certificate: c.client!, mtu: 128, alpn: ['x'.repeat(40), 'y'.repeat(40), 'webrtc'] },
      server: { ...server, mtu: 128, requireCookie: true, requestClientCertificate: true, verify: 'insecure', alpn: ['webrtc'] },
      appData: 1,
    },
    {
      name: 'mtu200-chacha-p256',
      client: {
        verify: (peer) => peer.fingerprint === c.server!.fingerprint,
        mtu: 200,
        cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
        groups: ['P-256'],
      },
      server: { ...server, mtu: 200, idleTimeout: 5000 },
      appData: 1,
    },
    {
      name: 'ca-p384-aes256-srtp-alpn-noems',
      client: {
        verify: { ca: [c.ca!.chain[0]!], serverName: 'fuzz.test' },
        serverName: 'fuzz.test',
        cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
        groups: ['P-384', 'P-256'],
        srtpProfiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_SHA1_80'],
        alpn: ['webrtc', 'c-webrtc'],
        extendedMasterSecret: false,
      },
      server: { certificate: c.leaf!, groups: ['P-384', 'P-256'], srtpProfiles: ['SRTP_AES128_CM_SHA1_80'], alpn: ['c-webrtc'] },
      appData: 1,
    },
    {
      name: 'p384-cert-lossy',
      client: { verify: { fingerprints: [c.server384!.fingerprint] }, certificate: c.client! },
      server: { certificate: c.server384!, requestClientCertificate: true, verify: 'insecure', requireCookie: true },
      // Lose the first ServerHello flight and the client's second flight once: the recording holds retransmissions.
      dropToClient: [1],
      dropToServer: [2],
      appData: 1,
    },
    // The library's default versions (1.3 and 1.2) meeting a 1.2-only peer: the client falls back; the server
    // answers in 1.2 with the downgrade sentinel in its random (RFC 8446 4.1.3).
    { name: 'default-client-12-server', client: { ...pinServer, versions: ['1.3', '1.2'] }, server, appData: 1 },
    { name: '12-client-default-server', client: pinServer, server: { ...server, versions: ['1.3', '1.2'] }, appData: 1, close: 'server' },
    // DTLS 1.3 (RFC 9147): unified headers, encrypted record numbers, epochs 2 and 3.
    { name: 'dtls13-basic', client: { ...pinServer, versions: ['1.3'] }, server: { ...server, versions: ['1.3'] }, appData: 2, close: 'client' },
    {
      name: 'dtls13-hrr-client-cert-mtu200',
      // A stateless HelloRetryRequest with a cookie (requireCookie), a client certificate, flights over several datagrams.
      client: { ...pinServer, versions: ['1.3'], certificate: c.client!, mtu: 200 },
      server: {
        ...server,
        versions: ['1.3'],
        mtu: 200,
        requireCookie: true,
        requestClientCertificate: 'require',
        verify: { fingerprints: [c.client!.fingerprint] },
      },
      appData: 1,
      close: 'server',
    },
    {
      name: 'dtls13-p384-chacha-srtp-lossy',
      client: {
        verify: { fingerprints: [c.server384!.fingerprint] },
        versions: ['1.3'],
        cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'],
        groups: ['P-384'],
        srtpProfiles: ['SRTP_AEAD_AES_128_GCM'],
      },
      server: { certificate: c.server384!, versions: ['1.3'], srtpProfiles: ['SRTP_AEAD_AES_128_GCM'] },
      dropToClient: [1],
      dropToServer: [1],
      appData: 1,
    },
    // DTLS 1.2 connection IDs (RFC 9146): tls12_cid records with the receiver's CID from epoch 1 on.
    { name: 'dtls12-cid', client: { ...pinServer, connectionId: 4 }, server: { ...server, connectionId: 8 }, appData: 2, close: 'client' },
    {
      name: 'dtls12-cid-one-way-fallback-lossy',
      // A 1.3+1.2 client asking for no CID meets a 1.2 server that takes one: tls12_cid one way only, after a fallback.
      client: { ...pinServer, versions: ['1.3', '1.2'], connectionId: 0 },
      server: { ...server, connectionId: 6, requireCookie: true },
      dropToClient: [1],
      dropToServer: [2],
      appData: 1,
    },
  ];
}

const HANDSHAKE_TIMEOUT = 8000;

/** A conversation that names no versions is a DTLS 1.2 one (the 1.3 ones say so; the library's default is both). */
function resolved(o: DtlsOptions, role: Role): ResolvedOptions {
  return resolveOptions({ versions: ['1.2'], ...o, role, handshakeTimeout: HANDSHAKE_TIMEOUT, crypto: detCrypto(0) });
}

/** A fresh Connection of `side`'s role, drawing the same randoms as the recorded one. */
export function freshConnection(side: Side, det: DetCryptoOptions = {}): Connection {
  return new Connection({ ...side.options, crypto: detCrypto(side.seed, det) });
}

/**
 * Delivers `deliveries` to `conn` as a recording does: timers due at or before
 * a delivery fire first. `onStep` runs after every input.
 */
export function drive(conn: Connection, deliveries: readonly Delivery[], onStep: (now: number, input: 'timeout' | 'datagram') => void): number {
  let now = T0;
  for (const d of deliveries) {
    for (let t = conn.pollTimeout(), n = 0; t !== undefined && t <= d.at; t = conn.pollTimeout(), n++) {
      // A deadline that handleTimeout does not move is a busy loop for any driver.
      if (n >= 100) throw new Error(`pollTimeout() stays at ${t} (now ${now}) after ${n} handleTimeout calls`);
      now = Math.max(now, t);
      conn.handleTimeout(now);
      onStep(now, 'timeout');
    }
    now = Math.max(now, d.at);
    conn.handleDatagram(now, d.data);
    onStep(now, 'datagram');
  }
  return now;
}

function record(s: Scenario, index: number): Recording {
  const seeds = { client: 1000 + index * 2, server: 1001 + index * 2 };
  const copt = resolved(s.client, 'client');
  const sopt = resolved(s.server, 'server');
  const conns = {
    client: new Connection({ ...copt, crypto: detCrypto(seeds.client) }),
    server: new Connection({ ...sopt, crypto: detCrypto(seeds.server) }),
  };
  const received: Record<Role, Delivery[]> = { client: [], server: [] };
  const queue: Record<Role, Delivery[]> = { client: [], server: [] };
  const sentCount: Record<Role, number> = { client: 0, server: 0 };
  const appData: Record<Role, Uint8Array[]> = { client: [], server: [] };
  const drops: Record<Role, number[]> = { client: s.dropToClient ?? [], server: s.dropToServer ?? [] };
  const other = (r: Role): Role => (r === 'client' ? 'server' : 'client');
  let now = T0;
  const flush = () => {
    for (const r of ['client', 'server'] as const) {
      const to = other(r);
      for (let d = conns[r].pollTransmit(); d; d = conns[r].pollTransmit()) {
        if (!drops[to].includes(sentCount[to]++)) queue[to].push({ at: now + DELAY, data: d });
      }
      while (conns[r].pollEvent());
      while (conns[r].pollReceived());
    }
  };
  conns.client.start(now);
  conns.server.start(now);
  flush();
  let sentApp = false;
  let closed = false;
  for (let step = 0; step < 1000; step++) {
    if (!sentApp && conns.client.state === 'connected' && conns.server.state === 'connected') {
      sentApp = true;
      for (let i = 0; i < (s.appData ?? 0); i++) {
        for (const r of ['client', 'server'] as const) {
          const p = utf8(`${s.name} ${r} data ${i}`);
          appData[r].push(p);
          conns[r].send(now, p);
        }
      }
      flush();
    }
    if (sentApp && !closed && s.close && queue.client.length === 0 && queue.server.length === 0) {
      closed = true;
      conns[s.close].close(now);
      flush();
    }
    // Next event: a timer or a delivery; timers first on ties (as drive() replays them).
    let next: { at: number; kind: 'timer' | 'deliver'; role: Role } | undefined;
    for (const r of ['client', 'server'] as const) {
      const t = conns[r].pollTimeout();
      if (t !== undefined && (!next || t < next.at)) next = { at: t, kind: 'timer', role: r };
    }
    for (const r of ['client', 'server'] as const) {
      const d = queue[r][0];
      if (d && (!next || d.at < next.at)) next = { at: d.at, kind: 'deliver', role: r };
    }
    if (!next) break;
    const bothDone = sentApp && (!s.close || closed) && queue.client.length === 0 && queue.server.length === 0;
    if (bothDone) break;
    now = next.at;
    if (next.kind === 'timer') conns[next.role].handleTimeout(now);
    else {
      const d = queue[next.role].shift()!;
      received[next.role].push(d);
      conns[next.role].handleDatagram(now, d.data);
    }
    flush();
  }
  for (const r of ['client', 'server'] as const) {
    const st = conns[r].state;
    if (st !== 'connected' && st !== 'closed') throw new Error(`recording ${s.name}: ${r} ended ${st} ${conns[r].error?.message ?? ''}`);
  }
  const side = (r: Role): Side => ({
    role: r,
    options: r === 'client' ? copt : sopt,
    seed: seeds[r],
    received: received[r],
    peerAppData: appData[other(r)],
    info: describeHandshake(conns[r]),
    exporter: exporterOf(conns[r]),
  });
  return { name: s.name, client: side('client'), server: side('server') };
}

/** The negotiated parameters, as one comparable string. */
export function describeHandshake(c: Connection): string {
  return JSON.stringify(c.handshakeInfo, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

/** RFC 5705 exporter output: equal on both ends only if the keys are. */
export function exporterOf(c: Connection): string {
  return Buffer.from(c.exportKeyingMaterial('EXPORTER-dtls-stream-fuzz', undefined, 32)).toString('hex');
}

/**
 * A connected client/server pair of the 'basic' scenario (deterministic, so
 * cheap after the first), datagrams passed at once; `det` adds hooks per side.
 */
export function connectedPair(det: { client?: DetCryptoOptions; server?: DetCryptoOptions } = {}): { client: Connection; server: Connection; now: number } {
  const r = recordings()[0]!;
  const client = freshConnection(r.client, det.client);
  const server = freshConnection(r.server, det.server);
  const now = T0;
  client.start(now);
  server.start(now);
  for (let i = 0; i < 20 && (client.state !== 'connected' || server.state !== 'connected'); i++) {
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(now, d);
    for (let d = server.pollTransmit(); d; d = server.pollTransmit()) client.handleDatagram(now, d);
  }
  if (client.state !== 'connected' || server.state !== 'connected') throw new Error(`connectedPair: ${client.state}/${server.state}`);
  for (const c of [client, server]) {
    while (c.pollEvent());
    while (c.pollTransmit());
  }
  return { client, server, now };
}

let recordingCache: Recording[] | undefined;
export function recordings(): Recording[] {
  recordingCache ??= scenarios().map(record);
  return recordingCache;
}
