// DTLS 1.3 / TLS 1.3 code points not (yet) in types.ts. Kept apart so the 1.3
// codecs land without touching shared files; these belong in types.ts later.

/** Extension types added by TLS 1.3 (RFC 8446 4.2) and used by the 1.3 codecs. */
export const ExtensionType13 = {
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  connection_id: 54,
} as const;

/** Handshake types added by DTLS 1.3 (RFC 9147 5.2). */
export const HandshakeType13 = {
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  request_connection_id: 9,
  new_connection_id: 10,
  key_update: 24,
  message_hash: 254,
} as const;

/** TLS 1.3 cipher suites usable over DTLS (RFC 8446 B.4, RFC 9147 14: DTLS-OK). */
export const CipherSuite13 = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_AES_128_CCM_8_SHA256: 0x1305,
} as const;

/** RFC 9147 4: the record number of the ACK and of the AEAD nonce; both 64-bit. */
export interface RecordNumber {
  epoch: bigint;
  sequenceNumber: bigint;
}
