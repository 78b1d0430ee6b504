// The shim's flags turned into DtlsOptions. Everything else the library cannot
// do (after flags.ts and keys.ts) is an Unimplemented here, before a connection exists.
import { CIPHER_SUITES, type DtlsOptions, type PeerCertificateInfo } from '../src/index.ts';
import { Unimplemented, type ShimFlags } from './flags.ts';
import { readPem as pem } from './keys.ts';

/**
 * BoringSSL's initial retransmission timeout (ssl/d1_lib.cc), which the runner's
 * schedules assume. The library's own default is 100 ms with an adaptive timer
 * (src/options.ts says why); the shim sets BoringSSL's so schedules compare.
 */
export const BORINGSSL_INITIAL_TIMEOUT_MS = 400;
/**
 * The library gives up a handshake after options.handshakeTimeout; BoringSSL
 * has no such deadline (it counts retransmissions), and the runner's schedules
 * run for minutes of virtual time. Far enough out never to be reached, and the
 * shim does not report it as a retransmission timer (see pollRetransmitTimeout).
 */
export const NO_HANDSHAKE_TIMEOUT_MS = 1e12;

/** TLS group ids (RFC 8446 4.2.7) of the groups the library has; X25519MLKEM768 (0x11ec) is DTLS 1.3 only. */
const groupById: Record<number, 'x25519' | 'secp256r1' | 'secp384r1' | 'X25519MLKEM768'> = {
  29: 'x25519',
  23: 'secp256r1',
  24: 'secp384r1',
  0x11ec: 'X25519MLKEM768',
};

/** BoringSSL cipher strings: `:`-separated names, `[a|b]` groups. Any suite we lack is unimplemented. */
function parseCipherString(s: string): number[] {
  const ids: number[] = [];
  for (const token of s.split(/[:|,\s[\]]+/).filter(Boolean)) {
    const name = token.replace(/^[+!-]/, '');
    const suite = CIPHER_SUITES.find((c) => c.name === name || c.opensslName === name || c.name === `TLS_${name}`);
    if (!suite) throw new Unimplemented(`cipher "${token}" is not implemented`);
    if (!token.startsWith('-') && !token.startsWith('!')) ids.push(suite.id);
  }
  if (!ids.length) throw new Unimplemented(`cipher string "${s}" selects no suite we have`);
  return ids;
}

/**
 * What a client's verify callback is asked about. The library checks a stored
 * session's certificate again (with the verify option) when it starts, before
 * it offers the session; BoringSSL verifies a certificate once, in the
 * connection that made the session, unless -reverify-on-resume. So inside
 * start() (`checkingSession`) the shim's callback answers as the connection
 * that made the session did (`sessionVerdict`), and as this connection's
 * flags say with -reverify-on-resume and for every certificate received.
 */
export interface VerifyPhase {
  checkingSession: boolean;
  sessionVerdict: boolean;
  /** The callback's last verdict in this connection (undefined: not asked), for -expect-verify-result. */
  lastVerdict?: boolean;
}

/**
 * BoringSSL's client without -verify-peer (SSL_VERIFY_NONE) still runs its
 * verify callback, records the result (SSL_get_verify_result) and goes on
 * whatever it is: a soft failure. The library's equivalent is a callback that
 * notes its verdict and accepts, which is what the shim gives such a client.
 */
export function softVerify(f: ShimFlags): boolean {
  return !f.server && !f.verifyPeer && (f.verifyFail || f.customVerify);
}

/** conn.start(now), with `phase` telling the verify callback that a stored session is being checked. */
export function startChecked(conn: { start(now: number): void }, now: number, phase: VerifyPhase | undefined): void {
  if (phase) phase.checkingSession = true;
  try {
    conn.start(now);
  } finally {
    if (phase) phase.checkingSession = false;
  }
}

export function toOptions(f: ShimFlags, wallStart: number, phase?: VerifyPhase): DtlsOptions {
  const o: DtlsOptions = {
    role: f.server ? 'server' : 'client',
    versions: f.versions,
    retransmit: { initial: f.initialTimeoutMs ?? BORINGSSL_INITIAL_TIMEOUT_MS, max: 60000, adaptive: false },
    handshakeTimeout: NO_HANDSHAKE_TIMEOUT_MS,
    // Certificate validity is checked against the real wall clock; the
    // connection's `now` is the runner's virtual time, starting at 0.
    clock: { now: () => 0, wallTime: (now) => wallStart + now, setTimeout: () => undefined, clearTimeout: () => {} },
  };
  const r = o.retransmit!;
  r.min = r.initial;
  if (f.mtu !== undefined) o.mtu = f.mtu;

  // keys.ts checkCredentials() already refused keys the library cannot use.
  if (f.certFile && f.keyFile) o.certificate = { cert: pem(f.certFile), key: pem(f.keyFile) };

  const soft = softVerify(f);
  const verifyCallback = (_peer: PeerCertificateInfo): boolean => {
    const ok = phase?.checkingSession && !f.reverifyOnResume ? phase.sessionVerdict : !f.verifyFail;
    if (phase) phase.lastVerdict = ok;
    return soft || ok;
  };
  if (!f.server) {
    if (f.verifyFail || f.customVerify) o.verify = verifyCallback;
    else if (f.verifyPeer) {
      if (!f.trustCert) throw new Unimplemented('-verify-peer without -trust-cert');
      o.verify = { ca: [pem(f.trustCert)] };
    } else o.verify = 'insecure';
  } else if (f.verifyPeer || f.requireClientCert) {
    o.requestClientCertificate = f.requireClientCert ? 'require' : true;
    if (f.verifyFail || f.customVerify || !f.trustCert) o.verify = verifyCallback;
    else o.verify = { ca: [pem(f.trustCert)] };
  }

  if (f.curves.length) {
    o.groups = f.curves.map((id) => {
      const g = groupById[id];
      if (!g) throw new Unimplemented(`group ${id} is not implemented`);
      return g;
    });
  }
  if (f.cipher !== undefined) o.cipherSuites = parseCipherString(f.cipher);
  if (f.verifyPrefs.length) o.signatureSchemes = f.verifyPrefs;
  if (f.srtpProfiles !== undefined) o.srtpProfiles = f.srtpProfiles.split(':').filter(Boolean);
  if (f.server) {
    // BoringSSL's shim server selects in its ALPN callback: ours is alpnSelect.
    if (f.advertiseAlpn) throw new Unimplemented('a server advertising ALPN protocols');
    if (f.selectAlpn !== undefined || f.declineAlpn || f.rejectAlpn || f.selectEmptyAlpn || f.expectAdvertisedAlpn) {
      const want = f.expectAdvertisedAlpn;
      o.alpnSelect = (offered) => {
        if (want && offered.join('\0') !== want.join('\0')) throw new Error(`the client offered ALPN ${offered.join(',')}, expected ${want.join(',')}`);
        if (f.rejectAlpn) return false;
        if (f.selectEmptyAlpn) return '';
        return f.declineAlpn ? undefined : f.selectAlpn;
      };
    }
  } else {
    if (f.selectAlpn !== undefined) throw new Unimplemented('a client selecting ALPN');
    if (f.advertiseAlpn) o.alpn = f.advertiseAlpn;
  }
  if (f.hostName !== undefined) {
    if (f.server) throw new Unimplemented('-host-name on a server');
    o.serverName = f.hostName;
  }
  // Session expectations of one role (the runner gives them to no other).
  if (!f.server && f.expect.sessionId !== undefined) throw new Unimplemented('-expect-(no-)session-id on a client');
  if (f.server && (f.expect.noSession || f.expect.ticketRenewal)) throw new Unimplemented('-expect-no-session / -expect-ticket-renewal on a server');
  if (f.noTicket) {
    // A client keeps sessions only through onSession, which asks for tickets.
    if (!f.server && f.resumeCount > 0) throw new Unimplemented('a client that resumes without asking for tickets (-no-ticket)');
    if (f.server) o.sessionTickets = 0;
  }
  if (f.exportLength !== undefined && f.exportLabel === undefined) throw new TypeError('-export-keying-material without -export-label');
  return o;
}
