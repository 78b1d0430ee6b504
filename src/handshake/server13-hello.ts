// What a DTLS 1.3 server makes of a ClientHello (RFC 8446 4.1.1, 4.1.4, 4.2;
// RFC 9147 5.1, 5.3): the suite, the key share group, the signature scheme,
// use_srtp, ALPN and SNI; or a HelloRetryRequest, stateless: its cookie
// carries Hash(ClientHello1), the suite and the group asked for, under our
// cookie secret, so nothing about the client is kept until it comes back.
import type { ResolvedOptions } from '../options.ts';
import { DtlsError } from '../errors.ts';
import { suite13ById, type CipherSuite13 } from '../crypto/suites.ts';
import { KEM_GROUP_IDS, type KemGroup } from '../crypto/hybrid-kem.ts';
import { ExtensionType, ProtocolVersion, type Extension } from '../wire/types.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeSupportedGroups } from '../wire/extensions/supported-groups.ts';
import { decodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { decodeUseSrtp } from '../wire/extensions/use-srtp.ts';
import { decodeAlpn } from '../wire/extensions/alpn.ts';
import { decodeServerName } from '../wire/extensions/server-name.ts';
import { decodeKeyShareClient, encodeKeyShareRetry } from '../wire/extensions13/key-share.ts';
import { decodeCookie, encodeCookie } from '../wire/extensions13/cookie.ts';
import { decodeConnectionIdExtension } from '../wire/extensions13/connection-id.ts';
import { encodeSupportedVersionsServer } from '../wire/extensions13/supported-versions.ts';
import { decodeClientHello, type ClientHello } from '../wire/messages/client-hello.ts';
import { checkClientHello13, encodeHelloRetryRequest, offeredVersions } from '../wire/messages13/hello13.ts';
import { chooseAlpn, decodeAs } from './common.ts';
import { chooseKeyShare, chooseScheme13, clientHelloHash } from './common13.ts';
import { decodeHrrCookieState, encodeHrrCookieState, type HrrCookieState, type HrrCookies } from './cookie.ts';

/** Everything the server chose from a ClientHello it goes on with. */
export interface Hello13 {
  ch: ClientHello;
  suite: CipherSuite13;
  group: KemGroup;
  /** The client's key_exchange for `group`. */
  clientShare: Uint8Array;
  scheme: number;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  /** The client's connection_id: the CID it wants on our records (RFC 9147 9); undefined if it offered none. */
  clientCid: Uint8Array | undefined;
  /** Set when this is the second ClientHello: the HRR we sent (rebuilt) and Hash(ClientHello1). */
  retry: { state: HrrCookieState; hrrBody: Uint8Array } | undefined;
}

export type HelloDecision = { kind: 'retry'; hrrBody: Uint8Array } | { kind: 'proceed'; hello: Hello13 };

/** The DTLS 1.3 suites this server takes, in preference order. */
export function serverSuites13(o: ResolvedOptions): CipherSuite13[] {
  return o.cipherSuites13.map(suite13ById).filter((s): s is CipherSuite13 => s !== undefined);
}

/**
 * The HelloRetryRequest body (RFC 8446 4.1.4): built the same way when it is
 * sent and when the second ClientHello's cookie brings it back, so both
 * transcripts hold the same bytes.
 */
export function hrrBody(suite: number, group: number, cookie: Uint8Array): Uint8Array {
  const extensions: Extension[] = [{ type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.DTLS1_3) }];
  if (group !== 0) extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareRetry(group) });
  extensions.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
  // RFC 9147 5.3: legacy_session_id_echo is empty in DTLS 1.3, whatever the client sent.
  return encodeHelloRetryRequest({ sessionIdEcho: new Uint8Array(0), cipherSuite: suite, extensions });
}

function missing(name: string): DtlsError {
  return new DtlsError('missing_extension', `ClientHello offers DTLS 1.3 without ${name} (RFC 8446 9.2)`);
}

/**
 * Reads a ClientHello that offers DTLS 1.3. `cookies` makes and opens our
 * HelloRetryRequest cookies; `requireCookie` makes every first ClientHello
 * draw one (RFC 9147 5.1). Throws DtlsError with the alert RFC 8446 names.
 */
export function readClientHello13(o: ResolvedOptions, body: Uint8Array, cookies: HrrCookies): HelloDecision {
  const crypto = o.crypto;
  const ch = decodeAs('ClientHello', () => decodeClientHello(body));
  if (!offeredVersions(ch).includes(ProtocolVersion.DTLS1_3)) throw new DtlsError('protocol_version', 'ClientHello does not offer DTLS 1.3');
  checkClientHello13(ch);
  const suite = serverSuites13(o).find((s) => ch.cipherSuites.includes(s.id));
  if (!suite) throw new DtlsError('handshake_failure', 'no DTLS 1.3 cipher suite in common');

  const ext = <T>(type: number, name: string, f: (d: Uint8Array) => T): T | undefined => {
    const e = findExtension(ch.extensions, type);
    return e ? decodeAs(name, () => f(e.data)) : undefined;
  };
  const schemes = ext(ExtensionType.signature_algorithms, 'signature_algorithms', decodeSignatureAlgorithms);
  if (!schemes) throw missing('signature_algorithms');
  const groups = ext(ExtensionType.supported_groups, 'supported_groups', decodeSupportedGroups);
  const shares = ext(ExtensionType.key_share, 'key_share', decodeKeyShareClient);
  if (!groups) throw missing('supported_groups');
  if (!shares) throw missing('key_share');
  // RFC 8446 4.2.8: each share must be of a group the client lists in supported_groups.
  for (const s of shares) {
    if (!groups.includes(s.group)) throw new DtlsError('illegal_parameter', `key_share for group 0x${s.group.toString(16)} not in supported_groups`);
  }
  const cert = o.certificate;
  if (!cert) throw new DtlsError('internal_error', 'server has no certificate');
  const scheme = chooseScheme13(cert, schemes, crypto);
  const choice = chooseKeyShare(o.groups13, groups, shares);

  let retry: Hello13['retry'];
  const cookie = ext(ExtensionType.cookie, 'cookie', decodeCookie);
  if (cookie) {
    // RFC 9147 5.1: a ClientHello with a cookie we cannot verify ends the handshake.
    const raw = cookies.open(ch.random, cookie);
    const state = raw && decodeHrrCookieState(raw);
    if (!state) throw new DtlsError('illegal_parameter', 'ClientHello cookie is not one we issued');
    if (state.suite !== suite.id) throw new DtlsError('illegal_parameter', 'second ClientHello leads to another cipher suite than the HelloRetryRequest');
    if (choice.kind === 'retry') throw new DtlsError('illegal_parameter', 'second ClientHello still has no key share we can use');
    if (state.group !== 0 && (shares.length !== 1 || shares[0]!.group !== state.group)) {
      // RFC 8446 4.2.8: after an HRR the share must be exactly of the group asked for.
      throw new DtlsError('illegal_parameter', 'second ClientHello does not carry one share of the group the HelloRetryRequest asked for');
    }
    retry = { state, hrrBody: hrrBody(state.suite, state.group, cookie) };
  } else if (choice.kind === 'retry' || o.requireCookie) {
    const group = choice.kind === 'retry' ? KEM_GROUP_IDS[choice.group] : 0;
    const state = encodeHrrCookieState({ suite: suite.id, group, clientHello1Hash: clientHelloHash(crypto, suite.hash, body) });
    return { kind: 'retry', hrrBody: hrrBody(suite.id, group, cookies.issue(ch.random, state)) };
  }
  if (choice.kind !== 'share') throw new DtlsError('internal_error', 'no key share chosen');

  const srtp = ext(ExtensionType.use_srtp, 'use_srtp', decodeUseSrtp);
  const srtpProfile = srtp ? o.srtpProfiles.find((p) => srtp.profiles.includes(p)) : undefined;
  const alpn = chooseAlpn(o, ext(ExtensionType.alpn, 'alpn', decodeAlpn));
  const serverName = ext(ExtensionType.server_name, 'server_name', decodeServerName);
  const clientCid = ext(ExtensionType.connection_id, 'connection_id', decodeConnectionIdExtension)?.slice();
  return {
    kind: 'proceed',
    hello: { ch, suite, group: choice.group, clientShare: choice.entry.keyExchange, scheme, srtpProfile, alpn, serverName, clientCid, retry },
  };
}
