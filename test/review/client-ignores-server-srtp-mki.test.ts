// RFC 5764 4.1.1: "If the client detects a nonzero-length MKI in the server's
// response that is different than the one the client offered, then the client
// MUST abort the handshake and SHOULD send an invalid_parameter alert."
// Client12 offers an empty srtp_mki and, in #onServerHello, checks only the
// profile list of the server's use_srtp, not its MKI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { certs } from '../handshake/helpers.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { encodeUseSrtp } from '../../src/wire/extensions/use-srtp.ts';
import { ExtensionType, HandshakeType, ProtocolVersion, SrtpProfile } from '../../src/wire/types.ts';
import { drainOut, handshakeRecord } from './helpers.ts';

test('the client aborts when the server answers use_srtp with an MKI it did not offer', () => {
  const { server: cert } = certs();
  const client = new Connection(resolveOptions({ role: 'client', srtpProfiles: ['SRTP_AES128_CM_SHA1_80'], verify: { fingerprints: [cert.fingerprint] } }));
  client.start(0);
  drainOut(client);
  const sh = encodeServerHello({
    version: ProtocolVersion.DTLS1_2,
    random: new Uint8Array(32).fill(5),
    sessionId: new Uint8Array(0),
    cipherSuite: 0xc02b,
    compressionMethod: 0,
    extensions: [{ type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: [SrtpProfile.SRTP_AES128_CM_SHA1_80], mki: Uint8Array.of(1, 2, 3, 4) }) }],
  });
  client.handleDatagram(10, handshakeRecord(HandshakeType.server_hello, 0, sh));
  assert.equal(client.error?.code, 'illegal_parameter', `client state ${client.state}`);
});
