// A session offered to a real DTLS 1.2-only server (`openssl s_server
// -dtls1_2`, OpenSSL 3.0): the ClientHello carries psk_key_exchange_modes and
// pre_shared_key (last, with its binder), which a 1.2 server must ignore; the
// client falls back to a full DTLS 1.2 handshake. Loopback UDP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/stream/index.ts';
import { bindUdp, nodeUdpConnected } from '../../src/adapters/node.ts';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { decodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { ExtensionType } from '../../src/wire/types.ts';
import { closeSocket, tap } from '../interop/datagrams.ts';
import { makeCertificates, makeTempDir, startServer, within, type InteropCerts, type TempDir } from '../interop/openssl.ts';

let dir: TempDir;
let certs: InteropCerts;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCertificates(dir);
});
after(() => dir?.cleanup());

/** The ClientHello body of the first datagram we sent (one unfragmented record). */
function clientHello(datagram: Uint8Array): ReturnType<typeof decodeClientHello> {
  const recordLength = (datagram[11]! << 8) | datagram[12]!;
  const fragment = datagram.subarray(13, 13 + recordLength);
  return decodeClientHello(fragment.subarray(12));
}

test(
  'a session offered to openssl s_server -dtls1_2: it ignores pre_shared_key, the client completes a full DTLS 1.2 handshake',
  { timeout: 30_000 },
  async (t) => {
    // A session from our own DTLS 1.3 server holding the same certificate.
    let session: Uint8Array | undefined;
    const verify = { ca: [certs.p256.cert] };
    // In memory no time passes; the certificate's validity is judged against the wall clock.
    const clock = { now: () => 0, wallTime: (now: number) => Date.now() + now, setTimeout: () => undefined, clearTimeout: () => {} };
    const first = createPair(
      { versions: ['1.3'], serverName: 'localhost', verify, clock, onSession: (s) => (session = s) },
      { versions: ['1.3'], certificate: { cert: certs.p256.cert, key: certs.p256.key } },
    );
    first.client.start(0);
    first.server.start(0);
    shuttle(first.client, first.server);
    assert.ok(session, `a session from the 1.3 server (${first.client.error?.message ?? first.server.error?.message ?? first.client.state})`);

    const srv = await startServer(['-cert', certs.p256.certPath, '-key', certs.p256.keyPath], { t });
    const socket = await bindUdp({ address: '127.0.0.1', port: 0 });
    t.after(() => closeSocket(socket));
    const log = { in: [] as Uint8Array[], out: [] as Uint8Array[] };
    const dtls = await within(
      8000,
      () => `handshake with ${srv.describe()}\n${srv.dump()}`,
      connect(tap(nodeUdpConnected(socket, '127.0.0.1', srv.port), log), { serverName: 'localhost', verify, versions: ['1.3', '1.2'], session }),
    );
    t.after(() => within(3000, 'dtls.close()', dtls.close()).catch(() => {}));
    const info = await dtls.handshake;
    assert.equal(info.version, 'DTLS 1.2');
    assert.equal(info.resumed, false);
    const types = clientHello(log.out[0]!).extensions.map((e) => e.type);
    assert.ok(types.includes(ExtensionType.psk_key_exchange_modes));
    assert.equal(types.at(-1), ExtensionType.pre_shared_key, 'the session was offered, pre_shared_key last');
    const writer = dtls.outbound.writable.getWriter();
    await writer.write(new TextEncoder().encode('after the fallback\n'));
    await srv.waitFor('after the fallback');
    writer.releaseLock();
  },
);
