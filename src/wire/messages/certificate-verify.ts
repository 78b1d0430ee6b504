// CertificateVerify (RFC 5246 7.4.8 with 4.7 digitally-signed):
//   struct { SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>; } CertificateVerify;
import { Writer } from '../codec.ts';
import { decodeAll, uint } from '../vectors.ts';

export interface CertificateVerify {
  signatureScheme: number;
  signature: Uint8Array;
}

export function encodeCertificateVerify(m: CertificateVerify): Uint8Array {
  return new Writer(4 + m.signature.length)
    .u16(uint(m.signatureScheme, 0xffff, 'signature algorithm'))
    .vec(2, m.signature)
    .finish();
}

/** `signature` is a view into `body`. */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  return decodeAll(body, 'CertificateVerify', (r) => ({ signatureScheme: r.u16('signature algorithm'), signature: r.vec(2, 'signature') }));
}
