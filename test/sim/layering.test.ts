// The core is sans-IO and knows nothing of streams: follows every relative
// import reachable from connection.ts and the core folders and checks that none
// lands in stream/ (or any layer above the core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '../../src');
const CORE_DIRS = ['handshake', 'record', 'reliability', 'wire', 'crypto', 'x509'];
const ABOVE_CORE = ['stream', 'adapters', 'cli', 'webrtc', 'demux', 'testing'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'";]*?from\s*'(\.[^']+)'/g)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

test('nothing the core reaches imports from stream/ or another layer above it', () => {
  const roots = [join(src, 'connection.ts'), join(src, 'clock.ts'), ...CORE_DIRS.flatMap((d) => files(join(src, d)))];
  const seen = new Set<string>();
  const bad: string[] = [];
  const todo = [...roots];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const dep of importsOf(f)) {
      const top = relative(src, dep).split(/[\\/]/)[0]!;
      if (ABOVE_CORE.includes(top)) bad.push(`${relative(src, f)} -> ${relative(src, dep)}`);
      else todo.push(dep);
    }
  }
  assert.ok(seen.size > 40, `walked ${seen.size} files`);
  assert.deepEqual(bad, []);
});
