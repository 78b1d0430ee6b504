// Reading a BoGo run: the DTLS test list, bogo/config.json's skip patterns,
// the runner's JSON results and -pipe output, the shim's log of unimplemented
// reasons, bogo/kept.json (failures kept on purpose, each with its reason),
// and the comparison with bogo/expectations.txt. Pure functions, so
// scripts/bogo.ts stays a thin driver and test/bogo can check them directly.

/** The runner's -shim-config file (ssl/test/runner/runner.go ShimConfiguration). */
export interface ShimConfig {
  /** Glob pattern (filepath.Match: `*` any run of characters) -> why it is skipped. */
  DisabledTests: Record<string, string>;
  /** BoringSSL's error string -> substrings of our stderr that mean the same. */
  ErrorMap: Record<string, string[]>;
  /**
   * How many records the shim's ACK names at most (BoringSSL keeps 32). Ours
   * names as many as fit one datagram, the newest first (RFC 9147 7.1): 73
   * at the default MTU of 1200 (src/options.ts). The runner expects the
   * newest this many, fewer when a test sets a smaller MTU.
   */
  MaxACKBuffer?: number;
}

export type Version = 'DTLS 1.0' | 'DTLS 1.2' | 'DTLS 1.3' | 'default';

/**
 * bogo/kept.json: glob -> why a test that fails is a behaviour kept on purpose
 * (the RFC lets us, or asks for ours; docs/BOGO.md says more). Such a test still
 * runs; failing, it counts as kept, not failed; passing, it counts as passed.
 */
export type KeptTests = Record<string, string>;

export interface TestOutcome {
  name: string;
  version: Version;
  status: 'passed' | 'skipped' | 'unimplemented' | 'kept' | 'failed';
  /** Skipped: the config's reason; unimplemented: the shim's; kept: bogo/kept.json's; failed: the runner's message. */
  reason: string;
  /** Kept: the runner's message. */
  detail?: string;
}

/** Names of the DTLS tests from dtls-tests.tsv (a header, then "name<TAB>flags" lines). */
export function readDtlsTests(tsv: string): string[] {
  return tsv
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0]!)
    .filter(Boolean);
}

/** Go's filepath.Match for names without separators: `*`, `?`, and `[...]` classes. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) throw new SyntaxError(`unclosed [ in ${glob}`);
      const body = glob.slice(i + 1, end);
      re += `[${body.startsWith('^') ? '^' + body.slice(1) : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const compiled = new WeakMap<Record<string, string>, [RegExp, string][]>();

/** The reason of the first pattern of `patterns` (glob -> reason) matching `name`. */
function matchReason(patterns: Record<string, string>, name: string): string | undefined {
  let list = compiled.get(patterns);
  if (!list) {
    list = Object.entries(patterns).map(([p, r]) => [globToRegExp(p), r]);
    compiled.set(patterns, list);
  }
  return list.find(([re]) => re.test(name))?.[1];
}

/** The reason a test is skipped by the config, or undefined when it runs. */
export function disabledReason(config: ShimConfig, name: string): string | undefined {
  return matchReason(config.DisabledTests, name);
}

/** Why a failure of `name` is kept on purpose (bogo/kept.json), or undefined. */
export function keptReason(kept: KeptTests, name: string): string | undefined {
  return matchReason(kept, name);
}

/**
 * The version a test is about, from its name: the runner names versioned
 * tests with TLS1 / TLS12 / TLS13 (in DTLS: 1.0, 1.2, 1.3). A name with TLS1
 * involves DTLS 1.0 even when it names another version too. "default": no
 * version in the name, so both sides offer their defaults (1.3 and 1.2).
 */
export function versionOf(name: string): Version {
  if (/TLS1(?![0-9])|DTLS10/.test(name)) return 'DTLS 1.0';
  if (/TLS13/.test(name)) return 'DTLS 1.3';
  if (/TLS12/.test(name)) return 'DTLS 1.2';
  return 'default';
}

interface ResultsNode {
  actual?: string;
  [key: string]: unknown;
}

/** Chromium's JSON test results (the runner's -json-output): name -> "PASS" | "FAIL" | "SKIP". */
export function parseRunnerOutput(json: { tests: Record<string, unknown>; path_delimiter?: string }): Record<string, string> {
  const out: Record<string, string> = {};
  const delim = json.path_delimiter ?? '.';
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      const name = prefix ? prefix + delim + k : k;
      const n = v as ResultsNode;
      if (typeof n.actual === 'string') out[name] = n.actual;
      else walk(n as Record<string, unknown>, name);
    }
  };
  walk(json.tests, '');
  return out;
}

/** The runner's message for each failed test, from its -pipe output ("FAILED (name)" then the message). */
export function failureMessages(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (current) out.set(current, lines.join('\n').trim());
    current = undefined;
    lines = [];
  };
  for (const line of stdout.split('\n')) {
    const m = /^(PASSED|FAILED|UNIMPLEMENTED) \((.*)\)$/.exec(line);
    if (m) {
      flush();
      if (m[1] === 'FAILED') current = m[2];
    } else if (current) lines.push(line);
  }
  flush();
  return out;
}

/** One outcome per selected test. `reasons`: the shim's log (name -> why it exited 89). */
export function classify(
  selected: string[],
  config: ShimConfig,
  results: Record<string, string>,
  reasons: Map<string, string>,
  stdout: string,
  kept: KeptTests = {},
): TestOutcome[] {
  const failures = failureMessages(stdout);
  return selected.map((name): TestOutcome => {
    const version = versionOf(name);
    const disabled = disabledReason(config, name);
    if (disabled !== undefined) return { name, version, status: 'skipped', reason: disabled };
    const r = results[name];
    if (r === 'PASS') return { name, version, status: 'passed', reason: '' };
    if (r === 'SKIP') return { name, version, status: 'unimplemented', reason: (reasons.get(name) ?? 'unknown').replace(/^Unimplemented: /, '') };
    if (r === 'FAIL') {
      const message = failures.get(name) ?? 'failed (no message)';
      const why = keptReason(kept, name);
      return why === undefined ? { name, version, status: 'failed', reason: message } : { name, version, status: 'kept', reason: why, detail: message };
    }
    return { name, version, status: 'failed', reason: `no result from the runner (${r ?? 'missing'})` };
  });
}

/** bogo/expectations.txt: one test name a line; `#` starts a comment. */
export function parseExpectations(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean),
  );
}

/**
 * Regressions: an expected test (among those in this run) that did not pass,
 * or that the config now skips. Newly passing: passed but not listed.
 */
export function compareWithExpectations(outcomes: TestOutcome[], expected: Set<string>, config: ShimConfig) {
  const problems: { name: string; detail: string }[] = [];
  /** Expected tests that ran and did not pass (a skipped one is a problem no second run changes). */
  const failed: string[] = [];
  const newlyPassing: string[] = [];
  let checked = 0;
  for (const o of outcomes) {
    if (expected.has(o.name)) {
      checked++;
      if (disabledReason(config, o.name) !== undefined) problems.push({ name: o.name, detail: 'expected to pass but bogo/config.json skips it' });
      else if (o.status !== 'passed') {
        problems.push({ name: o.name, detail: `${o.status}: ${o.reason}` });
        failed.push(o.name);
      }
    } else if (o.status === 'passed') newlyPassing.push(o.name);
  }
  return { problems, failed, newlyPassing, checked };
}
