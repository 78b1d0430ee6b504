// The DTLS 1.3 client's hellos (RFC 9147 5.3, 5.4; RFC 8446 4.1, 4.2): the
// ClientHello it offers (1.3 alone, or 1.3 and 1.2 in one hello), and the
// checks on what a HelloRetryRequest, a ServerHello and EncryptedExtensions
// may carry: only what we offered (else unsupported_extension), and only
// what belongs in that message (else illegal_parameter).
import type { ResolvedOptions } from '../options.ts';
import { KEM_GROUP_IDS, type KemClientKey } from '../crypto/hybrid-kem.ts';
import { DtlsError } from '../errors.ts';
import { ExtensionType, ProtocolVersion, type Extension } from '../wire/types.ts';
import { encodeClientHello } from '../wire/messages/client-hello.ts';
import { clientHello13 } from '../wire/messages13/hello13.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { encodeServerName } from '../wire/extensions/server-name.ts';
import { encodeSupportedGroups } from '../wire/extensions/supported-groups.ts';
import { encodeEcPointFormats } from '../wire/extensions/ec-point-formats.ts';
import { encodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { decodeUseSrtp, encodeUseSrtp } from '../wire/extensions/use-srtp.ts';
import { decodeAlpn, encodeAlpn } from '../wire/extensions/alpn.ts';
import { encodeRenegotiationInfo } from '../wire/extensions/renegotiation-info.ts';
import { encodeSupportedVersionsClient } from '../wire/extensions13/supported-versions.ts';
import { encodeKeyShareClient } from '../wire/extensions13/key-share.ts';
import { encodeCookie } from '../wire/extensions13/cookie.ts';
import { encodePreSharedKeyClient } from '../wire/extensions13/pre-shared-key.ts';
import { PskKeyExchangeMode, encodePskKeyExchangeModes } from '../wire/extensions13/psk-key-exchange-modes.ts';
import { decodeAs } from './common.ts';

/** What signature_algorithms offers: the 1.3 schemes first, then the rest 1.2 (and certificate signatures) may use (options.signatureSchemes). */
export function offeredSignatureSchemes(o: Pick<ResolvedOptions, 'signatureSchemes'>): number[] {
  return [...new Set([...o.signatureSchemes.schemes13, ...o.signatureSchemes.schemes12])];
}

export interface ClientHello13Parts {
  random: Uint8Array;
  shares: KemClientKey[];
  /** From a HelloRetryRequest (RFC 8446 4.2.2). */
  cookie: Uint8Array | undefined;
  /** connection_id (RFC 9147 9), when we offer CIDs. */
  cid?: Extension | undefined;
  /** Ask for tickets: psk_key_exchange_modes with psk_dhe_ke (RFC 8446 4.2.9). */
  wantTickets: boolean;
  /** A ticket to resume with: pre_shared_key goes last, its binder zeros to be replaced (RFC 8446 4.2.11). */
  psk: { identity: Uint8Array; obfuscatedTicketAge: number; binderLength: number } | undefined;
  /** A DTLS 1.2 session for a 1.2 server to resume: session_ticket and legacy_session_id (RFC 9147 5.3, RFC 5077 3.4). */
  session12?: { ticket: Uint8Array; sessionId: Uint8Array } | undefined;
}

/** The ClientHello body, and the extension types a 1.2 ServerHello may answer (RFC 5246 7.4.1.4). */
export function buildClientHello13(o: ResolvedOptions, p: ClientHello13Parts): { body: Uint8Array; answerable12: Set<number> } {
  const with12 = o.versions.includes('1.2');
  const exts: Extension[] = [];
  const answerable12 = new Set<number>([ExtensionType.ec_point_formats, ExtensionType.renegotiation_info]);
  if (o.serverName !== undefined && !/^[0-9.]+$/.test(o.serverName) && !o.serverName.includes(':')) {
    exts.push({ type: ExtensionType.server_name, data: encodeServerName(o.serverName) });
    answerable12.add(ExtensionType.server_name);
  }
  const versions = o.versions.map((v) => (v === '1.3' ? ProtocolVersion.DTLS1_3 : ProtocolVersion.DTLS1_2));
  exts.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient(versions) });
  exts.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(o.groups13.map((g) => KEM_GROUP_IDS[g])) });
  exts.push({ type: ExtensionType.key_share, data: encodeKeyShareClient(p.shares.map((s) => ({ group: KEM_GROUP_IDS[s.group], keyExchange: s.share }))) });
  exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(offeredSignatureSchemes(o)) });
  if (o.srtpProfiles.length) {
    exts.push({ type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: o.srtpProfiles, mki: new Uint8Array(0) }) });
    answerable12.add(ExtensionType.use_srtp);
  }
  if (o.alpn.length) {
    exts.push({ type: ExtensionType.alpn, data: encodeAlpn(o.alpn) });
    answerable12.add(ExtensionType.alpn);
  }
  if (p.cookie) exts.push({ type: ExtensionType.cookie, data: encodeCookie(p.cookie) });
  if (p.cid) exts.push(p.cid);
  if (with12) {
    exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    if (o.extendedMasterSecret !== false) {
      exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
      answerable12.add(ExtensionType.extended_master_secret);
    }
    exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
    // RFC 5077 3.2: a 1.2 ticket to resume with, or empty to ask a 1.2 server for one (sessions need the extended master secret).
    if (p.session12 || (p.wantTickets && o.extendedMasterSecret !== false)) {
      exts.push({ type: ExtensionType.session_ticket, data: p.session12?.ticket ?? new Uint8Array(0) });
      answerable12.add(ExtensionType.session_ticket);
    }
  }
  if (p.wantTickets || p.psk) exts.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke]) });
  // RFC 8446 4.2.11: pre_shared_key is the last extension; the binders are computed over what comes before them.
  if (p.psk)
    exts.push({
      type: ExtensionType.pre_shared_key,
      data: encodePreSharedKeyClient({
        identities: [{ identity: p.psk.identity, obfuscatedTicketAge: p.psk.obfuscatedTicketAge }],
        binders: [new Uint8Array(p.psk.binderLength)],
      }),
    });
  const suites = [...o.cipherSuites13, ...(with12 ? o.cipherSuites : [])];
  const hello = clientHello13({ random: p.random, cipherSuites: suites, extensions: exts });
  const body = encodeClientHello(with12 && p.session12 ? { ...hello, sessionId: p.session12.sessionId } : hello);
  return { body, answerable12 };
}

/** Extensions a ServerHello may carry in 1.3, and a HelloRetryRequest (RFC 8446 4.2's table). */
// connection_id: ClientHello and ServerHello in 1.3 too (RFC 9147 9's example, RFC 9146).
const SERVER_HELLO_13 = new Set<number>([ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key, ExtensionType.connection_id]);
const HRR_13 = new Set<number>([ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie]);
/** Extensions EncryptedExtensions may carry that we ever offer. */
const ENCRYPTED_13 = new Set<number>([ExtensionType.server_name, ExtensionType.supported_groups, ExtensionType.use_srtp, ExtensionType.alpn]);

/** Everything a 1.3 hello or EncryptedExtensions carries must have been offered and belong there. */
export function checkExtensions13(
  exts: readonly Extension[],
  offered: ReadonlySet<number>,
  where: 'ServerHello' | 'HelloRetryRequest' | 'EncryptedExtensions',
): void {
  const allowed = where === 'ServerHello' ? SERVER_HELLO_13 : where === 'HelloRetryRequest' ? HRR_13 : ENCRYPTED_13;
  for (const e of exts) {
    // supported_groups in EncryptedExtensions is the server's preference, unsolicited by design (RFC 8446 4.2.7).
    if (!offered.has(e.type) && !(where === 'EncryptedExtensions' && e.type === ExtensionType.supported_groups))
      throw new DtlsError('unsupported_extension', `${where} carries extension ${e.type}, which we did not offer`);
    if (!allowed.has(e.type)) throw new DtlsError('illegal_parameter', `${where} carries extension ${e.type}, which does not belong there (RFC 8446 4.2)`);
  }
}

/** The extension types our ClientHello carried. */
export function offeredTypes(o: ResolvedOptions, withCookie: boolean, withPsk = false): Set<number> {
  const t = new Set<number>([ExtensionType.supported_versions, ExtensionType.supported_groups, ExtensionType.key_share, ExtensionType.signature_algorithms]);
  if (o.serverName !== undefined) t.add(ExtensionType.server_name);
  if (o.srtpProfiles.length) t.add(ExtensionType.use_srtp);
  if (o.alpn.length) t.add(ExtensionType.alpn);
  if (o.connectionId !== undefined) t.add(ExtensionType.connection_id);
  // A HelloRetryRequest may carry a cookie unasked; the second ClientHello echoes it.
  t.add(ExtensionType.cookie);
  if (withCookie) t.add(ExtensionType.cookie);
  if (withPsk) t.add(ExtensionType.pre_shared_key);
  return t;
}

/** What EncryptedExtensions settles: the SRTP profile (RFC 5764 4.1.1) and the ALPN protocol (RFC 7301 3.1). */
export function readEncryptedExtensions(o: ResolvedOptions, exts: readonly Extension[]): { srtpProfile: number | undefined; alpn: string | undefined } {
  checkExtensions13(exts, offeredTypes(o, false), 'EncryptedExtensions');
  let srtpProfile: number | undefined;
  const srtp = findExtension(exts, ExtensionType.use_srtp);
  if (srtp) {
    const v = decodeAs('use_srtp', () => decodeUseSrtp(srtp.data));
    if (v.profiles.length !== 1 || !o.srtpProfiles.includes(v.profiles[0]!))
      throw new DtlsError('illegal_parameter', 'server chose an SRTP profile we did not offer');
    if (v.mki.length !== 0) throw new DtlsError('illegal_parameter', 'server sent an SRTP MKI we did not offer');
    srtpProfile = v.profiles[0];
  }
  let alpn: string | undefined;
  const a = findExtension(exts, ExtensionType.alpn);
  if (a) {
    const v = decodeAs('alpn', () => decodeAlpn(a.data));
    if (v.length !== 1 || !o.alpn.includes(v[0]!)) throw new DtlsError('illegal_parameter', 'server chose an ALPN protocol we did not offer');
    alpn = v[0];
  }
  return { srtpProfile, alpn };
}
