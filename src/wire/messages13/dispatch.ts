// One decoder for every DTLS 1.3 handshake message body, keyed by msg_type
// (RFC 9147 5.2). Types that DTLS 1.3 retired or does not define
// (hello_verify_request, server_key_exchange, ...) are an unexpected_message
// (RFC 8446 4: a message of a type not expected).
import { DtlsError } from '../../errors.ts';
import { decodeClientHello, type ClientHello } from '../messages/client-hello.ts';
import { decodeFinished, type Finished } from '../messages/finished.ts';
import { decodeServerHello, type ServerHello } from '../messages/server-hello.ts';
import { HandshakeType } from '../types.ts';
import { decodeCertificate13, type Certificate13 } from './certificate13.ts';
import { decodeCertificateRequest13, type CertificateRequest13 } from './certificate-request13.ts';
import { decodeCertificateVerify, type CertificateVerify } from './certificate-verify13.ts';
import { decodeNewConnectionId, decodeRequestConnectionId, type NewConnectionId, type RequestConnectionId } from './connection-id.ts';
import { decodeEncryptedExtensions, type EncryptedExtensions } from './encrypted-extensions.ts';
import { isHelloRetryRequest } from './hello13.ts';
import { decodeKeyUpdate, type KeyUpdate } from './key-update.ts';
import { decodeNewSessionTicket13, type NewSessionTicket13 } from './new-session-ticket.ts';

export type Message13 =
  | { type: 'client_hello'; message: ClientHello }
  | { type: 'server_hello'; message: ServerHello }
  | { type: 'hello_retry_request'; message: ServerHello }
  | { type: 'encrypted_extensions'; message: EncryptedExtensions }
  | { type: 'certificate_request'; message: CertificateRequest13 }
  | { type: 'certificate'; message: Certificate13 }
  | { type: 'certificate_verify'; message: CertificateVerify }
  | { type: 'finished'; message: Finished }
  | { type: 'new_session_ticket'; message: NewSessionTicket13 }
  | { type: 'key_update'; message: KeyUpdate }
  | { type: 'request_connection_id'; message: RequestConnectionId }
  | { type: 'new_connection_id'; message: NewConnectionId };

/**
 * The body of a reassembled DTLS 1.3 handshake message, decoded by its type.
 * A ServerHello with the special random comes back as hello_retry_request.
 * end_of_early_data is refused too: 0-RTT is never accepted here.
 */
export function decodeMessage13(msgType: number, body: Uint8Array): Message13 {
  switch (msgType) {
    case HandshakeType.client_hello:
      return { type: 'client_hello', message: decodeClientHello(body) };
    case HandshakeType.server_hello: {
      const sh = decodeServerHello(body);
      return isHelloRetryRequest(sh) ? { type: 'hello_retry_request', message: sh } : { type: 'server_hello', message: sh };
    }
    case HandshakeType.encrypted_extensions:
      return { type: 'encrypted_extensions', message: decodeEncryptedExtensions(body) };
    case HandshakeType.certificate_request:
      return { type: 'certificate_request', message: decodeCertificateRequest13(body) };
    case HandshakeType.certificate:
      return { type: 'certificate', message: decodeCertificate13(body) };
    case HandshakeType.certificate_verify:
      return { type: 'certificate_verify', message: decodeCertificateVerify(body) };
    case HandshakeType.finished:
      return { type: 'finished', message: decodeFinished(body) };
    case HandshakeType.new_session_ticket:
      return { type: 'new_session_ticket', message: decodeNewSessionTicket13(body) };
    case HandshakeType.key_update:
      return { type: 'key_update', message: decodeKeyUpdate(body) };
    case HandshakeType.request_connection_id:
      return { type: 'request_connection_id', message: decodeRequestConnectionId(body) };
    case HandshakeType.new_connection_id:
      return { type: 'new_connection_id', message: decodeNewConnectionId(body) };
    default:
      throw new DtlsError('unexpected_message', `handshake message type ${msgType} does not exist in DTLS 1.3`);
  }
}
