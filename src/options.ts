// Options: one plain object shared by DtlsStream, connect() and listen().
// resolveOptions() validates at the public edge (TypeError/RangeError for
// misuse) and fills in defaults; the core only ever sees ResolvedOptions.
import type { CryptoProvider, GroupName } from './crypto/provider.ts';
import type { CertificateKeyPair, Ed25519CertificateKeyPair, RsaCertificateKeyPair } from './x509/types.ts';
import type { Clock } from './clock.ts';

/** Which end of the handshake: the client sends the first flight. */
export type Role = 'client' | 'server';

/** DTLS versions by name. */
export type ProtocolVersionName = '1.2' | '1.3';

/** What the verify callback is given. */
export interface PeerCertificateInfo {
  /** DER certificates, leaf first, as the peer sent them. */
  chain: Uint8Array[];
  /** SDP-style fingerprint of the leaf, e.g. "sha-256 AB:CD:..". */
  fingerprint: string;
}

/**
 * How the peer's certificate is authenticated: pinned fingerprints (WebRTC,
 * RFC 8122), trust anchors with chain and name validation (RFC 5280), a
 * synchronous callback, or 'insecure' (tests only).
 */
export type VerifyOption =
  'insecure' | { fingerprints: string[] } | { ca: (string | Uint8Array)[]; serverName?: string } | ((peer: PeerCertificateInfo) => boolean);

/** Options of DtlsStream, connect() and listen() (all optional but `verify` for a client); validated at construction. */
export interface DtlsOptions {
  role?: Role;
  /**
   * From generateCertificate() or loadCertificateKey(), or PEM text { cert, key }
   * (ECDSA P-256/P-384, Ed25519, or RSA of 2048 bits or more; RSA signing needs
   * a provider that signs RSA, i.e. native crypto).
   */
  certificate?: CertificateKeyPair | RsaCertificateKeyPair | Ed25519CertificateKeyPair | { cert: string; key: string };
  verify?: VerifyOption;
  /**
   * Protocol versions to offer (client) or accept (server), most preferred
   * first: '1.3' (RFC 9147) and '1.2' (RFC 6347). Default ['1.3', '1.2'].
   */
  versions?: ('1.2' | '1.3')[];
  /** IANA names, OpenSSL names or numeric ids, in preference order; DTLS 1.2 and 1.3 suites (TLS_AES_128_GCM_SHA256...) may be mixed. */
  cipherSuites?: (string | number)[];
  /** Key exchange groups, preferred first. X25519MLKEM768 (hybrid post-quantum) is DTLS 1.3 only. */
  groups?: (GroupName | 'X25519' | 'P-256' | 'P-384' | 'X25519MLKEM768')[];
  /**
   * Signature schemes accepted in the peer's handshake signatures (DTLS 1.2
   * ServerKeyExchange and CertificateVerify, DTLS 1.3 CertificateVerify),
   * most preferred first, by RFC 8446 4.2.3 name or code point; they are what
   * signature_algorithms offers (ClientHello, CertificateRequest). A peer
   * signing with another one fails the handshake (illegal_parameter); a server
   * that can sign with none of them fails it too (handshake_failure). It does
   * not change what we sign with (chosen from the peer's list for our key) nor
   * how certificate chains are checked. Each version keeps those it verifies:
   * 1.2 the ECDSA P-256/P-384, ed25519 and RSA (PSS, PKCS#1) schemes, 1.3 the
   * ECDSA, ed25519 and rsa_pss_rsae ones; a version in `versions` left with
   * none is a RangeError. Default: all of them, e.g. narrowed by
   * `['ecdsa_secp256r1_sha256', 'ed25519']`.
   */
  signatureSchemes?: (SignatureSchemeName | number)[];
  /** Largest datagram (UDP payload) we send. Default 1200. */
  mtu?: number;
  /** Names: SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32, SRTP_AEAD_AES_128_GCM, SRTP_AEAD_AES_256_GCM. */
  srtpProfiles?: string[];
  /**
   * ALPN protocol names (RFC 7301): a client offers them, a server picks the
   * first of its own that the client offered (none in common: no_application_protocol).
   */
  alpn?: string[];
  /**
   * Server: picks the ALPN protocol from the client's list instead of `alpn`
   * (not both), e.g. by the protocols offered. Return one of `offered`; undefined
   * to answer without ALPN (RFC 7301 3.2 allows it); false to refuse the
   * handshake with no_application_protocol. A name the client did not offer fails
   * the handshake with internal_error. Not called when the client sends no ALPN.
   */
  alpnSelect?: (offered: readonly string[]) => string | false | undefined;
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
   * flights start at 1.5 x the measured round trip, never below `min`, so
   * `initial` holds only until a round trip is measured (to keep it, pass
   * `adaptive: false` or `min`). Adaptive timers also send a small flight (at
   * most 2 datagrams) twice on an expiry once two expiries in a row heard
   * nothing from the peer; in DTLS 1.3 only an ACK counts as heard (a resent
   * peer flight is a sign of loss, RFC 9147 5.8.1), a larger flight adds its
   * first unacknowledged message once more, and what an ACK shows lost is
   * resent at once, twice when small. The timer still doubles. On by default.
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
  /**
   * Called once per connection when its master secret is known, with one
   * line of the NSS key log format (`CLIENT_RANDOM <client_random hex>
   * <master_secret hex>`, no newline), so Wireshark or tshark can decrypt a
   * capture. Append the lines to a file, as SSLKEYLOGFILE does elsewhere.
   * The line is the session's secret: for debugging only.
   */
  keyLog?: (line: string) => void;
  /**
   * Server, DTLS 1.3: NewSessionTickets sent once the handshake completes
   * (RFC 8446 4.6.1), to a client that asks for them (psk_key_exchange_modes
   * with psk_dhe_ke). Default 1; 0 sends none. At most 4. DTLS 1.2: any
   * value above 0 sends one ticket (RFC 5077) in each handshake, full or
   * resumed, to a client that sent the session_ticket extension, when the
   * extended master secret (RFC 7627) was negotiated; 0 sends none. A 1.2
   * session issued no ticket (sessionTickets 0, or a client that sent no
   * session_ticket extension) is named by a session ID instead, kept in a bounded
   * cache of the server (256 sessions, each ticketLifetime; one cache for
   * all connections of a listen() server) for clients to resume by ID.
   */
  sessionTickets?: number;
  /**
   * Server, DTLS 1.3 and 1.2: 32-byte keys that seal our tickets (AES-256-GCM;
   * a ticket names its version, so one never resumes the other). The
   * first seals new tickets, all open them: rotate by putting a new key first
   * and dropping the oldest. Default: one random key per listen() or
   * DtlsStream, so tickets resume only on the server that issued them.
   */
  ticketKeys?: Uint8Array[];
  /** Server, DTLS 1.3 and 1.2: ticket lifetime in seconds (at most 604800, RFC 8446 4.6.1). Default 7200. */
  ticketLifetime?: number;
  /**
   * Client: called with each session the server issues (a NewSessionTicket),
   * as opaque bytes to store and pass back as `session` to resume: DTLS 1.3
   * PSK with (EC)DHE (RFC 8446 2.2), or a DTLS 1.2 abbreviated handshake
   * (RFC 5077, RFC 5246 7.3; only sessions with the extended master secret,
   * RFC 7627 5.3). The bytes name their version. Setting it asks the server
   * for tickets. Called synchronously from the connection: it must not call
   * into the connection. The bytes hold the resumption secret: keep them as
   * private as a key. Single use is advised (RFC 8446 C.4).
   */
  onSession?: (session: Uint8Array) => void;
  /**
   * Client: a session from `onSession` to resume. It is offered only while
   * unexpired, for the same serverName, and when its peer certificate still
   * passes `verify` (a 1.2 session also needs its cipher suite offered and
   * the extended master secret); otherwise (and when the server declines it)
   * the handshake is a full one. `handshakeInfo.resumed` tells. A 1.2
   * session offered by a client that also offers 1.3 is simply unused when
   * the server chooses 1.3.
   */
  session?: Uint8Array;
  /**
   * Connection IDs (DTLS 1.3: RFC 9147 9; DTLS 1.2: RFC 9146): the CID we
   * ask the peer to put on the records it sends us, so the connection
   * survives a change of address (NAT rebinding). A number draws a random CID
   * of that many bytes (1..32; listen() draws one per connection and routes
   * datagrams by it); bytes give the CID itself; an empty array (or 0) sends
   * the peer's CID but asks for none. Used only when both sides send the
   * extension. In DTLS 1.2 the CIDs stay as the hellos set them (tls12_cid
   * records from epoch 1 on); changing them after the handshake
   * (issueConnectionIds and the rest) is DTLS 1.3 only. Where DTLS 1.2 may be
   * negotiated, send() then takes at most 16383 bytes (RFC 9146 4). Off by default.
   */
  connectionId?: Uint8Array | number;
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
  /**
   * @internal A DTLS 1.3 server behind listen(): the stateless gate's cookies
   * (handshake/hrr-gate.ts), so the connection opens the HelloRetryRequest
   * cookie the gate sent. Absent: the connection keeps its own secret.
   */
  hrrCookies?: HrrCookies;
  certificate: CertificateKeyPair | RsaCertificateKeyPair | Ed25519CertificateKeyPair | undefined;
  verify: VerifyOption | undefined;
  /** Offered or accepted, most preferred first; never empty. */
  versions: ProtocolVersionName[];
  /** DTLS 1.2 suites (empty when only 1.3 suites were asked for). */
  cipherSuites: number[];
  /** DTLS 1.3 suites (RFC 8446 B.4). */
  cipherSuites13: number[];
  /** DTLS 1.2 ECDHE groups (the hybrid is left out). */
  groups: GroupName[];
  /** DTLS 1.3 key share groups, X25519MLKEM768 included when asked for. */
  groups13: KemGroup[];
  /** The peer signature schemes accepted (and offered) by DTLS 1.2, by 1.3 (options-signatures.ts). */
  signatureSchemes: AcceptedSignatureSchemes;
  mtu: number;
  srtpProfiles: number[];
  alpn: string[];
  alpnSelect: ((offered: readonly string[]) => string | false | undefined) | undefined;
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
  keyLog: ((line: string) => void) | undefined;
  /** Server: NewSessionTickets per connection (DTLS 1.3). */
  sessionTickets: number;
  /** Server: ticket keys, the first sealing; never empty. A random default is made on first use and shared by every connection of these options. */
  ticketKeys: () => readonly Uint8Array[];
  /** Server: seconds. */
  ticketLifetime: number;
  onSession: ((session: Uint8Array) => void) | undefined;
  /** Client: the DTLS 1.3 session to offer, decoded. */
  session: ClientSession | undefined;
  /** Client: the DTLS 1.2 session to offer, decoded (ticket12.ts). */
  session12: ClientSession12 | undefined;
  /** The CID we want to receive (bytes), a length to draw one per connection, or undefined: no connection_id extension. */
  connectionId: Uint8Array | number | undefined;
}

import { defaultCryptoProvider } from './crypto/default.ts';
import type { HrrCookies } from './handshake/cookie.ts';
import { decodeClientSession, type ClientSession } from './handshake/ticket13.ts';
import { decodeClientSession12, sessionVersion, type ClientSession12 } from './handshake/ticket12.ts';
import { DEFAULT_CIPHER_SUITES, DEFAULT_TLS13_CIPHER_SUITES, suiteById, suiteByName } from './crypto/suites.ts';
import type { KemGroup } from './crypto/hybrid-kem.ts';
import { generateCertificate } from './x509/generate.ts';
import { loadCertificateKey } from './x509/load.ts';
import { SignatureSchemes } from './crypto/provider.ts';
import { parseFingerprint } from './x509/fingerprint.ts';
import { decodePem } from './x509/pem.ts';
import { parseCertificate } from './x509/parse.ts';
import { MAX_OWN_CID_LENGTH } from './record/cid.ts';
import { resolveSignatureSchemes, type AcceptedSignatureSchemes, type SignatureSchemeName } from './options-signatures.ts';
import { parseGroup13, parseSrtpProfile, suite13 } from './options-names.ts';

/** Default option values (mtu, retransmit timer, handshake timeout, groups, limits). */
export const DEFAULTS = {
  mtu: 1200,
  retransmit: { initial: 100, max: 60000, min: 100, adaptive: true },
  handshakeTimeout: 30000,
  groups: ['x25519', 'secp256r1', 'secp384r1'] as GroupName[],
  /** DTLS 1.3 first; a 1.2-only peer still connects (the downgrade sentinel guards the fallback, RFC 8446 4.1.3). */
  versions: ['1.3', '1.2'] as ('1.2' | '1.3')[],
  sessionTickets: 1,
  ticketLifetime: 7200,
  limits: {
    maxHandshakeMessage: 65536,
    maxReassemblyBytes: 262144,
    maxFutureEpochRecords: 32,
    maxFutureEpochBytes: 65536,
    maxPendingSends: 64,
  } satisfies Limits as Limits,
};

/** Any of these lets an RSA certificate sign a ServerKeyExchange or CertificateVerify. */
const RSA_SIGNING: readonly number[] = [
  SignatureSchemes.rsa_pss_rsae_sha256,
  SignatureSchemes.rsa_pss_rsae_sha384,
  SignatureSchemes.rsa_pss_rsae_sha512,
  SignatureSchemes.rsa_pkcs1_sha256,
  SignatureSchemes.rsa_pkcs1_sha384,
  SignatureSchemes.rsa_pkcs1_sha512,
];

function oneOf<T>(value: T | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new TypeError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, not ${String(value)}`);
  return value;
}

/** Each verify form checked now, so a typo or a bad anchor fails at construction, not mid-handshake. */
function checkVerify(verify: unknown): void {
  if (verify === undefined || verify === 'insecure' || typeof verify === 'function') return;
  const form = "verify must be { fingerprints }, { ca }, a callback, or 'insecure'";
  if (verify === null || typeof verify !== 'object') throw new TypeError(`${form}, not ${String(verify)}`);
  if ('fingerprints' in verify) {
    const { fingerprints } = verify as { fingerprints: unknown };
    if (!Array.isArray(fingerprints) || !fingerprints.length) throw new TypeError('verify.fingerprints must be a non-empty array');
    for (const f of fingerprints) {
      if (typeof f !== 'string') throw new TypeError('verify.fingerprints holds strings such as "sha-256 AB:CD:.."');
      parseFingerprint(f);
    }
    return;
  }
  if (!('ca' in verify)) throw new TypeError(form);
  const { ca, serverName } = verify as { ca: unknown; serverName?: unknown };
  if (!Array.isArray(ca) || !ca.length) throw new TypeError('verify.ca must be a non-empty array of PEM text or DER bytes');
  if (serverName !== undefined && (typeof serverName !== 'string' || !serverName.length)) throw new TypeError('verify.serverName must be a non-empty string');
  ca.forEach((anchor: unknown, i) => {
    let ders: Uint8Array[];
    if (typeof anchor === 'string') {
      try {
        ders = decodePem(anchor)
          .filter((b) => b.label === 'CERTIFICATE')
          .map((b) => b.der);
      } catch (e) {
        throw new TypeError(`verify.ca[${i}] is not valid PEM: ${(e as Error).message}`, { cause: e });
      }
      if (!ders.length) throw new TypeError(`verify.ca[${i}] holds no CERTIFICATE PEM block`);
    } else if (anchor instanceof Uint8Array) {
      ders = [anchor];
    } else {
      throw new TypeError(`verify.ca[${i}] must be PEM text or DER bytes`);
    }
    for (const der of ders) {
      try {
        parseCertificate(der);
      } catch (e) {
        throw new TypeError(`verify.ca[${i}] is not a certificate: ${(e as Error).message}`, { cause: e });
      }
    }
  });
}

/**
 * The MTUs the library takes (options.mtu, setMtu()): from 128, room for a
 * record header, a fragment header and an AEAD tag with a few bytes of
 * handshake message, to the largest UDP payload over IPv4.
 */
export const MIN_MTU = 128;
export const MAX_MTU = 65507;

/** `mtu`, or a RangeError naming `what` when it is not an integer in MIN_MTU..MAX_MTU. */
export function checkMtu(mtu: number, what: string): number {
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) throw new RangeError(`${what} must be an integer in ${MIN_MTU}..${MAX_MTU}, not ${mtu}`);
  return mtu;
}

/** Validates user options (TypeError/RangeError on misuse) and fills defaults. */
export function resolveOptions(o: DtlsOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  const role = o.role ?? 'client';
  for (const k of ['cipherSuites', 'groups', 'srtpProfiles', 'alpn'] as const) {
    if (o[k] !== undefined && !Array.isArray(o[k])) throw new TypeError(`${k} must be an array`);
  }
  if (o.serverName !== undefined && (typeof o.serverName !== 'string' || !o.serverName.length)) throw new TypeError('serverName must be a non-empty string');
  if (
    o.clock !== undefined &&
    !(o.clock && typeof o.clock.now === 'function' && typeof o.clock.setTimeout === 'function' && typeof o.clock.clearTimeout === 'function')
  )
    throw new TypeError('clock must have now(), setTimeout() and clearTimeout()');
  if (o.limits !== undefined && (o.limits === null || typeof o.limits !== 'object')) throw new TypeError('limits must be an object');
  if (o.retransmit !== undefined && (o.retransmit === null || typeof o.retransmit !== 'object')) throw new TypeError('retransmit must be an object');
  if (role !== 'client' && role !== 'server') throw new TypeError(`role must be 'client' or 'server', not ${String(role)}`);
  const crypto = o.crypto ?? defaultCryptoProvider();

  if (o.versions !== undefined && (!Array.isArray(o.versions) || !o.versions.length))
    throw new TypeError("versions must be a non-empty array of '1.2' and '1.3'");
  let versions = [...new Set(o.versions ?? DEFAULTS.versions)];
  for (const v of versions) if (v !== '1.2' && v !== '1.3') throw new TypeError(`versions: unknown version ${JSON.stringify(v)} ('1.2' or '1.3')`);
  const cipherSuites: number[] = [];
  const cipherSuites13: number[] = [];
  for (const s of o.cipherSuites ?? [...DEFAULT_CIPHER_SUITES, ...DEFAULT_TLS13_CIPHER_SUITES]) {
    const suite = typeof s === 'number' ? suiteById(s) : typeof s === 'string' ? suiteByName(s) : undefined;
    const id13 = suite ? undefined : typeof s === 'number' || typeof s === 'string' ? suite13(s) : undefined;
    if (suite) cipherSuites.push(suite.id);
    else if (id13 !== undefined) cipherSuites13.push(id13);
    else throw new TypeError(`unsupported cipher suite ${String(s)}`);
  }
  if (!cipherSuites.length && !cipherSuites13.length) throw new RangeError('cipherSuites is empty');
  // A list naming suites of one version only restricts to what it can negotiate.
  if (o.cipherSuites !== undefined) {
    const has = (v: ProtocolVersionName): boolean => (v === '1.2' ? cipherSuites.length : cipherSuites13.length) > 0;
    let kept = versions.filter(has);
    // Only 1.3 suites named, versions left at the default: the user means 1.3.
    if (!kept.length && !o.versions) kept = (['1.3', '1.2'] as const).filter(has);
    if (!kept.length) throw new RangeError('cipherSuites names no suite of the versions asked for');
    versions = kept;
  }
  if (!cipherSuites.length) cipherSuites.push(...DEFAULT_CIPHER_SUITES);
  if (!cipherSuites13.length) cipherSuites13.push(...DEFAULT_TLS13_CIPHER_SUITES);
  const groups13 = (o.groups ?? DEFAULTS.groups).map((g) => parseGroup13(g));
  if (!groups13.length) throw new RangeError('groups is empty');
  const groups = groups13.filter((g): g is GroupName => g !== 'X25519MLKEM768');
  if (!groups.length) {
    if (!versions.includes('1.3')) throw new RangeError('groups: X25519MLKEM768 alone needs DTLS 1.3 (versions)');
    versions = versions.filter((v) => v === '1.3');
    groups.push(...DEFAULTS.groups);
  }

  const mtu = checkMtu(o.mtu ?? DEFAULTS.mtu, 'mtu');

  let certificate: CertificateKeyPair | RsaCertificateKeyPair | Ed25519CertificateKeyPair | undefined;
  if (o.certificate !== undefined) {
    const c = o.certificate;
    if (c === null || typeof c !== 'object') throw new TypeError("certificate must be generateCertificate()'s result or { cert, key } PEM text");
    if ('cert' in c) {
      if (typeof c.cert !== 'string' || typeof c.key !== 'string') throw new TypeError('certificate { cert, key } must be PEM strings');
      certificate = loadCertificateKey(c.cert, c.key, crypto);
    } else {
      const curveless = c.keyType?.type === 'rsa' || c.keyType?.type === 'ed25519';
      if (
        !Array.isArray(c.chain) ||
        !c.chain.length ||
        !(c.privateKey instanceof Uint8Array) ||
        (!curveless && typeof (c as CertificateKeyPair).curve !== 'string')
      )
        throw new TypeError("certificate must be generateCertificate()'s result or { cert, key } PEM text");
      certificate = c;
    }
    // Fail now, not in the middle of a handshake: noble verifies RSA but cannot sign with it.
    if (certificate.keyType?.type === 'rsa' && !RSA_SIGNING.some((s) => crypto.signatureSchemes.includes(s))) {
      throw new TypeError(`an RSA certificate needs a crypto provider that signs RSA (native crypto, node:crypto); ${crypto.name} does not`);
    }
  } else if (role === 'server') {
    certificate = generateCertificate({ provider: crypto });
  }

  const requestClientCertificate = oneOf<boolean | 'require'>(o.requestClientCertificate, [true, false, 'require'], false, 'requestClientCertificate');
  const verify = o.verify;
  checkVerify(verify);
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

  if (o.keyLog !== undefined && typeof o.keyLog !== 'function') throw new TypeError('keyLog must be a function');

  const sessionTickets = o.sessionTickets ?? DEFAULTS.sessionTickets;
  if (!Number.isInteger(sessionTickets) || sessionTickets < 0 || sessionTickets > 4) throw new RangeError('sessionTickets must be an integer in 0..4');
  const ticketLifetime = o.ticketLifetime ?? DEFAULTS.ticketLifetime;
  if (!Number.isInteger(ticketLifetime) || ticketLifetime < 1 || ticketLifetime > 604800)
    throw new RangeError('ticketLifetime must be an integer number of seconds in 1..604800 (RFC 8446 4.6.1)');
  if (o.ticketKeys !== undefined && (!Array.isArray(o.ticketKeys) || !o.ticketKeys.length)) throw new TypeError('ticketKeys must be a non-empty array');
  for (const k of o.ticketKeys ?? []) if (!(k instanceof Uint8Array) || k.length !== 32) throw new TypeError('ticketKeys holds 32-byte Uint8Arrays');
  let keys: Uint8Array[] | undefined = o.ticketKeys?.map((k) => k.slice());
  const ticketKeys = (): readonly Uint8Array[] => (keys ??= [crypto.random(32)]);
  if (o.onSession !== undefined && typeof o.onSession !== 'function') throw new TypeError('onSession must be a function');
  let session: ClientSession | undefined;
  let session12: ClientSession12 | undefined;
  if (o.session !== undefined) {
    if (!(o.session instanceof Uint8Array)) throw new TypeError('session must be the Uint8Array onSession gave');
    try {
      if (sessionVersion(o.session) === '1.2') session12 = decodeClientSession12(o.session);
      else session = decodeClientSession(o.session);
    } catch (e) {
      throw new TypeError(`session is not one onSession gave: ${(e as Error).message}`, { cause: e });
    }
  }
  const connectionId = o.connectionId;
  if (connectionId !== undefined) {
    if (typeof connectionId === 'number') {
      if (!Number.isInteger(connectionId) || connectionId < 0 || connectionId > MAX_OWN_CID_LENGTH)
        throw new RangeError(`connectionId: a length must be an integer in 0..${MAX_OWN_CID_LENGTH}`);
    } else if (!(connectionId instanceof Uint8Array) || connectionId.length > 255)
      throw new TypeError('connectionId must be a Uint8Array of at most 255 bytes or a length');
  }

  const signatureSchemes = resolveSignatureSchemes(o.signatureSchemes, versions);
  const alpn = o.alpn ?? [];
  for (const p of alpn) if (typeof p !== 'string' || !p.length || p.length > 255) throw new TypeError(`bad ALPN protocol name ${String(p)}`);
  const alpnSelect = o.alpnSelect;
  if (alpnSelect !== undefined) {
    if (typeof alpnSelect !== 'function') throw new TypeError('alpnSelect must be a function');
    if (role !== 'server') throw new TypeError('alpnSelect is for servers (a client offers `alpn`)');
    if (alpn.length) throw new TypeError('give a server alpn or alpnSelect, not both');
  }

  return {
    role,
    certificate,
    verify,
    versions,
    cipherSuites,
    cipherSuites13,
    groups,
    groups13,
    signatureSchemes,
    mtu,
    srtpProfiles,
    alpn,
    alpnSelect,
    serverName: o.serverName,
    requireCookie: oneOf(o.requireCookie, [true, false], false, 'requireCookie'),
    requestClientCertificate,
    extendedMasterSecret: oneOf<boolean | 'require'>(o.extendedMasterSecret, [true, false, 'require'], true, 'extendedMasterSecret'),
    retransmit: { initial, max, min, adaptive, rtt },
    handshakeTimeout,
    idleTimeout,
    limits,
    wallTime: o.clock?.wallTime ? (now: number) => o.clock!.wallTime!(now) : (now: number) => now,
    crypto,
    keyLog: o.keyLog,
    sessionTickets,
    ticketKeys,
    ticketLifetime,
    onSession: o.onSession,
    session,
    session12,
    connectionId: connectionId instanceof Uint8Array ? connectionId.slice() : connectionId,
  };
}
