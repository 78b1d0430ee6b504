// Events nobody listens for are not made: the core reports every message in
// and out ('trace') and each state change, and a server would otherwise make
// and dispatch an Event per report for no one. Listeners still get theirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DtlsStream } from '../../src/stream/index.ts';
import { certs } from '../handshake/helpers.ts';

/** Counts what reaches dispatchEvent on `target`, by type. */
function spyDispatch(target: EventTarget): Map<string, number> {
  const seen = new Map<string, number>();
  const dispatch = target.dispatchEvent.bind(target);
  target.dispatchEvent = (e: Event) => {
    seen.set(e.type, (seen.get(e.type) ?? 0) + 1);
    return dispatch(e);
  };
  return seen;
}

test('a DtlsStream dispatches only the event types that have listeners, and those in full', async () => {
  const { server: cert } = certs();
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  const server = new DtlsStream({ role: 'server', certificate: cert });
  const clientSeen = spyDispatch(client);
  const serverSeen = spyDispatch(server);
  const states: string[] = [];
  client.addEventListener('statechange', (e) => void states.push(e.detail.state));
  let closes = 0;
  client.addEventListener('close', () => void closes++, { once: true });
  void client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  void server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await Promise.all([client.handshake, server.handshake]);
  await client.close();
  await server.closed;
  // The server had no listener: nothing was dispatched there (trace events included).
  assert.deepEqual([...serverSeen.keys()], []);
  // The client dispatched its two listened types only, each state change and one close.
  assert.deepEqual([...clientSeen.keys()].sort(), ['close', 'statechange']);
  assert.deepEqual(
    states,
    ['handshaking', 'connected', 'closing', 'closed'].filter((s) => states.includes(s)),
  );
  assert.ok(states.includes('connected') && states.at(-1) === 'closed', `state changes seen: ${states.join(', ')}`);
  assert.equal(closes, 1);
});
