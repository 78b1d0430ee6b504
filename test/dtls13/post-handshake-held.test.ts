// RFC 9147 8: once our KeyUpdate is sent, no new post-handshake message may go
// in the old epoch until the KeyUpdate is acknowledged. A message the peer
// draws from us meanwhile (a NewConnectionId answering its RequestConnectionId)
// is held and goes in the new epoch, instead of failing the connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPair, shuttle } from '../../src/testing/index.ts';
import type { Connection } from '../../src/connection.ts';
import { decodeDatagram13 } from '../../src/wire/unified-header.ts';

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** The epochs (low two bits, as on the wire) of the protected records in `datagrams`. */
function epochBits(datagrams: Uint8Array[], cidLength: number): number[] {
  return datagrams.flatMap((d) => decodeDatagram13(d, { cidLength }).records.flatMap((r) => (r.kind === 'ciphertext' ? [r.epochBits] : [])));
}

test('a RequestConnectionId that arrives while our KeyUpdate waits for its ACK is answered in the new epoch, after the ACK', () => {
  const { client, server } = createPair({ versions: ['1.3'], connectionId: 4 }, { versions: ['1.3'], connectionId: 6 });
  client.start(0);
  server.start(0);
  shuttle(client, server);
  assert.equal(client.state, 'connected');

  server.updateKeys(0);
  const keyUpdate = drain(server); // not delivered yet: no ACK, the KeyUpdate stays pending
  client.requestConnectionIds(0, 2);
  for (const d of drain(client)) server.handleDatagram(0, d);
  assert.equal(server.state, 'connected', server.error?.message);
  // The answer waits: only the ACK of the request may go now, nothing in epoch 4 yet.
  const meanwhile = drain(server);
  assert.ok(
    epochBits(meanwhile, 4).every((e) => e === 3),
    `only epoch 3 records before the ACK (got ${epochBits(meanwhile, 4)})`,
  );
  for (const d of meanwhile) client.handleDatagram(0, d);
  assert.equal(client.connectionIds!.spares, 0);

  for (const d of keyUpdate) client.handleDatagram(0, d);
  shuttle(client, server);
  assert.equal(server.state, 'connected', server.error?.message);
  assert.equal(client.state, 'connected', client.error?.message);
  assert.equal(client.connectionIds!.spares, 2, 'the NewConnectionId arrived once the KeyUpdate was acknowledged');
  // Data still flows both ways under the new keys.
  server.send(0, Uint8Array.of(7));
  shuttle(server, client);
  assert.deepEqual([...(client.pollReceived() ?? [])], [7]);
  client.send(0, Uint8Array.of(8));
  shuttle(client, server);
  assert.deepEqual([...(server.pollReceived() ?? [])], [8]);
});
