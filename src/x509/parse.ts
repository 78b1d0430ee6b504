// X.509 v3 certificate parsing (RFC 5280 4.1), reading only what the protocol
// needs. Any malformation is DtlsError('bad_certificate').
import type { EcCurve } from '../crypto/provider.ts';
import { DtlsError } from '../errors.ts';
import { equalBytes } from '../wire/codec.ts';
import { DerReader, Tag, contextTag, decodeString, type Tlv } from './der.ts';
import type { ParsedCertificate } from './types.ts';

export const OID = {
  commonName: '2.5.4.3',
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha1: '1.3.14.3.2.26',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export const CURVE_BY_OID: Readonly<Record<string, EcCurve>> = { [OID.p256]: 'P-256', [OID.p384]: 'P-384' };
const COORD_BYTES: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48 };

const SIGNATURE_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  [OID.ecdsaWithSha256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSha384]: 'ecdsa-with-SHA384',
  [OID.ecdsaWithSha512]: 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  [OID.ed25519]: 'Ed25519',
  '1.3.101.113': 'Ed448',
};

// keyUsage bit names in bit order (RFC 5280 4.2.1.3).
const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** ParsedCertificate plus fields types.ts does not carry. */
export interface ParsedCertificateExt extends ParsedCertificate {
  /** extKeyUsage purpose OIDs (RFC 5280 4.2.1.12); undefined when absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  /** DER of the signatureAlgorithm parameters (RSASSA-PSS-params, NULL), undefined when absent. */
  readonly signatureParams: Uint8Array | undefined;
}

/** Parses a DER certificate; throws DtlsError('bad_certificate') if it is malformed. */
export function parseCertificate(der: Uint8Array): ParsedCertificateExt {
  if (!(der instanceof Uint8Array)) throw new TypeError('parseCertificate expects a Uint8Array');
  try {
    return parse(der.slice());
  } catch (e) {
    if (e instanceof DtlsError && e.code === 'bad_certificate') throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new DtlsError('bad_certificate', `malformed certificate: ${msg}`, { cause: e });
  }
}

const fail = (msg: string): never => {
  throw new DtlsError('bad_certificate', `malformed certificate: ${msg}`);
};

export interface AlgorithmId {
  readonly oid: string;
  readonly params: Tlv | undefined;
  readonly der: Uint8Array;
}

export function algorithmIdentifier(r: DerReader, what: string): AlgorithmId {
  const t = r.expect(Tag.SEQUENCE, what);
  const a = new DerReader(t.value);
  const oid = a.oid(`${what} algorithm`);
  const params = a.done ? undefined : a.read(`${what} parameters`);
  a.end(what);
  return { oid, params, der: t.der };
}

function parse(der: Uint8Array): ParsedCertificateExt {
  const top = new DerReader(der);
  const cert = top.sequence('Certificate');
  top.end('Certificate');

  const tbsTlv = cert.expect(Tag.SEQUENCE, 'tbsCertificate');
  const outerAlg = algorithmIdentifier(cert, 'signatureAlgorithm');
  const signature = cert.bitString('signatureValue');
  cert.end('Certificate');

  const tbs = new DerReader(tbsTlv.value);
  const ver = tbs.explicit(0, 'version');
  let version = 0;
  if (ver) {
    version = ver.smallUnsigned('version');
    ver.end('version');
    if (version > 2) fail(`unknown version ${version + 1}`);
  }
  const serialNumber = tbs.integer('serialNumber');
  const innerAlg = algorithmIdentifier(tbs, 'signature');
  if (!equalBytes(innerAlg.der, outerAlg.der)) fail('tbsCertificate signature algorithm differs from signatureAlgorithm'); // 4.1.1.2
  const issuer = tbs.expect(Tag.SEQUENCE, 'issuer');
  commonNameOf(issuer.value);
  const validity = tbs.sequence('validity');
  const notBefore = validity.time('notBefore');
  const notAfter = validity.time('notAfter');
  validity.end('validity');
  const subject = tbs.expect(Tag.SEQUENCE, 'subject');
  const subjectCommonName = commonNameOf(subject.value);
  const spkiTlv = tbs.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const publicKey = subjectPublicKeyInfo(new DerReader(spkiTlv.der));
  if (tbs.optional(contextTag(1, false), 'issuerUniqueID') && version < 1) fail('issuerUniqueID needs v2 or v3');
  if (tbs.optional(contextTag(2, false), 'subjectUniqueID') && version < 1) fail('subjectUniqueID needs v2 or v3');
  const extsReader = tbs.explicit(3, 'extensions');
  tbs.end('tbsCertificate');

  const ext = {
    basicConstraints: undefined as ParsedCertificate['basicConstraints'],
    keyUsage: undefined as Set<string> | undefined,
    subjectAltNames: { dns: [] as string[], ip: [] as string[] },
    extKeyUsage: undefined as string[] | undefined,
    unknownCriticalExtensions: [] as string[],
  };
  if (extsReader) {
    if (version !== 2) fail('extensions need a v3 certificate');
    extensions(extsReader, ext);
  }

  return {
    der,
    tbs: tbsTlv.der,
    serialNumber,
    issuerDer: issuer.der,
    subjectDer: subject.der,
    subjectCommonName,
    notBefore,
    notAfter,
    spki: spkiTlv.der,
    publicKey,
    signatureAlgorithm: { oid: outerAlg.oid, name: SIGNATURE_NAMES[outerAlg.oid] },
    signatureParams: outerAlg.params?.der,
    signature,
    ...ext,
  };
}

/** Validates a Name (4.1.2.4) and returns its last commonName, if any. */
function commonNameOf(name: Uint8Array): string | undefined {
  const rdns = new DerReader(name);
  let cn: string | undefined;
  while (!rdns.done) {
    const rdn = rdns.set('RelativeDistinguishedName');
    if (rdn.done) fail('empty RelativeDistinguishedName');
    while (!rdn.done) {
      const atv = rdn.sequence('AttributeTypeAndValue');
      const type = atv.oid('attribute type');
      const value = atv.read('attribute value');
      atv.end('AttributeTypeAndValue');
      if (type === OID.commonName) cn = decodeString(value, 'commonName');
    }
  }
  return cn;
}

function subjectPublicKeyInfo(r: DerReader): ParsedCertificate['publicKey'] {
  const spki = r.sequence('subjectPublicKeyInfo');
  const alg = algorithmIdentifier(spki, 'subjectPublicKeyInfo');
  const keyBits = spki.bits('subjectPublicKey');
  spki.end('subjectPublicKeyInfo');
  const key = keyBits.bytes;
  const wholeBytes = (): void => {
    if (keyBits.unusedBits) fail('subjectPublicKey must be whole bytes');
  };
  switch (alg.oid) {
    case OID.ecPublicKey: {
      // RFC 5480 2.1.1: namedCurve only.
      if (alg.params?.tag !== Tag.OID) return { type: 'unknown', oid: alg.oid };
      const curveOid = new DerReader(alg.params.der).oid('namedCurve');
      const curve = CURVE_BY_OID[curveOid];
      if (!curve) return { type: 'unknown', oid: curveOid }; // a curve we do not support, by its OID
      wholeBytes();
      const n = COORD_BYTES[curve];
      const ok = (key[0] === 4 && key.length === 1 + 2 * n) || ((key[0] === 2 || key[0] === 3) && key.length === 1 + n);
      if (!ok) fail(`${curve} public key is not a valid SEC1 point encoding`);
      return { type: 'ec', curve, point: key };
    }
    case OID.ed25519:
      if (alg.params) fail('Ed25519 key must have no parameters'); // RFC 8410 3
      wholeBytes();
      if (key.length !== 32) fail(`Ed25519 key must be 32 bytes, got ${key.length}`);
      return { type: 'ed25519', key };
    case OID.rsaEncryption: {
      wholeBytes();
      const top = new DerReader(key);
      const k = top.sequence('RSAPublicKey'); // RFC 8017 A.1.1
      top.end('RSAPublicKey');
      const modulus = k.unsigned('modulus');
      const exponent = k.unsigned('publicExponent');
      k.end('RSAPublicKey');
      // RFC 3279 2.3.1: parameters NULL (absent is tolerated, as OpenSSL does).
      if (alg.params && (alg.params.tag !== Tag.NULL || alg.params.value.length)) fail('rsaEncryption parameters must be NULL');
      if (!(modulus[modulus.length - 1]! & 1) || modulus.length < 2) fail('RSA modulus must be odd');
      if (!(exponent[exponent.length - 1]! & 1) || (exponent.length === 1 && exponent[0]! < 3)) fail('RSA public exponent must be odd and at least 3');
      return { type: 'rsa', bits: modulus.length * 8 - Math.clz32(modulus[0]!) + 24, modulus, exponent };
    }
    default:
      return { type: 'unknown', oid: alg.oid };
  }
}

type ExtFields = {
  basicConstraints: ParsedCertificate['basicConstraints'];
  keyUsage: Set<string> | undefined;
  subjectAltNames: { dns: string[]; ip: string[] };
  extKeyUsage: string[] | undefined;
  unknownCriticalExtensions: string[];
};

/** Extensions (4.2): each at most once; unknown critical ones are recorded. */
function extensions(r: DerReader, out: ExtFields): void {
  const list = r.sequence('Extensions');
  r.end('extensions');
  if (list.done) fail('empty Extensions');
  const seen = new Set<string>();
  while (!list.done) {
    const e = list.sequence('Extension');
    const oid = e.oid('extnID');
    const critical = e.peekTag() === Tag.BOOLEAN ? e.boolean('critical') : false;
    const value = new DerReader(e.octetString('extnValue'));
    e.end('Extension');
    if (seen.has(oid)) fail(`duplicate extension ${oid}`);
    seen.add(oid);
    switch (oid) {
      case OID.basicConstraints: {
        // 4.2.1.9
        const s = value.sequence('basicConstraints');
        const ca = s.peekTag() === Tag.BOOLEAN ? s.boolean('cA') : false;
        const pathLen = s.done ? undefined : s.smallUnsigned('pathLenConstraint');
        s.end('basicConstraints');
        out.basicConstraints = { ca, pathLen };
        break;
      }
      case OID.keyUsage: {
        // 4.2.1.3
        const { unusedBits, bytes } = value.bits('keyUsage');
        const set = new Set<string>();
        KEY_USAGE_BITS.forEach((name, i) => {
          if (i < bytes.length * 8 - unusedBits && (bytes[i >> 3]! >> (7 - (i & 7))) & 1) set.add(name);
        });
        out.keyUsage = set;
        break;
      }
      case OID.subjectAltName: // 4.2.1.6
        subjectAltNames(value, out.subjectAltNames);
        break;
      case OID.extKeyUsage: {
        // 4.2.1.12
        const s = value.sequence('extKeyUsage');
        const oids: string[] = [];
        while (!s.done) oids.push(s.oid('KeyPurposeId'));
        if (oids.length === 0) fail('empty extKeyUsage');
        out.extKeyUsage = oids;
        break;
      }
      default:
        if (critical) out.unknownCriticalExtensions.push(oid);
        continue; // contents not ours to check
    }
    value.end(`extension ${oid}`);
  }
}

function subjectAltNames(value: DerReader, out: { dns: string[]; ip: string[] }): void {
  const names = value.sequence('subjectAltName');
  if (names.done) fail('empty subjectAltName');
  while (!names.done) {
    const t = names.read('GeneralName');
    if ((t.tag & 0xc0) !== 0x80) fail(`GeneralName has non-context tag 0x${t.tag.toString(16)}`);
    if (t.tag === contextTag(2, false)) {
      out.dns.push(decodeString({ ...t, tag: Tag.IA5String }, 'dNSName'));
    } else if (t.tag === contextTag(7, false)) {
      if (t.value.length !== 4 && t.value.length !== 16) fail(`iPAddress must be 4 or 16 bytes, got ${t.value.length}`);
      out.ip.push(formatIp(t.value));
    }
  }
}

/** IPv4 dotted quad, or IPv6 in RFC 5952 canonical text. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  if (b.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, got ${b.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952 4.2: the longest run (first on a tie) of two or more zero groups becomes "::".
  let best = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The bytes of an IPv4 or IPv6 literal (brackets allowed), or undefined if `s` is not one. */
export function parseIp(s: string): Uint8Array | undefined {
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = (t: string): number[] | undefined => {
    const parts = t.split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.map(Number);
  };
  if (!s.includes(':')) {
    const b = v4(s);
    return b && Uint8Array.from(b);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const b = v4(it);
        if (!b) return undefined;
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(it)) out.push(parseInt(it, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const n = head.length + tail.length;
  if (halves.length === 2 ? n > 7 : n !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - n).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => ((out[2 * i] = w >> 8), (out[2 * i + 1] = w & 0xff)));
  return out;
}
