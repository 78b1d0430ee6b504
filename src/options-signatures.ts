// The `signatureSchemes` option: which signature schemes we accept in the
// peer's handshake signatures, and so offer in signature_algorithms (RFC 5246
// 7.4.1.4.1; RFC 8446 4.2.3). Resolved per version, since each verifies its own
// set: DTLS 1.2 ECDSA, Ed25519 (RFC 8422 5.1.3) and RSA (PSS and PKCS#1),
// DTLS 1.3 ECDSA bound to its curve, Ed25519 and RSA-PSS (RFC 8446 4.4.3).
import { SignatureSchemes } from './crypto/provider.ts';
import { SUPPORTED_SIGNATURE_SCHEMES } from './handshake/common.ts';
import { SIGNATURE_SCHEMES13 } from './handshake/common13.ts';

/** A signature scheme by its RFC 8446 4.2.3 name. */
export type SignatureSchemeName = keyof typeof SignatureSchemes;

/** What each version accepts from the peer, in the order it is offered. */
export interface AcceptedSignatureSchemes {
  /** DTLS 1.2: ServerKeyExchange and CertificateVerify, the ClientHello's and CertificateRequest's lists. */
  schemes12: readonly number[];
  /** DTLS 1.3: CertificateVerify, the ClientHello's and CertificateRequest's signature_algorithms. */
  schemes13: readonly number[];
}

export const DEFAULT_SIGNATURE_SCHEMES: AcceptedSignatureSchemes = { schemes12: SUPPORTED_SIGNATURE_SCHEMES, schemes13: SIGNATURE_SCHEMES13 };

const known = new Set<number>([...SUPPORTED_SIGNATURE_SCHEMES, ...SIGNATURE_SCHEMES13]);

function schemeId(s: unknown): number {
  if (typeof s === 'number') {
    if (!known.has(s)) throw new RangeError(`signatureSchemes: 0x${s.toString(16).padStart(4, '0')} is not a scheme we verify`);
    return s;
  }
  if (typeof s !== 'string') throw new TypeError('signatureSchemes holds scheme names or numbers');
  const id = (SignatureSchemes as Record<string, number>)[s.trim().toLowerCase()];
  if (id === undefined) throw new TypeError(`signatureSchemes: unknown scheme "${s}" (supported: ${Object.keys(SignatureSchemes).join(', ')})`);
  return id;
}

/**
 * The option resolved for the versions in use: the schemes given, in their
 * order, that each version verifies. A version in use left with none could
 * verify no peer signature (and signature_algorithms may not be empty): RangeError.
 */
export function resolveSignatureSchemes(given: unknown, versions: readonly ('1.2' | '1.3')[]): AcceptedSignatureSchemes {
  if (given === undefined) return DEFAULT_SIGNATURE_SCHEMES;
  if (!Array.isArray(given) || !given.length) throw new TypeError('signatureSchemes must be a non-empty array');
  const ids = [...new Set(given.map(schemeId))];
  const r: AcceptedSignatureSchemes = {
    schemes12: ids.filter((s) => SUPPORTED_SIGNATURE_SCHEMES.includes(s)),
    schemes13: ids.filter((s) => SIGNATURE_SCHEMES13.includes(s)),
  };
  for (const v of versions) {
    if ((v === '1.2' ? r.schemes12 : r.schemes13).length === 0)
      throw new RangeError(`signatureSchemes names no scheme DTLS ${v} can verify (leave ${v} out of versions, or add one)`);
  }
  return r;
}
