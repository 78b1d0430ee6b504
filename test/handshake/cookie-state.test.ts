// The cookie verdict carries state: a cookie can hold what a server needs back
// (DTLS 1.3's HelloRetryRequest: the first ClientHello's transcript hash, RFC
// 9147 5.1) while the server keeps nothing. Only the secret is shared between
// issuing and checking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { MAX_COOKIE_STATE, computeCookie, createCookieGate, openCookie } from '../../src/handshake/cookie.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';

const p = nobleProvider;
const secret = new Uint8Array(32).fill(9);
const peer = '192.0.2.1|4433';
const random = new Uint8Array(32).fill(0x5a);

function clientHello(cookie: Uint8Array, r = random): Uint8Array {
  const body = encodeClientHello({
    version: ProtocolVersion.DTLS1_2,
    random: r,
    sessionId: new Uint8Array(0),
    cookie,
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: [],
  });
  const fragment = encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: 1, body });
  // Padded, as a real ClientHello is larger than a HelloVerifyRequest: the gate never answers with more bytes.
  return new Uint8Array([
    ...encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: 1, fragment }),
    ...new Uint8Array(64),
  ]);
}

test('a cookie issued with state comes back in the verdict, to a gate that never saw it issued', () => {
  const firstHelloHash = p.hash('sha256', Uint8Array.of(1, 2, 3));
  const issuer = createCookieGate({ crypto: p, secret });
  const cookie = issuer.issue(peer, random, firstHelloHash);
  assert.equal(cookie.length, 32 + 32);
  const checker = createCookieGate({ crypto: p, secret });
  const v = checker.check(clientHello(cookie), peer);
  assert.equal(v.action, 'accept');
  assert.deepEqual(v.action === 'accept' && v.state, firstHelloHash);
  // A HelloVerifyRequest cookie carries nothing.
  assert.deepEqual(checker.check(clientHello(computeCookie(p, secret, peer, random)), peer), { action: 'accept', state: new Uint8Array(0) });
});

test('a cookie whose state, peer or random changed is not accepted, and the gate answers with a fresh cookie', () => {
  const gate = createCookieGate({ crypto: p, secret });
  const cookie = gate.issue(peer, random, new Uint8Array(48).fill(3));
  const tampered = cookie.slice();
  tampered[5] ^= 1;
  for (const [what, datagram, from] of [
    ['state changed', clientHello(tampered), peer],
    ['another peer', clientHello(cookie), '192.0.2.2|4433'],
    ['another random', clientHello(cookie, new Uint8Array(32).fill(1)), peer],
    ['state cut off', clientHello(cookie.subarray(8)), peer],
    ['too short to hold a MAC', clientHello(cookie.subarray(0, 31)), peer],
  ] as const) {
    const v = gate.check(datagram, from);
    assert.equal(v.action, 'reply', what);
  }
  assert.equal(openCookie(p, secret, peer, random, tampered), undefined);
  assert.deepEqual(openCookie(p, secret, peer, random, cookie), new Uint8Array(48).fill(3));
});

test('state is bounded by the 255-byte cookie, and survives one secret rotation', () => {
  assert.throws(() => computeCookie(p, secret, peer, random, new Uint8Array(MAX_COOKIE_STATE + 1)), RangeError);
  assert.equal(computeCookie(p, secret, peer, random, new Uint8Array(MAX_COOKIE_STATE)).length, 255);
  const gate = createCookieGate({ crypto: p, rotateAfter: 1000 });
  const cookie = gate.issue(peer, random, Uint8Array.of(7, 7), 0);
  const v = gate.check(clientHello(cookie), peer, 1500);
  assert.deepEqual(v.action === 'accept' && v.state, Uint8Array.of(7, 7), 'made with the previous secret');
  assert.equal(gate.check(clientHello(cookie), peer, 3100).action, 'reply', 'two rotations later it is stale');
});
