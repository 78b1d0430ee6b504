// Utilities for the GnuTLS interop tests: gnutls-serv / gnutls-cli processes
// that we own (each one is killed by the test that started it), the priority
// strings that pin one suite or group, and PEM files for certificates made by
// generateCertificate(). Certificates, temp dirs, ports and timeouts come from
// openssl.ts.
//
// Notes on GnuTLS 3.7's DTLS tools (see /work/shared/PEERS.md):
// - gnutls-serv --udp binds 0.0.0.0 and :: (no option to bind one address; we
//   only ever talk to it on 127.0.0.1). If the IPv4 bind fails it goes on with
//   IPv6 alone, so startServer() checks the IPv4 line and retries on another port.
//   Its banner goes to stderr; "Waiting for connection..." (stdout) means ready.
//   It always sends a HelloVerifyRequest and serves one client after another.
//   With --echo it prints "received[SEQ]: TEXT" for each record, writes the
//   record back, and prints "EOF" when the client's close_notify arrives.
//   With -d 4 it logs "HSK[..]: Selected cipher suite: GNUTLS_..." and
//   "HSK[..]: Selected group NAME" on stderr.
// - gnutls-cli --udp prints the session ("- Description: (DTLS1.2-X.509)-
//   (ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)", "- SRTP profile: ..",
//   "- Key material: HEX" with --keymatexport) and then "- Simple Client Mode:";
//   after that it sends what it reads on stdin (up to 4095 bytes a record) and
//   prints what it receives. At EOF on stdin it sends close_notify and then
//   waits up to 2 s for the socket to become readable before exiting 0.
// - SRTP profiles in 3.7.9: SRTP_AES128_CM_HMAC_SHA1_80/_32 and the NULL ones;
//   the AEAD (GCM) profiles are a syntax error.
// - SSLKEYLOGFILE is honoured by both.
import { writeFile } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { freeUdpPort, sleep, type ExitStatus } from './openssl.ts';
import { PeerProcess } from './peer-process.ts';
import { handshakeFragments } from './datagrams.ts';

export { freeUdpPort, hex, makeCertificates, makeTempDir, sleep, within, type CertFiles, type ExitStatus, type InteropCerts, type TempDir } from './openssl.ts';

const DEFAULT_WAIT = 5000;

// ---------------------------------------------------------------- names

export interface Suite {
  /** GnuTLS cipher name, as in priority strings and gnutls-cli's Description. */
  readonly cipher: string;
  /** IANA name, as HandshakeInfo.cipherSuite reports it. */
  readonly iana: string;
  /** OpenSSL name, accepted by options.cipherSuites. */
  readonly openssl: string;
  /** gnutls-serv -d 4: "Selected cipher suite: <this>". */
  readonly gnutls: string;
}

export const SUITES: readonly Suite[] = [
  {
    cipher: 'AES-128-GCM',
    iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    gnutls: 'GNUTLS_ECDHE_ECDSA_AES_128_GCM_SHA256',
  },
  {
    cipher: 'AES-256-GCM',
    iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    gnutls: 'GNUTLS_ECDHE_ECDSA_AES_256_GCM_SHA384',
  },
  {
    cipher: 'CHACHA20-POLY1305',
    iana: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    gnutls: 'GNUTLS_ECDHE_ECDSA_CHACHA20_POLY1305',
  },
];

export interface Group {
  /** GnuTLS name: GROUP-<this> in priority strings, ECDHE-<this> in the Description. */
  readonly gnutls: string;
  /** HandshakeInfo.group. */
  readonly ours: 'x25519' | 'secp256r1' | 'secp384r1';
}

export const GROUPS: readonly Group[] = [
  { gnutls: 'X25519', ours: 'x25519' },
  { gnutls: 'SECP256R1', ours: 'secp256r1' },
  { gnutls: 'SECP384R1', ours: 'secp384r1' },
];

/** A GnuTLS priority string: NORMAL, DTLS 1.2 only, optionally one cipher and only the given groups. */
export function priority(p: { cipher?: string; groups?: readonly string[] } = {}): string {
  let s = 'NORMAL:-VERS-ALL:+VERS-DTLS1.2';
  if (p.cipher) s += `:-CIPHER-ALL:+${p.cipher}`;
  if (p.groups) s += `:-GROUP-ALL${p.groups.map((g) => `:+GROUP-${g}`).join('')}`;
  return s;
}

/** gnutls-cli's session line, e.g. "(DTLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)". */
export function description(output: string): string {
  const m = /^- Description: (.*)$/m.exec(output);
  if (!m) throw new Error(`no "- Description:" line in the output:\n${output}`);
  return m[1]!;
}

/** "- Key material: HEX" from gnutls-cli --keymatexport, lower case. */
export function keyMaterial(output: string): string {
  const m = /^- Key material: ([0-9a-f]+)$/im.exec(output);
  if (!m) throw new Error(`no "- Key material:" line in the output:\n${output}`);
  return m[1]!.toLowerCase();
}

// ---------------------------------------------------------------- records

/**
 * Checks that the Certificate message (type 11) in `datagrams` is longer than
 * `mtu` and was cut into >= 2 fragments, and that no datagram exceeds `mtu`.
 * Returns what is wrong, or undefined.
 */
export function certificateFragmented(datagrams: readonly Uint8Array[], mtu: number): string | undefined {
  const frags = handshakeFragments(datagrams).filter(([type]) => type === 11);
  if (frags.length < 2) return `the Certificate came in ${frags.length} fragment(s): ${JSON.stringify(frags)}`;
  const total = frags[0]![1];
  if (!(total > mtu)) return `the Certificate message is only ${total} bytes`;
  if (!frags.every(([, length, , fragLength]) => length === total && fragLength < total)) return `odd fragments ${JSON.stringify(frags)}`;
  const big = datagrams.find((d) => d.length > mtu);
  if (big) return `a ${big.length}-byte datagram exceeds the MTU ${mtu}`;
  return undefined;
}

// ---------------------------------------------------------------- PEM

/** DER certificates (leaf first) as PEM text. */
export function pemCertificates(chain: readonly Uint8Array[]): string {
  return chain
    .map((der) => {
      const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
      return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
    })
    .join('');
}

/** Writes `chain` as a PEM file at `path`; returns the PEM text. */
export async function writePemCertificates(path: string, chain: readonly Uint8Array[]): Promise<string> {
  const pem = pemCertificates(chain);
  await writeFile(path, pem);
  return pem;
}

// ---------------------------------------------------------------- processes

/** One gnutls-serv / gnutls-cli child process whose output we collect. */
export class GnuTlsProcess extends PeerProcess {
  constructor(program: 'gnutls-serv' | 'gnutls-cli', args: string[], env: NodeJS.ProcessEnv = {}) {
    super(program, args, env);
  }
}

// ---------------------------------------------------------------- gnutls-serv

export interface ServerOptions {
  /** Registers stop() with t.after(). */
  t?: TestContext;
  /** How long to wait for the server to be ready. Default 5 s. */
  timeoutMs?: number;
  /** Extra environment (e.g. SSLKEYLOGFILE). */
  env?: NodeJS.ProcessEnv;
}

export interface GnuTlsServer extends GnuTlsProcess {
  readonly port: number;
}

/** gnutls-serv's stderr line for the IPv4 listener: "...done" or "...bind() failed: ..". */
const IPV4_LISTENING = /^UDP \w+ Server listening on IPv4 0\.0\.0\.0 port (\d+)\.\.\.([^\n]*)\n/m;

/**
 * Starts `gnutls-serv --udp -p PORT ...args` on a free port and waits until
 * it listens on IPv4 and waits for a connection. Retries on another port if
 * the IPv4 bind failed (gnutls-serv would go on with IPv6 only).
 */
export async function startServer(args: string[], opts: ServerOptions = {}): Promise<GnuTlsServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const proc = new GnuTlsProcess('gnutls-serv', ['--udp', '-p', String(port), ...args], opts.env);
    opts.t?.after(() => proc.stop());
    try {
      const [, , result] = await proc.waitFor(IPV4_LISTENING, opts.timeoutMs ?? DEFAULT_WAIT, 'stderr');
      if (result !== 'done') throw new Error(`${proc.describe()} could not listen on IPv4 port ${port}: ${result}`);
      await proc.waitFor(/^Waiting for connection\.\.\.$/m, opts.timeoutMs ?? DEFAULT_WAIT);
      return Object.assign(proc, { port }) as GnuTlsServer;
    } catch (e) {
      lastError = e;
      await proc.stop();
      if (!/bind\(\) failed/.test(proc.stderr)) break;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------- gnutls-cli

/** A step of gnutls-cli's input: a line to send, a pause, or a wait for its output. */
export type ClientStep = string | { delay: number } | { waitFor: RegExp | string; timeoutMs?: number };

export interface ClientOptions {
  t?: TestContext;
  /** Hard limit for the whole run; the process is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Before sending input, wait for this on stdout (default: CLIENT_READY; null: don't wait). */
  ready?: RegExp | string | null;
  /** Extra environment (e.g. SSLKEYLOGFILE). */
  env?: NodeJS.ProcessEnv;
}

export interface ClientResult extends ExitStatus {
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The first step that failed (a waitFor that timed out), if any. */
  error: Error | undefined;
  proc: GnuTlsProcess;
}

/** The line gnutls-cli prints once the handshake is done and it starts relaying stdin. */
export const CLIENT_READY = /^- Simple Client Mode:$/m;

/** Starts `gnutls-cli --udp -p PORT 127.0.0.1 ...args` and returns it. */
export function startClient(port: number, args: string[], opts: { t?: TestContext; env?: NodeJS.ProcessEnv } = {}): GnuTlsProcess {
  const proc = new GnuTlsProcess('gnutls-cli', ['--udp', '-p', String(port), ...args, '127.0.0.1'], opts.env);
  opts.t?.after(() => proc.stop());
  return proc;
}

/**
 * Runs gnutls-cli to completion: waits for the handshake, then feeds `input`
 * (lines, delays, waits for output) with stdin kept open, then ends stdin so
 * it sends close_notify and exits. Never throws on protocol failure: look at
 * the result. Kills the process after opts.timeoutMs.
 */
export async function runClient(port: number, args: string[], input: ClientStep[] = [], opts: ClientOptions = {}): Promise<ClientResult> {
  const proc = startClient(port, args, opts);
  const limit = opts.timeoutMs ?? 20_000;
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    void proc.stop();
  }, limit);
  let error: Error | undefined;
  try {
    const ready = opts.ready === undefined ? CLIENT_READY : opts.ready;
    if (ready !== null) await proc.waitFor(ready, limit, 'stdout');
    for (const step of input) {
      if (typeof step === 'string') proc.writeLine(step);
      else if ('delay' in step) await sleep(step.delay);
      else await proc.waitFor(step.waitFor, step.timeoutMs ?? DEFAULT_WAIT, 'stdout');
    }
  } catch (e) {
    error = e as Error;
  }
  proc.endInput();
  const status = await proc.exited;
  clearTimeout(killer);
  return { ...status, stdout: proc.stdout, stderr: proc.stderr, timedOut, error, proc };
}
