// One way to declare a browser test that both runners run: Node's test runner
// (`npm test`, with every other test) and @playwright/test (`npx playwright
// test`, reading playwright.config.ts). A test gets `t.after(fn)` for teardown
// under either; after-hooks run in the order they were added, all of them, and
// the first one that threw fails the test (as node:test does).
import { test as nodeTest } from 'node:test';

export interface TestContext {
  after(fn: () => unknown): void;
}

type Body = (t: TestContext) => Promise<void>;

/** Set by playwright.config.ts, so in every process Playwright starts to load or run test files. */
const underPlaywright = process.env.DTLS_STREAM_TEST_RUNNER === 'playwright';
const pw = underPlaywright ? (await import('@playwright/test')).test : undefined;

export function test(name: string, options: { timeout: number }, body: Body): void {
  const playwright = pw;
  if (!playwright) {
    nodeTest(name, options, (t) => body(t));
    return;
  }
  // Playwright places a test where test() was called, here; the file's name in the title says where it is.
  const file = /\/(test\/browser\/[^/:]+\.test\.ts)/.exec(new Error().stack ?? '')?.[1] ?? 'test/browser';
  playwright.describe(file, () => declare(playwright, name, options, body));
}

function declare(playwright: NonNullable<typeof pw>, name: string, options: { timeout: number }, body: Body): void {
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a test uses from this pattern: none
  playwright(name, async ({}, info) => {
    info.setTimeout(options.timeout);
    const hooks: (() => unknown)[] = [];
    let failure: { error: unknown } | undefined;
    try {
      await body({ after: (fn) => void hooks.push(fn) });
    } catch (error) {
      failure = { error };
    }
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  });
}
