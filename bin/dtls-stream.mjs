#!/usr/bin/env node
// Launcher for the `dtls-stream` command: runs src/cli/main.ts through tsx
// (the package ships TypeScript). Works from any working directory.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { run } = await import('../src/cli/main.ts');
await run();
