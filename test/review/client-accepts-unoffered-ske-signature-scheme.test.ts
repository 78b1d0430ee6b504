// Client12.#onServerKeyExchange (client12.ts ~line 290): the check reads
//   !hash || !SUPPORTED_SIGNATURE_SCHEMES.includes(s) && s !== ecdsa_secp521r1_sha512
// so a ServerKeyExchange signed with ecdsa_secp521r1_sha512 (0x0603) is
// accepted although the client's signature_algorithms offered only 0x0403
// and 0x0503. RFC 5246 7.4.3: "If the client has offered the
// signature_algorithms extension, the signature algorithm and hash algorithm
// MUST be a pair listed in that extension"; the client's own error message
// says "scheme ... we did not offer" → illegal_parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection.ts';
import { resolveOptions } from '../../src/options.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { certs } from '../handshake/helpers.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments, encodeHandshakeMessage } from '../../src/wire/handshake-header.ts';
import { decodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { encodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { encodeCertificate } from '../../src/wire/messages/certificate.ts';
import { encodeEcdheParams, encodeServerKeyExchange } from '../../src/wire/messages/server-key-exchange.ts';
import { encodeRecord } from '../../src/wire/record.ts';
import { concat } from '../../src/wire/codec.ts';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../src/wire/types.ts';
import { drainOut } from './helpers.ts';

test('the client refuses a ServerKeyExchange signed with a scheme it did not offer (ecdsa_secp521r1_sha512)', () => {
  const { server: cert } = certs();
  const client = new Connection(resolveOptions({ role: 'client', verify: { fingerprints: [cert.fingerprint] } }));
  client.start(0);
  const ch = drainOut(client)
    .flatMap((d) => decodeRecords(d).records)
    .flatMap((r) => decodeHandshakeFragments(r.fragment))[0]!;
  const hello = decodeClientHello(ch.body);
  const sigAlgs = hello.extensions.find((e) => e.type === ExtensionType.signature_algorithms)!;
  assert.ok(!Array.from(sigAlgs.data).some((_b, i, a) => i % 2 === 0 && i > 1 && a[i] === 6 && a[i + 1] === 3), 'client did not offer 0x0603');

  const serverRandom = new Uint8Array(32).fill(5);
  const share = nobleProvider.generateKeyShare('x25519');
  const signed = concat(hello.random, serverRandom, encodeEcdheParams(NamedGroup.x25519, share.publicKey));
  const signature = nobleProvider.ecdsaSign(cert.curve, 'sha512', cert.privateKey, signed);
  const msgs = [
    {
      msgType: HandshakeType.server_hello,
      messageSeq: 0,
      body: encodeServerHello({
        version: ProtocolVersion.DTLS1_2,
        random: serverRandom,
        sessionId: new Uint8Array(0),
        cipherSuite: 0xc02b,
        compressionMethod: 0,
        extensions: [],
      }),
    },
    { msgType: HandshakeType.certificate, messageSeq: 1, body: encodeCertificate({ certificates: cert.chain }) },
    {
      msgType: HandshakeType.server_key_exchange,
      messageSeq: 2,
      body: encodeServerKeyExchange({ curveType: 3, namedGroup: NamedGroup.x25519, publicKey: share.publicKey, signatureScheme: 0x0603, signature }),
    },
  ];
  msgs.forEach((m, i) => {
    client.handleDatagram(
      10,
      encodeRecord({ contentType: ContentType.handshake, version: ProtocolVersion.DTLS1_2, epoch: 0, sequenceNumber: i, fragment: encodeHandshakeMessage(m) }),
    );
  });
  assert.equal(client.error?.code, 'illegal_parameter', `client state ${client.state} ${client.error?.message ?? ''}`);
});
