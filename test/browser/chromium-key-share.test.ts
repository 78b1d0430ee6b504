// A real X25519MLKEM768 key share: Chromium's WebRTC ClientHello offers DTLS
// 1.3 with an X25519MLKEM768 share (PEERS.md). We tap the datagrams Chromium
// sends to our DTLS server, reassemble its ClientHello, and check that share's
// length and layout with crypto/hybrid-kem.ts: the ML-KEM-768 encapsulation key
// passes the FIPS 203 check and encapsulation answers it with a 1120-byte
// share. (The handshake itself continues in DTLS 1.2, which is all we speak.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSession } from './harness.ts';
import { decodeRecords } from '../../src/wire/record.ts';
import { decodeHandshakeFragments } from '../../src/wire/handshake-header.ts';
import { decodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { Reader } from '../../src/wire/codec.ts';
import { nobleProvider } from '../../src/crypto/noble.ts';
import { KEM_GROUP_IDS, KEM_LENGTHS, kemEncapsulate } from '../../src/crypto/hybrid-kem.ts';

const KEY_SHARE = 51;
const SUPPORTED_VERSIONS = 43;

/** Collects handshake fragments of the first ClientHello (msg_type 1) until its body is whole. */
function clientHelloAssembler() {
  let body: Uint8Array | undefined;
  let have: boolean[] = [];
  let done: Uint8Array | undefined;
  return {
    get clientHello() {
      return done;
    },
    push(datagram: Uint8Array) {
      if (done) return;
      for (const rec of decodeRecords(datagram).records) {
        if (rec.contentType !== 22 || rec.epoch !== 0) continue;
        for (const f of decodeHandshakeFragments(rec.fragment)) {
          if (f.msgType !== 1) continue;
          if (!body) {
            body = new Uint8Array(f.length);
            have = new Array<boolean>(f.length).fill(false);
          }
          body.set(f.body, f.fragmentOffset);
          have.fill(true, f.fragmentOffset, f.fragmentOffset + f.body.length);
          if (have.every(Boolean)) done = body;
        }
      }
    },
  };
}

test("Chromium's ClientHello carries an X25519MLKEM768 share of 1216 bytes whose ML-KEM-768 key we can encapsulate to", { timeout: 30_000 }, async (t) => {
  const hello = clientHelloAssembler();
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(d, c) {
      hello.push(d.slice());
      c.enqueue(d);
    },
  });
  const s = await startSession(t, { role: 'server', inboundFilter: tap });
  await s.until(() => hello.clientHello !== undefined, "Chromium's whole ClientHello");

  const ch = decodeClientHello(hello.clientHello!);
  const versions = ch.extensions.find((e) => e.type === SUPPORTED_VERSIONS);
  assert.ok(versions, 'supported_versions');
  const vs = new Reader(new Reader(versions.data).vec(1, 'versions'));
  const offered: number[] = [];
  while (!vs.done) offered.push(vs.u16('version'));
  assert.ok(offered.includes(0xfefc), `DTLS 1.3 (0xfefc) among ${offered.map((v) => v.toString(16))}`);

  const ks = ch.extensions.find((e) => e.type === KEY_SHARE);
  assert.ok(ks, 'key_share');
  const r = new Reader(ks.data);
  const list = new Reader(r.vec(2, 'client_shares'));
  const shares = new Map<number, Uint8Array>();
  while (!list.done) shares.set(list.u16('group'), list.vec(2, 'key_exchange'));
  assert.ok(r.done);

  const hybrid = shares.get(KEM_GROUP_IDS.X25519MLKEM768);
  assert.ok(hybrid, `an X25519MLKEM768 share among groups ${[...shares.keys()].map((g) => g.toString(16))}`);
  assert.equal(hybrid.length, KEM_LENGTHS.X25519MLKEM768.client, '1184-byte ML-KEM-768 key then a 32-byte X25519 key');
  const answer = kemEncapsulate(nobleProvider, 'X25519MLKEM768', hybrid);
  assert.equal(answer.share.length, 1120);
  assert.equal(answer.sharedSecret.length, 64);
  const x25519 = shares.get(KEM_GROUP_IDS.x25519);
  if (x25519) {
    assert.equal(x25519.length, 32);
    assert.equal(kemEncapsulate(nobleProvider, 'x25519', x25519).sharedSecret.length, 32);
  }
  t.diagnostic(
    `groups offered as shares: ${[...shares.keys()].map((g) => '0x' + g.toString(16)).join(', ')}; ` +
      `X25519 half ${x25519 && Buffer.from(hybrid.subarray(1184)).equals(Buffer.from(x25519)) ? 'equals' : 'differs from'} the x25519 share`,
  );
});
