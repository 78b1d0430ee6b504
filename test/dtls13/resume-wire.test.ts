// What a DTLS 1.3 server makes of the resumption extensions of a ClientHello
// (RFC 8446 4.2.9, 4.2.11) when they break the rules: our own client's
// ClientHello with a good session, rewritten on the wire before the server
// reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { decodeRecords, encodeRecord } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, encodeClientHello, type ClientHello } from '../../src/wire/messages/client-hello.ts';
import { ExtensionType13 } from '../../src/wire/types13.ts';
import { encodePskKeyExchangeModes } from '../../src/wire/extensions13/psk-key-exchange-modes.ts';

const ticketKey = new Uint8Array(32).fill(3);

function session(): Uint8Array {
  const sessions: Uint8Array[] = [];
  const { client, server } = createPair({ versions: ['1.3'], onSession: (s) => sessions.push(s) }, { versions: ['1.3'], ticketKeys: [ticketKey] });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(sessions.length, 1);
  return sessions[0]!;
}

/** The client's ClientHello, changed by `edit`, handed to a fresh server; then the rest of the handshake runs. */
function withEditedHello(edit: (ch: ClientHello) => void): { client: Connection; server: Connection } {
  const pair = createPair({ versions: ['1.3'], session: session() }, { versions: ['1.3'], ticketKeys: [ticketKey] });
  pair.client.start(0);
  pair.server.start(0);
  const datagram = pair.client.pollTransmit()!;
  const rec = decodeRecords(datagram).records[0]!;
  const [frag] = decodeHandshakeFragments(rec.fragment);
  assert.equal(frag!.body.length, frag!.length, 'the ClientHello fits one record');
  const ch = decodeClientHello(frag!.body);
  assert.equal(ch.extensions.at(-1)!.type, ExtensionType13.pre_shared_key, 'our client puts pre_shared_key last');
  edit(ch);
  const body = encodeClientHello(ch);
  pair.server.handleDatagram(0, encodeRecord({ ...rec, fragment: encodeHandshakeMessage({ msgType: frag!.msgType, messageSeq: frag!.messageSeq, body }) }));
  shuttle(pair.client, pair.server);
  return pair;
}

test('pre_shared_key without psk_key_exchange_modes is a missing_extension (RFC 8446 4.2.9)', () => {
  const { server } = withEditedHello((ch) => {
    ch.extensions = ch.extensions.filter((e) => e.type !== ExtensionType13.psk_key_exchange_modes);
  });
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'missing_extension', server.error?.message);
});

test('pre_shared_key not the last extension is an illegal_parameter (RFC 8446 4.2.11)', () => {
  const { server } = withEditedHello((ch) => {
    const psk = ch.extensions.pop()!;
    ch.extensions.splice(ch.extensions.length - 1, 0, psk);
  });
  assert.equal(server.state, 'failed');
  assert.equal(server.error?.code, 'illegal_parameter', server.error?.message);
});

test('psk_ke alone (no key exchange) is not accepted: a full handshake', () => {
  const { client, server } = withEditedHello((ch) => {
    const modes = ch.extensions.find((e) => e.type === ExtensionType13.psk_key_exchange_modes)!;
    modes.data = encodePskKeyExchangeModes([0]);
  });
  // The edited ClientHello is not the one in the client's transcript: the keys differ and nothing completes,
  // but the server's flight shows its choice.
  assert.equal(server.handshakeInfo, undefined);
  const traces: string[] = [];
  for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.type === 'trace' && e.direction === 'out') traces.push(e.what);
  assert.ok(traces.includes('Certificate'), traces.join());
  assert.notEqual(client.state, 'connected');
});
