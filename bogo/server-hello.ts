// The session_id of a ServerHello the shim's server sent, read from the
// datagram: BoringSSL's -expect-session-id asks whether the server cached the
// session, and ours caches a DTLS 1.2 session exactly under the ID its
// ServerHello gives (src/handshake/server12.ts). No library call tells it.

/** DTLSPlaintext header (RFC 6347 4.1): type, version, epoch, sequence_number, length. */
const RECORD_HEADER = 13;
/** Handshake header (RFC 6347 4.2.2): msg_type, length, message_seq, fragment_offset, fragment_length. */
const HANDSHAKE_HEADER = 12;
const HANDSHAKE = 22;
const SERVER_HELLO = 2;
const TLS12_CID = 25;
/** server_version and random come before the session_id (RFC 5246 7.4.1.3). */
const SESSION_ID_AT = 2 + 32;

/**
 * The session_id of the first fragment of a ServerHello (or HelloRetryRequest)
 * in an epoch-0 record of `datagram`; undefined when there is none or it is cut
 * short. Later epochs are encrypted, and skipped by their length.
 */
export function serverHelloSessionId(datagram: Uint8Array): Uint8Array | undefined {
  const d = datagram;
  let found: Uint8Array | undefined;
  for (let at = 0; at + RECORD_HEADER <= d.length;) {
    const length = (d[at + 11]! << 8) | d[at + 12]!;
    const epoch = (d[at + 3]! << 8) | d[at + 4]!;
    const body = at + RECORD_HEADER;
    const end = Math.min(body + length, d.length);
    // A DTLS 1.3 record with the unified header (first bits 001) or a DTLS 1.2 tls12_cid record (RFC 9146)
    // lays its header out otherwise; neither is epoch 0, and nothing after it is.
    if ((d[at]! & 0xe0) === 0x20 || d[at] === TLS12_CID) break;
    if (d[at] === HANDSHAKE && epoch === 0 && end - body >= HANDSHAKE_HEADER && d[body] === SERVER_HELLO) {
      const offset = (d[body + 6]! << 16) | (d[body + 7]! << 8) | d[body + 8]!;
      const fragment = d.subarray(body + HANDSHAKE_HEADER, end);
      const n = fragment[SESSION_ID_AT];
      if (offset === 0 && n !== undefined && SESSION_ID_AT + 1 + n <= fragment.length) found = fragment.slice(SESSION_ID_AT + 1, SESSION_ID_AT + 1 + n);
    }
    at = body + length;
  }
  return found;
}
