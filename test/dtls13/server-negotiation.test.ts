// Server version negotiation (RFC 8446 4.1.3, 4.2.1; RFC 9147 5.3): the first
// ClientHello picks the 1.3 or the 1.2 server; a 1.2-only client still reaches
// a 1.3+1.2 server, which then writes the downgrade sentinel; a 1.3-only server
// refuses a 1.2 client; hostile ClientHellos end in a typed failure or a drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type ResolvedOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import { chooseServerVersion } from '../../src/handshake/server-dispatch.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';
import { Connection } from '../../src/connection.ts';
import { shuttle } from '../../src/testing/index.ts';
import { seededCrypto } from '../../src/testing/crypto.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { AlertDescription, DtlsError } from '../../src/errors.ts';
import { ContentType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';
import { encodeHandshakeFragment, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { decodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { downgradeSentinel } from '../../src/wire/messages13/hello13.ts';
import { certs } from '../handshake/helpers.ts';
import { ScriptedClient13, failure, feed, flightMessages, fragmentedRecords, handshakeRecord } from './server-peer.ts';

function server(versions: ('1.2' | '1.3')[] | undefined, extra: object = {}): ResolvedOptions {
  return resolveOptions({ role: 'server', certificate: certs().server, ...(versions ? { versions } : {}), ...extra });
}

/** A DTLS 1.2 client's ClientHello, from our own 1.2 client machine. */
function hello12(): HandshakeAction[] {
  return createHandshake(resolveOptions({ role: 'client', verify: 'insecure', versions: ['1.2'] })).start(0);
}

function records(actions: HandshakeAction[]) {
  const f = actions.find((a) => a.kind === 'flight');
  assert.ok(f && f.kind === 'flight');
  return f.items.map((it, i) => {
    if (it.kind !== 'handshake') throw new Error('ccs');
    return { contentType: ContentType.handshake, epoch: it.epoch, sequenceNumber: i, payload: encodeHandshakeMessage(it.message) };
  });
}

function serverHelloRandom(actions: HandshakeAction[]): Uint8Array {
  const sh = flightMessages(actions).find((m) => m.message.msgType === HandshakeType.server_hello)!;
  return decodeServerHello(sh.message.body).random;
}

test('a 1.2-only ClientHello reaches a 1.3+1.2 server, which answers in 1.2 with the downgrade sentinel (RFC 8446 4.1.3)', () => {
  const m = createHandshake(server(['1.3', '1.2']));
  const a = feed(m, records(hello12()));
  assert.equal(failure(a), undefined);
  assert.equal(downgradeSentinel(serverHelloRandom(a)), '1.2');
  assert.equal(m.stateName, 'wait_client_key_exchange', 'the 1.2 server took it');
});

test('a server that speaks only 1.2 writes no sentinel; one with the default versions does', () => {
  assert.equal(downgradeSentinel(serverHelloRandom(feed(createHandshake(server(undefined)), records(hello12())))), '1.2');
  for (const versions of [['1.2' as const]]) {
    const a = feed(createHandshake(server(versions)), records(hello12()));
    assert.equal(downgradeSentinel(serverHelloRandom(a)), undefined);
  }
});

test('a 1.2 client and a 1.3+1.2 server complete a DTLS 1.2 handshake through connections', () => {
  const c = new Connection(
    resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [certs().server.fingerprint] }, crypto: seededCrypto(1) }),
  );
  const s = new Connection({ ...server(['1.3', '1.2']), crypto: seededCrypto(2) } as ResolvedOptions);
  c.start(0);
  s.start(0);
  shuttle(c, s);
  assert.equal(c.state, 'connected');
  assert.equal(s.state, 'connected');
  assert.equal(s.handshakeInfo?.version, 'DTLS 1.2');
});

test('a 1.3-only server refuses a 1.2-only client with protocol_version', () => {
  const a = feed(createHandshake(server(['1.3'])), records(hello12()));
  assert.equal(failure(a)?.alert, AlertDescription.protocol_version);
});

test('the first ClientHello decides: 1.3 offered -> 1.3; a legacy_cookie (a HelloVerifyRequest answered) or 1.3 off -> 1.2', () => {
  const c = new ScriptedClient13(nobleProvider);
  assert.equal(chooseServerVersion(server(['1.3', '1.2']), c.hello()), '1.3');
  assert.equal(chooseServerVersion(server(['1.2']), c.hello()), '1.2');
  assert.equal(chooseServerVersion(server(undefined), c.hello()), '1.3', 'the default speaks both');
  assert.equal(chooseServerVersion(server(['1.3', '1.2']), c.hello({ versions: [ProtocolVersion.DTLS1_2] })), '1.2');
  assert.equal(chooseServerVersion(server(['1.3', '1.2']), c.hello({ legacyCookie: new Uint8Array(32) })), '1.2');
  assert.equal(chooseServerVersion(server(['1.3', '1.2']), new Uint8Array([1, 2, 3])), '1.2');
});

test('a 1.3 ClientHello offering 1.2 too gets DTLS 1.3 from a 1.3+1.2 server (no sentinel in a 1.3 ServerHello)', () => {
  const c = new ScriptedClient13(nobleProvider);
  const a = feed(createHandshake(server(['1.3', '1.2'])), [c.helloRecord()]);
  assert.equal(downgradeSentinel(serverHelloRandom(a)), undefined);
  c.finish(a, certs().server);
});

test('hostile ClientHellos: 600 mutations end in a typed failure, a drop or a flight, never a throw', () => {
  const crypto = seededCrypto(7);
  const base = new ScriptedClient13(crypto).hello({ shares: ['x25519', 'secp256r1'], groups: ['x25519', 'secp256r1'] });
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    const body = base.slice();
    const edits = 1 + rnd(4);
    for (let e = 0; e < edits; e++) body[rnd(body.length)] = rnd(256);
    const cut = rnd(10) === 0 ? body.subarray(0, rnd(body.length)) : body;
    const m = createHandshake({ ...server(['1.3', '1.2']), crypto } as ResolvedOptions);
    let actions: HandshakeAction[];
    try {
      actions = m.handleRecord(0, handshakeRecord(HandshakeType.client_hello, 0, cut), 0);
    } catch (e) {
      assert.fail(`mutation ${i} threw ${(e as Error).message}`);
    }
    const f = actions.find((a) => a.kind === 'fail');
    if (f && f.kind === 'fail') assert.ok(f.error instanceof DtlsError && f.error.alert !== undefined, `mutation ${i}: ${f.error.message}`);
    const k = f ? `fail ${f.kind === 'fail' ? f.error.code : ''}` : actions.some((a) => a.kind === 'flight') ? 'flight' : 'other';
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  }
  assert.ok((outcomes.get('flight') ?? 0) > 0 && [...outcomes.keys()].some((k) => k.startsWith('fail')), JSON.stringify([...outcomes]));
});

test('before the first ClientHello: noise is dropped, a ClientHello in 1-byte fragments still reaches the 1.3 server, and pieces that never complete decide nothing', () => {
  const m = createHandshake(server(['1.3', '1.2']));
  const noise: HandshakeAction[] = [];
  for (let i = 0; i < 100; i++) {
    noise.push(
      ...m.handleRecord(
        0,
        {
          contentType: ContentType.handshake,
          epoch: 0,
          sequenceNumber: i,
          payload: encodeHandshakeMessage({ msgType: 20, messageSeq: 1, body: new Uint8Array(12) }),
        },
        0,
      ),
    );
    noise.push(...m.handleRecord(0, { contentType: ContentType.change_cipher_spec, epoch: 0, sequenceNumber: i, payload: Uint8Array.of(1) }, 0));
  }
  assert.ok(noise.every((a) => a.kind === 'drop'));
  assert.equal(noise.length, 200);
  // Noise did not decide anything: a 1.3 ClientHello still gets the 1.3 server.
  const c = new ScriptedClient13(nobleProvider);
  const a = feed(m, [c.helloRecord()]);
  assert.equal(m.version, '1.3');
  c.finish(a, certs().server);

  // A ClientHello in 1-byte fragments, one record each (as BoGo splits it): still the 1.3 server.
  const split = createHandshake(server(['1.3', '1.2']));
  const c2 = new ScriptedClient13(nobleProvider);
  const body = c2.hello();
  const pieces = fragmentedRecords(HandshakeType.client_hello, 0, body, body.length);
  assert.ok(pieces.length > 100);
  const a2 = feed(split, pieces);
  assert.equal(split.version, '1.3');
  assert.ok(
    a2.some((x) => x.kind === 'advance-write-seq' && x.seq === pieces.length - 1),
    'our answer continues above the last piece',
  );
  c2.finish(a2, certs().server);

  // Pieces of a ClientHello that never completes decide nothing and only fill the reassembler, which is bounded.
  const never = createHandshake(server(['1.3', '1.2']));
  const piece = (seq: number) => ({
    contentType: ContentType.handshake,
    epoch: 0,
    sequenceNumber: seq,
    payload: encodeHandshakeFragment({
      msgType: HandshakeType.client_hello,
      length: 60000,
      messageSeq: 0,
      fragmentOffset: seq * 100,
      body: new Uint8Array(100),
    }),
  });
  for (let i = 0; i < 500; i++) assert.deepEqual(never.handleRecord(0, piece(i), 0), []);
  assert.equal(never.version, undefined);
  assert.equal(never.stateName, 'wait_client_hello');
});

test('a first message that is not a ClientHello goes to the 1.2 server, which fails it with unexpected_message as before', () => {
  const m = createHandshake(server(['1.3', '1.2']));
  const a = m.handleRecord(0, handshakeRecord(HandshakeType.server_hello, 0, new Uint8Array(40)), 0);
  assert.equal(failure(a)?.alert, AlertDescription.unexpected_message);
});
