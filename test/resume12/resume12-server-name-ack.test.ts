// RFC 6066 3: a DTLS 1.2 server that takes the client's server_name answers
// with an empty server_name in its ServerHello, and never when resuming (the
// name was settled by the session). BoGo's ServerNameExtensionServer-DTLS-TLS12
// checks both connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { shuttleSeen } from '../handshake/helpers.ts';
import type { Connection } from '../../src/connection.ts';
import type { DtlsOptions } from '../../src/options.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { ContentType, ExtensionType, HandshakeType } from '../../src/wire/types.ts';

const ticketKey = new Uint8Array(32).fill(3);

/** Runs a DTLS 1.2 handshake in memory; returns the extension types of the server's ServerHello. */
function serverHelloExtensions(client: DtlsOptions): { types: number[]; client: Connection; sessions: Uint8Array[] } {
  const sessions: Uint8Array[] = [];
  const pair = createPair({ versions: ['1.2'], onSession: (s) => sessions.push(s), ...client }, { versions: ['1.2'], ticketKeys: [ticketKey] });
  pair.client.start(0);
  pair.server.start(0);
  const types: number[] = [];
  shuttleSeen(pair.client, pair.server, (from, d) => {
    if (from !== 'server') return;
    for (const r of decodeRecords(d).records) {
      if (r.epoch !== 0 || r.contentType !== ContentType.handshake) continue;
      for (const f of decodeHandshakeFragments(r.fragment)) {
        if (f.msgType === HandshakeType.server_hello) types.push(...decodeServerHello(f.body).extensions.map((e) => e.type));
      }
    }
  });
  assert.equal(pair.client.state, 'connected', pair.client.error?.message ?? pair.server.error?.message);
  return { types, client: pair.client, sessions };
}

test('a DTLS 1.2 server acknowledges server_name in a full handshake, not when resuming, and not when none was sent (RFC 6066 3)', () => {
  const full = serverHelloExtensions({ serverName: 'a.example' });
  assert.ok(full.types.includes(ExtensionType.server_name), `ServerHello extensions ${full.types.join(', ')}`);
  assert.equal(full.client.handshakeInfo?.resumed, false);
  assert.equal(full.sessions.length, 1);

  const resumed = serverHelloExtensions({ serverName: 'a.example', session: full.sessions[0]! });
  assert.equal(resumed.client.handshakeInfo?.resumed, true);
  assert.ok(!resumed.types.includes(ExtensionType.server_name), `resumed ServerHello extensions ${resumed.types.join(', ')}`);

  const none = serverHelloExtensions({});
  assert.ok(!none.types.includes(ExtensionType.server_name), `ServerHello extensions ${none.types.join(', ')}`);
});
