// Handshake message bodies (DTLS 1.2: RFC 6347 4.2, RFC 5246 7.4, RFC 4492 5).
export * from './client-hello.ts';
export * from './server-hello.ts';
export * from './hello-verify-request.ts';
export * from './certificate.ts';
export * from './server-key-exchange.ts';
export * from './certificate-request.ts';
export * from './server-hello-done.ts';
export * from './client-key-exchange.ts';
export * from './certificate-verify.ts';
export * from './finished.ts';
export * from './new-session-ticket.ts';
