// AckExchange reads each handshake record's message_seqs from the fragment
// headers alone, without decoding the fragments again: on any record, valid,
// cut short or corrupted, it must find what decodeHandshakeFragments() finds
// (and nothing where that one throws).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageSeqs } from '../../src/reliability/ack-exchange.ts';
import { decodeHandshakeFragments, encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { DecodeError } from '../../src/wire/codec.ts';

/** A deterministic generator (xorshift32), so a failure names its seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function reference(p: Uint8Array): number[] {
  try {
    return decodeHandshakeFragments(p).map((f) => f.messageSeq);
  } catch (e) {
    if (e instanceof DecodeError) return [];
    throw e;
  }
}

test('message_seqs from the headers = decodeHandshakeFragments() on valid, truncated and corrupted records', () => {
  assert.deepEqual(messageSeqs(undefined), []);
  assert.deepEqual(messageSeqs(new Uint8Array(0)), []);
  for (let seed = 1; seed <= 3000; seed++) {
    const r = rng(seed);
    const parts: Uint8Array[] = [];
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
      const length = Math.floor(r() * 300);
      const fragmentOffset = Math.floor(r() * (length + 1));
      const body = new Uint8Array(Math.floor(r() * (length - fragmentOffset + 1)));
      parts.push(encodeHandshakeFragment({ msgType: 1 + Math.floor(r() * 20), length, messageSeq: Math.floor(r() * 65536), fragmentOffset, body }));
    }
    const record = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((at, p) => (record.set(p, at), at + p.length), 0);
    const variants = [record, record.subarray(0, Math.floor(r() * record.length)), record.subarray(0, record.length - 1)];
    const flipped = record.slice();
    // A header byte (length, offset or fragment length) changed: the bounds checks must agree.
    flipped[1 + Math.floor(r() * 11)] ^= 1 << Math.floor(r() * 8);
    variants.push(flipped, new Uint8Array([...record, ...record.subarray(0, 5)]));
    for (const [i, v] of variants.entries()) assert.deepEqual(messageSeqs(v), reference(v), `seed ${seed} variant ${i}`);
  }
});
