// Pieces both DTLS 1.2 roles share: the transcript, names of negotiated values,
// signature scheme choice, key establishment and peer verification.
import { SignatureSchemes, type CryptoProvider, type GroupName, type HashName, type EcCurve } from '../crypto/provider.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import { NamedGroup, SignatureScheme, SrtpProfile, type HandshakeMessage } from '../wire/types.ts';
import { encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { concat } from '../wire/codec.ts';
import { DtlsError } from '../errors.ts';
import { exportKeyingMaterial } from '../crypto/prf.ts';
import type { HandshakeInfo } from '../connection-types.ts';
import type { ResolvedOptions } from '../options.ts';
import type { CertificateKeyPair, Ed25519CertificateKeyPair, ParsedCertificate, RsaCertificateKeyPair } from '../x509/types.ts';

/** The handshake messages hashed for Finished and CertificateVerify (RFC 6347 4.2.6). */
export class Transcript {
  #parts: Uint8Array[] = [];
  add(m: HandshakeMessage): void {
    this.#parts.push(encodeHandshakeMessage(m));
  }
  bytes(): Uint8Array {
    return concat(...this.#parts);
  }
  hash(crypto: CryptoProvider, h: HashName): Uint8Array {
    return crypto.hash(h, this.bytes());
  }
  /** Drops what it holds (once the handshake is done). */
  clear(): void {
    this.#parts = [];
  }
}

const groupCodes: Record<GroupName, number> = {
  x25519: NamedGroup.x25519,
  secp256r1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1,
};
export function groupCode(g: GroupName): number {
  return groupCodes[g];
}
export function groupByCode(code: number): GroupName | undefined {
  return (Object.keys(groupCodes) as GroupName[]).find((g) => groupCodes[g] === code);
}

/** The RFC 5705 exporter of a completed DTLS 1.2 handshake (the PRF over the master secret and both randoms). */
export function exporter12(
  crypto: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): (label: string, context: Uint8Array | undefined, length: number) => Uint8Array {
  return (label, context, length) => exportKeyingMaterial(crypto, suite.prfHash, master, label, clientRandom, serverRandom, context, length);
}

/** The NSS key log line of a DTLS 1.2 session: `CLIENT_RANDOM <client_random> <master_secret>`, hex. */
export function keyLog12(clientRandom: Uint8Array, master: Uint8Array): () => string[] {
  return () => [`CLIENT_RANDOM ${hex(clientRandom)} ${hex(master)}`];
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** What a completed handshake negotiated, in the public shape (both versions; common13.ts passes 1.3's). */
export function handshakeInfo(
  version: HandshakeInfo['version'],
  n: {
    suite: { name: string; id: number };
    group: HandshakeInfo['group'];
    peerChain: Uint8Array[];
    peerFingerprint: string | undefined;
    srtpProfile: number | undefined;
    alpn: string | undefined;
    serverName: string | undefined;
    ems: boolean;
  },
): HandshakeInfo {
  return {
    version,
    cipherSuite: n.suite.name,
    cipherSuiteId: n.suite.id,
    group: n.group,
    peerCertificates: n.peerChain,
    peerFingerprint: n.peerFingerprint,
    srtpProfile: n.srtpProfile === undefined ? undefined : srtpProfileName(n.srtpProfile),
    srtpProfileId: n.srtpProfile,
    alpn: n.alpn,
    serverName: n.serverName,
    extendedMasterSecret: n.ems,
    resumed: false,
  };
}

/** What a completed DTLS 1.2 handshake negotiated, in the public shape. */
export function handshakeInfo12(n: Parameters<typeof handshakeInfo>[1]): HandshakeInfo {
  return handshakeInfo('DTLS 1.2', n);
}

export function srtpProfileName(id: number): string | undefined {
  return Object.entries(SrtpProfile).find(([, v]) => v === id)?.[0];
}

/** ECDSA schemes we sign and verify, preferred first. */
const ECDSA_SCHEMES: readonly number[] = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384];
const ED25519_SCHEMES: readonly number[] = [SignatureSchemes.ed25519];
/** RSA schemes, PSS first (RFC 8446 4.2.3 defines the rsa_pss_rsae code points TLS 1.2 also uses). */
const RSA_SCHEMES: readonly number[] = [
  SignatureSchemes.rsa_pss_rsae_sha256,
  SignatureSchemes.rsa_pss_rsae_sha384,
  SignatureSchemes.rsa_pss_rsae_sha512,
  SignatureSchemes.rsa_pkcs1_sha256,
  SignatureSchemes.rsa_pkcs1_sha384,
  SignatureSchemes.rsa_pkcs1_sha512,
];

/**
 * Signature schemes we can verify (both providers verify RSA and Ed25519), in
 * the order we advertise them; ed25519 joins TLS 1.2 by RFC 8422 5.1.3.
 */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [...ECDSA_SCHEMES, SignatureSchemes.ed25519, ...RSA_SCHEMES];

/** Our certificate as the handshake uses it: an ECDSA pair, an RSA one or an Ed25519 one. */
export type OwnCertificate = CertificateKeyPair | RsaCertificateKeyPair | Ed25519CertificateKeyPair;

/**
 * The authentication a certificate gives a cipher suite (CipherSuite.auth):
 * Ed25519 keys authenticate the ECDHE_ECDSA suites (RFC 8422 5.1.1).
 */
export function certificateAuth(cert: OwnCertificate): 'ecdsa' | 'rsa' {
  return cert.keyType?.type === 'rsa' ? 'rsa' : 'ecdsa';
}

/** TLS 1.2 reads an ECDSA scheme as (hash, ecdsa); the curve comes from the key. */
export function schemeHash(scheme: number): HashName | undefined {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return 'sha256';
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return 'sha384';
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return 'sha512';
    default:
      return undefined;
  }
}

/** Picks the scheme to sign with for our key, from what the peer accepts and our provider signs. */
export function chooseSignatureScheme(cert: OwnCertificate, peerSchemes: readonly number[] | undefined, crypto: CryptoProvider): number {
  if (certificateAuth(cert) === 'rsa') {
    const ours = RSA_SCHEMES.filter((s) => crypto.signatureSchemes.includes(s));
    // RFC 5246 7.4.1.4.1: without the extension the peer assumes sha1; we have
    // no SHA-1 signing, and PSS needs the extension, so PKCS#1 with SHA-256.
    const pick = peerSchemes ? ours.find((s) => peerSchemes.includes(s)) : ours.find((s) => s === SignatureSchemes.rsa_pkcs1_sha256);
    if (pick === undefined) throw new DtlsError('handshake_failure', 'peer accepts no RSA signature scheme we can produce');
    return pick;
  }
  if (cert.keyType?.type === 'ed25519') {
    // RFC 8422 5.1.1: EdDSA needs the peer to list it; without the extension it cannot be used.
    const ok = peerSchemes?.includes(SignatureSchemes.ed25519) && crypto.signatureSchemes.includes(SignatureSchemes.ed25519);
    if (!ok) throw new DtlsError('handshake_failure', 'peer does not accept ed25519 signatures, which our Ed25519 certificate makes');
    return SignatureSchemes.ed25519;
  }
  const curve = (cert as CertificateKeyPair).curve;
  const preferred = curve === 'P-256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384;
  // RFC 5246 7.4.1.4.1: without the extension, assume sha1; we sign with the curve's hash anyway.
  if (!peerSchemes || peerSchemes.includes(preferred)) return preferred;
  const any = peerSchemes.find((s) => schemeHash(s) !== undefined && s !== SignatureScheme.ecdsa_secp521r1_sha512);
  if (any === undefined) throw new DtlsError('handshake_failure', 'peer accepts no ECDSA signature scheme we can produce');
  return any;
}

/**
 * Checks the peer's signature (ServerKeyExchange, CertificateVerify) with its
 * leaf key: the scheme must be one we advertised (`accepted`: the 1.2 list of
 * options.signatureSchemes) and of the key's family (RFC 5246 7.4.1.4.1); a
 * bad signature is decrypt_error (RFC 5246 7.2.2).
 */
export function verifyPeerSignature(
  crypto: CryptoProvider,
  leaf: ParsedCertificate | undefined,
  scheme: number,
  data: Uint8Array,
  signature: Uint8Array,
  what: string,
  accepted: readonly number[],
): void {
  const key = leaf?.publicKey;
  if (!key || key.type === 'unknown') throw new DtlsError('unsupported_certificate', `${what}: peer certificate has no ECDSA, Ed25519 or RSA key`);
  if (!accepted.includes(scheme)) {
    throw new DtlsError('illegal_parameter', `${what} signed with scheme 0x${scheme.toString(16)} we did not offer`);
  }
  const family = key.type === 'ec' ? ECDSA_SCHEMES : key.type === 'ed25519' ? ED25519_SCHEMES : RSA_SCHEMES;
  if (!family.includes(scheme))
    throw new DtlsError('illegal_parameter', `${what} signed with scheme 0x${scheme.toString(16)}, which does not fit a ${key.type} key`);
  // Ed25519 signs the message itself, no pre-hash (RFC 8422 5.10 / RFC 8032).
  const publicKey = key.type === 'ec' ? key.point : key.type === 'ed25519' ? key.key : leaf!.spki;
  const ok = crypto.verify(scheme, publicKey, data, signature);
  if (!ok) throw new DtlsError('decrypt_error', `${what} signature does not verify`);
}

export function curveOfPublicKey(point: Uint8Array): EcCurve | undefined {
  if (point.length === 65) return 'P-256';
  if (point.length === 97) return 'P-384';
  return undefined;
}

/**
 * The ALPN protocol a server answers with (RFC 7301 3.2), from the client's
 * list: `alpnSelect`'s choice, or the first of `alpn` the client offered;
 * undefined for no ALPN in the answer.
 */
export function chooseAlpn(o: Pick<ResolvedOptions, 'alpn' | 'alpnSelect'>, offered: string[] | undefined): string | undefined {
  if (!offered) return undefined;
  if (o.alpnSelect) {
    const p = o.alpnSelect(offered);
    if (p === undefined) return undefined;
    if (p === false) throw new DtlsError('no_application_protocol', "alpnSelect refused the client's ALPN protocols (RFC 7301 3.2)");
    if (typeof p !== 'string' || !offered.includes(p))
      throw new DtlsError('internal_error', `alpnSelect returned "${String(p)}", which the client did not offer`);
    return p;
  }
  if (!o.alpn.length) return undefined;
  const p = o.alpn.find((a) => offered.includes(a));
  if (p === undefined) throw new DtlsError('no_application_protocol', 'no ALPN protocol in common (RFC 7301 3.2)');
  return p;
}

/** Runs a decoder; anything it throws that is not already a DtlsError becomes decode_error naming `what`. */
export function decodeAs<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DtlsError) throw e;
    throw new DtlsError('decode_error', `${what}: ${(e as Error)?.message ?? String(e)}`);
  }
}

export function assertSuiteUsable(suite: CipherSuite | undefined, id: number): CipherSuite {
  if (!suite) throw new DtlsError('illegal_parameter', `unknown cipher suite 0x${id.toString(16)}`);
  return suite;
}
