// What the tests need that npm does not bring: the real peers (OpenSSL, GnuTLS,
// Chromium) and tshark. Checked before any test runs, so a missing one is named
// with the command that installs it instead of showing up as many cryptic
// failures. As root on Debian/Ubuntu (as CI runs) they are installed with apt.
//
// Chromium is found, in order: $DTLS_STREAM_CHROMIUM; Playwright's own
// download (playwright-core's executablePath, when that file exists); chromium
// or chromium-browser on PATH. The path found is handed to the tests in
// DTLS_STREAM_CHROMIUM.
//
// `node scripts/check-peers.mjs` checks everything; run-tests.mjs checks what
// the selected test files use.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Each tool: the commands it provides, and its package per installer. */
export const TOOLS = {
  openssl: { bins: ['openssl'], apt: 'openssl', brew: 'openssl@3', uses: /\bopenssl\b/ },
  gnutls: { bins: ['gnutls-serv', 'gnutls-cli'], apt: 'gnutls-bin', brew: 'gnutls', uses: /gnutls-(?:serv|cli)/ },
  tshark: { bins: ['tshark'], apt: 'tshark', brew: 'wireshark', uses: /\btshark\b/ },
  // Browser tests launch it through Playwright (or an example's --chromium flag).
  chromium: {
    bins: ['chromium'],
    apt: 'chromium',
    brew: '--cask chromium',
    uses: /from '(?:playwright-core|@playwright\/test)'|playwright\.config|'--chromium'/,
  },
};

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on PATH, or undefined. */
export function which(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The Chromium to test with, or undefined; throws when DTLS_STREAM_CHROMIUM names no executable. */
export async function findChromium(env = process.env) {
  const given = env.DTLS_STREAM_CHROMIUM;
  if (given) {
    if (!executable(given)) throw new Error(`DTLS_STREAM_CHROMIUM=${given} is not an executable file`);
    return given;
  }
  try {
    const { chromium } = await import('playwright-core');
    const own = chromium.executablePath();
    if (own && executable(own)) return own;
  } catch {
    // playwright-core not installed yet (before npm ci) or no build for this platform
  }
  return which('chromium', env) ?? which('chromium-browser', env);
}

/** Which tools the given test files (and the helpers beside them) use. */
export function toolsUsedBy(files) {
  const dirs = new Set(files.map((f) => dirname(f)));
  const text = [];
  for (const d of dirs) {
    for (const name of readdirSync(d)) if (name.endsWith('.ts')) text.push(readFileSync(join(d, name), 'utf8'));
  }
  const all = text.join('\n');
  return Object.keys(TOOLS).filter((t) => TOOLS[t].uses.test(all));
}

/** { missing: tool names, chromium: path | undefined } for the tools asked. */
export async function probe(tools, env = process.env) {
  const missing = [];
  let chromium;
  for (const t of tools) {
    if (t === 'chromium') {
      chromium = await findChromium(env);
      if (!chromium) missing.push(t);
    } else if (TOOLS[t].bins.some((b) => !which(b, env))) missing.push(t);
  }
  return { missing, chromium };
}

function isDebianRoot(env) {
  return process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/etc/debian_version') && !!which('apt-get', env);
}

/** The commands that install `missing`, for a person to run. */
export function installHelp(missing) {
  const apt = missing.map((t) => TOOLS[t].apt);
  const brewFormulae = missing.filter((t) => !TOOLS[t].brew.startsWith('--')).map((t) => TOOLS[t].brew);
  const lines = [`  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y ${apt.join(' ')}`];
  if (brewFormulae.length) lines.push(`  macOS:         brew install ${brewFormulae.join(' ')}`);
  if (missing.includes('chromium')) {
    lines.push('  macOS:         brew install --cask chromium');
    lines.push('  Chromium elsewhere: set DTLS_STREAM_CHROMIUM=/path/to/chromium');
  }
  return lines.join('\n');
}

function aptInstall(missing, log, env) {
  const pkgs = missing.map((t) => TOOLS[t].apt);
  log(`check-peers: installing ${pkgs.join(' ')} with apt-get (running as root on Debian/Ubuntu)`);
  const apt = which('apt-get', env);
  if (!apt) return false;
  for (const args of [['update'], ['install', '-y', ...pkgs]]) {
    const r = spawnSync(apt, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) return false;
  }
  return true;
}

/**
 * Makes sure `tools` are there (installing them as root on Debian/Ubuntu).
 * Resolves with the environment for the tests, or with an error message.
 */
export async function ensurePeers(tools, { env = process.env, log = (s) => process.stderr.write(`${s}\n`), install = isDebianRoot(env) } = {}) {
  let found;
  try {
    found = await probe(tools, env);
  } catch (e) {
    return { error: `check-peers: ${e.message}` };
  }
  if (found.missing.length && install) {
    if (aptInstall(found.missing, log, env)) found = await probe(tools, env);
  }
  if (found.missing.length) {
    const names = found.missing.map((t) => `${t} (${TOOLS[t].bins.join(', ')})`).join(', ');
    return {
      error: `check-peers: the tests need ${names}, which ${found.missing.length > 1 ? 'are' : 'is'} not installed. Install with:\n${installHelp(found.missing)}`,
    };
  }
  return { env: found.chromium ? { ...env, DTLS_STREAM_CHROMIUM: found.chromium } : env };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await ensurePeers(Object.keys(TOOLS));
  if (r.error) {
    process.stderr.write(`${r.error}\n`);
    process.exit(1);
  }
  process.stdout.write(`check-peers: all found${r.env.DTLS_STREAM_CHROMIUM ? ` (chromium: ${r.env.DTLS_STREAM_CHROMIUM})` : ''}\n`);
}
