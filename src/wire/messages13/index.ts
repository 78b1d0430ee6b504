// TLS 1.3 / DTLS 1.3 handshake message bodies (RFC 8446 4, RFC 9147 5, 8, 9).
// ClientHello and ServerHello keep the shared codecs in ../messages/; hello13.ts
// adds the 1.3 field rules and the HelloRetryRequest form. Finished keeps its
// 1.2 codec (the body is verify_data, the hash length).
export * from './hello13.ts';
export * from './encrypted-extensions.ts';
export * from './certificate13.ts';
export * from './certificate-request13.ts';
export * from './certificate-verify13.ts';
export * from './new-session-ticket.ts';
export * from './key-update.ts';
export * from './connection-id.ts';
export * from './transcript.ts';
export * from './dispatch.ts';
