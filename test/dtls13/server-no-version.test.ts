// A ClientHello whose supported_versions lists no version the server accepts
// (BoGo NoSupportedVersions-DTLS: [0x1111], legacy_version DTLS 1.2) is refused
// with protocol_version by a server that speaks DTLS 1.3 (RFC 8446 4.2.1: the
// extension decides, legacy_version is not looked at). It went to the 1.2
// server, which answered with the downgrade sentinel. A list naming DTLS 1.2
// still gets DTLS 1.2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/options.ts';
import { createHandshake } from '../../src/handshake/dispatch.ts';
import type { HandshakeAction } from '../../src/handshake/machine.ts';
import { ContentType, ProtocolVersion, ExtensionType } from '../../src/wire/types.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { decodeClientHello, encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { encodeSupportedVersionsClient } from '../../src/wire/extensions13/supported-versions.ts';
import { certs } from '../handshake/helpers.ts';

/** Our 1.2 client's ClientHello, with a supported_versions extension listing `versions`. */
function helloOffering(versions: number[]) {
  const start = createHandshake(resolveOptions({ role: 'client', verify: 'insecure', versions: ['1.2'] })).start(0);
  const flight = start.find((a) => a.kind === 'flight');
  assert.ok(flight?.kind === 'flight' && flight.items[0]?.kind === 'handshake');
  const msg = flight.items[0].message;
  const ch = decodeClientHello(msg.body);
  const body = encodeClientHello({
    ...ch,
    extensions: [...ch.extensions, { type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient(versions) }],
  });
  return { contentType: ContentType.handshake, epoch: 0, sequenceNumber: 0, payload: encodeHandshakeMessage({ ...msg, body }) };
}

function serve(versions: number[]): HandshakeAction[] {
  const server = createHandshake(resolveOptions({ role: 'server', certificate: certs().server, versions: ['1.3', '1.2'] }));
  server.start(0);
  return server.handleRecord(0, helloOffering(versions), 0);
}

test('supported_versions with no version we know: protocol_version from a 1.3+1.2 server', () => {
  const fail = serve([0x1111]).find((a) => a.kind === 'fail');
  assert.ok(fail?.kind === 'fail', 'the handshake fails');
  assert.equal(fail.error.code, 'protocol_version');
});

test('supported_versions naming DTLS 1.2 only: the 1.2 handshake goes on', () => {
  const out = serve([0x1111, ProtocolVersion.DTLS1_2]);
  assert.equal(
    out.find((a) => a.kind === 'fail'),
    undefined,
  );
  assert.ok(out.some((a) => a.kind === 'flight'));
});
