// Untrusted bytes may only ever produce DtlsError from the parser and verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DtlsError } from '../../src/errors.ts';
import { generateCertificate, parseCertificate, verifyChain } from '../../src/x509/index.ts';

const now = Date.UTC(2030, 0, 1);
const root = generateCertificate({ commonName: 'Fuzz Root', ca: true, now });
const leaf = generateCertificate({ commonName: 'fuzz', subjectAltNames: ['fuzz.test', '10.1.2.3', 'fe80::1'], issuer: root, now });
const p384 = generateCertificate({ curve: 'P-384', now });
const valid = [leaf.chain[0]!, root.chain[0]!, p384.chain[0]!];

function onlyDtlsError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DtlsError, `threw ${String(e)}`);
    // The parser wraps DER errors; anything else underneath would be a bug.
    for (let c: unknown = e.cause; c !== undefined; c = (c as Error).cause) assert.ok(c instanceof DtlsError, `caused by ${String(c)}`);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
);

function mutate(der: Uint8Array, ms: { kind: string; at: number; value: number }[]): Uint8Array {
  let b = der.slice();
  for (const m of ms) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'set' && at < b.length) b[at] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, at);
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), m.value, ...b.subarray(at)]);
    else if (m.kind === 'delete') b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
  }
  return b;
}

test('parseCertificate on random bytes throws only DtlsError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => onlyDtlsError(() => parseCertificate(b))),
    { numRuns: 2000 },
  );
  // Random bytes inside a plausible outer SEQUENCE reach deeper code.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) =>
      onlyDtlsError(() => parseCertificate(Uint8Array.from([0x30, 0x82, b.length >> 8, b.length & 0xff, ...b]))),
    ),
    { numRuns: 2000 },
  );
});

test('parseCertificate on mutated valid certificates throws only DtlsError', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      const bad = mutate(valid[i]!, ms);
      onlyDtlsError(() => parseCertificate(bad));
    }),
    { numRuns: 3000 },
  );
});

test('verifyChain on mutated chains throws only DtlsError', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, ms) => {
      const chain = leaf.chain.slice(0, 2);
      chain[i] = mutate(chain[i]!, ms);
      onlyDtlsError(() => verifyChain(chain, { anchors: [root.chain[0]!], now, provider: nobleProvider, serverName: 'fuzz.test' }));
    }),
    { numRuns: 500 },
  );
});
