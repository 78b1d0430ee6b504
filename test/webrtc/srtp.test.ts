// DTLS-SRTP key splitting (RFC 5764 4.2) and the SRTP checker: RFC 3711 B.2
// (AES-CM keystream) and B.3 (key derivation) vectors, RFC 7714 16.1 (AES-GCM
// SRTP), round trips and tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex, utf8 } from '../../src/wire/codec.ts';
import { DtlsStream } from '../../src/stream/dtls-stream.ts';
import { generateCertificate } from '../../src/x509/generate.ts';
import { SRTP_PROFILES, splitSrtpKeyingMaterial, srtpKeys, srtpProfile } from '../../src/webrtc/srtp-keys.ts';
import {
  aesCmKeystream,
  deriveSrtpSessionKeys,
  openSrtcp,
  openSrtp,
  parseRtpHeader,
  protectSrtcp,
  protectSrtp,
  SrtpChecker,
  srtpKdf,
  type SrtpSessionKeys,
} from '../../src/webrtc/srtp-check.ts';

test('RFC 5764 4.2: key and salt lengths per profile, and the split layout', () => {
  const lengths = Object.values(SRTP_PROFILES).map((p) => [p.id, p.keyLength, p.saltLength]);
  assert.deepEqual(lengths, [
    [0x0001, 16, 14],
    [0x0002, 16, 14],
    [0x0007, 16, 12],
    [0x0008, 32, 12],
  ]);
  for (const p of Object.values(SRTP_PROFILES)) {
    const total = 2 * (p.keyLength + p.saltLength);
    const material = Uint8Array.from({ length: total }, (_, i) => i);
    const k = splitSrtpKeyingMaterial(material, p.id);
    const at = (from: number, n: number): string => toHex(material.subarray(from, from + n));
    assert.equal(toHex(k.client.key), at(0, p.keyLength), p.name);
    assert.equal(toHex(k.server.key), at(p.keyLength, p.keyLength), p.name);
    assert.equal(toHex(k.client.salt), at(2 * p.keyLength, p.saltLength), p.name);
    assert.equal(toHex(k.server.salt), at(2 * p.keyLength + p.saltLength, p.saltLength), p.name);
    assert.throws(() => splitSrtpKeyingMaterial(material.subarray(1), p.id), RangeError);
  }
  assert.equal(srtpProfile('SRTP_AEAD_AES_256_GCM')?.cryptoSuite, 'AEAD_AES_256_GCM');
  assert.equal(srtpProfile(0x0001)?.cryptoSuite, 'AES_CM_128_HMAC_SHA1_80');
  assert.throws(() => splitSrtpKeyingMaterial(new Uint8Array(60), 0x0005), TypeError);
});

test('srtpKeys(): both ends of a real handshake agree, and local/remote follow the role', async () => {
  for (const profile of ['SRTP_AES128_CM_SHA1_80', 'SRTP_AEAD_AES_256_GCM'] as const) {
    const cert = generateCertificate();
    const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] }, srtpProfiles: [profile] });
    const server = new DtlsStream({ role: 'server', certificate: cert, srtpProfiles: ['SRTP_AES128_CM_SHA1_32', profile] });
    assert.throws(() => srtpKeys(client), /handshake completed/);
    client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
    server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
    await Promise.all([client.handshake, server.handshake]);
    const c = srtpKeys(client, 'client');
    const s = srtpKeys(server, 'server');
    assert.equal(c.profile.name, profile);
    assert.equal(toHex(c.client.key), toHex(s.client.key));
    assert.equal(toHex(c.server.salt), toHex(s.server.salt));
    assert.equal(toHex(c.local.key), toHex(s.remote.key));
    assert.equal(toHex(c.remote.salt), toHex(s.local.salt));
    assert.equal(c.client.key.length, SRTP_PROFILES[profile].keyLength);
    // And they are what the exporter says.
    const raw = client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', undefined, 2 * (c.profile.keyLength + c.profile.saltLength));
    assert.equal(toHex(raw.subarray(0, c.profile.keyLength)), toHex(c.client.key));
    await client.close();
    await server.close();
  }
});

test('srtpKeys() without a negotiated profile is a TypeError', async () => {
  const cert = generateCertificate();
  const client = new DtlsStream({ role: 'client', verify: { fingerprints: [cert.fingerprint] } });
  const server = new DtlsStream({ role: 'server', certificate: cert });
  client.outbound.readable.pipeTo(server.inbound.writable).catch(() => {});
  server.outbound.readable.pipeTo(client.inbound.writable).catch(() => {});
  await client.handshake;
  assert.throws(() => srtpKeys(client), /no SRTP profile/);
  await client.close();
  await server.close();
});

test('RFC 3711 B.2: the AES-CM keystream', () => {
  const ks = aesCmKeystream(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'), fromHex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 48);
  assert.equal(toHex(ks).toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0');
});

test('RFC 3711 B.3: key derivation (cipher key, salt, and the long authentication keystream)', () => {
  const key = fromHex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const salt = fromHex('0EC675AD498AFEEBB6960B3AABE6');
  assert.equal(toHex(srtpKdf(key, salt, 0x00, 16)).toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
  assert.equal(toHex(srtpKdf(key, salt, 0x02, 14)).toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
  assert.equal(
    toHex(srtpKdf(key, salt, 0x01, 94)).toUpperCase(),
    'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCEE049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC256D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2',
  );
  const s = deriveSrtpSessionKeys('SRTP_AES128_CM_SHA1_80', { key, salt });
  assert.equal(toHex(s.encryptionKey).toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
  assert.equal(toHex(s.authKey).toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  assert.equal(toHex(s.salt).toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
  assert.throws(() => deriveSrtpSessionKeys('SRTP_AES128_CM_SHA1_80', { key, salt: salt.subarray(2) }), RangeError);
});

// RFC 7714 16.1: session key and salt given directly, RTP seq 0xf17b, ROC 0.
const GCM_KEYS: SrtpSessionKeys = {
  profile: SRTP_PROFILES.SRTP_AEAD_AES_128_GCM,
  encryptionKey: fromHex('000102030405060708090a0b0c0d0e0f'),
  salt: fromHex('517569642070726f2071756f'),
  authKey: new Uint8Array(0),
};
const GCM_PLAIN = fromHex('8040f17b8041f8d35501a0b2' + toHex(utf8('Gallia est omnis divisa in partes tres')));
const GCM_PROTECTED = fromHex(
  '8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
);

test('RFC 7714 16.1: AEAD_AES_128_GCM SRTP opens to the plaintext, and protecting gives the vector', () => {
  const r = openSrtp(GCM_PROTECTED, GCM_KEYS);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(new TextDecoder().decode(r.payload), 'Gallia est omnis divisa in partes tres');
  assert.equal(r.header.sequenceNumber, 0xf17b);
  assert.equal(r.header.ssrc, 0x5501a0b2);
  assert.equal(toHex(protectSrtp(GCM_PLAIN, GCM_KEYS)), toHex(GCM_PROTECTED));
  const bad = GCM_PROTECTED.slice();
  bad[5]! ^= 1; // the header is authenticated too
  assert.deepEqual(openSrtp(bad, GCM_KEYS), { ok: false, reason: 'auth_failed' });
  assert.deepEqual(openSrtp(GCM_PROTECTED, GCM_KEYS, 1), { ok: false, reason: 'auth_failed' });
});

function rtp(seq: number, payload: Uint8Array, opts: { ssrc?: number; csrc?: number[]; ext?: Uint8Array } = {}): Uint8Array {
  const csrc = opts.csrc ?? [];
  const ext = opts.ext;
  const head = new Uint8Array(12 + 4 * csrc.length + (ext ? 4 + ext.length : 0));
  const v = new DataView(head.buffer);
  head[0] = 0x80 | (ext ? 0x10 : 0) | csrc.length;
  head[1] = 111;
  v.setUint16(2, seq);
  v.setUint32(4, 960 * seq);
  v.setUint32(8, opts.ssrc ?? 0x11223344);
  csrc.forEach((c, i) => v.setUint32(12 + 4 * i, c));
  if (ext) {
    const at = 12 + 4 * csrc.length;
    v.setUint16(at, 0xbede);
    v.setUint16(at + 2, ext.length / 4);
    head.set(ext, at + 4);
  }
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

test('every profile: protect/open round trip with CSRCs and a header extension; tampering fails authentication', () => {
  for (const p of Object.values(SRTP_PROFILES)) {
    const master = { key: Uint8Array.from({ length: p.keyLength }, (_, i) => i * 7), salt: Uint8Array.from({ length: p.saltLength }, (_, i) => 255 - i) };
    const keys = deriveSrtpSessionKeys(p, master);
    const plain = rtp(65535, utf8('an opus frame, say'), { csrc: [1, 2], ext: Uint8Array.of(0x10, 0xff, 0, 0) });
    const sealed = protectSrtp(plain, keys, 3);
    assert.equal(sealed.length, plain.length + p.tagLength, p.name);
    const r = openSrtp(sealed, keys, 3);
    assert.ok(r.ok, p.name);
    if (!r.ok) continue;
    assert.equal(new TextDecoder().decode(r.payload), 'an opus frame, say');
    assert.equal(r.index, 3 * 65536 + 65535);
    assert.deepEqual(r.header.csrc, [1, 2]);
    assert.equal(r.header.extension?.profile, 0xbede);
    assert.equal(openSrtp(sealed, keys, 2).ok, false, `${p.name}: the ROC is authenticated`);
    const bad = sealed.slice();
    bad[bad.length - p.tagLength - 1]! ^= 0x80;
    assert.deepEqual(openSrtp(bad, keys, 3), { ok: false, reason: 'auth_failed' }, p.name);
    assert.deepEqual(openSrtp(sealed.subarray(0, 12), keys, 3), { ok: false, reason: 'malformed' }, p.name);

    const rtcpKeys = deriveSrtpSessionKeys(p, master, 'rtcp');
    assert.notEqual(toHex(rtcpKeys.encryptionKey), toHex(keys.encryptionKey));
    const report = fromHex('81c8000d4d6172734e5450314e5450325254502000000' + '42a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef');
    const srtcp = protectSrtcp(report, rtcpKeys, 0x5d4);
    const o = openSrtcp(srtcp, rtcpKeys);
    assert.ok(o.ok, `${p.name} SRTCP`);
    if (o.ok) {
      assert.equal(toHex(o.rtcp), toHex(report));
      assert.equal(o.index, 0x5d4);
      assert.ok(o.encrypted);
    }
    const badRtcp = srtcp.slice();
    badRtcp[10]! ^= 1;
    assert.equal(openSrtcp(badRtcp, rtcpKeys).ok, false);
    // SRTCP with the E bit clear: authenticated, sent in clear.
    const clear = protectSrtcp(report, rtcpKeys, 7, false);
    assert.equal(toHex(clear.subarray(0, report.length)), toHex(report));
    const c = openSrtcp(clear, rtcpKeys);
    assert.ok(c.ok && !c.encrypted && c.index === 7 && toHex(c.rtcp) === toHex(report), `${p.name} unencrypted SRTCP`);
    const badClear = clear.slice();
    badClear[20]! ^= 1;
    assert.equal(openSrtcp(badClear, rtcpKeys).ok, false);
  }
});

test('SrtpChecker follows the rollover counter across a sequence number wrap', () => {
  const p = SRTP_PROFILES.SRTP_AES128_CM_SHA1_80;
  const keys = deriveSrtpSessionKeys(p, { key: new Uint8Array(16).fill(1), salt: new Uint8Array(14).fill(2) });
  const checker = new SrtpChecker(keys);
  const seqs = [65530, 65533, 65535, 0, 3, 65534, 10];
  const rocs = [0, 0, 0, 1, 1, 0, 1];
  seqs.forEach((seq, i) => {
    const r = checker.open(protectSrtp(rtp(seq, utf8(`#${i}`)), keys, rocs[i]!));
    assert.ok(r.ok, `seq ${seq}`);
    if (r.ok) assert.equal(r.index, rocs[i]! * 65536 + seq);
  });
});

test('parseRtpHeader refuses what is not RTP', () => {
  assert.throws(() => parseRtpHeader(new Uint8Array(11)), TypeError);
  assert.throws(() => parseRtpHeader(new Uint8Array(12)), /version 2/);
  assert.throws(() => parseRtpHeader(Uint8Array.of(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), /CSRC/);
  assert.throws(() => parseRtpHeader(Uint8Array.of(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 1)), /extension/);
});
