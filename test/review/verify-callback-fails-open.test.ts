// verify-peer.ts: a verify callback rejects only by returning exactly `false`
// (or throwing); anything else accepts. An async callback (natural in JS, e.g.
// one that looks the fingerprint up in a database) returns a Promise, which
// is not `false`, so every certificate is accepted even when the promise
// resolves to false: authentication fails open. The core is synchronous, so a
// thenable should be refused (fail closed) with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPair } from '../sim/network.ts';
import { makePair } from '../handshake/helpers.ts';

test('a verify callback that returns a Promise (async) does not authenticate the peer', () => {
  const rejectAll = (async () => false) as unknown as () => boolean;
  const { client, server } = makePair({ verify: rejectAll });
  runPair(client, server, { seed: 1, until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking' });
  assert.notEqual(client.state, 'connected', 'the client connected although its verify callback resolved to false');
});

test('a verify callback that rejects fails with verification_failed and sends certificate_unknown (RFC 5246 7.2.2: the application found the certificate unacceptable)', () => {
  const { client, server } = makePair({ verify: () => false });
  runPair(client, server, { seed: 1, until: (p) => p.a.state !== 'handshaking' && p.b.state !== 'handshaking' });
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'verification_failed');
  assert.equal(client.error?.alert, 46, 'certificate_unknown');
  assert.equal(server.error?.code, 'peer_alert');
  assert.equal(server.error?.alert, 46);
});
