// Command-line parsing for `dtls-stream`: a small hand-written parser with no
// dependency. Every value is checked here, so a mistake is a usage error
// (exit 2) before any socket is opened.
import { CIPHER_SUITES, TLS13_CIPHER_SUITES } from '../crypto/suites.ts';
import type { ProtocolVersionName } from '../options.ts';
import { cipherSuiteName, parseGroup13, parseSrtpProfile } from '../options-names.ts';
import { parseFingerprint } from '../x509/fingerprint.ts';

/** A mistake on the command line: reported in one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface HostPort {
  host: string;
  port: number;
}

export interface CliOptions {
  cert: string | undefined;
  key: string | undefined;
  ca: string | undefined;
  fingerprints: string[];
  insecure: boolean;
  ciphers: string[] | undefined;
  groups: string[] | undefined;
  /** --dtls1_2 / --dtls1_3 (both: both); undefined: the library's default. */
  versions: ProtocolVersionName[] | undefined;
  mtu: number | undefined;
  srtp: string[] | undefined;
  alpn: string[] | undefined;
  servername: string | undefined;
  /** Server: undefined keeps listen()'s default (cookies on). */
  cookie: boolean | undefined;
  verifyClient: boolean;
  export: { label: string; length: number } | undefined;
  timeout: number | undefined;
  retransmit: number | undefined;
  /** Client: ms to wait for replies after EOF on stdin. */
  linger: number;
  echo: boolean;
  once: boolean;
  /** Client: write each session the server issues (DTLS 1.3 or 1.2) to this file, replacing it (--sess_out). */
  sessOut: string | undefined;
  /** Client: resume the session in this file, written by --sess_out (--sess_in). */
  sessIn: string | undefined;
  /** NSS key log file (--keylog, else $SSLKEYLOGFILE when the command runs). */
  keylog: string | undefined;
  /** Print the ladder of handshake messages and flights. */
  trace: boolean;
  /** stderr as JSON lines (events, summary, errors) instead of text. */
  json: boolean;
  /** Only records on stdout and errors on stderr. */
  quiet: boolean;
}

export type Command =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'client'; target: HostPort; options: CliOptions }
  | { command: 'server'; listen: HostPort; options: CliOptions };

export const USAGE = `Usage:
  dtls-stream client HOST:PORT [options]
  dtls-stream server --listen [HOST:]PORT [--echo] [--once] [options]

client: each line of stdin, with its newline, is sent as one record (a line
over 16384 bytes as several); each record received is printed as it came, like
openssl s_client. At EOF it waits --linger ms for replies, sends close_notify
and exits. server: prints each record received as it came; --echo sends it
back; --once exits after the first connection closes.
HOST may be an IPv6 literal in brackets: [::1]:4433. A bare PORT listens on
all IPv4 addresses (0.0.0.0), like openssl s_server -accept PORT.
What is printed on stderr: the handshake summary, progress and errors.

Options:
  --cert FILE             certificate chain (PEM); default: a fresh self-signed ECDSA P-256 one
  --key FILE              private key of --cert (PEM)
  --ca FILE               verify the peer's chain against these CA certificates (PEM)
  --fingerprint FP        accept a peer certificate with this fingerprint, e.g. 'sha-256 AB:CD:..' (repeatable)
  --insecure              accept any peer certificate
  --cipher LIST           cipher suites, IANA or OpenSSL names, ':' or ',' separated
  --groups LIST           key exchange groups: x25519, P-256, P-384, X25519MLKEM768 (DTLS 1.3)
  --mtu N                 largest datagram to send (default 1200)
  --srtp PROFILES         offer/accept DTLS-SRTP profiles, e.g. SRTP_AES128_CM_SHA1_80
  --alpn LIST             ALPN protocols, ':' or ',' separated
  --servername NAME       client: SNI to send and check the certificate against (with --ca)
  --cookie, --no-cookie   server: require a HelloVerifyRequest cookie (default on)
  --verify-client         server: require a client certificate, checked with --ca/--fingerprint/--insecure
  --export LABEL:LEN      print LEN bytes of exported keying material after the handshake
  --timeout MS            handshake timeout (default 30000)
  --retransmit MS         initial retransmission timer (default 100; 1000 is the RFC's general value)
  --linger MS             client: wait for replies after EOF on stdin (default 500)
  --echo                  server: send each record back
  --once                  server: exit after the first connection closes
  --sess_out FILE         client: write each session the server issues to FILE (replaced each time;
                          it holds a secret, like a key)
  --sess_in FILE          client: resume the session in FILE (from --sess_out); a full handshake
                          when the server declines it. The summary says "Resumed: yes" or "Resumed: no"
  --keylog FILE           append the session keys to FILE in the NSS key log format (for Wireshark);
                          without it, $SSLKEYLOGFILE is used when set
  --trace                 print the handshake messages and flights as they go, as a ladder
  --json                  print the summary, events and errors as JSON lines on stderr
  --quiet                 print only the records received and errors
  --dtls1_2               use DTLS 1.2 only (OpenSSL's name); default: DTLS 1.3, falling back to 1.2
  --dtls1_3               use DTLS 1.3 only; with --dtls1_2, offer or accept both
  -h, --help              show this help
  --version               show the version

A client needs --ca, --fingerprint or --insecure.
Exit status: 0 on a clean close, 1 on a failure, 2 on a usage error.`;

type Flag = 'insecure' | 'verifyClient' | 'echo' | 'once' | 'trace' | 'json' | 'quiet';
const FLAGS: Record<string, [Flag | 'cookie' | '1.2' | '1.3', boolean]> = {
  '--insecure': ['insecure', true],
  '--trace': ['trace', true],
  '--json': ['json', true],
  '--quiet': ['quiet', true],
  '--dtls1_2': ['1.2', true],
  '--dtls1_3': ['1.3', true],
  '--verify-client': ['verifyClient', true],
  '--echo': ['echo', true],
  '--once': ['once', true],
  '--cookie': ['cookie', true],
  '--no-cookie': ['cookie', false],
};
const VALUED = new Set([
  '--listen',
  '--cert',
  '--key',
  '--ca',
  '--fingerprint',
  '--cipher',
  '--groups',
  '--mtu',
  '--srtp',
  '--alpn',
  '--servername',
  '--export',
  '--timeout',
  '--retransmit',
  '--linger',
  '--keylog',
  '--sess_out',
  '--sess_in',
]);
const CLIENT_ONLY = new Set(['--servername', '--linger', '--sess_out', '--sess_in']);
const SERVER_ONLY = new Set(['--listen', '--echo', '--once', '--cookie', '--no-cookie', '--verify-client']);

/**
 * "host:port", "[v6]:port"; port 0 is allowed when `allowZero` (listen on any
 * free port); a bare "port" when `bareHost` is given (s_server -accept PORT).
 */
export function parseHostPort(s: string, what: string, allowZero = false, bareHost?: string): HostPort {
  const bare = bareHost !== undefined && /^\d+$/.test(s) ? [s, bareHost, s] : null;
  const m = bare ?? /^\[([0-9a-fA-F:.%\w]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]\s]+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`${what}: expected ${bareHost !== undefined ? '[HOST:]PORT' : 'HOST:PORT'} or [IPv6]:PORT, got ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535 || (port === 0 && !allowZero)) {
    throw new UsageError(`${what}: bad port ${JSON.stringify(m[2])}`);
  }
  return { host: m[1]!, port };
}

/** "host:port" for display, bracketing IPv6 literals. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function list(s: string, option: string): string[] {
  const items = s
    .split(/[:,]/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (!items.length) throw new UsageError(`${option}: empty list`);
  return items;
}

function integer(s: string, option: string, min: number, max: number): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option}: expected an integer in ${min}..${max}, got ${JSON.stringify(s)}`);
  }
  return n;
}

/** Runs a validator from src/, turning its TypeError into a usage error. */
function check<T>(option: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${option}: ${(e as Error).message}`);
  }
}

function defaults(): CliOptions {
  return {
    cert: undefined,
    key: undefined,
    ca: undefined,
    fingerprints: [],
    insecure: false,
    ciphers: undefined,
    groups: undefined,
    versions: undefined,
    mtu: undefined,
    srtp: undefined,
    alpn: undefined,
    servername: undefined,
    cookie: undefined,
    verifyClient: false,
    export: undefined,
    timeout: undefined,
    retransmit: undefined,
    linger: 500,
    echo: false,
    once: false,
    keylog: undefined,
    sessOut: undefined,
    sessIn: undefined,
    trace: false,
    json: false,
    quiet: false,
  };
}

/** Parses argv (without node and the script). Throws UsageError. */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help' };
  if (argv.includes('--version')) return { command: 'version' };
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command: client or server');
  if (command === 'help') return { command: 'help' };
  if (command === 'version') return { command: 'version' };
  if (command !== 'client' && command !== 'server') {
    throw new UsageError(`unknown command ${JSON.stringify(command)}: expected client or server`);
  }

  const o = defaults();
  const positional: string[] = [];
  let listen: HostPort | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      positional.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if ((command === 'client' && SERVER_ONLY.has(name)) || (command === 'server' && CLIENT_ONLY.has(name))) {
      throw new UsageError(`${name} is not an option of the ${command} command`);
    }
    const flag = FLAGS[name];
    if (flag) {
      if (eq >= 0) throw new UsageError(`${name} takes no value`);
      const [key, value] = flag;
      if (key === 'cookie') o.cookie = value;
      else if (key === '1.2' || key === '1.3') o.versions = [...new Set([...(o.versions ?? []), key])].sort().reverse() as ProtocolVersionName[];
      else o[key] = value;
      continue;
    }
    if (!VALUED.has(name)) throw new UsageError(`unknown option ${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = rest[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`${name} needs a value`);
      value = next;
      i++;
    }
    switch (name) {
      case '--listen':
        listen = parseHostPort(value, name, true, '0.0.0.0');
        break;
      case '--cert':
        o.cert = value;
        break;
      case '--key':
        o.key = value;
        break;
      case '--ca':
        o.ca = value;
        break;
      case '--fingerprint':
        check(name, () => parseFingerprint(value));
        o.fingerprints.push(value.trim());
        break;
      case '--cipher':
        o.ciphers = list(value, name).map((c) => {
          const suite = cipherSuiteName(c);
          if (!suite) {
            const known = [...CIPHER_SUITES.map((x) => `${x.opensslName} (${x.name})`), ...TLS13_CIPHER_SUITES.map((x) => `${x.name} (DTLS 1.3)`)].join(', ');
            throw new UsageError(`${name}: unsupported cipher suite ${JSON.stringify(c)}; supported: ${known}`);
          }
          return suite;
        });
        break;
      case '--groups':
        o.groups = list(value, name).map((g) => check(name, () => parseGroup13(g)));
        break;
      case '--mtu':
        o.mtu = integer(value, name, 128, 65507);
        break;
      case '--srtp':
        o.srtp = list(value, name).map((p) => (check(name, () => parseSrtpProfile(p)), p.toUpperCase()));
        break;
      case '--alpn':
        o.alpn = list(value, name);
        for (const p of o.alpn) if (p.length > 255) throw new UsageError(`${name}: protocol name longer than 255 bytes`);
        break;
      case '--servername':
        if (!value) throw new UsageError(`${name} needs a value`);
        o.servername = value;
        break;
      case '--export': {
        const at = value.lastIndexOf(':');
        const label = at > 0 ? value.slice(0, at) : '';
        if (!label) throw new UsageError(`${name}: expected LABEL:LENGTH, got ${JSON.stringify(value)}`);
        o.export = { label, length: integer(value.slice(at + 1), name, 1, 65535) };
        break;
      }
      case '--timeout':
        o.timeout = integer(value, name, 1, 2 ** 31 - 1);
        break;
      case '--retransmit':
        o.retransmit = integer(value, name, 1, 60000);
        break;
      case '--linger':
        o.linger = integer(value, name, 0, 2 ** 31 - 1);
        break;
      case '--keylog':
        if (!value) throw new UsageError(`${name} needs a value`);
        o.keylog = value;
        break;
      case '--sess_out':
      case '--sess_in':
        if (!value) throw new UsageError(`${name} needs a value`);
        if (name === '--sess_out') o.sessOut = value;
        else o.sessIn = value;
        break;
    }
  }

  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together');
  if (o.json && o.quiet) throw new UsageError('use only one of --json, --quiet');
  const ways = [o.insecure && '--insecure', o.ca !== undefined && '--ca', o.fingerprints.length > 0 && '--fingerprint'].filter(Boolean);
  if (ways.length > 1) throw new UsageError(`use only one of ${ways.join(', ')}`);

  if (command === 'client') {
    if (positional.length !== 1) {
      throw new UsageError(positional.length ? `unexpected argument ${JSON.stringify(positional[1])}` : 'client needs HOST:PORT');
    }
    const target = parseHostPort(positional[0]!, 'client');
    if (!ways.length) throw new UsageError('a client needs --ca FILE, --fingerprint FP or --insecure to check the server');
    return { command, target, options: o };
  }
  if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  if (!listen) throw new UsageError('server needs --listen [HOST:]PORT');
  if (o.verifyClient && !ways.length) {
    throw new UsageError('--verify-client needs --ca FILE, --fingerprint FP or --insecure to check the client');
  }
  if (!o.verifyClient && ways.length) throw new UsageError(`${ways[0]} on a server only applies with --verify-client`);
  return { command, listen, options: o };
}
