// The DTLS 1.3 rules on ClientHello and ServerHello fields, on top of the
// shared hello codecs (RFC 9147 5.3, 5.4; RFC 8446 4.1.2, 4.1.3, 4.1.4):
// legacy_version 0xfefd, legacy_cookie empty, compression null only, the
// version in supported_versions, the HelloRetryRequest's special random and
// the downgrade sentinels.
import { DtlsError } from '../../errors.ts';
import { equalBytes, fromHex } from '../codec.ts';
import { findExtension } from '../extensions/index.ts';
import { decodeSupportedVersionsClient, decodeSupportedVersionsServer } from '../extensions13/supported-versions.ts';
import { encodeServerHello, type ServerHello } from '../messages/server-hello.ts';
import type { ClientHello } from '../messages/client-hello.ts';
import { ProtocolVersion, type Extension, ExtensionType } from '../types.ts';
import { lengthIn } from '../vectors.ts';

/** legacy_version of every DTLS 1.3 hello: DTLS 1.2's number (RFC 9147 5.3, 5.4). */
export const LEGACY_VERSION_13 = ProtocolVersion.DTLS1_2;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM = fromHex('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');

/** Last 8 bytes of ServerHello.random from a 1.3-capable server that chose DTLS 1.2 / DTLS 1.0 (RFC 8446 4.1.3, RFC 9147 5.3). */
export const DOWNGRADE_SENTINEL_12 = fromHex('444f574e47524401');
export const DOWNGRADE_SENTINEL_10 = fromHex('444f574e47524400');

function illegal(message: string): DtlsError {
  return new DtlsError('illegal_parameter', message);
}

/** A DTLS 1.3 ClientHello's fixed fields filled in: legacy_version, empty cookie, null compression. */
export function clientHello13(m: { random: Uint8Array; sessionId?: Uint8Array; cipherSuites: number[]; extensions: Extension[] }): ClientHello {
  return {
    version: LEGACY_VERSION_13,
    random: lengthIn(m.random, 32, 32, 'random'),
    sessionId: m.sessionId ?? new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: m.cipherSuites,
    compressionMethods: [0],
    extensions: m.extensions,
  };
}

/** The versions a ClientHello offers in supported_versions (empty: none, a pre-1.3 client). */
export function offeredVersions(ch: Pick<ClientHello, 'extensions'>): number[] {
  const ext = findExtension(ch.extensions, ExtensionType.supported_versions);
  return ext ? decodeSupportedVersionsClient(ext.data) : [];
}

/**
 * Checks what a DTLS 1.3 server must refuse in a ClientHello that offers 1.3:
 * a non-empty legacy_cookie (RFC 9147 5.3) and compression other than null
 * alone (RFC 8446 4.1.2), both illegal_parameter. legacy_version is not
 * judged: supported_versions decides (RFC 8446 4.2.1).
 */
export function checkClientHello13(ch: ClientHello): void {
  if (ch.cookie.length !== 0) throw illegal('ClientHello: legacy_cookie must be empty in DTLS 1.3');
  if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
    throw illegal('ClientHello: legacy_compression_methods must be exactly [null] in DTLS 1.3');
  }
}

/** A DTLS 1.3 ServerHello's fixed fields filled in (the session ID echoes the client's). */
export function serverHello13(m: { random: Uint8Array; sessionIdEcho: Uint8Array; cipherSuite: number; extensions: Extension[] }): ServerHello {
  return {
    version: LEGACY_VERSION_13,
    random: lengthIn(m.random, 32, 32, 'random'),
    sessionId: m.sessionIdEcho,
    cipherSuite: m.cipherSuite,
    compressionMethod: 0,
    extensions: m.extensions,
  };
}

/** True if this ServerHello is a HelloRetryRequest (its random is the special value). */
export function isHelloRetryRequest(sh: Pick<ServerHello, 'random'>): boolean {
  return equalBytes(sh.random, HELLO_RETRY_REQUEST_RANDOM);
}

/** A HelloRetryRequest: a ServerHello with the special random (RFC 8446 4.1.4); extensions carry key_share (selected group), cookie, supported_versions. */
export function helloRetryRequest(m: { sessionIdEcho: Uint8Array; cipherSuite: number; extensions: Extension[] }): ServerHello {
  return serverHello13({ random: HELLO_RETRY_REQUEST_RANDOM, ...m });
}

export function encodeHelloRetryRequest(m: { sessionIdEcho: Uint8Array; cipherSuite: number; extensions: Extension[] }): Uint8Array {
  return encodeServerHello(helloRetryRequest(m));
}

/**
 * Checks a ServerHello (or HelloRetryRequest) that a DTLS 1.3 client received:
 * supported_versions must select DTLS 1.3, legacy_version be 0xfefd, the
 * session ID echo what was sent and compression be null; each breach is an
 * illegal_parameter (RFC 8446 4.1.3, 4.2.1). Returns false, without judging,
 * when supported_versions is absent (a DTLS 1.2 ServerHello).
 */
export function checkServerHello13(sh: ServerHello, sentSessionId: Uint8Array): boolean {
  const ext = findExtension(sh.extensions, ExtensionType.supported_versions);
  if (ext === undefined) return false;
  const selected = decodeSupportedVersionsServer(ext.data);
  if (selected !== ProtocolVersion.DTLS1_3) throw illegal(`ServerHello: supported_versions selects 0x${selected.toString(16)}, not DTLS 1.3`);
  if (sh.version !== LEGACY_VERSION_13) throw illegal(`ServerHello: legacy_version 0x${sh.version.toString(16)}, expected 0xfefd`);
  if (!equalBytes(sh.sessionId, sentSessionId)) throw illegal('ServerHello: legacy_session_id_echo differs from the ClientHello');
  if (sh.compressionMethod !== 0) throw illegal(`ServerHello: legacy_compression_method ${sh.compressionMethod}`);
  return true;
}

/** Which downgrade sentinel ends a ServerHello.random, if any (RFC 8446 4.1.3). */
export function downgradeSentinel(random: Uint8Array): '1.2' | '1.0' | undefined {
  const tail = random.subarray(24);
  if (equalBytes(tail, DOWNGRADE_SENTINEL_12)) return '1.2';
  if (equalBytes(tail, DOWNGRADE_SENTINEL_10)) return '1.0';
  return undefined;
}

/** A copy of a 32-byte server random with the sentinel for the version chosen below 1.3. */
export function withDowngradeSentinel(random: Uint8Array, chosen: '1.2' | '1.0'): Uint8Array {
  const out = lengthIn(random, 32, 32, 'random').slice();
  out.set(chosen === '1.2' ? DOWNGRADE_SENTINEL_12 : DOWNGRADE_SENTINEL_10, 24);
  return out;
}
