// Each KeyUpdate of ours opens a write epoch (RFC 9147 8); the one it ends is
// let go once the KeyUpdate is ACKed (everything sent in it is ACKed by then),
// so the write epochs a connection holds stay bounded however many updates it
// makes. Driven through Acks13 (the connection's post-handshake part) over a
// real record layer, with the ACK records the peer would send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Acks13 } from '../../src/connection-acks.ts';
import { RecordLayer } from '../../src/record/record-layer.ts';
import { FlightSender } from '../../src/reliability/flight-sender.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { encodeAck } from '../../src/wire/ack.ts';
import { encodeKeyUpdate } from '../../src/wire/messages13/key-update.ts';
import { ContentType, HandshakeType } from '../../src/wire/types.ts';
import type { TrafficKeys13 } from '../../src/record/traffic-keys.ts';
import { connected, keyUpdates, numbers, sendNumbered, settle } from './keyupdate-pair.ts';

const suite = suite13ById(0x1301)!;
const keys = (epoch: number): TrafficKeys13 => ({
  suite,
  key: new Uint8Array(16).fill(epoch),
  iv: new Uint8Array(12).fill(epoch),
  sn: new Uint8Array(16).fill(epoch),
});
const options = { role: 'server' as const, mtu: 1200, retransmit: { initial: 100, max: 60_000, min: 10, adaptive: false, rtt: undefined } };

const writeEpochs = (records: RecordLayer, upTo: number) => Array.from({ length: upTo + 1 }, (_, e) => e).filter((e) => records.canWrite(e));

test('100 KeyUpdates, each ACKed: the write epochs held stay the current one (RFC 9147 8)', () => {
  const records = new RecordLayer(nobleProvider, () => {});
  records.installWrite(3, keys(3));
  records.installRead(3, keys(3));
  // As a connection holds them once its handshake epochs are retired (connection-epoch13.ts).
  records.discardEpoch(0);
  const sender = new FlightSender(records, options);
  const acks = new Acks13(records, options, sender);
  for (let i = 0; i < 100; i++) {
    const epoch = records.writeEpoch;
    const seq = records.nextWriteSeq(epoch);
    const message = { msgType: HandshakeType.key_update, messageSeq: i, body: encodeKeyUpdate({ updateRequested: false }) };
    acks.send(i, { kind: 'post-handshake', item: { kind: 'handshake', epoch, message }, nextEpoch: epoch + 1, keys: keys(epoch + 1) });
    assert.deepEqual(writeEpochs(records, 110), [epoch], 'the new epoch is not in use before the ACK');
    const ack = encodeAck([{ epoch: BigInt(epoch), sequenceNumber: BigInt(seq) }]);
    const r = acks.onAck(i, { contentType: ContentType.ack, epoch: 3, sequenceNumber: i, payload: ack });
    assert.ok(!('drop' in r), 'the ACK was taken');
    assert.equal(records.writeEpoch, epoch + 1);
    assert.deepEqual(writeEpochs(records, 110), [epoch + 1], `after KeyUpdate ${i + 1}: one write epoch`);
  }
});

test('100 KeyUpdates each way between two connections on the simulated network: data still flows both ways, in epoch 103', () => {
  const { client, server, p } = connected(13);
  for (let i = 0; i < 100; i++) {
    client.updateKeys(p.now);
    server.updateKeys(p.now);
    p.flush();
    settle(p);
  }
  assert.deepEqual(keyUpdates(p.log.b, 'in').slice(-2), [101, 102], 'the client KeyUpdates the server took, by epoch');
  assert.deepEqual(keyUpdates(p.log.a, 'in').slice(-2), [101, 102]);
  sendNumbered(p, client, 0, 2);
  sendNumbered(p, server, 7, 2);
  settle(p);
  assert.deepEqual(numbers(p.log.b), [0, 1]);
  assert.deepEqual(numbers(p.log.a), [7, 8]);
});
