// OpenSSL libssl in-process (bench/openssl/inproc.c), built once with the
// system compiler when libssl's headers are present; absent otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const SOURCE = fileURLToPath(new URL('../openssl/inproc.c', import.meta.url));

export interface OpenSslPeer {
  version: string;
  run(mode: 'handshake' | 'bulk', group: 'x25519' | 'P-256', seconds: number): number;
}

/** The built program, or a reason it is absent. */
export function buildOpenSsl(certFile: string, keyFile: string): OpenSslPeer | string {
  const dir = join(tmpdir(), 'dtls-stream-bench');
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'inproc');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(SOURCE).mtimeMs) {
    const cc = spawnSync('cc', ['-O2', '-o', bin, SOURCE, '-lssl', '-lcrypto'], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0)
      return `not built (cc or libssl headers missing: ${(cc.error?.message ?? cc.stderr).split('\n')[0]}; Debian: apt-get install libssl-dev)`;
  }
  let version = 'OpenSSL';
  try {
    version = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
  } catch {
    // the binary links libssl whatever the CLI says
  }
  return {
    version,
    run(mode, group, seconds) {
      const out = execFileSync(bin, [certFile, keyFile, mode, group, String(seconds), '1200'], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
      const r = JSON.parse(out) as { perSecond?: number; MBps?: number };
      return (mode === 'handshake' ? r.perSecond : r.MBps) ?? NaN;
    },
  };
}
