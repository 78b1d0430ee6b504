// Certificate path validation (RFC 5280 6.1, simplified) and server identity
// checks (RFC 6125). The peer's chain is leaf first, each certificate issued
// by the next, ending at or just below a trust anchor. Anchors are trusted as
// given: matched by subject and public key; their validity period and
// pathLenConstraint are checked, and an anchor that issued a certificate of the
// chain must be a CA (basicConstraints cA, keyCertSign when keyUsage is present).
import { SignatureSchemes as S, type CryptoProvider, type HashName } from '../crypto/provider.ts';
import { rsaVerify } from '../crypto/rsa.ts';
import { DtlsError } from '../errors.ts';
import { equalBytes } from '../wire/codec.ts';
import { DerReader, Tag } from './der.ts';
import { MIN_RSA_BITS } from './keys.ts';
import { OID, algorithmIdentifier, parseCertificate, parseIp, type ParsedCertificateExt } from './parse.ts';

export interface VerifyChainOptions {
  /** DER trust anchor certificates. */
  readonly anchors: readonly Uint8Array[];
  /** Current time, ms since the epoch. */
  readonly now: number;
  /** Host name or IP literal the leaf must be valid for. */
  readonly serverName?: string;
  readonly provider: CryptoProvider;
  /** When set, a leaf extKeyUsage must allow this purpose. */
  readonly purpose?: 'server' | 'client';
}

const HASH_BY_SIG: Readonly<Record<string, HashName>> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
};

/** RSA signature algorithms by the TLS scheme with the same hash and padding. */
const PKCS1_SCHEME: Readonly<Record<string, number>> = {
  [OID.sha256WithRsa]: S.rsa_pkcs1_sha256,
  [OID.sha384WithRsa]: S.rsa_pkcs1_sha384,
  [OID.sha512WithRsa]: S.rsa_pkcs1_sha512,
};
const PSS_BY_HASH: Readonly<Record<string, { readonly scheme: number; readonly hash: HashName; readonly saltLength: number }>> = {
  [OID.sha256]: { scheme: S.rsa_pss_rsae_sha256, hash: 'sha256', saltLength: 32 },
  [OID.sha384]: { scheme: S.rsa_pss_rsae_sha384, hash: 'sha384', saltLength: 48 },
  [OID.sha512]: { scheme: S.rsa_pss_rsae_sha512, hash: 'sha512', saltLength: 64 },
};

type Cert = ParsedCertificateExt;
const label = (c: Cert, i: number | string): string =>
  `${typeof i === 'number' ? `certificate ${i}` : i}${c.subjectCommonName === undefined ? '' : ` (CN=${c.subjectCommonName})`}`;
const bad = (msg: string): DtlsError => new DtlsError('bad_certificate', msg);

/**
 * Longest chain a peer may send. Each certificate costs a parse and a
 * signature check, and a 64 KB Certificate message holds a couple of hundred
 * small ones; real chains are 1 to 4 long.
 */
export const MAX_CHAIN_LENGTH = 10;

/** Throws DtlsError (certificate_expired, unknown_ca, bad_certificate, unsupported_certificate) unless the chain is valid. */
export function verifyChain(chain: readonly Uint8Array[], opts: VerifyChainOptions): void {
  if (chain.length === 0) throw bad('empty certificate chain');
  if (chain.length > MAX_CHAIN_LENGTH) throw bad(`certificate chain of ${chain.length} certificates is longer than the ${MAX_CHAIN_LENGTH} allowed`);
  const certs = chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new DtlsError('bad_certificate', `certificate ${i}: ${(e as Error).message}`, { cause: e });
    }
  });
  const anchors = opts.anchors.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new TypeError(`trust anchor ${i} is not a valid certificate: ${(e as Error).message}`, { cause: e });
    }
  });

  // Build the path up the chain as sent (6.1.3 (a)(1) signatures, issuer names).
  const isAnchor = (c: Cert): Cert | undefined => anchors.find((a) => equalBytes(a.subjectDer, c.subjectDer) && samePublicKey(a, c));
  let anchor: Cert | undefined;
  let below = 0; // path certificates strictly below the anchor
  for (let i = 0; i < certs.length && !anchor; i++) {
    const c = certs[i]!;
    anchor = isAnchor(c);
    if (anchor) break;
    below = i + 1;
    const candidates = anchors.filter((a) => equalBytes(a.subjectDer, c.issuerDer));
    anchor = candidates.find((a) => signatureValid(c, a, opts.provider));
    if (anchor) {
      // An anchor is trusted for its own key, but it issues others only as a CA
      // (RFC 5280 4.2.1.9, 4.2.1.3): a pinned leaf given in `ca` is no authority.
      if (!anchor.basicConstraints?.ca)
        throw bad(`${label(c, i)} is issued by ${label(anchor, 'trust anchor')}, which is not a CA (basicConstraints cA missing)`);
      if (anchor.keyUsage && !anchor.keyUsage.has('keyCertSign'))
        throw bad(`${label(c, i)} is issued by ${label(anchor, 'trust anchor')}, whose keyUsage lacks keyCertSign`);
      break;
    }
    const next = certs[i + 1];
    if (!next || !equalBytes(next.subjectDer, c.issuerDer)) {
      throw new DtlsError(
        'unknown_ca',
        candidates.length
          ? `${label(c, i)} is not signed by the trust anchor with its issuer's name`
          : next
            ? `${label(c, i)} is not issued by the next certificate in the chain, and no trust anchor issued it`
            : `no trust anchor issued ${label(c, i)}`,
      );
    }
    if (!signatureValid(c, next, opts.provider)) throw bad(`${label(c, i)} has an invalid signature`);
  }
  if (!anchor) throw new DtlsError('unknown_ca', 'the chain does not reach a trust anchor');
  const path = certs.slice(0, Math.max(below, 1));

  // Validity periods (6.1.3 (a)(2)), the anchor's included.
  const timed: [Cert, string][] = path.map((c, i) => [c, label(c, i)]);
  if (below === path.length) timed.push([anchor, label(anchor, 'trust anchor')]);
  for (const [c, name] of timed) {
    if (opts.now < c.notBefore) throw new DtlsError('certificate_expired', `${name} is not valid until ${new Date(c.notBefore).toISOString()}`);
    if (opts.now > c.notAfter) throw new DtlsError('certificate_expired', `${name} expired at ${new Date(c.notAfter).toISOString()}`);
  }

  // Unknown critical extensions (6.1.4 (o)) and CA constraints (6.1.4 (k)-(n)).
  path.forEach((c, i) => {
    if (c.unknownCriticalExtensions.length) throw bad(`${label(c, i)} has unsupported critical extensions ${c.unknownCriticalExtensions.join(', ')}`);
    if (i === 0) return;
    if (!c.basicConstraints?.ca) throw bad(`${label(c, i)} issues certificates but is not a CA (basicConstraints cA missing)`);
    if (c.keyUsage && !c.keyUsage.has('keyCertSign')) throw bad(`${label(c, i)} issues certificates but its keyUsage lacks keyCertSign`);
  });
  // pathLenConstraint limits the non-self-issued intermediates below a CA, the anchor's included.
  const issuers: [Cert, number][] = path.map((c, i): [Cert, number] => [c, i]).slice(1);
  if (below > 0) issuers.push([anchor, below]);
  for (const [c, i] of issuers) {
    const max = c.basicConstraints?.pathLen;
    if (max === undefined) continue;
    const count = path.slice(1, i).filter((x) => !equalBytes(x.issuerDer, x.subjectDer)).length;
    if (count > max) throw bad(`${i === below ? 'the trust anchor' : label(c, i)} allows ${max} intermediates below it, found ${count}`);
  }

  // The leaf (RFC 5280 4.2.1.3, 4.2.1.12; RFC 6125 6).
  const leaf = path[0]!;
  if (leaf.keyUsage && !leaf.keyUsage.has('digitalSignature')) throw bad(`${label(leaf, 0)} keyUsage does not allow digitalSignature`);
  if (opts.purpose && leaf.extKeyUsage) {
    const want = opts.purpose === 'server' ? OID.serverAuth : OID.clientAuth;
    if (!leaf.extKeyUsage.includes(want) && !leaf.extKeyUsage.includes(OID.anyExtendedKeyUsage))
      throw new DtlsError('unsupported_certificate', `${label(leaf, 0)} extKeyUsage does not allow ${opts.purpose} authentication`);
  }
  if (opts.serverName !== undefined && !matchesName(leaf, opts.serverName)) {
    const names = [...leaf.subjectAltNames.dns, ...leaf.subjectAltNames.ip];
    const have = names.length ? `subjectAltName ${names.join(', ')}` : `CN ${leaf.subjectCommonName ?? '(none)'}`;
    throw bad(`${label(leaf, 0)} is not valid for "${opts.serverName}" (${have})`);
  }
}

function samePublicKey(a: Cert, b: Cert): boolean {
  const x = a.publicKey,
    y = b.publicKey;
  if (x.type === 'ec' && y.type === 'ec') return x.curve === y.curve && equalBytes(x.point, y.point);
  if (x.type === 'ed25519' && y.type === 'ed25519') return equalBytes(x.key, y.key);
  if (x.type === 'rsa' && y.type === 'rsa') return equalBytes(x.modulus, y.modulus) && equalBytes(x.exponent, y.exponent);
  if (x.type === 'unknown' && y.type === 'unknown') return equalBytes(a.spki, b.spki); // a key we cannot use, but the same bytes
  return false;
}

/** Whether `issuer`'s key signed `cert`; throws unsupported_certificate for algorithms we cannot check. */
function signatureValid(cert: Cert, issuer: Cert, provider: CryptoProvider): boolean {
  const alg = cert.signatureAlgorithm;
  const name = alg.name ?? alg.oid;
  const key = issuer.publicKey;
  if (key.type === 'unknown') {
    const what = key.oid === OID.rsassaPss ? `${key.oid} (RSASSA-PSS-restricted keys; use rsaEncryption keys)` : key.oid;
    throw new DtlsError('unsupported_certificate', `issuer public key algorithm ${what} is not supported`);
  }
  if (alg.oid === OID.ed25519) {
    // RFC 8410 6: no parameters; EdDSA signs the TBSCertificate itself.
    if (cert.signatureParams) throw bad('Ed25519 signature algorithm must have no parameters');
    if (key.type !== 'ed25519') throw bad(`${name} signature but the issuer has a ${key.type} key`);
    try {
      return provider.verify(S.ed25519, key.key, cert.tbs, cert.signature);
    } catch {
      return false;
    }
  }
  const hash = HASH_BY_SIG[alg.oid];
  const rsaScheme = hash ? undefined : rsaSignatureScheme(cert);
  if (!hash && rsaScheme === undefined)
    throw new DtlsError(
      'unsupported_certificate',
      `signature algorithm ${name} is not supported; only ECDSA with SHA-256/384/512, Ed25519, and RSA (PKCS#1 v1.5 or PSS) with SHA-256/384/512`,
    );
  if (hash) {
    if (key.type !== 'ec') throw bad(`${name} signature but the issuer has a ${key.type} key`);
    try {
      return provider.ecdsaVerify(key.curve, hash, key.point, cert.tbs, cert.signature);
    } catch {
      return false;
    }
  }
  if (key.type !== 'rsa') throw bad(`${name} signature but the issuer has a ${key.type} key`);
  if (key.bits < MIN_RSA_BITS)
    throw new DtlsError('unsupported_certificate', `the issuer's ${key.bits}-bit RSA key is too small; at least ${MIN_RSA_BITS} bits are required`);
  return rsaSchemeVerify(provider, rsaScheme!, issuer.spki, cert.tbs, cert.signature);
}

/** By the provider when it implements the scheme, else by the pure-JS verifier (crypto/rsa.ts). */
function rsaSchemeVerify(provider: CryptoProvider, scheme: number, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (provider.signatureSchemes.includes(scheme)) return provider.verify(scheme, spki, data, signature);
    return rsaVerify(scheme, spki, data, signature) === true;
  } catch {
    return false;
  }
}

/**
 * The TLS scheme that checks an RSA certificate signature, or undefined when
 * the algorithm is not RSA. PKCS#1 v1.5 parameters are NULL or absent (RFC 4055
 * 5); RSASSA-PSS parameters (RFC 4055 3.1) must name SHA-256/384/512, MGF1 with
 * the same hash, a salt as long as the hash and the 0xBC trailer, the only
 * shape TLS's rsa_pss_rsae_* schemes verify. Anything else is unsupported_certificate.
 */
function rsaSignatureScheme(cert: Cert): number | undefined {
  const oid = cert.signatureAlgorithm.oid;
  const params = cert.signatureParams;
  const pkcs1 = PKCS1_SCHEME[oid];
  if (pkcs1 !== undefined) {
    if (params && (params.length !== 2 || params[0] !== Tag.NULL || params[1] !== 0))
      throw unsupportedPss(`${cert.signatureAlgorithm.name} parameters must be NULL`);
    return pkcs1;
  }
  if (oid !== OID.rsassaPss) return undefined;
  if (!params) throw unsupportedPss('RSASSA-PSS signature without parameters');
  let p;
  try {
    const top = new DerReader(params);
    const r = top.sequence('RSASSA-PSS-params');
    top.end('RSASSA-PSS-params');
    const hashR = r.explicit(0, 'hashAlgorithm');
    const mgfR = r.explicit(1, 'maskGenAlgorithm');
    const saltR = r.explicit(2, 'saltLength');
    const trailerR = r.explicit(3, 'trailerField');
    r.end('RSASSA-PSS-params');
    const hashOid = hashR ? hashAlgorithm(hashR, 'hashAlgorithm') : OID.sha1; // DEFAULT sha1
    let mgfHash: string = OID.sha1; // DEFAULT mgf1SHA1
    if (mgfR) {
      const mgf = algorithmIdentifier(mgfR, 'maskGenAlgorithm');
      mgfR.end('maskGenAlgorithm');
      if (mgf.oid !== OID.mgf1) throw unsupportedPss(`mask generation function ${mgf.oid} (only MGF1)`);
      if (mgf.params?.tag !== Tag.SEQUENCE) throw unsupportedPss('MGF1 parameters must name a hash');
      mgfHash = hashAlgorithm(new DerReader(mgf.params.der), 'MGF1 hash');
    }
    const saltLength = saltR ? saltR.smallUnsigned('saltLength') : 20;
    saltR?.end('saltLength');
    const trailer = trailerR ? trailerR.smallUnsigned('trailerField') : 1;
    trailerR?.end('trailerField');
    p = { hashOid, mgfHash, saltLength, trailer };
  } catch (e) {
    if (e instanceof DtlsError) throw e;
    throw bad(`malformed RSASSA-PSS parameters: ${(e as Error).message}`);
  }
  const want = PSS_BY_HASH[p.hashOid];
  if (!want) throw unsupportedPss(`RSASSA-PSS with hash ${p.hashOid === OID.sha1 ? 'SHA-1' : p.hashOid} (only SHA-256/384/512)`);
  if (p.mgfHash !== p.hashOid) throw unsupportedPss(`RSASSA-PSS with MGF1 hash ${p.mgfHash} differing from the message hash ${p.hashOid}`);
  if (p.saltLength !== want.saltLength) throw unsupportedPss(`RSASSA-PSS salt length ${p.saltLength} (only the hash length, ${want.saltLength})`);
  if (p.trailer !== 1) throw unsupportedPss(`RSASSA-PSS trailerField ${p.trailer} (only 1)`);
  return want.scheme;
}

const unsupportedPss = (msg: string): DtlsError => new DtlsError('unsupported_certificate', `unsupported certificate signature: ${msg}`);

/** A HashAlgorithm (RFC 4055 2.1): the OID, parameters NULL or absent. */
function hashAlgorithm(r: DerReader, what: string): string {
  const a = algorithmIdentifier(r, what);
  r.end(what);
  if (a.params && (a.params.tag !== Tag.NULL || a.params.value.length)) throw bad(`${what} parameters must be NULL or absent`);
  return a.oid;
}

function matchesName(leaf: Cert, serverName: string): boolean {
  const { dns, ip } = leaf.subjectAltNames;
  const addr = parseIp(serverName);
  if (addr) return ip.some((t) => equalBytes(parseIp(t)!, addr));
  const host = serverName.toLowerCase().replace(/\.$/, '');
  if (host === '') return false;
  if (dns.length || ip.length) return dns.some((p) => dnsMatches(p, host));
  return leaf.subjectCommonName !== undefined && dnsMatches(leaf.subjectCommonName, host);
}

/** Exact match, or "*." + at least two labels matching exactly one left-most label (RFC 6125 6.4.3). */
function dnsMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === host;
  const suffix = p.slice(1);
  if (suffix.includes('*') || suffix.split('.').length < 3) return false;
  if (!host.endsWith(suffix)) return false;
  const first = host.slice(0, host.length - suffix.length);
  return first.length > 0 && !first.includes('.');
}
