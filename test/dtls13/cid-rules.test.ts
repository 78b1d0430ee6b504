// The rules of RFC 9147 9 on NewConnectionId and RequestConnectionId, on the
// CID state of one side (handshake/cid13.ts) fed crafted messages: each
// violation is the alert the RFC names, and bounds hold against a peer that
// sends too many.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { ConnectionIds13, MAX_CID_REQUESTS } from '../../src/handshake/cid13.ts';
import { MAX_LOCAL_CIDS, MAX_PEER_CIDS } from '../../src/record/cid.ts';
import { DtlsError } from '../../src/errors.ts';
import { HandshakeType } from '../../src/wire/types.ts';
import { encodeNewConnectionId, encodeRequestConnectionId } from '../../src/wire/messages13/connection-id.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';

/** A server-side CID state, settled with the client's CID `peer`. */
function server(own: Uint8Array | number, peer: Uint8Array): ConnectionIds13 {
  let seq = 0;
  const c = new ConnectionIds13(
    resolveOptions({ role: 'server', versions: ['1.3'], connectionId: own }),
    (msgType, body) => ({ msgType, messageSeq: seq++, body }),
    () => 3,
  );
  assert.ok(c.onClientHello(peer));
  return c;
}

const nci = (cids: Uint8Array[], usage: number) => ({
  msgType: HandshakeType.new_connection_id,
  messageSeq: 9,
  body: encodeNewConnectionId({ cids, usage }),
});
const rci = (n: number) => ({ msgType: HandshakeType.request_connection_id, messageSeq: 9, body: encodeRequestConnectionId({ numCids: n }) });

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DtlsError ? e.code : `not a DtlsError: ${String(e)}`;
  }
  return undefined;
}

test('a server not configured for CIDs ignores the offer; messages then are unexpected_message', () => {
  const c = new ConnectionIds13(
    resolveOptions({ role: 'server', versions: ['1.3'] }),
    () => assert.fail('no message'),
    () => 3,
  );
  assert.equal(c.onClientHello(Uint8Array.of(1)), undefined);
  assert.equal(c.negotiated, false);
  assert.equal(
    code(() => c.onMessage(rci(1))),
    'unexpected_message',
  );
});

test('NewConnectionId from a peer that receives no CID is unexpected_message (RFC 9147 9)', () => {
  const c = server(4, new Uint8Array(0));
  assert.equal(
    code(() => c.onMessage(nci([Uint8Array.of(1, 2)], 0))),
    'unexpected_message',
  );
});

test('RequestConnectionId to a side that receives no CID is unexpected_message (RFC 9147 9)', () => {
  const c = server(new Uint8Array(0), Uint8Array.of(7, 7));
  assert.equal(
    code(() => c.onMessage(rci(2))),
    'unexpected_message',
  );
});

test('an unknown usage, or cid_immediate with no CID, is illegal_parameter', () => {
  assert.equal(
    code(() => server(4, Uint8Array.of(1)).onMessage(nci([Uint8Array.of(2)], 7))),
    'illegal_parameter',
  );
  assert.equal(
    code(() => server(4, Uint8Array.of(1)).onMessage(nci([], 0))),
    'illegal_parameter',
  );
});

test('duplicates in a NewConnectionId, or CIDs already known, are kept once', () => {
  const c = server(4, Uint8Array.of(1));
  c.onMessage(nci([Uint8Array.of(5), Uint8Array.of(5), Uint8Array.of(1), Uint8Array.of(6)], 1));
  assert.equal(c.info.spares, 2);
});

test('spares past MAX_PEER_CIDS are discarded', () => {
  const c = server(4, Uint8Array.of(1));
  const many = Array.from({ length: 40 }, (_, i) => Uint8Array.of(0xa0, i));
  c.onMessage(nci([...many, many[0]!, Uint8Array.of(1)], 1));
  assert.equal(c.info.spares, MAX_PEER_CIDS);
  assert.deepEqual(c.info.peer, Uint8Array.of(1));
});

test('RequestConnectionId: answered with at most MAX_LOCAL_CIDS - 1 spares, ours bounded; too many requests end the connection', () => {
  const c = server(4, Uint8Array.of(1));
  const actions: HandshakeAction[] = c.onMessage(rci(200));
  const post = actions.find((a) => a.kind === 'post-handshake');
  assert.ok(post && post.kind === 'post-handshake');
  assert.equal(post.item.kind === 'handshake' && post.item.message.msgType, HandshakeType.new_connection_id);
  assert.equal(c.info.local.length, MAX_LOCAL_CIDS);
  for (let i = 1; i < MAX_CID_REQUESTS; i++) c.onMessage(rci(3));
  assert.equal(c.info.local.length, MAX_LOCAL_CIDS, 'the oldest retire');
  assert.equal(new Set(c.info.local.map((x) => x.join())).size, MAX_LOCAL_CIDS, 'all distinct');
  assert.equal(
    code(() => c.onMessage(rci(1))),
    'too_many_cids_requested',
  );
});

test('a NewConnectionId that cannot be decoded is decode_error', () => {
  const c = server(4, Uint8Array.of(1));
  assert.equal(
    code(() => c.onMessage({ msgType: HandshakeType.new_connection_id, messageSeq: 1, body: Uint8Array.of(0, 5, 1) })),
    'decode_error',
  );
});
