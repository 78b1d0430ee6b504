// RFC 7627 5.1: the extended_master_secret extension_data is empty; the issue
// says malformed extensions get decode_error. wire/extensions/extended-master-secret.ts
// has decodeExtendedMasterSecret for exactly this, but neither Server12
// (server12.ts: `ext(ExtensionType.extended_master_secret) !== undefined`)
// nor Client12 (`findExtension(...) !== undefined`) calls it: a non-empty
// extension is taken as a valid EMS offer/acceptance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { certs } from '../handshake/helpers.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { ExtensionType, HandshakeType, ProtocolVersion } from '../../src/wire/types.ts';
import { handshakeRecord } from './helpers.ts';

test('a ClientHello with a non-empty extended_master_secret extension fails with decode_error', () => {
  const body = encodeClientHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(9),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc02b],
    compressionMethods: [0],
    extensions: [{ type: ExtensionType.extended_master_secret, data: Uint8Array.of(1, 2, 3) }],
  });
  const server = new Connection(resolveOptions({ role: 'server', certificate: certs().server }));
  server.start(0);
  server.handleDatagram(0, handshakeRecord(HandshakeType.client_hello, 0, body));
  assert.equal(server.error?.code, 'decode_error', `server state ${server.state}`);
});
