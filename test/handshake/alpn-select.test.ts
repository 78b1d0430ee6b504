// A server's ALPN choice made by the application (`alpnSelect`) from the
// client's list (RFC 7301 3.2), in DTLS 1.2 and 1.3: a protocol it offered,
// no ALPN at all, or a refusal with no_application_protocol; a name the client
// did not offer is our own error (internal_error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectPair } from './helpers.ts';
import { resolveOptions } from '../../src/options.ts';

for (const version of ['1.2', '1.3'] as const) {
  const versions = [version];

  test(`DTLS ${version}: alpnSelect sees the client's list in its order and picks from it`, () => {
    const seen: (readonly string[])[] = [];
    const { client, server } = connectPair(
      { versions, alpn: ['h3', 'webrtc', 'c-webrtc'] },
      {
        versions,
        alpnSelect: (offered) => {
          seen.push(offered);
          return offered.includes('c-webrtc') ? 'c-webrtc' : undefined;
        },
      },
    );
    assert.equal(client.state, 'connected', client.error?.message ?? server.error?.message);
    assert.deepEqual(seen, [['h3', 'webrtc', 'c-webrtc']]);
    assert.equal(client.handshakeInfo?.alpn, 'c-webrtc');
    assert.equal(server.handshakeInfo?.alpn, 'c-webrtc');
  });

  test(`DTLS ${version}: alpnSelect returning undefined answers without ALPN; false refuses with no_application_protocol`, () => {
    const none = connectPair({ versions, alpn: ['a', 'b'] }, { versions, alpnSelect: () => undefined });
    assert.equal(none.client.state, 'connected', none.client.error?.message ?? none.server.error?.message);
    assert.equal(none.client.handshakeInfo?.alpn, undefined);

    const refused = connectPair({ versions, alpn: ['a', 'b'] }, { versions, alpnSelect: () => false });
    assert.equal(refused.server.error?.code, 'no_application_protocol');
    assert.equal(refused.client.error?.alert, 120);
    assert.equal(refused.client.error?.fromPeer, true);
  });

  test(`DTLS ${version}: a name the client did not offer, or an empty one, fails the server with internal_error`, () => {
    for (const pick of ['c', '']) {
      const { client, server } = connectPair({ versions, alpn: ['a', 'b'] }, { versions, alpnSelect: () => pick });
      assert.equal(server.error?.code, 'internal_error', `${JSON.stringify(pick)}: ${server.error?.message}`);
      assert.match(server.error!.message, /which the client did not offer/);
      assert.equal(client.error?.fromPeer, true);
    }
  });

  test(`DTLS ${version}: alpnSelect is not called when the client sends no ALPN`, () => {
    let calls = 0;
    const { client } = connectPair({ versions }, { versions, alpnSelect: () => (calls++, 'a') });
    assert.equal(client.state, 'connected');
    assert.equal(calls, 0);
    assert.equal(client.handshakeInfo?.alpn, undefined);
  });
}

test('alpnSelect: a server option, not with alpn, and a function', () => {
  assert.throws(() => resolveOptions({ role: 'client', verify: 'insecure', alpnSelect: () => 'a' }), /for servers/);
  assert.throws(() => resolveOptions({ role: 'server', alpn: ['a'], alpnSelect: () => 'a' }), /not both/);
  assert.throws(() => resolveOptions({ role: 'server', alpnSelect: 'a' as never }), /must be a function/);
});
