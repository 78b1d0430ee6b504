// Wire-level constants and shapes shared by the codecs and the layers above.

export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  heartbeat: 24,
  tls12_cid: 25,
  ack: 26,
} as const;

export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  request_connection_id: 9, // RFC 9147 5.2
  new_connection_id: 10,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

export const ProtocolVersion = {
  DTLS1_0: 0xfeff,
  DTLS1_2: 0xfefd,
  DTLS1_3: 0xfefc,
} as const;

export const ExtensionType = {
  server_name: 0,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  alpn: 16,
  extended_master_secret: 23,
  session_ticket: 35,
  // TLS 1.3 (RFC 8446 4.2) and connection IDs (RFC 9146, RFC 9147 9).
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
  renegotiation_info: 0xff01,
} as const;

/** TLS named groups (RFC 8422 5.1.1, RFC 8446 4.2.7). */
export const NamedGroup = {
  secp256r1: 23,
  secp384r1: 24,
  secp521r1: 25,
  x25519: 29,
  x448: 30,
  X25519MLKEM768: 0x11ec,
} as const;

/** TLS SignatureScheme (RFC 8446 4.2.3). */
export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  ed25519: 0x0807,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pkcs1_sha256: 0x0401,
} as const;

/** DTLS-SRTP protection profiles (RFC 5764 4.1.2, RFC 7714). */
export const SrtpProfile = {
  SRTP_AES128_CM_SHA1_80: 0x0001,
  SRTP_AES128_CM_SHA1_32: 0x0002,
  SRTP_AEAD_AES_128_GCM: 0x0007,
  SRTP_AEAD_AES_256_GCM: 0x0008,
} as const;

/** A DTLS 1.2 record (RFC 6347 4.1); `fragment` is a view into the datagram. */
export interface DtlsRecord {
  contentType: number;
  version: number;
  epoch: number;
  /** 48-bit sequence number, as a number. */
  sequenceNumber: number;
  fragment: Uint8Array;
}

/** One handshake fragment (RFC 6347 4.2.2); `body` is fragment_length bytes. */
export interface HandshakeFragment {
  msgType: number;
  /** Total length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  body: Uint8Array;
}

/** A whole handshake message (after reassembly, or before fragmentation). */
export interface HandshakeMessage {
  msgType: number;
  messageSeq: number;
  body: Uint8Array;
}

/** An extension as it appears on the wire; unknown ones survive a round trip. */
export interface Extension {
  type: number;
  data: Uint8Array;
}
