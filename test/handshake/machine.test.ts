// The handshake machines are functions of their inputs: two DTLS 1.2 machines
// complete a handshake with each other through plain records alone, with no
// connection, record layer or timer, and say what is to be done in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import type { HandshakeAction, HandshakeMachine } from '../../src/handshake/machine.ts';
import type { PlainRecord } from '../../src/record/record-layer.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import { certs } from './helpers.ts';

/** The records a flight action stands for, unprotected (as the record layer hands them over after opening). */
function records(a: HandshakeAction): PlainRecord[] {
  assert.equal(a.kind, 'flight');
  if (a.kind !== 'flight') return [];
  return a.items.map((it, i) =>
    it.kind === 'ccs'
      ? { contentType: ContentType.change_cipher_spec, epoch: it.epoch, sequenceNumber: i, payload: Uint8Array.of(1) }
      : { contentType: ContentType.handshake, epoch: it.epoch, sequenceNumber: i, payload: encodeHandshakeMessage(it.message) },
  );
}

const kinds = (as: HandshakeAction[]) => as.filter((a) => a.kind !== 'trace').map((a) => (a.kind === 'flight' ? `flight ${a.number} ${a.mode}` : a.kind));

/** Feeds records to a machine; epoch-1 records wait until it asked for epoch-1 read keys, as the record layer holds them. */
function feed(m: HandshakeMachine, recs: PlainRecord[], state: { readEpoch: number }): HandshakeAction[] {
  const out: HandshakeAction[] = [];
  const held: PlainRecord[] = [];
  for (const r of recs) {
    if (r.epoch > state.readEpoch) {
      held.push(r);
      continue;
    }
    const acts = m.handleRecord(0, r, state.readEpoch);
    out.push(...acts);
    if (acts.some((a) => a.kind === 'read-keys')) {
      state.readEpoch = 1;
      for (const h of held.splice(0)) out.push(...m.handleRecord(0, h, 1));
    }
  }
  return out;
}

test('two DTLS 1.2 machines complete a handshake through plain records, returning flights, keys and the result in order', () => {
  const c = certs();
  const client = createHandshake(resolveOptions({ role: 'client', versions: ['1.2'], verify: { fingerprints: [c.server.fingerprint] } }));
  const server = createHandshake(resolveOptions({ role: 'server', versions: ['1.2'], certificate: c.server, requireCookie: true }));
  const cs = { readEpoch: 0 };
  const ss = { readEpoch: 0 };

  const f1 = client.start(0);
  // RFC 9147 4 / RFC 6347 4.1: ClientHellos in DTLS 1.0's record version until the server's version is known.
  assert.deepEqual(kinds(f1), ['hello-record-version', 'flight 1 retransmit']);
  assert.deepEqual(
    f1.find((a) => a.kind === 'hello-record-version'),
    { kind: 'hello-record-version', version: 0xfeff },
  );
  const f2 = feed(server, records(f1[1]!), ss);
  assert.deepEqual(kinds(f2), ['advance-write-seq', 'flight 2 once'], 'a HelloVerifyRequest, not kept on a timer');
  const f3 = feed(client, records(f2.find((a) => a.kind === 'flight')!), cs);
  assert.deepEqual(kinds(f3), ['reset-replay', 'flight 3 retransmit']);
  assert.equal((f3[2] as { sampleRtt: boolean }).sampleRtt, false, 'answering a HelloVerifyRequest is not a fair round trip');
  const f4 = feed(server, records(f3.find((a) => a.kind === 'flight')!), ss);
  assert.deepEqual(kinds(f4), ['advance-write-seq', 'flight 4 retransmit']);
  const f5 = feed(client, records(f4.find((a) => a.kind === 'flight')!), cs);
  assert.deepEqual(kinds(f5), ['hello-record-version', 'write-keys', 'flight 5 retransmit'], 'keys before the flight that needs them');
  assert.deepEqual(
    f5.find((a) => a.kind === 'hello-record-version'),
    { kind: 'hello-record-version', version: 0xfefd },
    'the ServerHello settles the version',
  );
  const f6 = feed(server, records(f5.find((a) => a.kind === 'flight')!), ss);
  assert.deepEqual(kinds(f6), ['read-keys', 'write-keys', 'flight 6 final', 'complete']);
  const done = feed(client, records(f6.find((a) => a.kind === 'flight')!), cs);
  assert.deepEqual(kinds(done), ['read-keys', 'complete']);
  assert.ok(client.done && server.done);
  const keys = (as: HandshakeAction[], kind: 'read-keys' | 'write-keys') => as.find((a) => a.kind === kind) as Extract<HandshakeAction, { kind: typeof kind }>;
  // Traffic keys, not protection objects: the client's write keys are the server's read keys.
  assert.deepEqual(keys(f5, 'write-keys').keys, keys(f6, 'read-keys').keys);
  assert.deepEqual(keys(f6, 'write-keys').keys, keys(done, 'read-keys').keys);
  const result = (as: HandshakeAction[]) => (as.find((a) => a.kind === 'complete') as Extract<HandshakeAction, { kind: 'complete' }>).result;
  const label = 'EXPERIMENTAL test';
  assert.deepEqual(
    result(done).exportKeyingMaterial(label, undefined, 32),
    result(f6).exportKeyingMaterial(label, undefined, 32),
    'both ends export the same keying material',
  );
  assert.equal(result(done).info.version, 'DTLS 1.2');

  // After the handshake the 1.2 machine refuses renegotiation itself, and a copy of the client's Finished is a peer copy.
  const hello = f1[1]!.kind === 'flight' ? f1[1]!.items[0]! : undefined;
  assert.ok(hello && hello.kind === 'handshake' && hello.message.msgType === HandshakeType.client_hello);
  const reneg = server.handleRecord(
    0,
    { contentType: ContentType.handshake, epoch: 1, sequenceNumber: 9, payload: encodeHandshakeMessage({ ...hello.message, messageSeq: 0 }) },
    1,
  );
  assert.deepEqual(kinds(reneg), ['alert']);
  const fin = records(f5.find((a) => a.kind === 'flight')!).at(-1)!;
  assert.deepEqual(kinds(server.handleRecord(0, fin, 1)), ['peer-copy']);
});
