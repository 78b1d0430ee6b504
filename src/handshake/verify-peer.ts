// Peer authentication, by the one rule the user configured: pinned
// fingerprints (WebRTC, RFC 8122), a callback, trust anchors with chain
// validation (RFC 5280), or nothing at all ('insecure', for tests).
import type { ResolvedOptions, Role } from '../options.ts';
import type { ParsedCertificate } from '../x509/types.ts';
import { parseCertificate } from '../x509/parse.ts';
import { fingerprint, fingerprintMatches } from '../x509/fingerprint.ts';
import { verifyChain } from '../x509/verify.ts';
import { decodePem } from '../x509/pem.ts';
import { AlertDescription, DtlsError } from '../errors.ts';

export interface VerifiedPeer {
  leaf: ParsedCertificate | undefined;
  fingerprint: string | undefined;
}

/** Throws DtlsError on failure; `now` is the handshake's current time (ms). */
export function verifyPeer(chain: Uint8Array[], options: ResolvedOptions, now: number, ourRole: Role): VerifiedPeer {
  const crypto = options.crypto;
  if (chain.length === 0) {
    throw new DtlsError('handshake_failure', 'peer sent no certificate');
  }
  const leaf = parseCertificate(chain[0]!);
  const wallNow = options.wallTime(now);
  const fp = fingerprint(chain[0]!, 'sha-256', crypto);
  const v = options.verify;
  if (v === 'insecure') return { leaf, fingerprint: fp };
  if (v === undefined) throw new DtlsError('verification_failed', 'no verify option configured for the peer certificate');
  if (typeof v === 'function') {
    let ok: unknown;
    try {
      ok = v({ chain, fingerprint: fp });
    } catch (e) {
      throw new DtlsError('verification_failed', `verify callback threw: ${(e as Error)?.message}`, { cause: e, alert: AlertDescription.certificate_unknown });
    }
    if (ok !== true) {
      // Fail closed: only an explicit `true` accepts. A forgotten `return`
      // (undefined) or a Promise is not a verdict.
      const why =
        ok && typeof (ok as { then?: unknown }).then === 'function'
          ? 'verify callback must be synchronous (it returned a Promise)'
          : ok === undefined
            ? 'verify callback returned nothing (only `true` accepts the peer; a `return` is missing?)'
            : 'verify callback rejected the peer certificate';
      // The application's own reason: "some other (unspecified) issue" (RFC 5246 7.2.2).
      throw new DtlsError('verification_failed', why, { alert: AlertDescription.certificate_unknown });
    }
    return { leaf, fingerprint: fp };
  }
  if ('fingerprints' in v) {
    // A pin written as fingerprint() writes it (any case, outer spaces) is the
    // same fingerprint: compared as text, without parsing it and hashing the
    // certificate again; any other form goes through the full check.
    const ours = fp.toLowerCase();
    if (!v.fingerprints.some((f) => f.trim().toLowerCase() === ours || fingerprintMatches(chain[0]!, f, crypto))) {
      throw new DtlsError('verification_failed', `peer certificate ${fp} matches no pinned fingerprint`);
    }
    return { leaf, fingerprint: fp };
  }
  const anchors: Uint8Array[] = [];
  for (const a of v.ca) {
    if (typeof a === 'string') for (const b of decodePem(a)) if (b.label === 'CERTIFICATE') anchors.push(b.der);
    if (a instanceof Uint8Array) anchors.push(a);
  }
  const serverName = ourRole === 'client' ? (v.serverName ?? options.serverName) : undefined;
  verifyChain(chain, {
    anchors,
    now: wallNow,
    provider: crypto,
    purpose: ourRole === 'client' ? 'server' : 'client',
    ...(serverName !== undefined ? { serverName } : {}),
  });
  return { leaf, fingerprint: fp };
}
