// TLS 1.3 / DTLS 1.3 extensions (RFC 8446 4.2, RFC 9146, RFC 9147). The
// extension block itself is the shared one in ../extensions/index.ts.
export * from './supported-versions.ts';
export * from './key-share.ts';
export * from './cookie.ts';
export * from './psk-key-exchange-modes.ts';
export * from './pre-shared-key.ts';
export * from './early-data.ts';
export * from './connection-id.ts';
export * from './signature-algorithms-cert.ts';
export * from './certificate-authorities.ts';
