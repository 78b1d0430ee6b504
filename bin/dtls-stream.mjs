#!/usr/bin/env node
// Launcher for the `dtls-stream` command. An installed package always runs the
// compiled dist/cli/main.js, whatever else the project has installed (a tsx
// found up the tree must not take over). Only a source checkout (tsconfig.json
// beside src/, not under node_modules) runs src/cli/main.ts through its own
// tsx, so the command there is never stale. Works from any working directory.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const tsconfig = fileURLToPath(new URL('tsconfig.json', root));
const checkout =
  !fileURLToPath(root).split(/[\\/]/).includes('node_modules') &&
  existsSync(tsconfig) &&
  existsSync(new URL('src/cli/main.ts', root)) &&
  existsSync(new URL('node_modules/tsx/', root));

let main;
if (checkout) {
  const tsx = await import('tsx/esm/api');
  tsx.register({ tsconfig });
  main = await import('../src/cli/main.ts');
} else {
  main = await import('../dist/cli/main.js');
}
await main.run();
