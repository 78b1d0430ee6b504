// Certificate of TLS 1.3 (RFC 8446 4.4.2):
//   struct { select (certificate_type) { case RawPublicKey: opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
//            case X509: opaque cert_data<1..2^24-1>; }; Extension extensions<0..2^16-1>; } CertificateEntry;
//   struct { opaque certificate_request_context<0..2^8-1>; CertificateEntry certificate_list<0..2^24-1>; } Certificate;
import { Writer } from '../codec.ts';
import { decodeExtensions, writeExtensions } from '../extensions/index.ts';
import type { Extension } from '../types.ts';
import { decodeAll, lengthIn } from '../vectors.ts';

export interface CertificateEntry {
  /** DER certificate (or SubjectPublicKeyInfo for raw public keys). */
  data: Uint8Array;
  /** Per-entry extensions (status_request, signed_certificate_timestamp...). */
  extensions: Extension[];
}

export interface Certificate13 {
  /** Empty in the server's Certificate; echoes the CertificateRequest's in the client's. */
  context: Uint8Array;
  /** Sender's own certificate first; empty: a client without a certificate. */
  entries: CertificateEntry[];
}

export function encodeCertificate13(m: Certificate13): Uint8Array {
  const w = new Writer(4 + m.entries.reduce((n, e) => n + 5 + e.data.length, 0));
  w.vec(1, lengthIn(m.context, 0, 255, 'certificate_request_context'));
  w.prefixed(3, (w) => {
    for (const e of m.entries) {
      w.vec(3, lengthIn(e.data, 1, 0xffffff, 'cert_data'));
      writeExtensions(w, e.extensions);
    }
  });
  return w.finish();
}

/** Byte fields are views into `body`. */
export function decodeCertificate13(body: Uint8Array): Certificate13 {
  return decodeAll(body, 'Certificate', (r) => {
    const context = r.vec(1, 'certificate_request_context');
    const list = r.sub(3, 'certificate_list');
    const entries: CertificateEntry[] = [];
    while (!list.done) entries.push({ data: list.vec(3, 'cert_data', 1), extensions: decodeExtensions(list) });
    return { context, entries };
  });
}
