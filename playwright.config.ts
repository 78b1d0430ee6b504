// `npx playwright test` runs the browser tests (test/browser/*.test.ts); `npm
// test` runs the same files under Node's test runner with everything else
// (test/browser/runner.ts lets one file serve both). Which Chromium, and its
// flags: test/browser/chromium.ts (DTLS_STREAM_CHROMIUM, else Playwright's
// own, else /usr/bin/chromium).
import { defineConfig } from '@playwright/test';
import { launchOptions } from './test/browser/chromium.ts';

// Tells test/browser/runner.ts (in the processes Playwright starts from here) to declare Playwright tests.
process.env.DTLS_STREAM_TEST_RUNNER = 'playwright';

export default defineConfig({
  testDir: './test/browser',
  testMatch: '**/*.test.ts',
  // Each test starts Chromium, servers and sometimes openssl or Deno: one at a time on small machines.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  outputDir: 'test-results/playwright',
  use: {
    browserName: 'chromium',
    launchOptions: launchOptions(),
  },
});
