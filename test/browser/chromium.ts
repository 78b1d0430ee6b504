// Which Chromium the browser tests launch, and how. In order: the executable
// named by DTLS_STREAM_CHROMIUM (the CLI's dependency check reads the same
// variable), Playwright's own Chromium where one was installed (`npx
// playwright install chromium`), else the system's /usr/bin/chromium (Debian's
// package, as CI has). Flags that work as root and keep it off the network.
import { existsSync } from 'node:fs';
import { chromium, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_ENV = 'DTLS_STREAM_CHROMIUM';
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The Chromium to launch, or undefined when there is none (launching then fails with Playwright's own advice). */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[CHROMIUM_ENV];
  if (named) {
    if (!existsSync(named)) throw new Error(`${CHROMIUM_ENV}=${named}: no such file`);
    return named;
  }
  let own: string | undefined;
  try {
    own = chromium.executablePath();
  } catch {
    // no browser registry entry for this platform
  }
  if (own && existsSync(own)) return own;
  return existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** WebTransport runs over QUIC (HTTP/3): the same flags without --disable-quic. */
export const WEBTRANSPORT_ARGS = CHROMIUM_ARGS.filter((a) => a !== '--disable-quic');

export function launchOptions(args: readonly string[] = CHROMIUM_ARGS): LaunchOptions {
  const executablePath = chromiumExecutable();
  return { ...(executablePath ? { executablePath } : {}), args: [...args], timeout: 15_000 };
}
