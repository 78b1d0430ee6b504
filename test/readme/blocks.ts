// Code blocks of README.md and how to run one: shared by the README tests.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  exports: Record<string, { default: string }>;
};

export interface Block {
  line: number;
  lang: string;
  code: string;
  marker: Record<string, string>;
}

export function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const marker: Record<string, string> = {};
    const comment = /^<!--\s*readme-test:(.*?)-->\s*$/.exec(lines[start - 1] ?? '');
    if (comment) for (const m of comment[1]!.matchAll(/(\w+)(?:=("[^"]*"|\S+))?/g)) marker[m[1]!] = m[2]?.replace(/^"|"$/g, '') ?? '';
    out.push({ line: start + 1, lang: open[1]!, code: body.join('\n'), marker });
  }
  return out;
}

/** `dtls-stream` and its subpaths as this repository's sources (dist/x.js -> src/x.ts). */
export function mapImports(code: string): string {
  return code.replace(/from '(dtls-stream(?:\/[\w-]+)?)'/g, (_, spec: string) => {
    const key = spec === 'dtls-stream' ? '.' : `./${spec.slice('dtls-stream/'.length)}`;
    const target = pkg.exports[key];
    assert.ok(target, `README imports ${spec}, which package.json does not export`);
    const src = target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
    return `from '${join(ROOT, src)}'`;
  });
}

/** Runs TypeScript as a child process (bounded); fails on a non-zero exit or anything on stderr. */
export async function runTs(code: string, what: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dtls-readme-'));
  const file = join(dir, 'block.mts'); // an ES module (top-level await), wherever it is
  writeFileSync(file, mapImports(code));
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 30_000, killSignal: 'SIGKILL' }).catch(
      (e: { code?: unknown; killed?: boolean; stdout?: string; stderr?: string }) => {
        assert.fail(`${what} ${e.killed ? 'did not exit within 30 s' : `exited with ${String(e.code)}`}:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
      },
    );
    assert.equal(stderr, '', `${what} wrote to stderr`);
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
