// DTLS 1.3 flights pack consecutive handshake messages of a keyed epoch into
// one record while it fits (RFC 9147 5.5 lets a record carry several; BoGo's
// runner insists on it: a new record while the last one had room is refused),
// and the flight sender still knows which record carried which fragment, so
// an ACK of that one record acknowledges every message in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair } from '../../src/testing/index.ts';
import { decodeDatagram13 } from '../../src/wire/unified-header.ts';

const v13 = { versions: ['1.3'] as '1.3'[] };

function serverFlight(mtu?: number): { datagrams: Uint8Array[]; epoch2Records: number[] } {
  const o = mtu ? { ...v13, mtu } : v13;
  const { client, server } = createPair(o, o);
  client.start(0);
  server.start(0);
  for (let d = client.pollTransmit(); d; d = client.pollTransmit()) server.handleDatagram(0, d);
  const datagrams: Uint8Array[] = [];
  for (let d = server.pollTransmit(); d; d = server.pollTransmit()) datagrams.push(d);
  const epoch2Records = datagrams.map((d) => decodeDatagram13(d).records.filter((r) => r.kind === 'ciphertext' && r.epochBits === 2).length);
  return { datagrams, epoch2Records };
}

test('DTLS 1.3: EncryptedExtensions, Certificate, CertificateVerify and Finished go in one epoch-2 record when they fit', () => {
  const { datagrams, epoch2Records } = serverFlight();
  assert.equal(datagrams.length, 1, 'the whole flight fits one datagram at the default MTU');
  assert.equal(epoch2Records[0], 1, `one record for the four messages, not one each (got ${epoch2Records[0]})`);
});

test('DTLS 1.3 at MTU 256: every datagram of the flight holds at most one epoch-2 record, filled to the MTU', () => {
  const { datagrams, epoch2Records } = serverFlight(256);
  assert.ok(datagrams.length >= 3, `the flight spans datagrams (${datagrams.length})`);
  for (const d of datagrams) assert.ok(d.length <= 256);
  assert.ok(
    epoch2Records.every((n) => n <= 1),
    `records per datagram: ${epoch2Records}`,
  );
  // All but the last datagram are full (within a record header and tag of the MTU).
  for (const d of datagrams.slice(0, -1)) assert.ok(d.length >= 256 - 40, `a datagram of ${d.length} bytes left room`);
});
