// Which Chromium the browser tests launch (test/browser/chromium.ts): the one
// named by DTLS_STREAM_CHROMIUM first, else Playwright's own if installed,
// else /usr/bin/chromium; a named file that does not exist is an error, not a
// silent fallback.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { test } from './runner.ts';
import { CHROMIUM_ENV, chromiumExecutable } from './chromium.ts';

test("the Chromium executable: DTLS_STREAM_CHROMIUM, else Playwright's own, else /usr/bin/chromium", { timeout: 10_000 }, async () => {
  assert.equal(CHROMIUM_ENV, 'DTLS_STREAM_CHROMIUM');
  assert.equal(chromiumExecutable({ [CHROMIUM_ENV]: process.execPath }), process.execPath);
  assert.throws(() => chromiumExecutable({ [CHROMIUM_ENV]: '/nonexistent/chrome' }), /DTLS_STREAM_CHROMIUM=\/nonexistent\/chrome: no such file/);
  const own = chromium.executablePath();
  const expected = existsSync(own) ? own : existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
  assert.equal(chromiumExecutable({}), expected);
});
