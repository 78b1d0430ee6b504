// ClientHellos built by hand and fed to a server Connection: unknown values
// are skipped, malformed extensions get decode_error (RFC 5246 7.4.1.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { certs } from './helpers.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { encodeRecord, decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeAlert } from '../../src/wire/alert.ts';
import { ContentType, ExtensionType, HandshakeType, ProtocolVersion, type Extension } from '../../src/wire/types.ts';

function helloDatagram(opts: { version?: number; suites?: number[]; extensions?: Extension[] }): Uint8Array {
  const body = encodeClientHello({
    version: opts.version ?? ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(9),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: opts.suites ?? [0xc02b],
    compressionMethods: [0],
    extensions: opts.extensions ?? [],
  });
  const hs = encodeHandshakeMessage({ msgType: HandshakeType.client_hello, messageSeq: 0, body });
  return encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: 0, fragment: hs });
}

/** A DTLS 1.2 server (these ClientHellos are 1.2 ones), or one with the given versions. */
function serve(datagram: Uint8Array, versions: ('1.2' | '1.3')[] = ['1.2']) {
  const server = new Connection(resolveOptions({ role: 'server', versions, certificate: certs().server }));
  server.start(0);
  server.handleDatagram(0, datagram);
  const out: { type: number; payload: Uint8Array }[] = [];
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) {
    for (const r of decodeRecords(d).records) out.push({ type: r.contentType, payload: r.fragment });
  }
  return { server, out };
}

const u16list = (xs: number[]) => {
  const b = new Uint8Array(2 + xs.length * 2);
  b[1] = xs.length * 2;
  xs.forEach((x, i) => ((b[2 + i * 2] = x >> 8), (b[3 + i * 2] = x & 0xff)));
  return b;
};

test('unknown cipher suites, groups, signature algorithms and extensions are skipped', () => {
  const { server, out } = serve(
    helloDatagram({
      suites: [0x1301, 0xfafa, 0xc02b, 0x00ff],
      extensions: [
        { type: 0x7a7a, data: new Uint8Array([1, 2, 3]) },
        { type: ExtensionType.supported_groups, data: u16list([0x11ec, 0x4a4a, 29, 23]) },
        { type: ExtensionType.signature_algorithms, data: u16list([0x0809, 0x0403]) },
        { type: 0xfe0d, data: new Uint8Array(0) },
      ],
    }),
  );
  assert.equal(server.state, 'handshaking', server.error?.message);
  const hs = out.filter((r) => r.type === ContentType.handshake).flatMap((r) => decodeHandshakeFragments(r.payload));
  assert.equal(hs[0]?.msgType, HandshakeType.server_hello);
});

test('a malformed supported_groups extension fails with decode_error', () => {
  const { server, out } = serve(helloDatagram({ extensions: [{ type: ExtensionType.supported_groups, data: new Uint8Array([0, 3, 0, 29, 0]) }] }));
  assert.equal(server.error?.code, 'decode_error');
  const alert = out.find((r) => r.type === ContentType.alert);
  assert.deepEqual(alert && decodeAlert(alert.payload), { level: 2, description: 50 });
});

test('a ClientHello offering only DTLS 1.0 fails with protocol_version', () => {
  const { server } = serve(helloDatagram({ version: ProtocolVersion.DTLS1_0 }));
  assert.equal(server.error?.code, 'protocol_version');
});

test('a ClientHello with no suite we support fails with handshake_failure', () => {
  const { server } = serve(helloDatagram({ suites: [0x002f, 0x1301] }));
  assert.equal(server.error?.code, 'handshake_failure');
});

test('garbage before the handshake is dropped, not fatal', () => {
  const { server } = serve(new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 99]));
  assert.equal(server.state, 'handshaking');
  assert.ok((server.stats.dropped.malformed ?? 0) >= 1);
  // The default server (1.3 and 1.2) drops it as well, before it knows the version.
  const dflt = serve(new Uint8Array([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 99]), ['1.3', '1.2']).server;
  assert.equal(dflt.state, 'handshaking');
  assert.ok(Object.values(dflt.stats.dropped).reduce((a, b) => a + (b ?? 0), 0) >= 1);
});
