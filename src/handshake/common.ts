// Pieces both DTLS 1.2 roles share: the transcript, names of negotiated values,
// signature scheme choice, key establishment and peer verification.
import type { CryptoProvider, EcCurve, GroupName, HashName } from '../crypto/provider.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import { NamedGroup, SignatureScheme, SrtpProfile, type HandshakeMessage } from '../wire/types.ts';
import { encodeHandshakeMessage } from '../wire/handshake-header.ts';
import { concat } from '../wire/codec.ts';
import { DtlsError } from '../errors.ts';
import { exportKeyingMaterial } from '../crypto/prf.ts';
import type { HandshakeInfo } from '../connection-types.ts';

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
  const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return () => [`CLIENT_RANDOM ${hex(clientRandom)} ${hex(master)}`];
}

/** What a completed DTLS 1.2 handshake negotiated, in the public shape. */
export function handshakeInfo12(n: {
  suite: CipherSuite;
  group: GroupName | undefined;
  peerChain: Uint8Array[];
  peerFingerprint: string | undefined;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  ems: boolean;
}): HandshakeInfo {
  return {
    version: 'DTLS 1.2',
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

export function srtpProfileName(id: number): string | undefined {
  return Object.entries(SrtpProfile).find(([, v]) => v === id)?.[0];
}

/** Signature schemes we can verify, in the order we advertise them. */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.ecdsa_secp384r1_sha384];

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

/** Picks the scheme to sign with for our key, from what the peer accepts. */
export function chooseSignatureScheme(curve: EcCurve, peerSchemes: readonly number[] | undefined): number {
  const preferred = curve === 'P-256' ? SignatureScheme.ecdsa_secp256r1_sha256 : SignatureScheme.ecdsa_secp384r1_sha384;
  // RFC 5246 7.4.1.4.1: without the extension, assume sha1; we sign with the curve's hash anyway.
  if (!peerSchemes || peerSchemes.includes(preferred)) return preferred;
  const any = peerSchemes.find((s) => schemeHash(s) !== undefined && s !== SignatureScheme.ecdsa_secp521r1_sha512);
  if (any === undefined) throw new DtlsError('handshake_failure', 'peer accepts no ECDSA signature scheme we can produce');
  return any;
}

export function curveOfPublicKey(point: Uint8Array): EcCurve | undefined {
  if (point.length === 65) return 'P-256';
  if (point.length === 97) return 'P-384';
  return undefined;
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
