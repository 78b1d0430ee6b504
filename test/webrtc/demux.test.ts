// RFC 7983 / RFC 9443 first-byte classification, the Demux and Merge streams,
// and demuxSocket over an in-memory socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFirstByte, classifyPacket, Demux, demuxSocket, isRtcp, Merge, PACKET_CLASSES, type PacketClass } from '../../src/demux/index.ts';
import type { Datagram } from '../../src/adapters/types.ts';

test('every first byte has the class RFC 7983 / RFC 9443 gives it', () => {
  const ranges: [number, number, PacketClass | undefined][] = [
    [0, 3, 'stun'],
    [4, 15, undefined],
    [16, 19, 'zrtp'],
    [20, 63, 'dtls'],
    [64, 79, 'turn'],
    [80, 127, 'quic'],
    [128, 191, 'rtp'],
    [192, 255, 'quic'],
  ];
  let covered = 0;
  for (const [lo, hi, cls] of ranges) {
    for (let b = lo; b <= hi; b++, covered++) assert.equal(classifyFirstByte(b), cls, `byte ${b}`);
  }
  assert.equal(covered, 256);
  // Without TURN channels on the path, 64..79 is a QUIC short header.
  for (let b = 64; b <= 79; b++) assert.equal(classifyFirstByte(b, { turnChannels: false }), 'quic');
  assert.equal(classifyPacket(new Uint8Array(0)), undefined);
  assert.equal(classifyPacket(Uint8Array.of(22, 0xfe, 0xfd)), 'dtls');
  assert.throws(() => classifyFirstByte(256), RangeError);
  // RTP vs RTCP by the second byte (RFC 5761 4).
  assert.equal(isRtcp(Uint8Array.of(0x80, 200)), true);
  assert.equal(isRtcp(Uint8Array.of(0x80, 111)), false);
  assert.equal(isRtcp(Uint8Array.of(0x80, 0x80 | 111)), false, 'marker bit + PT 111 = 239');
});

/** ReadableStream.from (Node 20 has it; the DOM typings here do not). */
function from<T>(items: T[]): ReadableStream<T> {
  return new ReadableStream<T>(
    {
      start(c) {
        for (const x of items) c.enqueue(x);
        c.close();
      },
    },
    { highWaterMark: 0 },
  );
}

async function collect<T>(r: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of r) out.push(x);
  return out;
}

test('Demux routes each packet to its class, in order, and closes every readable at the end', async () => {
  const packets = [0, 1, 22, 23, 128, 200, 17, 70, 100, 5, 20, 255].map((b, i) => Uint8Array.of(b, i));
  const demux = new Demux<Uint8Array>();
  const results = Promise.all(PACKET_CLASSES.map((c) => collect(demux.readable(c))));
  await from(packets).pipeTo(demux.writable);
  const byClass = await results;
  const got = Object.fromEntries(PACKET_CLASSES.map((c, i) => [c, byClass[i]!.length]));
  assert.deepEqual(
    byClass[PACKET_CLASSES.indexOf('dtls')]!.map((p) => p[1]),
    [2, 3, 10],
  );
  assert.deepEqual(
    byClass[PACKET_CLASSES.indexOf('rtp')]!.map((p) => p[0]),
    [128],
  );
  assert.deepEqual(
    byClass[PACKET_CLASSES.indexOf('quic')]!.map((p) => p[0]),
    [200, 100, 255],
  );
  assert.deepEqual(got, { stun: 2, zrtp: 1, dtls: 3, turn: 1, quic: 3, rtp: 1 });
  assert.deepEqual(demux.stats.dropped, { unclassified: 1, overflow: 0, cancelled: 0 });
  assert.equal(demux.stats.delivered.dtls, 3);
});

test('Demux takes Datagrams, and a per-packet TURN decision (e.g. by source)', async () => {
  const turnServer = { address: '192.0.2.7', port: 3478 };
  const demux = new Demux<Datagram>({ turnChannels: (d) => d.address === turnServer.address && d.port === turnServer.port });
  const turn = collect(demux.readable('turn'));
  const quic = collect(demux.readable('quic'));
  await from<Datagram>([
    { data: Uint8Array.of(0x40, 1), ...turnServer },
    { data: Uint8Array.of(0x40, 2), address: '198.51.100.1', port: 443 },
  ]).pipeTo(demux.writable);
  assert.deepEqual(
    (await turn).map((d) => d.data[1]),
    [1],
  );
  assert.deepEqual(
    (await quic).map((d) => d.data[1]),
    [2],
  );
});

test("Demux 'drop': a class nobody reads overflows alone and is counted; the others flow", async () => {
  const demux = new Demux<Uint8Array>({ highWaterMark: 2 });
  const dtls = demux.readable('dtls').getReader();
  const w = demux.writable.getWriter();
  for (let i = 0; i < 5; i++) {
    await w.write(Uint8Array.of(128, i)); // rtp: nobody reads
    await w.write(Uint8Array.of(22, i));
    assert.deepEqual([...(await dtls.read()).value!], [22, i]);
  }
  assert.equal(demux.stats.delivered.rtp, 2);
  assert.equal(demux.stats.dropped.overflow, 3);
  await demux.readable('stun').cancel();
  await w.write(Uint8Array.of(0, 0));
  assert.equal(demux.stats.dropped.cancelled, 1);
  await w.close();
  assert.equal((await dtls.read()).done, true);
});

test("Demux 'wait': the writer waits for the slow reader instead of dropping", async () => {
  const demux = new Demux<Uint8Array>({ highWaterMark: 1, overflow: 'wait' });
  const input = Array.from({ length: 20 }, (_, i) => Uint8Array.of(130, i));
  const piped = from(input).pipeTo(demux.writable);
  const got: number[] = [];
  for await (const p of demux.readable('rtp')) {
    got.push(p[1]!);
    await new Promise((r) => setTimeout(r, 1));
  }
  await piped;
  assert.deepEqual(
    got,
    input.map((p) => p[1]),
  );
  assert.equal(demux.stats.dropped.overflow, 0);
});

test('Demux: aborting the input errors the readables; close() ends them', async () => {
  const a = new Demux<Uint8Array>();
  const r = a.readable('dtls').getReader();
  await a.writable.abort(new Error('socket failed'));
  await assert.rejects(r.read(), /socket failed/);
  const b = new Demux<Uint8Array>();
  b.close();
  assert.equal((await b.readable('rtp').getReader().read()).done, true);
  await assert.rejects(b.writable.getWriter().write(Uint8Array.of(1)), /closed/);
  assert.throws(() => b.readable('sctp' as PacketClass), TypeError);
});

test('Merge: several writables into one target, in write order; ending one input leaves the others', async () => {
  const seen: string[] = [];
  const merge = new Merge<string>(new WritableStream({ write: (s) => void seen.push(s) }));
  const a = merge.writable().getWriter();
  const b = merge.writable().getWriter();
  await Promise.all([a.write('a1'), b.write('b1'), a.write('a2')]);
  await a.close();
  await b.write('b2');
  await merge.close();
  assert.deepEqual(seen, ['a1', 'b1', 'a2', 'b2']);
  await assert.rejects(b.write('late'), /closed/);
});

test('Merge: a failing target fails the inputs', async () => {
  const merge = new Merge<number>(new WritableStream({ write: () => Promise.reject(new Error('send failed')) }));
  await assert.rejects(merge.writable().getWriter().write(1), /send failed/);
});

test('demuxSocket: one duplex per class over one socket', async () => {
  const sent: Datagram[] = [];
  let push!: ReadableStreamDefaultController<Datagram>;
  const socket = {
    readable: new ReadableStream<Datagram>({ start: (c) => void (push = c) }),
    writable: new WritableStream<Datagram>({ write: (d) => void sent.push(d) }),
  };
  const mux = demuxSocket(socket);
  const peer = { address: '127.0.0.1', port: 9 };
  push.enqueue({ data: Uint8Array.of(0, 1), ...peer });
  push.enqueue({ data: Uint8Array.of(22, 254), ...peer });
  push.enqueue({ data: Uint8Array.of(144, 111), ...peer });
  assert.deepEqual([...(await mux.stun.readable.getReader().read()).value!.data], [0, 1]);
  const dtls = mux.dtls.readable.getReader();
  assert.deepEqual([...(await dtls.read()).value!.data], [22, 254]);
  await mux.dtls.writable.getWriter().write({ data: Uint8Array.of(22), ...peer });
  await mux.stun.writable.getWriter().write({ data: Uint8Array.of(1), ...peer });
  assert.deepEqual(
    sent.map((d) => d.data[0]),
    [22, 1],
  );
  assert.equal(mux.stats.delivered.rtp, 1);
  mux.close();
  assert.equal((await dtls.read()).done, true);
});
