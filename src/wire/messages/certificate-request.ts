// CertificateRequest (RFC 5246 7.4.4):
//   struct { ClientCertificateType certificate_types<1..2^8-1>;
//            SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
//            DistinguishedName certificate_authorities<0..2^16-1>; } CertificateRequest;
//   opaque DistinguishedName<1..2^16-1>;
import { Writer } from '../codec.ts';
import { decodeAll, lengthIn, readUintList, writeUintList } from '../vectors.ts';

/** ClientCertificateType values (RFC 5246 7.4.4, RFC 4492 5.5). */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

export interface CertificateRequest {
  certificateTypes: number[];
  signatureSchemes: number[];
  /** DER-encoded DistinguishedNames. */
  authorities: Uint8Array[];
}

export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  const w = new Writer(256);
  writeUintList(w, 1, 1, m.certificateTypes, 'certificate_types', 1);
  writeUintList(w, 2, 2, m.signatureSchemes, 'supported_signature_algorithms', 1);
  w.prefixed(2, (w) => {
    for (const dn of m.authorities) w.vec(2, lengthIn(dn, 1, 0xffff, 'DistinguishedName'));
  });
  return w.finish();
}

/** `authorities` are views into `body`. */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  return decodeAll(body, 'CertificateRequest', (r) => {
    const certificateTypes = readUintList(r, 1, 1, 'certificate_types', 1);
    const signatureSchemes = readUintList(r, 2, 2, 'supported_signature_algorithms', 2);
    const list = r.sub(2, 'certificate_authorities');
    const authorities: Uint8Array[] = [];
    while (!list.done) authorities.push(list.vec(2, 'DistinguishedName', 1));
    return { certificateTypes, signatureSchemes, authorities };
  });
}
