// Pieces both DTLS 1.3 roles share (RFC 8446 4.4, 7; RFC 9147 5.2): the
// transcript of TLS-style messages, Finished, CertificateVerify signing and
// checking by scheme, the key share choice, the exporter, the key log lines
// and the negotiated summary. The state machines (client13.ts, server13.ts)
// decide when; this file knows how.
import { SignatureSchemes, type CryptoProvider, type HashContext, type HashName } from '../crypto/provider.ts';
import { hashLength } from '../crypto/hkdf.ts';
import { KEM_GROUP_IDS, type KemGroup } from '../crypto/hybrid-kem.ts';
import { deriveSecret, hkdfExpandLabel, type KeySchedule13 } from '../crypto/key-schedule13.ts';
import type { CipherSuite13 } from '../crypto/suites.ts';
import type { HandshakeInfo } from '../connection-types.ts';
import type { ResolvedOptions } from '../options.ts';
import { DtlsError } from '../errors.ts';
import { concat, equalBytes, toHex } from '../wire/codec.ts';
import { certificateVerifyContent } from '../wire/messages13/certificate-verify13.ts';
import { encodeMessageHash, encodeTranscriptMessage } from '../wire/messages13/transcript.ts';
import type { KeyShareEntry } from '../wire/extensions13/key-share.ts';
import type { ParsedCertificate } from '../x509/types.ts';
import type { TrafficKeys13 } from '../record/traffic-keys.ts';
import { certificateAuth, handshakeInfo, type OwnCertificate } from './common.ts';

/**
 * The handshake transcript of DTLS 1.3: messages as TLS 1.3 frames them
 * (msg_type, uint24 length, body), without message_seq and the fragment
 * fields (RFC 9147 5.2). After a HelloRetryRequest it starts with the
 * synthetic message_hash standing for ClientHello1 (RFC 8446 4.4.1).
 */
export class Transcript13 {
  // Messages not yet fed to the running hash (all of them while no digest was
  // taken, or for a provider without hashContext).
  #parts: Uint8Array[] = [];
  #running: HashContext | undefined;
  readonly hash: HashName;

  constructor(hash: HashName) {
    this.hash = hash;
  }

  add(msgType: number, body: Uint8Array): void {
    this.#parts.push(encodeTranscriptMessage(msgType, body));
  }

  /** message_hash(Hash(ClientHello1)): what stands for the first ClientHello after a HelloRetryRequest. */
  addMessageHash(clientHello1Hash: Uint8Array): void {
    this.#parts.push(encodeMessageHash(clientHello1Hash));
  }

  /**
   * Hash of the transcript so far. With the provider's running hash each
   * message is hashed once, not once per digest (a handshake takes about nine);
   * a transcript keeps to the provider of its first digest.
   */
  digest(crypto: CryptoProvider): Uint8Array {
    if (!this.#running) {
      if (!crypto.hashContext) return crypto.hash(this.hash, concat(...this.#parts));
      this.#running = crypto.hashContext(this.hash);
    }
    for (const part of this.#parts) this.#running.update(part);
    this.#parts = [];
    return this.#running.digest();
  }
}

/** The hash of one ClientHello as a transcript holds it (for the HelloRetryRequest cookie). */
export function clientHelloHash(crypto: CryptoProvider, hash: HashName, body: Uint8Array): Uint8Array {
  return crypto.hash(hash, encodeTranscriptMessage(1, body));
}

/** Finished.verify_data = HMAC(finished_key, transcript hash) (RFC 8446 4.4.4). */
export function finishedVerifyData(crypto: CryptoProvider, ks: KeySchedule13, trafficSecret: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const key = ks.finishedKey(trafficSecret);
  const mac = crypto.hmac(ks.hash, key, transcriptHash);
  key.fill(0);
  return mac;
}

/** Checks a peer's Finished (constant time); a mismatch is decrypt_error (RFC 8446 4.4.4). */
export function checkFinished(
  crypto: CryptoProvider,
  ks: KeySchedule13,
  trafficSecret: Uint8Array,
  transcriptHash: Uint8Array,
  verifyData: Uint8Array,
  who: string,
): void {
  const expected = finishedVerifyData(crypto, ks, trafficSecret, transcriptHash);
  if (verifyData.length !== expected.length || !equalBytes(expected, verifyData)) throw new DtlsError('decrypt_error', `${who} Finished does not verify`);
}

/** Schemes TLS 1.3 allows for each key: ECDSA binds the curve, RSA is PSS only (RFC 8446 4.2.3, 4.4.3). */
const ECDSA13: Readonly<Record<string, number>> = { 'P-256': SignatureSchemes.ecdsa_secp256r1_sha256, 'P-384': SignatureSchemes.ecdsa_secp384r1_sha384 };
const RSA_PSS13: readonly number[] = [SignatureSchemes.rsa_pss_rsae_sha256, SignatureSchemes.rsa_pss_rsae_sha384, SignatureSchemes.rsa_pss_rsae_sha512];

/** The signature schemes we accept in a DTLS 1.3 CertificateVerify, in the order we advertise them. */
export const SIGNATURE_SCHEMES13: readonly number[] = [...Object.values(ECDSA13), SignatureSchemes.ed25519, ...RSA_PSS13];

/**
 * The scheme to sign our CertificateVerify with: one the peer offered, that
 * fits our key and that the provider signs. None: handshake_failure (RFC 8446 4.4.3).
 */
export function chooseScheme13(cert: OwnCertificate, peerSchemes: readonly number[], crypto: CryptoProvider): number {
  const fits =
    cert.keyType?.type === 'ed25519' ? [SignatureSchemes.ed25519] : certificateAuth(cert) === 'rsa' ? RSA_PSS13 : [ECDSA13[(cert as { curve: string }).curve]!];
  const pick = fits.find((s) => peerSchemes.includes(s) && crypto.signatureSchemes.includes(s));
  if (pick === undefined) throw new DtlsError('handshake_failure', 'peer accepts no signature scheme our certificate can produce in DTLS 1.3');
  return pick;
}

/** Our CertificateVerify signature over the transcript so far (RFC 8446 4.4.3). */
export function signCertificateVerify(
  crypto: CryptoProvider,
  cert: OwnCertificate,
  scheme: number,
  signer: 'server' | 'client',
  transcriptHash: Uint8Array,
): Uint8Array {
  return crypto.sign(scheme, cert.privateKey, certificateVerifyContent(signer, transcriptHash));
}

/**
 * Checks the peer's CertificateVerify: a scheme we offered and that fits its
 * key (else illegal_parameter), a good signature (else decrypt_error), RFC 8446 4.4.3.
 */
export function verifyCertificateVerify13(
  crypto: CryptoProvider,
  leaf: ParsedCertificate | undefined,
  scheme: number,
  offered: readonly number[],
  signer: 'server' | 'client',
  transcriptHash: Uint8Array,
  signature: Uint8Array,
): void {
  const key = leaf?.publicKey;
  if (!key) throw new DtlsError('unsupported_certificate', 'CertificateVerify: peer certificate has no key we can use');
  if (!offered.includes(scheme)) throw new DtlsError('illegal_parameter', `CertificateVerify signed with scheme 0x${scheme.toString(16)} we did not offer`);
  const content = certificateVerifyContent(signer, transcriptHash);
  let ok: boolean;
  if (key.type === 'ec') {
    if (ECDSA13[key.curve] !== scheme)
      throw new DtlsError('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} does not fit a ${key.curve} key`);
    ok = crypto.verify(scheme, key.point, content, signature);
  } else if (key.type === 'ed25519') {
    if (scheme !== SignatureSchemes.ed25519)
      throw new DtlsError('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} does not fit an Ed25519 key`);
    ok = crypto.verify(scheme, key.key, content, signature);
  } else {
    if (!RSA_PSS13.includes(scheme))
      throw new DtlsError('illegal_parameter', `CertificateVerify scheme 0x${scheme.toString(16)} does not fit an RSA key in DTLS 1.3`);
    ok = crypto.verify(scheme, leaf!.spki, content, signature);
  }
  if (!ok) throw new DtlsError('decrypt_error', 'CertificateVerify signature does not verify');
}

export function kemGroupCode(g: KemGroup): number {
  return KEM_GROUP_IDS[g];
}

/** What the server does with the client's key shares (RFC 8446 4.2.8). */
export type KeyShareChoice = { kind: 'share'; group: KemGroup; entry: KeyShareEntry } | { kind: 'retry'; group: KemGroup };

/**
 * A share of a group both sides support, ours in preference order, taken
 * from the ones the client sent; else a HelloRetryRequest for our most
 * preferred group the client supports; else handshake_failure.
 */
export function chooseKeyShare(ours: readonly KemGroup[], clientGroups: readonly number[], shares: readonly KeyShareEntry[]): KeyShareChoice {
  const common = ours.filter((g) => clientGroups.includes(KEM_GROUP_IDS[g]));
  for (const g of common) {
    const entry = shares.find((e) => e.group === KEM_GROUP_IDS[g]);
    if (entry) return { kind: 'share', group: g, entry };
  }
  if (common[0] === undefined) throw new DtlsError('handshake_failure', 'no key exchange group in common');
  return { kind: 'retry', group: common[0] };
}

/**
 * The TLS 1.3 exporter (RFC 8446 7.5) over the exporter master secret:
 * HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context), length),
 * with DTLS 1.3's label prefix. A missing context hashes as empty.
 */
export function export13(
  crypto: CryptoProvider,
  hash: HashName,
  exporterMaster: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLength[hash]) throw new RangeError(`exporter length ${length} out of range`);
  // The empty hash is made per call, not kept: exporters are rare, and every connection would hold it.
  const derived = deriveSecret(crypto, hash, exporterMaster, label, crypto.hash(hash, new Uint8Array(0)));
  const out = hkdfExpandLabel(crypto, hash, derived, 'exporter', crypto.hash(hash, context ?? new Uint8Array(0)), length);
  derived.fill(0);
  return out;
}

/** export13() over one exporter master secret, as a function (a connection keeps its secret in KeyUpdate13 instead). */
export function exporter13(
  crypto: CryptoProvider,
  hash: HashName,
  exporterMaster: Uint8Array,
): (label: string, context: Uint8Array | undefined, length: number) => Uint8Array {
  return (label, context, length) => export13(crypto, hash, exporterMaster, label, context, length);
}

/** The secrets of one 1.3 handshake an NSS key log names (Wireshark's TLS 1.3 labels). */
export interface Secrets13 {
  clientHandshake: Uint8Array;
  serverHandshake: Uint8Array;
  clientTraffic: Uint8Array;
  serverTraffic: Uint8Array;
  exporter: Uint8Array;
}

export function keyLog13(clientRandom: Uint8Array, s: Secrets13): () => string[] {
  // Hex only when asked: a string built ahead would stay with every connection (1.3 KiB of string pieces).
  return () => {
    const r = toHex(clientRandom);
    return [
      `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${r} ${toHex(s.clientHandshake)}`,
      `SERVER_HANDSHAKE_TRAFFIC_SECRET ${r} ${toHex(s.serverHandshake)}`,
      `CLIENT_TRAFFIC_SECRET_0 ${r} ${toHex(s.clientTraffic)}`,
      `SERVER_TRAFFIC_SECRET_0 ${r} ${toHex(s.serverTraffic)}`,
      `EXPORTER_SECRET ${r} ${toHex(s.exporter)}`,
    ];
  };
}

/** What a completed DTLS 1.3 handshake negotiated, in the public shape. */
export function handshakeInfo13(n: {
  suite: CipherSuite13;
  group: KemGroup;
  peerChain: Uint8Array[];
  peerFingerprint: string | undefined;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
}): HandshakeInfo {
  // The 1.3 key schedule binds the whole transcript, which is what RFC 7627 added to 1.2.
  return handshakeInfo('DTLS 1.3', { ...n, ems: true });
}

/** The versions this endpoint speaks (options.versions). */
export function versionsOf(o: ResolvedOptions): readonly string[] {
  return o.versions;
}

/** The traffic keys of one 1.3 secret, in the shape the record layer takes (key, iv, sn_key: RFC 8446 7.3, RFC 9147 4.2.3). */
export function trafficKeys13(schedule: KeySchedule13, suite: CipherSuite13, secret: Uint8Array): TrafficKeys13 {
  const k = schedule.trafficKeys(secret, suite.keyLength, suite.ivLength);
  return { suite, key: k.key, iv: k.iv, sn: k.sn };
}
