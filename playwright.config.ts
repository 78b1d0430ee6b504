// How the browser tests launch Chromium. The tests drive playwright-core from
// Node's own test runner (so `npm test` runs everything); this file holds the
// one browser setup they share, in the shape @playwright/test would read.
// Debian's Chromium, not a Playwright download (none is possible here), with
// flags that work as root and keep it off the network.
export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

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

export default {
  testDir: './test/browser',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: CHROMIUM_EXECUTABLE, args: CHROMIUM_ARGS, timeout: 15_000 },
  },
} as const;
