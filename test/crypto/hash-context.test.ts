// The running hash (CryptoProvider.hashContext) and the 1.3 transcript built on
// it: every digest taken between updates must equal the one-shot hash of all
// data so far, in both providers and for every hash, and a digest must leave
// the running state intact. Transcripts are random (seeded), including the
// message_hash restart after a HelloRetryRequest (RFC 8446 4.4.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nc from 'node:crypto';
import { createNativeProvider } from '../../src/crypto/native.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import type { CryptoProvider, HashName } from '../../src/crypto/provider.ts';
import { Transcript13 } from '../../src/handshake/common13.ts';
import { encodeMessageHash, encodeTranscriptMessage } from '../../src/wire/messages13/transcript.ts';
import { concat } from '../../src/wire/codec.ts';
import { Rng } from '../../src/testing/network.ts';

const providers: [string, CryptoProvider][] = [
  ['noble', nobleProvider],
  ['node:crypto', createNativeProvider(nc)],
];
const HASHES: HashName[] = ['sha256', 'sha384', 'sha512', 'sha1'];

function randomBytes(rng: Rng, max: number): Uint8Array {
  const b = new Uint8Array(rng.int(max + 1));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(256);
  return b;
}

for (const [name, p] of providers) {
  test(`${name} hashContext: each digest equals the one-shot hash of all data so far`, () => {
    const rng = new Rng(0x1313);
    for (const h of HASHES) {
      for (let trial = 0; trial < 20; trial++) {
        const ctx = p.hashContext!(h);
        const seen: Uint8Array[] = [];
        // Digest of nothing, then after each piece (some empty, some past a block).
        assert.deepEqual(ctx.digest(), p.hash(h, new Uint8Array(0)));
        for (let i = rng.int(8); i >= 0; i--) {
          const piece = randomBytes(rng, rng.int(4) === 0 ? 300 : 40);
          ctx.update(piece);
          seen.push(piece);
          const want = p.hash(h, concat(...seen));
          assert.deepEqual(ctx.digest(), want, `${h} trial ${trial}`);
          // Twice in a row: a digest does not consume the state.
          assert.deepEqual(ctx.digest(), want);
        }
      }
    }
  });

  test(`${name} Transcript13: digests at every step equal the one-shot hash, with and without a HelloRetryRequest`, () => {
    const rng = new Rng(0x8446);
    for (const h of ['sha256', 'sha384'] as const) {
      for (let trial = 0; trial < 30; trial++) {
        const t = new Transcript13(h);
        const frames: Uint8Array[] = [];
        if (trial % 2 === 1) {
          // After a HelloRetryRequest the transcript starts over from message_hash (RFC 8446 4.4.1).
          const ch1 = p.hash(h, encodeTranscriptMessage(1, randomBytes(rng, 200)));
          t.addMessageHash(ch1);
          frames.push(encodeMessageHash(ch1));
        }
        for (let i = 1 + rng.int(10); i > 0; i--) {
          const type = 1 + rng.int(24);
          const body = randomBytes(rng, rng.int(3) === 0 ? 1500 : 100);
          t.add(type, body);
          frames.push(encodeTranscriptMessage(type, body));
          // Not every step is digested: messages may pile up between digests.
          if (rng.int(3) !== 0) assert.deepEqual(t.digest(p), p.hash(h, concat(...frames)), `${h} trial ${trial}`);
        }
        assert.deepEqual(t.digest(p), p.hash(h, concat(...frames)));
      }
    }
  });
}

test('Transcript13 without hashContext (a provider that lacks it) hashes the whole transcript', () => {
  const bare: CryptoProvider = { ...nobleProvider, hashContext: undefined };
  const t = new Transcript13('sha256');
  t.add(1, Uint8Array.of(1, 2, 3));
  const first = t.digest(bare);
  t.add(2, Uint8Array.of(4));
  assert.deepEqual(first, nobleProvider.hash('sha256', encodeTranscriptMessage(1, Uint8Array.of(1, 2, 3))));
  assert.deepEqual(
    t.digest(bare),
    nobleProvider.hash('sha256', concat(encodeTranscriptMessage(1, Uint8Array.of(1, 2, 3)), encodeTranscriptMessage(2, Uint8Array.of(4)))),
  );
});
