// certificate_authorities (RFC 8446 4.2.4):
//   opaque DistinguishedName<1..2^16-1>;
//   struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

/** DER-encoded DistinguishedNames; at least one. */
export function encodeCertificateAuthorities(authorities: readonly Uint8Array[]): Uint8Array {
  if (authorities.length === 0) throw new RangeError('certificate_authorities: empty list');
  const w = new Writer();
  w.prefixed(2, (w) => {
    for (const dn of authorities) w.vec(2, lengthIn(dn, 1, 0xffff, 'DistinguishedName'));
  });
  return w.finish();
}

/** Views into `data`. */
export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  return decodeAll(data, 'certificate_authorities', (r) => {
    const list = r.sub(2, 'authorities', 3);
    const out: Uint8Array[] = [];
    while (!list.done) out.push(list.vec(2, 'DistinguishedName', 1));
    return out;
  });
}
