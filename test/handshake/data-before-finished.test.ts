// The peer's application data between its ChangeCipherSpec and its Finished
// (BoGo AppDataAfterChangeCipherSpec-DTLS(-Empty)): the Finished is just behind
// it, reordered. It drew a resend of our flight 5, which reached a server
// already past it ("bad epoch" there); now it is held until the Finished and
// draws nothing. Data of the next epoch before the ChangeCipherSpec (its
// datagram lost) still draws the resend: test/webrtc/core-early-resend.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair } from './helpers.ts';
import type { Connection } from '../../src/connection.ts';
import { ContentType } from '../../src/wire/types.ts';

function drain(c: Connection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d; d = c.pollTransmit()) out.push(d);
  return out;
}

/** The records of a datagram, each as a datagram of its own. */
function records(d: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + 13 <= d.length;) {
    const end = at + 13 + ((d[at + 11]! << 8) | d[at + 12]!);
    out.push(d.subarray(at, end));
    at = end;
  }
  return out;
}

test("data between the peer's ChangeCipherSpec and its Finished is held for the Finished and draws no resend of our flight", () => {
  const { client, server } = makePair();
  client.start(0);
  let now = 0;
  // Up to the server's final flight.
  const serverDone = () => server.state === 'connected';
  for (let i = 0; i < 10 && !serverDone(); i++) {
    now += 1;
    for (const d of drain(client)) server.handleDatagram(now, d);
    if (serverDone()) break;
    for (const d of drain(server)) client.handleDatagram(now, d);
  }
  assert.equal(server.state, 'connected');
  const final = drain(server).flatMap(records);
  const ccs = final.findIndex((r) => r[0] === ContentType.change_cipher_spec);
  assert.ok(ccs >= 0 && ccs < final.length - 1, 'a ChangeCipherSpec, then the Finished');
  server.send(now, new TextEncoder().encode('early'));
  const data = drain(server);
  assert.equal(data.length, 1);
  while (client.pollEvent()) {
    // only what comes next matters
  }

  now += 1;
  for (const r of final.slice(0, ccs + 1)) client.handleDatagram(now, r);
  client.handleDatagram(now, data[0]!);
  const retransmits: string[] = [];
  for (let e = client.pollEvent(); e; e = client.pollEvent()) if (e.type === 'retransmit') retransmits.push(`flight ${e.flight} ${e.reason}`);
  assert.deepEqual(retransmits, []);
  assert.equal(drain(client).length, 0, 'nothing sent');
  assert.equal(client.pollReceived(), undefined, 'not delivered before the Finished');

  for (const r of final.slice(ccs + 1)) client.handleDatagram(now, r);
  assert.equal(client.state, 'connected');
  assert.equal(new TextDecoder().decode(client.pollReceived()), 'early');
});
