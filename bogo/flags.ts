// The shim's command line (BoringSSL ssl/test/test_config.cc names) mapped to
// what the shim does. A flag we do not know, or one that asks for a feature
// the library does not have, is an Unimplemented: the shim exits 89 and the
// runner counts the test as unimplemented, never as passed.

export class Unimplemented extends Error {
  override name = 'Unimplemented';
}

/** Wire versions (RFC 6347 4.1, RFC 9147 5.3). */
export const DTLS10 = 0xfeff;
export const DTLS12 = 0xfefd;
export const DTLS13 = 0xfefc;

export interface ShimFlags {
  port: number;
  shimId: bigint;
  ipv6: boolean;
  server: boolean;
  dtls: boolean;
  certFile?: string;
  keyFile?: string;
  trustCert?: string;
  verifyPeer: boolean;
  requireClientCert: boolean;
  verifyFail: boolean;
  customVerify: boolean;
  minVersion?: number;
  maxVersion?: number;
  noDtls12: boolean;
  noDtls13: boolean;
  /** The versions the shim offers or accepts (parseFlags fills it from the range). */
  versions: ('1.2' | '1.3')[];
  mtu?: number;
  resumeCount: number;
  /** These flags are a resumption's (-on-resume- flags applied, -on-initial- ones not). */
  resumption: boolean;
  /**
   * -reverify-on-resume: the client checks a session's certificate again, with
   * this connection's verify settings, before it resumes it. Without it
   * BoringSSL takes the verdict of the connection that made the session.
   */
  reverifyOnResume: boolean;
  /** -no-ticket: a server issues no tickets (DTLS 1.2 sessions get IDs), a client asks for none. */
  noTicket: boolean;
  /** -send-alert: a fatal decompression_failure of our own right after the handshake (BoringSSL's SSL_send_fatal_alert). */
  sendAlert: boolean;
  /** -key-update-before-read: updateKeys() before each read (BoringSSL's SSL_key_update before SSL_read): once connected, then after each echo. */
  keyUpdateBeforeRead: boolean;
  shimWritesFirst: boolean;
  shimShutsDown: boolean;
  exportLength?: number;
  exportLabel?: string;
  exportContext?: string;
  useExportContext: boolean;
  initialTimeoutMs?: number;
  /** TLS group ids (-curves), in order. */
  curves: number[];
  /** Signature schemes accepted from the peer (-verify-prefs, repeated), in order: options.signatureSchemes. */
  verifyPrefs: number[];
  cipher?: string;
  srtpProfiles?: string;
  advertiseAlpn?: string[];
  /** -expect-advertised-alpn: the list a server must see from the client (its alpnSelect checks it). */
  expectAdvertisedAlpn?: string[];
  /** -reject-alpn: the server refuses the client's protocols (no_application_protocol). */
  rejectAlpn: boolean;
  /** -select-empty-alpn: the server's selection returns an empty name (our own error). */
  selectEmptyAlpn: boolean;
  selectAlpn?: string;
  declineAlpn: boolean;
  hostName?: string;
  expect: {
    sessionMiss?: boolean;
    alpn?: string;
    serverName?: string;
    curveId?: number;
    version?: number;
    noAlpn?: boolean;
    noServerName?: boolean;
    /** -expect-hrr: true; -expect-no-hrr: false. */
    hrr?: boolean;
    srtpProfile?: string;
    peerCertFile?: string;
    /**
     * The first connection's session was cached on the server (-expect-session-id: true), or
     * not (-expect-no-session-id: false). BoringSSL checks it on the first connection only.
     */
    sessionId?: boolean;
    /** -expect-no-session: the client made no session in this connection. */
    noSession?: boolean;
    /** -expect-ticket-renewal: a resumed client got a new session (a fresh ticket). */
    ticketRenewal?: boolean;
    /** -expect-verify-result: the verify callback's verdict was !verifyFail (options.ts softVerify). */
    verifyResult?: boolean;
  };
}

type Arg = (f: ShimFlags, value: string) => void;
type Switch = (f: ShimFlags) => void;

const int = (flag: string, v: string): number => {
  if (!/^-?\d+$/.test(v)) throw new TypeError(`${flag}: not an integer: ${v}`);
  return Number(v);
};

/** Flags that take a value. */
const withValue: Record<string, Arg> = {
  '-port': (f, v) => (f.port = int('-port', v)),
  // The runner's transcript prefix ends in "<test name>-": shim.ts reads the
  // name from it for its log; no settings file is written.
  '-write-settings': () => {},
  '-shim-id': (f, v) => (f.shimId = BigInt(int('-shim-id', v))),
  '-cert-file': (f, v) => (f.certFile = v),
  '-key-file': (f, v) => (f.keyFile = v),
  '-trust-cert': (f, v) => (f.trustCert = v),
  '-min-version': (f, v) => (f.minVersion = int('-min-version', v)),
  '-max-version': (f, v) => (f.maxVersion = int('-max-version', v)),
  '-mtu': (f, v) => (f.mtu = int('-mtu', v)),
  '-resume-count': (f, v) => (f.resumeCount = int('-resume-count', v)),
  '-export-keying-material': (f, v) => (f.exportLength = int('-export-keying-material', v)),
  '-export-label': (f, v) => (f.exportLabel = v),
  '-export-context': (f, v) => (f.exportContext = v),
  '-initial-timeout-duration-ms': (f, v) => (f.initialTimeoutMs = int('-initial-timeout-duration-ms', v)),
  '-curves': (f, v) => f.curves.push(int('-curves', v)),
  '-cipher': (f, v) => (f.cipher = v),
  '-srtp-profiles': (f, v) => (f.srtpProfiles = v),
  '-advertise-alpn': (f, v) => (f.advertiseAlpn = decodeProtocolList(v)),
  '-expect-advertised-alpn': (f, v) => (f.expectAdvertisedAlpn = decodeProtocolList(v)),
  '-select-alpn': (f, v) => (f.selectAlpn = v),
  '-host-name': (f, v) => (f.hostName = v),
  '-expect-alpn': (f, v) => (f.expect.alpn = v),
  '-expect-server-name': (f, v) => (f.expect.serverName = v),
  '-expect-curve-id': (f, v) => (f.expect.curveId = int('-expect-curve-id', v)),
  '-expect-version': (f, v) => (f.expect.version = int('-expect-version', v)),
  '-expect-srtp-profile': (f, v) => (f.expect.srtpProfile = v),
  // No early data is ever offered or accepted (0-RTT is not implemented), so its reason is "disabled".
  '-expect-early-data-reason': (_f, v) => {
    if (v !== 'disabled') throw new Unimplemented(`early data (-expect-early-data-reason ${v}) is not implemented`);
  },
  '-expect-peer-cert-file': (f, v) => (f.expect.peerCertFile = v),
  // SSL_set_verify_algorithm_prefs: the signature algorithms accepted from the peer (options.signatureSchemes).
  '-verify-prefs': (f, v) => f.verifyPrefs.push(int('-verify-prefs', v)),
  // Only the default credential exists here (-new-*-credential is unimplemented):
  // -1 names it, any other index needs a credential list.
  '-expect-selected-credential': (_f, v) => {
    if (v !== '-1') throw new Unimplemented('credential lists (-new-x509-credential) are not implemented');
  },
};

/** Flags without a value. */
const switches: Record<string, Switch> = {
  '-ipv6': (f) => (f.ipv6 = true),
  '-expect-session-miss': (f) => (f.expect.sessionMiss = true),
  '-server': (f) => (f.server = true),
  '-dtls': (f) => (f.dtls = true),
  '-verify-peer': (f) => (f.verifyPeer = true),
  '-require-any-client-certificate': (f) => (f.requireClientCert = true),
  '-verify-fail': (f) => (f.verifyFail = true),
  '-use-custom-verify-callback': (f) => (f.customVerify = true),
  '-no-tls12': (f) => (f.noDtls12 = true),
  // DTLS 1.0 is not offered anyway; TLS 1.1 has no DTLS version.
  '-no-tls1': () => {},
  '-no-tls11': () => {},
  '-no-tls13': (f) => (f.noDtls13 = true),
  '-shim-writes-first': (f) => (f.shimWritesFirst = true),
  '-shim-shuts-down': (f) => (f.shimShutsDown = true),
  '-use-export-context': (f) => (f.useExportContext = true),
  '-decline-alpn': (f) => (f.declineAlpn = true),
  '-expect-no-alpn': (f) => (f.expect.noAlpn = true),
  '-expect-no-server-name': (f) => (f.expect.noServerName = true),
  '-expect-hrr': (f) => (f.expect.hrr = true),
  '-expect-no-hrr': (f) => (f.expect.hrr = false),
  // Read from our ServerHello's session_id (session.ts): a DTLS 1.2 server caches
  // a session under the ID it gives; a 1.3 server gives none (RFC 9147 5.3).
  '-expect-session-id': (f) => (f.expect.sessionId = true),
  '-expect-no-session-id': (f) => (f.expect.sessionId = false),
  '-expect-no-session': (f) => (f.expect.noSession = true),
  '-expect-ticket-renewal': (f) => (f.expect.ticketRenewal = true),
  '-reverify-on-resume': (f) => (f.reverifyOnResume = true),
  '-no-ticket': (f) => (f.noTicket = true),
  // BoringSSL's SSL_send_fatal_alert: Connection.abort() (session.ts).
  '-send-alert': (f) => (f.sendAlert = true),
  '-key-update-before-read': (f) => (f.keyUpdateBeforeRead = true),
  '-reject-alpn': (f) => (f.rejectAlpn = true),
  '-select-empty-alpn': (f) => (f.selectEmptyAlpn = true),
  // No meaning for a sans-IO core driven to completion on every input: there
  // is no blocking call to make asynchronous, and no explicit handshake call.
  '-async': () => {},
  '-implicit-handshake': () => {},
  // BoringSSL's client hands over -cert-file/-key-file from a callback when a
  // CertificateRequest comes; here they are in the options from the start, and
  // the peer sees the same Certificate (or an empty one without them).
  '-use-old-client-cert-callback': () => {},
  // Likewise BoringSSL's server installs -cert-file/-key-file from its early
  // (ClientHello) callback with this flag, from its config without it; the
  // certificate here is in the options from the start, and the client sees the
  // same handshake either way.
  '-use-early-callback': () => {},
  // With -verify-peer a handshake that completed verified the peer (a failed
  // check fails it); without, the shim compares the verdict it noted (options.ts softVerify).
  '-expect-verify-result': (f) => (f.expect.verifyResult = true),
};

/** The flags of the first connection, and of the resumptions (-resume-count). */
export interface ShimConfigs {
  initial: ShimFlags;
  resume: ShimFlags;
}

/** Flags for features the library does not have, by what each needs (the shim exits 89 with it). */
const MISSING: Record<string, string> = {
  '-use-ticket-callback': "BoringSSL's ticket-key callback is not an API of ours: ticket keys come from the ticketKeys option",
  '-use-ticket-aead-callback': "BoringSSL's ticket sealing callback is not an API of ours: tickets are sealed with the ticketKeys option",
  '-expect-accept-early-data': '0-RTT early data is not implemented',
  '-allow-unknown-alpn-protos': 'a client taking an ALPN protocol it did not offer (BoringSSL compatibility switch): refused, RFC 7301 3.2',
  '-psk': 'external pre-shared keys are not implemented',
  '-permute-extensions': 'ClientHello extension permutation (an anti-ossification switch of BoringSSL) is not implemented',
  '-expect-msg-callback': "BoringSSL's message callback is not an API of ours (connections emit trace events instead)",
  '-no-server-name-ack': 'a server always acknowledges the server_name it takes (RFC 6066 3): no switch to leave it out',
  '-ocsp-response': 'OCSP stapling (status_request) is not implemented',
  '-enable-ocsp-stapling': 'OCSP stapling (status_request) is not implemented',
  '-application-settings': 'ALPS (application settings) is not implemented',
  '-private-key-delay-ms': 'asynchronous private-key operations are not implemented: signing is synchronous',
  '-max-cert-list': 'the bound on the peer certificate list is the handshake message limit, not a setting',
};

/** The first connection's flags (parseConfigs(argv).initial). */
export function parseFlags(argv: string[]): ShimFlags {
  return parseConfigs(argv).initial;
}

/**
 * Parses argv into the first connection's flags and the resumptions'. As
 * BoringSSL's test_config.cc: a plain flag applies to every connection,
 * -on-initial-X only to the first, -on-resume-X only to the resumptions.
 * Throws Unimplemented for an unknown flag (with any prefix) or a feature we
 * do not have, TypeError for a malformed value.
 */
export function parseConfigs(argv: string[]): ShimConfigs {
  return { initial: parseFor(argv, false), resume: parseFor(argv, true) };
}

function parseFor(argv: string[], resumption: boolean): ShimFlags {
  const f: ShimFlags = {
    port: 0,
    shimId: 0n,
    ipv6: false,
    server: false,
    dtls: false,
    verifyPeer: false,
    requireClientCert: false,
    verifyFail: false,
    customVerify: false,
    noDtls12: false,
    noDtls13: false,
    versions: ['1.2'],
    resumeCount: 0,
    resumption,
    reverifyOnResume: false,
    noTicket: false,
    sendAlert: false,
    keyUpdateBeforeRead: false,
    rejectAlpn: false,
    selectEmptyAlpn: false,
    shimWritesFirst: false,
    shimShutsDown: false,
    useExportContext: false,
    curves: [],
    verifyPrefs: [],
    declineAlpn: false,
    expect: {},
  };
  for (let i = 0; i < argv.length; i++) {
    let name = argv[i]!;
    // -on-initial-X is X for the first connection only, -on-resume-X for the resumptions only.
    let ignore = false;
    if (name.startsWith('-on-initial-')) {
      name = '-' + name.slice('-on-initial-'.length);
      ignore = resumption;
    } else if (name.startsWith('-on-resume-')) {
      name = '-' + name.slice('-on-resume-'.length);
      ignore = !resumption;
    }
    const sw = switches[name];
    const arg = withValue[name];
    if (sw) {
      if (!ignore) sw(f);
    } else if (arg) {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`${name} needs a value`);
      if (!ignore) arg(f, v);
    } else {
      throw new Unimplemented(MISSING[name] ?? `flag ${argv[i]} is not implemented`);
    }
  }
  if (!f.dtls) throw new Unimplemented('TLS and QUIC are not implemented (no -dtls)');
  const max = f.maxVersion ?? DTLS13;
  const min = f.minVersion ?? DTLS10;
  // DTLS version numbers count down (RFC 6347 4.1): v is in [min, max] when max <= v <= min.
  const inRange = (v: number): boolean => max <= v && v <= min;
  const has12 = !f.noDtls12 && inRange(DTLS12);
  const has13 = !f.noDtls13 && inRange(DTLS13);
  if (!has12 && !has13) throw new Unimplemented('only DTLS 1.2 and 1.3 are implemented');
  // Both in range (the runner's default, and BoringSSL's): both, 1.3 preferred,
  // as the library's default. The runner's tests assume a shim without version
  // flags speaks 1.3 (a hook expecting 1.3 epochs panics on a 1.2 handshake).
  f.versions = has12 && has13 ? ['1.3', '1.2'] : has13 ? ['1.3'] : ['1.2'];
  return f;
}

/** ALPN's wire form (RFC 7301 3.1): length-prefixed names, as the runner passes it. */
function decodeProtocolList(v: string): string[] {
  const bytes = Buffer.from(v, 'latin1');
  const out: string[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = bytes[i]!;
    if (n === 0 || i + 1 + n > bytes.length) throw new TypeError('-advertise-alpn: malformed protocol list');
    out.push(bytes.subarray(i + 1, i + 1 + n).toString('latin1'));
    i += 1 + n;
  }
  return out;
}
