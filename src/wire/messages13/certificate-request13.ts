// CertificateRequest of TLS 1.3 (RFC 8446 4.3.2):
//   struct { opaque certificate_request_context<0..2^8-1>; Extension extensions<2..2^16-1>; } CertificateRequest;
// signature_algorithms must be among the extensions (checked by the handshake).
import { DecodeError, Writer } from '../codec.ts';
import { decodeExtensions, writeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export interface CertificateRequest13 {
  context: Uint8Array;
  extensions: Extension[];
}

export function encodeCertificateRequest13(m: CertificateRequest13): Uint8Array {
  if (m.extensions.length === 0) throw new RangeError('CertificateRequest: needs at least one extension (signature_algorithms)');
  const w = new Writer(128);
  w.vec(1, lengthIn(m.context, 0, 255, 'certificate_request_context'));
  writeExtensions(w, m.extensions);
  return w.finish();
}

/** Views into `body`; an empty extension list breaks extensions<2..2^16-1>. */
export function decodeCertificateRequest13(body: Uint8Array): CertificateRequest13 {
  return decodeAll(body, 'CertificateRequest', (r) => {
    const context = r.vec(1, 'certificate_request_context');
    const extensions = decodeExtensions(r);
    if (extensions.length === 0) throw new DecodeError('CertificateRequest: extensions<2..2^16-1> is empty');
    return { context, extensions };
  });
}
