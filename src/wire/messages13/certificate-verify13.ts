// CertificateVerify of TLS 1.3 (RFC 8446 4.4.3): the 1.2 shape, scheme then
//   opaque signature<0..2^16-1>; the signature covers 64 spaces, a context
//   string, a zero byte and the transcript hash.
import { utf8 } from '../codec.ts';

export { decodeCertificateVerify, encodeCertificateVerify, type CertificateVerify } from '../messages/certificate-verify.ts';

const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');

/**
 * The bytes a CertificateVerify signs (RFC 8446 4.4.3). DTLS 1.3 keeps the
 * "TLS 1.3" context strings: only HKDF labels take the "dtls13" prefix (RFC 9147 5.9).
 */
export function certificateVerifyContent(signer: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const context = signer === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}
