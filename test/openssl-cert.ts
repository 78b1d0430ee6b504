// A self-signed ECDSA P-256 certificate made by the openssl command, the way
// PEERS.md makes one for the real peers: the tests that start openssl, the
// CLI or a browser against our code share this one command line.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface OpensslCertificate {
  /** Paths of the PEM files written. */
  certPath: string;
  keyPath: string;
}

/**
 * Writes `${name}cert.pem` and `${name}key.pem` into `dir` (CN=localhost,
 * valid 2 days; `san` adds a subjectAltName such as 'IP:127.0.0.1').
 * Throws with openssl's message when it fails.
 */
export function opensslCertificate(dir: string, opts: { name?: string; san?: string } = {}): OpensslCertificate {
  const name = opts.name ?? '';
  const certPath = join(dir, `${name}cert.pem`);
  const keyPath = join(dir, `${name}key.pem`);
  const san = opts.san === undefined ? [] : ['-addext', `subjectAltName=${opts.san}`];
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-days', '2'];
  const r = spawnSync('openssl', [...args, ...san, '-keyout', keyPath, '-out', certPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr || r.error?.message}`);
  return { certPath, keyPath };
}
