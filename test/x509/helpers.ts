// Shared test helpers: a temp dir per test file and the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePem } from '../../src/x509/pem.ts';

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'dtls-x509-'));
  file(name: string): string {
    return join(this.path, name);
  }
  read(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }
  write(name: string, text: string): void {
    writeFileSync(this.file(name), text);
  }
  /** DER of the first PEM block in a file. */
  der(name: string): Uint8Array {
    return decodePem(this.read(name))[0]!.der;
  }
  /** Runs openssl in this directory; throws with its stderr on failure. */
  openssl(...args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.path, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A self-signed EC certificate and PKCS#8 key made by `openssl req -x509`. */
export function opensslSelfSigned(dir: TempDir, name: string, curve: 'P-256' | 'P-384', cn = 'localhost', san = 'DNS:localhost,IP:127.0.0.1'): void {
  dir.openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    `ec_paramgen_curve:${curve}`,
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${san}`,
    '-days',
    '2',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
  );
}

/** A CSR for a new key (P-256 unless `keyAlg`) signed by `ca` (extra `openssl x509 -req` options in `signArgs`) with the given extension lines. */
export function opensslIssue(
  dir: TempDir,
  name: string,
  ca: string,
  cn: string,
  extensions: string[],
  keyAlg = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  signArgs: string[] = [],
): void {
  dir.write(`${name}.cnf`, extensions.join('\n') + '\n');
  dir.openssl('req', '-new', ...keyAlg, '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  dir.openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-set_serial',
    String(Math.floor(Math.random() * 1e9)),
    '-days',
    '2',
    '-extfile',
    `${name}.cnf`,
    ...signArgs,
    '-out',
    `${name}.pem`,
  );
}

/** Flips bits of one byte, returning a copy. */
export function flip(b: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const c = b.slice();
  c[index] ^= mask;
  return c;
}
