// Certificate (RFC 5246 7.4.2):
//   opaque ASN.1Cert<1..2^24-1>;
//   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export interface Certificate {
  /** DER certificates, sender's own first. */
  certificates: Uint8Array[];
}

export function encodeCertificate(m: Certificate): Uint8Array {
  const w = new Writer(3 + m.certificates.reduce((n, c) => n + 3 + c.length, 0));
  w.prefixed(3, (w) => {
    for (const c of m.certificates) w.vec(3, lengthIn(c, 1, 0xffffff, 'ASN.1Cert'));
  });
  return w.finish();
}

/** Certificates are views into `body`; an empty list is valid (no client certificate). */
export function decodeCertificate(body: Uint8Array): Certificate {
  return decodeAll(body, 'Certificate', (r) => {
    const list = r.sub(3, 'certificate_list');
    const certificates: Uint8Array[] = [];
    while (!list.done) certificates.push(list.vec(3, 'ASN.1Cert', 1));
    return { certificates };
  });
}
