// From parsed command-line options to DtlsOptions: reads the PEM files and
// picks the verification rule.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { DtlsOptions, Role, VerifyOption } from '../options.ts';
import type { AnyCertificateKeyPair, CertificateKeyPair } from '../x509/types.ts';
import { generateCertificate } from '../x509/generate.ts';
import { loadCertificateKey } from '../x509/load.ts';
import { decodeClientSession } from '../handshake/ticket13.ts';
import { decodeClientSession12, sessionVersion } from '../handshake/ticket12.ts';
import type { CliOptions } from './args.ts';

/** A failure before any network activity (unreadable file, bad PEM): exit 1. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read ${option} ${file}: ${code ?? (e as Error).message}`);
  }
}

/** --cert/--key (ECDSA, Ed25519 or RSA), or a fresh self-signed ECDSA P-256 certificate. */
export function certificateFrom(o: CliOptions): CertificateKeyPair | AnyCertificateKeyPair {
  if (o.cert === undefined || o.key === undefined) return generateCertificate({ commonName: 'dtls-stream' });
  const cert = readText(o.cert, '--cert');
  const key = readText(o.key, '--key');
  try {
    return loadCertificateKey(cert, key);
  } catch (e) {
    throw new ConfigError(`--cert ${o.cert} / --key ${o.key}: ${(e as Error).message}`);
  }
}

function verifyFrom(o: CliOptions, serverName: string | undefined): VerifyOption | undefined {
  if (o.insecure) return 'insecure';
  if (o.fingerprints.length) return { fingerprints: o.fingerprints };
  if (o.ca !== undefined) {
    const pem = readText(o.ca, '--ca');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`--ca ${o.ca}: no PEM CERTIFICATE block`);
    return { ca: [pem], ...(serverName !== undefined ? { serverName } : {}) };
  }
  return undefined;
}

/**
 * Where session keys go: --keylog FILE, else $SSLKEYLOGFILE (as OpenSSL,
 * GnuTLS and browsers read it), else nowhere. Lines are appended, the file
 * made readable by its owner only.
 */
export function keyLogFrom(o: CliOptions, env: NodeJS.ProcessEnv = process.env): ((line: string) => void) | undefined {
  const file = o.keylog ?? (env.SSLKEYLOGFILE || undefined);
  if (file === undefined) return undefined;
  try {
    appendFileSync(file, '', { mode: 0o600 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot write the key log ${file}: ${code ?? (e as Error).message}`);
  }
  return (line) => appendFileSync(file, `${line}\n`, { mode: 0o600 });
}

/**
 * --sess_in FILE: the session bytes to offer (the library checks them when
 * the connection is made); --sess_out FILE: each session issued, written
 * over FILE, readable by its owner only (it holds the resumption secret).
 * Both files are checked now, so a typo fails before any network activity.
 */
export function sessionOptions(o: Pick<CliOptions, 'sessIn' | 'sessOut'>): Pick<DtlsOptions, 'session' | 'onSession'> {
  const out: Pick<DtlsOptions, 'session' | 'onSession'> = {};
  if (o.sessIn !== undefined) {
    try {
      out.session = new Uint8Array(readFileSync(o.sessIn));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot read --sess_in ${o.sessIn}: ${code ?? (e as Error).message}`);
    }
    try {
      if (sessionVersion(out.session) === '1.2') decodeClientSession12(out.session);
      else decodeClientSession(out.session);
    } catch (e) {
      throw new ConfigError(`--sess_in ${o.sessIn}: not a session written by --sess_out (${(e as Error).message})`);
    }
  }
  const file = o.sessOut;
  if (file !== undefined) {
    try {
      appendFileSync(file, '', { mode: 0o600 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(`cannot write --sess_out ${file}: ${code ?? (e as Error).message}`);
    }
    out.onSession = (session) => writeFileSync(file, session, { mode: 0o600 });
  }
  return out;
}

/**
 * DtlsOptions for one role. `host` (client) supplies the default SNI when it
 * is a name; with --ca the certificate is checked against it, name or IP
 * address (an IP literal is matched to the certificate's IP subjectAltNames).
 */
export function dtlsOptions(o: CliOptions, role: Role, certificate: CertificateKeyPair | AnyCertificateKeyPair, host?: string): DtlsOptions {
  const serverName = role === 'client' ? (o.servername ?? (host !== undefined && !isIP(host) ? host : undefined)) : undefined;
  const options: DtlsOptions = { role, certificate };
  const identity = role === 'client' ? (o.servername ?? host) : undefined;
  const verify = verifyFrom(o, identity);
  const keyLog = keyLogFrom(o);
  if (keyLog) options.keyLog = keyLog;
  if (verify !== undefined) options.verify = verify;
  if (o.ciphers) options.cipherSuites = o.ciphers;
  if (o.groups) options.groups = o.groups as DtlsOptions['groups'];
  if (o.versions) options.versions = o.versions;
  if (o.mtu !== undefined) options.mtu = o.mtu;
  if (o.srtp) options.srtpProfiles = o.srtp;
  if (o.alpn) options.alpn = o.alpn;
  if (serverName !== undefined) options.serverName = serverName;
  if (o.timeout !== undefined) options.handshakeTimeout = o.timeout;
  if (o.retransmit !== undefined) options.retransmit = { initial: o.retransmit };
  if (role === 'client') Object.assign(options, sessionOptions(o));
  if (role === 'server') {
    if (o.cookie !== undefined) options.requireCookie = o.cookie;
    if (o.verifyClient) options.requestClientCertificate = 'require';
  }
  return options;
}
