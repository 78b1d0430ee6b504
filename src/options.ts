// Options: one plain object shared by DtlsStream, connect() and listen().
// resolveOptions() validates at the public edge (TypeError/RangeError for
// misuse) and fills in defaults; the core only ever sees ResolvedOptions.
import type { CryptoProvider, GroupName } from './crypto/provider.ts';
import type { CertificateKeyPair } from './x509/types.ts';
import type { Clock } from './stream/clock.ts';

export type Role = 'client' | 'server';

/** What the verify callback is given. */
export interface PeerCertificateInfo {
  /** DER certificates, leaf first, as the peer sent them. */
  chain: Uint8Array[];
  /** SDP-style fingerprint of the leaf, e.g. "sha-256 AB:CD:..". */
  fingerprint: string;
}

export type VerifyOption =
  | 'insecure'
  | { fingerprints: string[] }
  | { ca: (string | Uint8Array)[]; serverName?: string }
  | ((peer: PeerCertificateInfo) => boolean | void);

export interface DtlsOptions {
  role?: Role;
  /** From generateCertificate(), or PEM text { cert, key }. */
  certificate?: CertificateKeyPair | { cert: string; key: string };
  verify?: VerifyOption;
  /** IANA names, OpenSSL names or numeric ids, in preference order. */
  cipherSuites?: (string | number)[];
  groups?: (GroupName | 'X25519' | 'P-256' | 'P-384')[];
  /** Largest datagram (UDP payload) we send. Default 1200. */
  mtu?: number;
  /** Names: SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32, SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM. */
  srtpProfiles?: string[];
  alpn?: string[];
  /** Client: SNI to send (and to check the certificate against with { ca }). */
  serverName?: string;
  /** Server: send a HelloVerifyRequest before keeping state (RFC 6347 4.2.1). */
  requireCookie?: boolean;
  /** Server: ask for a client certificate; 'require' fails the handshake without one. */
  requestClientCertificate?: boolean | 'require';
  /** RFC 7627: 'require' refuses peers without it; false does not offer it. Default true. */
  extendedMasterSecret?: boolean | 'require';
  /**
   * Retransmission timer in ms (RFC 6347 4.2.4.1, RFC 9147 5.8.2), doubling
   * on each timeout up to `max`. Defaults: initial 100, max 60000, min 100.
   * `adaptive`: once a flight is answered without a retransmission, later
   * flights start at 1.5 x the measured round trip, never below `min`. On by
   * default.
   *
   * The 100 ms start is the real-time profile RFC 9147 5.8.2 allows (WebRTC
   * starts at 50 ms), not its 1000 ms general default: at 30% loss a 1 s start
   * fits only 5 ClientHellos into the 30 s handshake timeout and loses ~0.4%
   * of handshakes, 100 ms fits 9 (docs/RELIABILITY.md). On a path with a
   * round trip above 100 ms flights go out again before their answer can
   * arrive (docs/RELIABILITY.md measures how many). Long-delay
   * or constrained networks (multi-hop IoT meshes) should pass initial: 1000
   * or more; `{ initial: 1000, adaptive: false }` is the plain RFC schedule.
   *
   * `rtt`: a round trip already known (ms), e.g. from ICE or an earlier
   * connection to the same peer. With `adaptive`, the first flight then
   * starts at 1.5 x it (never below `min`) instead of `initial`, as RFC 9147
   * 5.8.2 asks for when there is external information about the round trip;
   * the first round trip measured replaces it.
   */
  retransmit?: { initial?: number; max?: number; min?: number; adaptive?: boolean; rtt?: number };
  /** Give up the handshake after this many ms. Default 30000. */
  handshakeTimeout?: number;
  /** Close a connected connection that has received nothing for this many ms (close_notify, then DtlsError('idle_timeout')). Default: never. */
  idleTimeout?: number;
  /** Memory a peer can make us hold. Defaults in DEFAULTS.limits. */
  limits?: Partial<Limits>;
  clock?: Clock;
  crypto?: CryptoProvider;
}

/** Bounds on what a peer can make one connection hold (STYLE: bound everything a peer can grow). */
export interface Limits {
  /** Largest handshake message body accepted (bytes). */
  maxHandshakeMessage: number;
  /** Bytes of partially reassembled handshake messages held at once. */
  maxReassemblyBytes: number;
  /** Records of the next epoch held until its keys exist, by count and bytes. */
  maxFutureEpochRecords: number;
  maxFutureEpochBytes: number;
  /** Plaintext messages held by send() while the handshake runs. */
  maxPendingSends: number;
}

export interface ResolvedOptions {
  role: Role;
  certificate: CertificateKeyPair | undefined;
  verify: VerifyOption | undefined;
  cipherSuites: number[];
  groups: GroupName[];
  mtu: number;
  srtpProfiles: number[];
  alpn: string[];
  serverName: string | undefined;
  requireCookie: boolean;
  requestClientCertificate: boolean | 'require';
  extendedMasterSecret: boolean | 'require';
  retransmit: { initial: number; max: number; min: number; adaptive: boolean; rtt: number | undefined };
  handshakeTimeout: number;
  idleTimeout: number | undefined;
  /** Maps the core's `now` to wall-clock ms for certificate validity (from options.clock.wallTime). */
  wallTime: (now: number) => number;
  limits: Limits;
  crypto: CryptoProvider;
}

import { defaultCryptoProvider } from './crypto/default.ts';
import { DEFAULT_CIPHER_SUITES, suiteById, suiteByName } from './crypto/suites.ts';
import { SrtpProfile } from './wire/types.ts';
import { generateCertificate } from './x509/generate.ts';
import { loadCertificate } from './x509/load.ts';
import { parseFingerprint } from './x509/fingerprint.ts';

const groupAliases: Record<string, GroupName> = {
  x25519: 'x25519',
  secp256r1: 'secp256r1',
  'p-256': 'secp256r1',
  p256: 'secp256r1',
  prime256v1: 'secp256r1',
  secp384r1: 'secp384r1',
  'p-384': 'secp384r1',
  p384: 'secp384r1',
};

export function parseGroup(name: string): GroupName {
  const g = groupAliases[name.trim().toLowerCase()];
  if (!g) throw new TypeError(`unknown group "${name}" (supported: x25519, P-256, P-384)`);
  return g;
}

const srtpAliases: Record<string, number> = {
  ...SrtpProfile,
  // GnuTLS and RFC 5764's registry spell the HMAC out.
  SRTP_AES128_CM_HMAC_SHA1_80: SrtpProfile.SRTP_AES128_CM_SHA1_80,
  SRTP_AES128_CM_HMAC_SHA1_32: SrtpProfile.SRTP_AES128_CM_SHA1_32,
};

export function parseSrtpProfile(name: string): number {
  const id = srtpAliases[name.trim().toUpperCase()];
  if (id === undefined) throw new TypeError(`unknown SRTP profile "${name}" (supported: ${Object.keys(SrtpProfile).join(', ')})`);
  return id;
}

export const DEFAULTS = {
  mtu: 1200,
  retransmit: { initial: 100, max: 60000, min: 100, adaptive: true },
  handshakeTimeout: 30000,
  groups: ['x25519', 'secp256r1', 'secp384r1'] as GroupName[],
  limits: {
    maxHandshakeMessage: 65536,
    maxReassemblyBytes: 262144,
    maxFutureEpochRecords: 32,
    maxFutureEpochBytes: 65536,
    maxPendingSends: 64,
  } satisfies Limits as Limits,
};

/** Validates user options (TypeError/RangeError on misuse) and fills defaults. */
export function resolveOptions(o: DtlsOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const role = o.role ?? 'client';
  if (role !== 'client' && role !== 'server') throw new TypeError(`role must be 'client' or 'server', not ${String(role)}`);
  const crypto = o.crypto ?? defaultCryptoProvider();

  const cipherSuites = (o.cipherSuites ?? DEFAULT_CIPHER_SUITES).map((s) => {
    const suite = typeof s === 'number' ? suiteById(s) : suiteByName(s);
    if (!suite) throw new TypeError(`unsupported cipher suite ${String(s)}`);
    return suite.id;
  });
  if (!cipherSuites.length) throw new RangeError('cipherSuites is empty');
  const groups = (o.groups ?? DEFAULTS.groups).map((g) => parseGroup(g));
  if (!groups.length) throw new RangeError('groups is empty');

  const mtu = o.mtu ?? DEFAULTS.mtu;
  if (!Number.isInteger(mtu) || mtu < 128 || mtu > 65507) throw new RangeError(`mtu must be an integer in 128..65507, not ${mtu}`);

  let certificate: CertificateKeyPair | undefined;
  if (o.certificate) {
    const c = o.certificate;
    certificate = 'cert' in c ? loadCertificate(c.cert, c.key, crypto) : c;
  } else if (role === 'server') {
    certificate = generateCertificate({ provider: crypto });
  }

  const requestClientCertificate = o.requestClientCertificate ?? false;
  const verify = o.verify;
  if (verify && typeof verify === 'object' && 'fingerprints' in verify) {
    if (!Array.isArray(verify.fingerprints) || !verify.fingerprints.length) throw new TypeError('verify.fingerprints must be a non-empty array');
    for (const f of verify.fingerprints) parseFingerprint(f); // TypeError now, not mid-handshake
  }
  if (role === 'client' && verify === undefined) {
    throw new TypeError("a client needs options.verify: { fingerprints }, { ca }, a callback, or 'insecure'");
  }
  if (role === 'server' && requestClientCertificate && verify === undefined) {
    throw new TypeError("requestClientCertificate needs options.verify: { fingerprints }, { ca }, a callback, or 'insecure'");
  }

  const srtpProfiles = (o.srtpProfiles ?? []).map(parseSrtpProfile);
  const initial = o.retransmit?.initial ?? DEFAULTS.retransmit.initial;
  const max = o.retransmit?.max ?? Math.max(DEFAULTS.retransmit.max, initial);
  const min = o.retransmit?.min ?? Math.min(DEFAULTS.retransmit.min, initial);
  if (!(initial > 0) || !(max >= initial) || !(min > 0) || !(min <= initial)) throw new RangeError('retransmit needs 0 < min <= initial <= max');
  const adaptive = o.retransmit?.adaptive ?? DEFAULTS.retransmit.adaptive;
  const rtt = o.retransmit?.rtt;
  if (rtt !== undefined && !(rtt >= 0 && rtt <= max)) throw new RangeError('retransmit.rtt needs 0 <= rtt <= max');
  const handshakeTimeout = o.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
  if (!(handshakeTimeout > 0)) throw new RangeError('handshakeTimeout must be positive');

  const idleTimeout = o.idleTimeout;
  if (idleTimeout !== undefined && !(idleTimeout > 0)) throw new RangeError('idleTimeout must be positive');
  const limits: Limits = { ...DEFAULTS.limits };
  for (const [k, v] of Object.entries(o.limits ?? {})) {
    if (!(k in limits)) throw new TypeError(`unknown limit "${k}"`);
    if (v !== undefined) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`limits.${k} must be a positive integer`);
      limits[k as keyof Limits] = v;
    }
  }

  const alpn = o.alpn ?? [];
  for (const p of alpn) if (typeof p !== 'string' || !p.length || p.length > 255) throw new TypeError(`bad ALPN protocol name ${String(p)}`);

  return {
    role,
    certificate,
    verify,
    cipherSuites,
    groups,
    mtu,
    srtpProfiles,
    alpn,
    serverName: o.serverName,
    requireCookie: o.requireCookie ?? false,
    requestClientCertificate,
    extendedMasterSecret: o.extendedMasterSecret ?? true,
    retransmit: { initial, max, min, adaptive, rtt },
    handshakeTimeout,
    idleTimeout,
    limits,
    wallTime: o.clock?.wallTime ? (now: number) => o.clock!.wallTime!(now) : (now: number) => now,
    crypto,
  };
}
