#!/usr/bin/env node
// Launcher for the `dtls-stream` command. In the source tree (tsx installed)
// it runs src/cli/main.ts directly, so it is never stale; an installed package
// runs the compiled dist/cli/main.js. Works from any working directory.
import { fileURLToPath } from 'node:url';

let tsx;
try {
  tsx = await import('tsx/esm/api');
} catch {
  tsx = undefined;
}
let main;
if (tsx) {
  tsx.register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  main = await import('../src/cli/main.ts');
} else {
  main = await import('../dist/cli/main.js');
}
await main.run();
