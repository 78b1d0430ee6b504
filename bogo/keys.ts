// Which keys a test needs, read from the PEM files the runner wrote. Only node:
// built-ins here, so the shim can answer "unimplemented" before it loads the library.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Unimplemented, type ShimFlags } from './flags.ts';

/** Reads a PEM file; the runner wrote it, so a failure is a broken run, not a test result. */
export function readPem(path: string): string {
  return readFileSync(path, 'latin1');
}

/** Only ECDSA on P-256 and P-384 can sign or be verified (src/x509/keys.ts, src/x509/verify.ts). */
function checkKeyType(what: string, type: string | undefined, curve: string | undefined): void {
  if (type !== 'ec') throw new Unimplemented(`${what} is ${type}: only ECDSA P-256/P-384 certificates are implemented`);
  if (curve !== 'prime256v1' && curve !== 'secp384r1') throw new Unimplemented(`${what} is ECDSA on ${curve}: only P-256/P-384 are implemented`);
}

/**
 * BOGO_PREVIEW_ECDSA=1: a server test whose certificate is RSA runs with an
 * ECDSA certificate of ours instead of exiting 89, to see what the library
 * does past the handshake's signature. A changed test: its results are for
 * finding defects (bogo/FINDINGS.md), never counted or expected.
 */
export function previewMode(): boolean {
  return process.env.BOGO_PREVIEW_ECDSA === '1';
}

/** Throws Unimplemented when our key, or the key the runner authenticates with, is one the library cannot use. */
export function checkCredentials(f: ShimFlags): void {
  if (f.certFile || f.keyFile) {
    if (!f.certFile || !f.keyFile) throw new Unimplemented('a certificate without its key (or the reverse)');
    const key = createPrivateKey(readPem(f.keyFile));
    if (previewMode() && f.server && key.asymmetricKeyType === 'rsa') {
      // Preview only (docs/BOGO.md): the library generates an ECDSA certificate instead.
      f.certFile = f.keyFile = undefined;
      return;
    }
    checkKeyType('our private key', key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
  } else if (f.server) {
    throw new Unimplemented('a server without a certificate (PSK or raw public keys)');
  }
  // Which key the peer authenticates with: the runner passes the root of the
  // chain it uses, and each test root signs a leaf of its own key type.
  const peerAuthenticates = !f.server || f.verifyPeer || f.requireClientCert;
  if (peerAuthenticates && f.trustCert) {
    const key = new X509Certificate(readPem(f.trustCert)).publicKey;
    checkKeyType("the runner's certificate", key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
  }
}
