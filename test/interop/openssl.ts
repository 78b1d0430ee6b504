// Utilities for the OpenSSL interop tests: a temp dir per run, certificates made
// with the openssl CLI, a free UDP port on 127.0.0.1, and s_server / s_client
// processes that we own (each one is killed by the test that started it).
//
// Notes on OpenSSL 3.0's DTLS tools (see /work/shared/PEERS.md):
// - s_server quits at EOF on stdin, so we keep its stdin pipe open until stop().
//   Each line written to its stdin is sent to the connected client, except lines
//   that start with a command letter: "q" closes the connection (close_notify),
//   "Q" quits the server. Data lines must therefore not start with q/Q/r/R/...
// - s_server prints received application data on stdout, "DONE" when the client
//   sent close_notify, then "shutting down SSL" and "CONNECTION CLOSED".
// - s_client sends each stdin line as one record and sends close_notify at EOF.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { PeerProcess } from './peer-process.ts';

export const SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'] as const;

/** IANA names, as HandshakeInfo.cipherSuite reports them. */
export const SUITE_IANA: Record<(typeof SUITES)[number], string> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
};

/** OpenSSL -groups name → HandshakeInfo.group. */
export const GROUPS = [
  { openssl: 'X25519', ours: 'x25519' },
  { openssl: 'P-256', ours: 'secp256r1' },
  { openssl: 'P-384', ours: 'secp384r1' },
] as const;

const DEFAULT_WAIT = 5000;

// ---------------------------------------------------------------- temp dir

export interface TempDir {
  readonly dir: string;
  path(name: string): string;
  cleanup(): Promise<void>;
}

export async function makeTempDir(prefix = 'dtls-interop-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------- openssl CLI

/** Runs `openssl ...args` to completion (10 s at most); rejects on a non-zero exit. */
export function openssl(args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 10000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

// ---------------------------------------------------------------- certificates

export interface CertFiles {
  certPath: string;
  keyPath: string;
  /** PEM text of the certificate file. */
  cert: string;
  /** PEM text of the private key (PKCS#8). */
  key: string;
  /** SDP form, "sha-256 AB:CD:..", from `openssl x509 -fingerprint -sha256`. */
  fingerprint: string;
}

export interface InteropCerts {
  /** Self-signed, P-256, SAN DNS:localhost, IP:127.0.0.1. */
  p256: CertFiles;
  /** Self-signed, P-384, same SAN. */
  p384: CertFiles;
  /** A CA (P-256) ... */
  ca: CertFiles;
  /** ... and a leaf signed by it (P-256, SAN localhost/127.0.0.1). */
  leaf: CertFiles;
  /** leaf + ca certificates in one PEM file (leaf first). */
  leafChainPath: string;
  /** An unrelated CA, trusted by nobody. */
  otherCa: CertFiles;
  /** Self-signed client certificate (P-256, CN=client). */
  client: CertFiles;
  /** A client certificate (P-256, CN=client.example) signed by `ca`. */
  clientLeaf: CertFiles;
  /** clientLeaf + ca in one PEM file (leaf first). */
  clientLeafChainPath: string;
}

/** "sha256 Fingerprint=AB:CD:.." → "sha-256 AB:CD:..". */
export function sdpFingerprint(opensslOutput: string): string {
  const m = /Fingerprint=([0-9A-F:]+)/i.exec(opensslOutput);
  if (!m) throw new Error(`no fingerprint in ${JSON.stringify(opensslOutput)}`);
  return `sha-256 ${m[1]!.toUpperCase()}`;
}

async function certFiles(dir: TempDir, name: string): Promise<CertFiles> {
  const certPath = dir.path(`${name}.pem`);
  const keyPath = dir.path(`${name}-key.pem`);
  const [cert, key, fp] = await Promise.all([
    readFile(certPath, 'utf8'),
    readFile(keyPath, 'utf8'),
    openssl(['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256']),
  ]);
  return { certPath, keyPath, cert, key, fingerprint: sdpFingerprint(fp) };
}

const SAN = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

/** `-newkey` arguments of `openssl req` for each key type. */
const NEW_KEY = {
  'P-256': ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'P-384': ['ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'rsa:2048': ['rsa:2048'],
  ed25519: ['ed25519'],
} as const;

/** A self-signed certificate and its key (PKCS#8) made by `openssl req -x509`, in `dir` as `<name>.pem` and `<name>-key.pem`. */
export async function selfSigned(dir: TempDir, name: string, keyType: keyof typeof NEW_KEY, cn: string, ext: string[]): Promise<CertFiles> {
  await openssl([
    'req',
    '-x509',
    '-newkey',
    ...NEW_KEY[keyType],
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    '-days',
    '2',
    ...ext.flatMap((e) => ['-addext', e]),
    '-keyout',
    dir.path(`${name}-key.pem`),
    '-out',
    dir.path(`${name}.pem`),
  ]);
  return certFiles(dir, name);
}

/** Makes every certificate the interop tests use, in `dir`. */
export async function makeCertificates(dir: TempDir): Promise<InteropCerts> {
  const caExt = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const [p256, p384, ca, otherCa, client] = await Promise.all([
    selfSigned(dir, 'p256', 'P-256', 'localhost', [SAN]),
    selfSigned(dir, 'p384', 'P-384', 'localhost', [SAN]),
    selfSigned(dir, 'ca', 'P-256', 'Interop Test CA', caExt),
    selfSigned(dir, 'other-ca', 'P-256', 'Other Test CA', caExt),
    selfSigned(dir, 'client', 'P-256', 'client', []),
  ]);
  const [leaf, clientLeaf] = await Promise.all([
    signedLeaf(dir, 'leaf', ca, 'localhost', [SAN, 'extendedKeyUsage=serverAuth,clientAuth']),
    signedLeaf(dir, 'client-leaf', ca, 'client.example', ['extendedKeyUsage=clientAuth']),
  ]);
  const leafChainPath = dir.path('leaf-chain.pem');
  const clientLeafChainPath = dir.path('client-leaf-chain.pem');
  await Promise.all([writeFile(leafChainPath, leaf.cert + ca.cert), writeFile(clientLeafChainPath, clientLeaf.cert + ca.cert)]);
  return { p256, p384, ca, leaf, leafChainPath, otherCa, client, clientLeaf, clientLeafChainPath };
}

/** A P-256 end-entity certificate for `cn` signed by `ca`. */
async function signedLeaf(dir: TempDir, name: string, ca: CertFiles, cn: string, ext: string[]): Promise<CertFiles> {
  await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    dir.path(`${name}-key.pem`),
    '-out',
    dir.path(`${name}.csr`),
  ]);
  await writeFile(dir.path(`${name}.ext`), ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', ...ext, ''].join('\n'));
  await openssl([
    'x509',
    '-req',
    '-in',
    dir.path(`${name}.csr`),
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-set_serial',
    String(Date.now() + name.length),
    '-days',
    '2',
    '-extfile',
    dir.path(`${name}.ext`),
    '-out',
    dir.path(`${name}.pem`),
  ]);
  return certFiles(dir, name);
}

// ---------------------------------------------------------------- ports

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- processes

import type { ExitStatus } from './peer-process.ts';
export type { ExitStatus };

/** One openssl child process whose output we collect. */
export class OpenSslProcess extends PeerProcess {
  constructor(args: string[]) {
    super('openssl', args);
  }
}

export interface ServerOptions {
  /** Registers stop() with t.after(). */
  t?: TestContext;
  /** How long to wait for "ACCEPT". Default 5 s. */
  timeoutMs?: number;
}

export interface OpenSslServer extends OpenSslProcess {
  readonly port: number;
}

/**
 * Starts `openssl s_server -dtls1_2 -accept 127.0.0.1:PORT ...args` on a free
 * port with stdin kept open, and waits for it to print ACCEPT. Retries on
 * another port if the bind fails (another test took the port).
 */
export async function startServer(args: string[], opts: ServerOptions = {}): Promise<OpenSslServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    const proc = new OpenSslProcess(['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, ...args]);
    opts.t?.after(() => proc.stop());
    try {
      await proc.waitFor(/^ACCEPT$/m, opts.timeoutMs ?? DEFAULT_WAIT);
      return Object.assign(proc, { port }) as OpenSslServer;
    } catch (e) {
      lastError = e;
      await proc.stop();
      if (!/bind|Address already in use/i.test(proc.stderr)) break;
    }
  }
  throw lastError;
}

/** A step of s_client's input: a line to send, a pause, or a wait for its output. */
export type ClientStep = string | { delay: number } | { waitFor: RegExp | string; timeoutMs?: number };

export interface ClientOptions {
  t?: TestContext;
  /** Hard limit for the whole run; the process is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Before sending input, wait for this (default: the end of the handshake). */
  ready?: RegExp | string | null;
  /** After the last step, keep stdin open this long before EOF (close_notify). Default 0. */
  linger?: number;
  /** Don't end stdin after the steps (the test will). */
  keepOpen?: boolean;
}

export interface ClientResult extends ExitStatus {
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The first step that failed (a waitFor that timed out), if any. */
  error: Error | undefined;
  proc: OpenSslProcess;
}

/** Starts `openssl s_client -dtls1_2 -connect 127.0.0.1:PORT ...args` and returns it. */
export function startClient(port: number, args: string[], t?: TestContext): OpenSslProcess {
  const proc = new OpenSslProcess(['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, ...args]);
  t?.after(() => proc.stop());
  return proc;
}

/** The line s_client prints once the handshake is done (its session summary). */
export const CLIENT_READY = /^\s*(Verify return code|Protocol\s*:).*$/m;

/**
 * Runs s_client to completion: waits for the handshake, then feeds `input`
 * (lines, delays, waits for output), then ends stdin so it sends close_notify
 * and exits. Never throws on protocol failure: look at the result. Kills the
 * process after opts.timeoutMs.
 */
export async function runClient(port: number, args: string[], input: ClientStep[] = [], opts: ClientOptions = {}): Promise<ClientResult> {
  const proc = startClient(port, args, opts.t);
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
    if (opts.linger) await sleep(opts.linger);
  } catch (e) {
    error = e as Error;
  }
  if (!opts.keepOpen) proc.endInput();
  const status = await proc.exited;
  clearTimeout(killer);
  return { ...status, stdout: proc.stdout, stderr: proc.stderr, timedOut, error, proc };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Awaits `p` with a deadline; rejects with `what` (a string or a function called at timeout) on timeout. */
export async function within<T>(ms: number, what: string | (() => string), p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof what === 'string' ? what : what()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** "Keying material: HEX" from s_server / s_client output, lower case. */
export function keyingMaterial(output: string): string {
  const m = /Keying material: ([0-9A-F]+)/i.exec(output);
  if (!m) throw new Error(`no "Keying material:" line in the output:\n${output}`);
  return m[1]!.toLowerCase();
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
