// Pieces of a DTLS 1.3 handshake that do not depend on the role: the
// transcript (TLS-style message headers, RFC 9147 5.2), traffic keys from a
// secret, Finished (RFC 8446 4.4.4), the exporter (RFC 8446 7.5), the NSS key
// log lines, the summary, and CertificateVerify schemes (RFC 8446 4.4.3).
import type { CryptoProvider, HashName } from '../crypto/provider.ts';
import { SignatureSchemes } from '../crypto/provider.ts';
import type { CipherSuite13 } from '../crypto/suites.ts';
import type { KemGroup } from '../crypto/hybrid-kem.ts';
import { KeySchedule13, deriveSecret, hkdfExpandLabel } from '../crypto/key-schedule13.ts';
import type { TrafficKeys13 } from '../record/traffic-keys.ts';
import type { HandshakeInfo } from '../connection-types.ts';
import { encodeMessageHash, encodeTranscriptMessage } from '../wire/messages13/transcript.ts';
import { certificateVerifyContent } from '../wire/messages13/certificate-verify13.ts';
import { concat, toHex } from '../wire/codec.ts';
import { DtlsError } from '../errors.ts';
import type { ParsedCertificate } from '../x509/types.ts';
import { srtpProfileName } from './common.ts';

/** The transcript as TLS 1.3 hashes it: msg_type, uint24 length, body (no message_seq). */
export class Transcript13 {
  #parts: Uint8Array[] = [];
  add(msgType: number, body: Uint8Array): void {
    this.#parts.push(encodeTranscriptMessage(msgType, body));
  }
  hash(crypto: CryptoProvider, h: HashName): Uint8Array {
    return crypto.hash(h, concat(...this.#parts));
  }
  /** After a HelloRetryRequest, ClientHello1 becomes message_hash(Hash(ClientHello1)) (RFC 8446 4.4.1). */
  replaceWithMessageHash(crypto: CryptoProvider, h: HashName): void {
    const hash = this.hash(crypto, h);
    this.#parts = [encodeMessageHash(hash)];
  }
}

export function trafficKeys13(schedule: KeySchedule13, suite: CipherSuite13, secret: Uint8Array): TrafficKeys13 {
  const k = schedule.trafficKeys(secret, suite.keyLength, suite.ivLength);
  return { suite, key: k.key, iv: k.iv, sn: k.sn };
}

/** verify_data = HMAC(finished_key, Transcript-Hash) (RFC 8446 4.4.4). */
export function finishedData(crypto: CryptoProvider, schedule: KeySchedule13, trafficSecret: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return crypto.hmac(schedule.hash, schedule.finishedKey(trafficSecret), transcriptHash);
}

/**
 * TLS-Exporter(label, context, length) = HKDF-Expand-Label(Derive-Secret(exporter_master_secret,
 * label, ""), "exporter", Hash(context), length) (RFC 8446 7.5), with the "dtls13" prefix
 * (RFC 9147 5.9). No context and an empty one are the same in TLS 1.3.
 */
export function exporter13(
  crypto: CryptoProvider,
  hash: HashName,
  exporterMaster: Uint8Array,
): (label: string, context: Uint8Array | undefined, length: number) => Uint8Array {
  return (label, context, length) => {
    const empty = crypto.hash(hash, new Uint8Array(0));
    const secret = deriveSecret(crypto, hash, exporterMaster, label, empty);
    return hkdfExpandLabel(crypto, hash, secret, 'exporter', crypto.hash(hash, context ?? new Uint8Array(0)), length);
  };
}

/** NSS key log lines of a 1.3 connection (the labels Wireshark reads for TLS 1.3 and DTLS 1.3). */
export function keyLog13(clientRandom: Uint8Array, secrets: Record<string, Uint8Array>): () => string[] {
  return () => Object.entries(secrets).map(([label, s]) => `${label} ${toHex(clientRandom)} ${toHex(s)}`);
}

export function handshakeInfo13(n: {
  suite: CipherSuite13;
  group: KemGroup;
  peerChain: Uint8Array[];
  peerFingerprint: string | undefined;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
}): HandshakeInfo {
  return {
    version: 'DTLS 1.3',
    cipherSuite: n.suite.name,
    cipherSuiteId: n.suite.id,
    group: n.group,
    peerCertificates: n.peerChain,
    peerFingerprint: n.peerFingerprint,
    srtpProfile: n.srtpProfile === undefined ? undefined : srtpProfileName(n.srtpProfile),
    srtpProfileId: n.srtpProfile,
    alpn: n.alpn,
    serverName: n.serverName,
    // TLS 1.3 binds every secret to the transcript, what RFC 7627 adds to 1.2.
    extendedMasterSecret: true,
    resumed: false,
  };
}

const S = SignatureSchemes;
/** Schemes a TLS 1.3 CertificateVerify may use that we can verify (RFC 8446 4.2.3: no PKCS#1 v1.5, ECDSA bound to its curve). */
export const SIGNATURE_SCHEMES_13: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.ed25519,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
];

/** The schemes that fit a key in TLS 1.3. */
function schemesForKey(key: ParsedCertificate['publicKey']): readonly number[] {
  switch (key.type) {
    case 'ec':
      return key.curve === 'P-256' ? [S.ecdsa_secp256r1_sha256] : [S.ecdsa_secp384r1_sha384];
    case 'ed25519':
      return [S.ed25519];
    case 'rsa':
      return [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512];
    default:
      return [];
  }
}

/**
 * Checks a peer's CertificateVerify (RFC 8446 4.4.3): a scheme we offered that
 * fits the leaf's key (else illegal_parameter), over the context string and
 * the transcript hash; a bad signature is decrypt_error.
 */
export function verifyCertificateVerify13(
  crypto: CryptoProvider,
  leaf: ParsedCertificate | undefined,
  signer: 'server' | 'client',
  offered: readonly number[],
  scheme: number,
  signature: Uint8Array,
  transcriptHash: Uint8Array,
): void {
  if (!leaf) throw new DtlsError('unexpected_message', 'CertificateVerify without a certificate');
  if (!offered.includes(scheme)) throw new DtlsError('illegal_parameter', `CertificateVerify signed with scheme 0x${scheme.toString(16)} we did not offer`);
  const key = leaf.publicKey;
  if (!schemesForKey(key).includes(scheme))
    throw new DtlsError('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} does not fit the certificate's ${key.type} key`);
  const publicKey = key.type === 'ec' ? key.point : key.type === 'ed25519' ? key.key : leaf.spki;
  const ok = crypto.verify(scheme, publicKey, certificateVerifyContent(signer, transcriptHash), signature);
  if (!ok) throw new DtlsError('decrypt_error', `${signer} CertificateVerify signature does not verify`);
}

/** The scheme we sign our CertificateVerify with: one the peer accepts that fits our key and our provider signs. */
export function chooseScheme13(keyType: { type: 'ecdsa'; curve: string } | { type: 'rsa' }, peer: readonly number[], crypto: CryptoProvider): number {
  const ours =
    keyType.type === 'rsa'
      ? [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512]
      : [keyType.curve === 'P-256' ? S.ecdsa_secp256r1_sha256 : S.ecdsa_secp384r1_sha384];
  const pick = ours.find((s) => peer.includes(s) && crypto.signatureSchemes.includes(s));
  if (pick === undefined) throw new DtlsError('handshake_failure', 'the peer accepts no signature scheme our certificate can make');
  return pick;
}
