// Which keys a test needs, read from the PEM files the runner wrote. Only node:
// built-ins here, so the shim can answer "unimplemented" before it loads the library.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Unimplemented, type ShimFlags } from './flags.ts';

/** Reads a PEM file; the runner wrote it, so a failure is a broken run, not a test result. */
export function readPem(path: string): string {
  return readFileSync(path, 'latin1');
}

/**
 * The keys the library signs with and verifies: ECDSA on P-256 and P-384,
 * Ed25519, and RSA of 2048 bits or more (src/x509/keys.ts MIN_RSA_BITS; smaller
 * RSA keys are refused on purpose, so a test with one is unimplemented here, not failed).
 */
function checkKeyType(what: string, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Unimplemented(`${what} is RSA of ${bits} bits: RSA keys under 2048 bits are refused`);
    return;
  }
  if (type !== 'ec') throw new Unimplemented(`${what} is ${type}: only ECDSA P-256/P-384, Ed25519 and RSA certificates are implemented`);
  const curve = key.asymmetricKeyDetails?.namedCurve;
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
    checkKeyType('our private key', key);
  } else if (f.server) {
    throw new Unimplemented('a server without a certificate (PSK or raw public keys)');
  }
  // Which key the peer authenticates with: the runner passes the root of the
  // chain it uses, and each test root signs a leaf of its own key type.
  const peerAuthenticates = !f.server || f.verifyPeer || f.requireClientCert;
  if (peerAuthenticates && f.trustCert) {
    checkKeyType("the runner's certificate", new X509Certificate(readPem(f.trustCert)).publicKey);
  }
}
