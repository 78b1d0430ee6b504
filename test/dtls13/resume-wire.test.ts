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
import { ExtensionType } from '../../src/wire/types.ts';
import { encodePskKeyExchangeModes } from '../../src/wire/extensions13/psk-key-exchange-modes.ts';
import { encodePreSharedKeyServer } from '../../src/wire/extensions13/pre-shared-key.ts';
import { decodeServerHello, encodeServerHello, type ServerHello } from '../../src/wire/messages/server-hello.ts';
import { concat } from '../../src/wire/codec.ts';
import type { DtlsOptions } from '../../src/options.ts';

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
  assert.equal(ch.extensions.at(-1)!.type, ExtensionType.pre_shared_key, 'our client puts pre_shared_key last');
  edit(ch);
  const body = encodeClientHello(ch);
  pair.server.handleDatagram(0, encodeRecord({ ...rec, fragment: encodeHandshakeMessage({ msgType: frag!.msgType, messageSeq: frag!.messageSeq, body }) }));
  shuttle(pair.client, pair.server);
  return pair;
}

test('pre_shared_key without psk_key_exchange_modes is a missing_extension (RFC 8446 4.2.9)', () => {
  const { server } = withEditedHello((ch) => {
    ch.extensions = ch.extensions.filter((e) => e.type !== ExtensionType.psk_key_exchange_modes);
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
    const modes = ch.extensions.find((e) => e.type === ExtensionType.psk_key_exchange_modes)!;
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

/**
 * The server's ServerHello, changed by `edit` on its way to the client (its
 * first record: the hellos travel in the clear, RFC 9147 4.1); the client's
 * checks come before any key is derived from it.
 */
function withEditedServerHello(clientOptions: DtlsOptions, edit: (sh: ServerHello) => void): Connection {
  const pair = createPair({ versions: ['1.3'], ...clientOptions }, { versions: ['1.3'], ticketKeys: [ticketKey] });
  pair.client.start(0);
  pair.server.start(0);
  for (let d = pair.client.pollTransmit(); d; d = pair.client.pollTransmit()) pair.server.handleDatagram(0, d);
  const datagram = pair.server.pollTransmit()!;
  const length = (datagram[11]! << 8) | datagram[12]!;
  const rec = decodeRecords(datagram.subarray(0, 13 + length)).records[0]!;
  const [frag] = decodeHandshakeFragments(rec.fragment);
  const sh = decodeServerHello(frag!.body);
  edit(sh);
  const fragment = encodeHandshakeMessage({ msgType: frag!.msgType, messageSeq: frag!.messageSeq, body: encodeServerHello(sh) });
  pair.client.handleDatagram(0, concat(encodeRecord({ ...rec, fragment }), datagram.subarray(13 + length)));
  return pair.client;
}

test('client: a ServerHello that selects a PSK identity we did not offer, or a PSK when we offered none, ends the handshake', () => {
  const s = session();
  const other = withEditedServerHello({ session: s }, (sh) => {
    sh.extensions.find((e) => e.type === ExtensionType.pre_shared_key)!.data = encodePreSharedKeyServer(1);
  });
  assert.equal(other.state, 'failed');
  assert.equal(other.error?.code, 'illegal_parameter', other.error?.message);
  const unasked = withEditedServerHello({}, (sh) => {
    sh.extensions.push({ type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServer(0) });
  });
  assert.equal(unasked.state, 'failed');
  assert.equal(unasked.error?.code, 'unsupported_extension', unasked.error?.message);
});

test("client: a ServerHello resuming with a suite of another hash than the PSK's is an illegal_parameter (RFC 8446 4.2.11)", () => {
  const s = session();
  const client = withEditedServerHello({ session: s, cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'] }, (sh) => {
    assert.equal(sh.cipherSuite, 0x1301);
    sh.cipherSuite = 0x1302;
  });
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'illegal_parameter', client.error?.message);
  assert.match(client.error?.message ?? '', /hash/);
});
