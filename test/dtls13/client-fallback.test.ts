// A client offering DTLS 1.3 and 1.2 in one ClientHello: a 1.2-only server
// gets a 1.2 handshake (with or without a HelloVerifyRequest), the 1.2 client
// continuing from that ClientHello; a 1.3 server gets 1.3; a ServerHello with
// the downgrade sentinel fails the client (RFC 8446 4.1.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import { ExtensionType } from '../../src/wire/types.ts';

const both = { versions: ['1.3', '1.2'] as ('1.3' | '1.2')[] };

function run(server: object, tamper?: (d: Uint8Array) => Uint8Array) {
  const { client, server: srv } = createPair(both, server);
  client.start(0);
  srv.start(0);
  for (let i = 0; i < 50; i++) {
    let moved = false;
    for (let d = client.pollTransmit(); d; d = client.pollTransmit()) {
      srv.handleDatagram(0, tamper ? tamper(d) : d);
      moved = true;
    }
    for (let d = srv.pollTransmit(); d; d = srv.pollTransmit()) {
      client.handleDatagram(0, d);
      moved = true;
    }
    if (!moved) break;
  }
  return { client, server: srv };
}

for (const requireCookie of [false, true]) {
  test(`a 1.2-only server${requireCookie ? ' with a HelloVerifyRequest' : ''}: the 1.3+1.2 client falls back to DTLS 1.2 and exchanges data`, () => {
    const { client, server } = run({ versions: ['1.2'], requireCookie });
    assert.equal(client.state, 'connected', client.error?.message);
    assert.equal(client.handshakeInfo?.version, 'DTLS 1.2');
    assert.equal(server.handshakeInfo?.version, 'DTLS 1.2');
    client.send(0, Uint8Array.of(1, 2));
    shuttle(client, server);
    assert.deepEqual([...(server.pollReceived() ?? [])], [1, 2]);
    assert.deepEqual(client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 30), server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 30));
  });
}

test('a 1.3+1.2 server: DTLS 1.3', () => {
  const { client } = run(both);
  assert.equal(client.handshakeInfo?.version, 'DTLS 1.3');
});

test('supported_versions stripped on the way (a forced downgrade): the 1.3-capable server marks its random, the client fails', () => {
  // Rename the extension in place: same length, so the hello still parses; the server sees no 1.3 offer.
  const strip = (d: Uint8Array): Uint8Array => {
    const out = d.slice();
    for (let i = 13 + 12; i + 3 < out.length; i++) {
      if (out[i] === 0 && out[i + 1] === ExtensionType.supported_versions && out[i + 2] === 0 && out[i + 3] === 5 && out[i + 4] === 4) {
        out[i + 1] = 0x7e;
        break;
      }
    }
    return out;
  };
  const { client } = run(both, strip);
  assert.equal(client.state, 'failed');
  assert.equal(client.error?.code, 'illegal_parameter');
  assert.match(client.error?.message ?? '', /downgrade/);
});
