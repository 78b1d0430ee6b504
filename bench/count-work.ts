// A fixed amount of work for instruction counting: run it under
// `valgrind --tool=callgrind` twice with different counts and subtract, so
// start-up and warm-up cancel out and what is left is the work itself, the
// same on a machine shared with other work (wall-clock and CPU-time figures
// are not). See bench/instructions.ts, which does the two runs.
//
//   node --import tsx bench/count-work.ts handshake13|handshake12|bulk13|bulk12 N [--warmup W]
import * as nc from 'node:crypto';
import { createNativeProvider } from '../src/crypto/native.ts';
import { generateCertificate } from '../src/x509/generate.ts';
import { corePair } from './core-pair.ts';
import { coreBulkStep } from './bulk-steps.ts';

const [work = 'handshake13', count = '10'] = process.argv.slice(2);
const argv = process.argv.slice(2);
const warmup = argv.includes('--warmup') ? Number(argv[argv.indexOf('--warmup') + 1]) : 20;
const crypto = createNativeProvider(nc);
const cert = generateCertificate();
const version = work.endsWith('13') ? '1.3' : '1.2';
const step = work.startsWith('bulk') ? coreBulkStep(crypto, cert, version) : () => void corePair(crypto, cert, 'x25519', version);
for (let i = 0; i < warmup + Number(count); i++) step();
