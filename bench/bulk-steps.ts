// The two bulk workloads the record-path figures compare, shared by compare.ts
// (the full table) and record-path.ts (the quick interleaved check): the bare
// node:crypto AEAD loop, the ceiling of a JavaScript record path, and the sans-IO
// core sealing and opening the same records.
import * as nc from 'node:crypto';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import type { CertificateKeyPair } from '../src/x509/types.ts';
import { corePair } from './core-pair.ts';

export const RECORD_SIZE = 1200;
/** Records per step: one step is a burst the client seals and the server opens. */
export const BATCH = 64;

/**
 * AES-128-GCM seal then open of one record with a reused KeyObject: a cipher
 * object each (node:crypto binds one to a nonce), nothing else. Returns bytes per step.
 */
export function bareAeadStep(size = RECORD_SIZE): () => number {
  const key = nc.createSecretKey(nc.randomBytes(16));
  const nonce = nc.randomBytes(12);
  const aad = nc.randomBytes(13);
  const pt = nc.randomBytes(size);
  return () => {
    for (let i = 0; i < BATCH; i++) {
      const c = nc.createCipheriv('aes-128-gcm', key, nonce);
      c.setAAD(aad);
      const ct = c.update(pt);
      c.final();
      const d = nc.createDecipheriv('aes-128-gcm', key, nonce);
      d.setAAD(aad);
      d.setAuthTag(c.getAuthTag());
      d.update(ct);
      d.final();
    }
    return BATCH * size;
  };
}

/** Two connected cores: the client seals BATCH records, the server opens them. Returns bytes per step. */
export function coreBulkStep(crypto: CryptoProvider, cert: CertificateKeyPair, version: '1.2' | '1.3' = '1.2', size = RECORD_SIZE): () => number {
  const { client, server } = corePair(crypto, cert, 'x25519', version);
  const payload = new Uint8Array(size).fill(7);
  return () => {
    for (let i = 0; i < BATCH; i++) client.send(0, payload);
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
    let n = 0;
    for (let r = server.pollReceived(); r; r = server.pollReceived()) n += r.length;
    if (n !== BATCH * size) throw new Error('lost data');
    return n;
  };
}
