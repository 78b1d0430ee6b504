// The resumption state codecs (handshake/ticket13.ts): a sealed ticket opens
// to what was sealed, only under its key; anything else opens to nothing
// (never a throw: a ticket is the peer's bytes); a session round-trips, and
// bytes that are not a session are a DecodeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { DecodeError } from '../../src/wire/codec.ts';
import { decodeClientSession, encodeClientSession, openTicket, sealTicket, type TicketContents } from '../../src/handshake/ticket13.ts';

const crypto = nobleProvider;
const key = new Uint8Array(32).fill(1);
const other = new Uint8Array(32).fill(2);

const contentsArb: fc.Arbitrary<TicketContents> = fc.record({
  suite: fc.constantFrom(0x1301, 0x1302, 0x1303),
  psk: fc.uint8Array({ minLength: 32, maxLength: 48 }),
  lifetime: fc.integer({ min: 1, max: 604800 }),
  ageAdd: fc.integer({ min: 0, max: 0xffffffff }),
  alpn: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
  serverName: fc.option(fc.domain(), { nil: undefined }),
  peerChain: fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 3 }),
  issuedAt: fc.integer({ min: 0, max: 2 ** 47 }),
});

test('a sealed ticket opens to its contents under its key (first or later in the list), and to nothing under another', () => {
  fc.assert(
    fc.property(contentsArb, (arb) => {
      const t = { ...arb };
      const ticket = sealTicket(crypto, key, t);
      assert.deepEqual(openTicket(crypto, [key], ticket), t);
      assert.deepEqual(openTicket(crypto, [other, key], ticket), t);
      assert.equal(openTicket(crypto, [other], ticket), undefined);
    }),
    { numRuns: 100 },
  );
});

test('a ticket with any byte changed, cut short or made of random bytes opens to nothing, without throwing', () => {
  const ticket = sealTicket(crypto, key, {
    suite: 0x1301,
    psk: new Uint8Array(32),
    lifetime: 10,
    ageAdd: 1,
    alpn: undefined,
    serverName: 'x',
    peerChain: [],
    issuedAt: 5,
  });
  for (let i = 0; i < ticket.length; i++) {
    const bad = ticket.slice();
    bad[i]! ^= 0x40;
    assert.equal(openTicket(crypto, [key], bad), undefined, `byte ${i}`);
  }
  for (let n = 0; n < ticket.length; n++) assert.equal(openTicket(crypto, [key], ticket.subarray(0, n)), undefined);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => openTicket(crypto, [key], b) === undefined));
});

test('a client session round-trips; other bytes are a DecodeError', () => {
  fc.assert(
    fc.property(contentsArb, fc.uint8Array({ minLength: 1, maxLength: 300 }), (t, ticket) => {
      const { issuedAt, ...state } = { ...t };
      const s = { ...state, ticket, receivedAt: issuedAt };
      assert.deepEqual(decodeClientSession(encodeClientSession(s)), s);
    }),
    { numRuns: 100 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeClientSession(b);
        return false;
      } catch (e) {
        return e instanceof DecodeError;
      }
    }),
  );
});
