// A scripted DTLS 1.3 client for the server machine's tests: it builds
// ClientHellos from the codecs, reads the server's flight from the machine's
// actions (plain messages: no record layer needed), and checks everything a
// real client checks (ServerHello, CertificateVerify, Finished) with its own
// key schedule, so a server that computes a wrong transcript fails here.
import assert from 'node:assert/strict';
import type { HandshakeAction, HandshakeMachine } from '../../src/handshake/machine.ts';
import type { PlainRecord } from '../../src/record/record-layer.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { SignatureSchemes } from '../../src/crypto/provider.ts';
import { KEM_GROUP_IDS, kemClientShare, kemGroupById, type KemClientKey, type KemGroup } from '../../src/crypto/hybrid-kem.ts';
import { KeySchedule13 } from '../../src/crypto/key-schedule13.ts';
import { suite13ById } from '../../src/crypto/suites.ts';
import { encodeHandshakeMessage, encodeHandshakeFragment } from '../../src/wire/handshake-header.ts';
import { ContentType, ExtensionType, HandshakeType, ProtocolVersion, type Extension, type HandshakeMessage } from '../../src/wire/types.ts';
import { findExtension } from '../../src/wire/extensions/index.ts';
import { encodeSupportedGroups } from '../../src/wire/extensions/supported-groups.ts';
import { encodeSignatureAlgorithms } from '../../src/wire/extensions/signature-algorithms.ts';
import { decodeCookie, encodeCookie } from '../../src/wire/extensions13/cookie.ts';
import { decodeKeyShareRetry, decodeKeyShareServer, encodeKeyShareClient } from '../../src/wire/extensions13/key-share.ts';
import { encodeSupportedVersionsClient } from '../../src/wire/extensions13/supported-versions.ts';
import { encodeClientHello } from '../../src/wire/messages/client-hello.ts';
import { decodeServerHello } from '../../src/wire/messages/server-hello.ts';
import { decodeFinished, encodeFinished } from '../../src/wire/messages/finished.ts';
import { checkServerHello13, clientHello13, isHelloRetryRequest } from '../../src/wire/messages13/hello13.ts';
import { decodeCertificate13, encodeCertificate13 } from '../../src/wire/messages13/certificate13.ts';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../src/wire/messages13/certificate-verify13.ts';
import { decodeCertificateRequest13 } from '../../src/wire/messages13/certificate-request13.ts';
import { decodeEncryptedExtensions } from '../../src/wire/messages13/encrypted-extensions.ts';
import { Transcript13, checkFinished, finishedVerifyData, signCertificateVerify, verifyCertificateVerify13, exporter13 } from '../../src/handshake/common13.ts';
import { parseCertificate } from '../../src/x509/parse.ts';
import type { CertificateKeyPair } from '../../src/x509/types.ts';

export interface HelloOptions {
  random?: Uint8Array;
  sessionId?: Uint8Array;
  suites?: number[];
  /** supported_groups; default the groups of `shares`. */
  groups?: KemGroup[];
  /** Groups to send a share for. */
  shares?: KemGroup[];
  schemes?: number[] | null;
  cookie?: Uint8Array;
  versions?: number[];
  legacyCookie?: Uint8Array;
  extra?: Extension[];
  /** Leave these extension types out. */
  omit?: number[];
}

export const ALL_SCHEMES = [
  SignatureSchemes.ecdsa_secp256r1_sha256,
  SignatureSchemes.ecdsa_secp384r1_sha384,
  SignatureSchemes.ed25519,
  SignatureSchemes.rsa_pss_rsae_sha256,
];

/** The actions' flight, as the records the peer would open. */
export function flightRecords(actions: HandshakeAction[]): PlainRecord[] {
  const f = actions.find((a) => a.kind === 'flight');
  assert.ok(f && f.kind === 'flight', `a flight among ${actions.map((a) => a.kind).join(', ')}`);
  return f.items.map((it, i) => {
    assert.equal(it.kind, 'handshake');
    if (it.kind !== 'handshake') throw new Error('unreachable');
    return { contentType: ContentType.handshake, epoch: it.epoch, sequenceNumber: i, payload: encodeHandshakeMessage(it.message) };
  });
}

export function flightMessages(actions: HandshakeAction[]): { epoch: number; message: HandshakeMessage }[] {
  const f = actions.find((a) => a.kind === 'flight');
  assert.ok(f && f.kind === 'flight');
  return f.items.map((it) => {
    if (it.kind !== 'handshake') throw new Error('ccs in a 1.3 flight');
    return { epoch: it.epoch, message: it.message };
  });
}

export function failure(actions: HandshakeAction[]): { code: string; alert: number | undefined } | undefined {
  const f = actions.find((a) => a.kind === 'fail');
  return f && f.kind === 'fail' ? { code: f.error.code, alert: f.error.alert } : undefined;
}

export function handshakeRecord(msgType: number, messageSeq: number, body: Uint8Array, epoch = 0, sequenceNumber = 0): PlainRecord {
  return { contentType: ContentType.handshake, epoch, sequenceNumber, payload: encodeHandshakeMessage({ msgType, messageSeq, body }) };
}

/** One message cut into `n` fragment records (each its own record). */
export function fragmentedRecords(msgType: number, messageSeq: number, body: Uint8Array, n: number): PlainRecord[] {
  const size = Math.ceil(body.length / n);
  const out: PlainRecord[] = [];
  for (let off = 0, i = 0; off < body.length; off += size, i++) {
    const frag = encodeHandshakeFragment({ msgType, length: body.length, messageSeq, fragmentOffset: off, body: body.subarray(off, off + size) });
    out.push({ contentType: ContentType.handshake, epoch: 0, sequenceNumber: i, payload: frag });
  }
  return out;
}

/** A scripted client: one ClientHello at a time, then the checks of the server's flight. */
export class ScriptedClient13 {
  readonly crypto: CryptoProvider;
  readonly random: Uint8Array;
  keys = new Map<KemGroup, KemClientKey>();
  /** Transcript parts, kept raw until the suite (and so the hash) is known. */
  #parts: { type: number; body: Uint8Array }[] = [];
  #ch1Hashed: Uint8Array | undefined;
  hrr: { group: number | undefined; cookie: Uint8Array; suite: number } | undefined;
  nextSeq = 0;

  constructor(crypto: CryptoProvider) {
    this.crypto = crypto;
    this.random = crypto.random(32);
  }

  hello(o: HelloOptions = {}): Uint8Array {
    const shares = o.shares ?? ['x25519'];
    const entries = shares.map((g) => {
      const k = kemClientShare(this.crypto, g);
      this.keys.set(g, k);
      return { group: KEM_GROUP_IDS[g], keyExchange: k.share };
    });
    const groups = o.groups ?? shares;
    const exts: Extension[] = [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient(o.versions ?? [ProtocolVersion.DTLS1_3, ProtocolVersion.DTLS1_2]) },
      { type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups.map((g) => KEM_GROUP_IDS[g])) },
      { type: ExtensionType.key_share, data: encodeKeyShareClient(entries) },
    ];
    if (o.schemes !== null) exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(o.schemes ?? ALL_SCHEMES) });
    if (o.cookie) exts.push({ type: ExtensionType.cookie, data: encodeCookie(o.cookie) });
    exts.push(...(o.extra ?? []));
    const ch = clientHello13({
      random: o.random ?? this.random,
      sessionId: o.sessionId ?? new Uint8Array(0),
      cipherSuites: o.suites ?? [0x1301, 0x1302, 0x1303],
      extensions: exts.filter((e) => !(o.omit ?? []).includes(e.type)),
    });
    if (o.legacyCookie) ch.cookie = o.legacyCookie;
    const body = encodeClientHello(ch);
    this.#parts.push({ type: HandshakeType.client_hello, body });
    return body;
  }

  /** The ClientHello as the record the server machine opens, with the client's next message_seq. */
  helloRecord(o: HelloOptions = {}): PlainRecord {
    return handshakeRecord(HandshakeType.client_hello, this.nextSeq++, this.hello(o));
  }

  /** Reads a HelloRetryRequest flight: the group asked for and the cookie (RFC 8446 4.1.4). */
  readRetry(actions: HandshakeAction[]): { group: KemGroup | undefined; cookie: Uint8Array } {
    const [m] = flightMessages(actions);
    assert.equal(m!.message.msgType, HandshakeType.server_hello);
    const sh = decodeServerHello(m!.message.body);
    assert.ok(isHelloRetryRequest(sh), 'a HelloRetryRequest');
    assert.ok(checkServerHello13(sh, new Uint8Array(0)));
    const ks = findExtension(sh.extensions, ExtensionType.key_share);
    const cookie = decodeCookie(findExtension(sh.extensions, ExtensionType.cookie)!.data).slice();
    const group = ks ? decodeKeyShareRetry(ks.data) : undefined;
    this.hrr = { group, cookie, suite: sh.cipherSuite };
    // RFC 8446 4.4.1: ClientHello1 becomes message_hash once the hash is known.
    const ch1 = this.#parts.pop()!;
    assert.equal(this.#parts.length, 0);
    this.#ch1Hashed = ch1.body;
    this.#parts.push({ type: HandshakeType.server_hello, body: m!.message.body });
    return { group: group === undefined ? undefined : kemGroupById(group), cookie };
  }

  /**
   * Checks the server's flight (ServerHello .. Finished) as a client would
   * and returns our Finished (and, when `cert` is given and a CertificateRequest came, Certificate
   * and CertificateVerify) as epoch-2 records, with what the client derived.
   */
  finish(
    actions: HandshakeAction[],
    serverCert: { chain: Uint8Array[] },
    opts: { cert?: CertificateKeyPair | 'none'; badFinished?: boolean; badSignature?: boolean } = {},
  ) {
    const msgs = flightMessages(actions);
    const sh = decodeServerHello(msgs[0]!.message.body);
    assert.equal(msgs[0]!.epoch, 0);
    assert.ok(checkServerHello13(sh, new Uint8Array(0)), 'ServerHello selects DTLS 1.3');
    assert.ok(!isHelloRetryRequest(sh));
    const suite = suite13ById(sh.cipherSuite)!;
    const t = new Transcript13(suite.hash);
    if (this.#ch1Hashed) t.addMessageHash(this.crypto.hash(suite.hash, encodeTranscript(HandshakeType.client_hello, this.#ch1Hashed)));
    for (const p of this.#parts) t.add(p.type, p.body);
    t.add(HandshakeType.server_hello, msgs[0]!.message.body);
    const share = decodeKeyShareServer(findExtension(sh.extensions, ExtensionType.key_share)!.data);
    const group = kemGroupById(share.group)!;
    const shared = this.keys.get(group)!.decapsulate(this.crypto, share.keyExchange);
    const ks = new KeySchedule13(this.crypto, suite.hash);
    ks.handshake(shared);
    const hs = ks.handshakeTrafficSecrets(t.digest(this.crypto));
    let requested = false;
    let ee;
    for (const { epoch, message } of msgs.slice(1)) {
      assert.equal(epoch, 2, 'after the ServerHello everything is under the handshake keys');
      const h = t.digest(this.crypto);
      switch (message.msgType) {
        case HandshakeType.encrypted_extensions:
          ee = decodeEncryptedExtensions(message.body);
          break;
        case HandshakeType.certificate_request:
          assert.equal(decodeCertificateRequest13(message.body).context.length, 0);
          requested = true;
          break;
        case HandshakeType.certificate:
          assert.deepEqual(
            decodeCertificate13(message.body).entries.map((e) => e.data),
            serverCert.chain,
          );
          break;
        case HandshakeType.certificate_verify: {
          const cv = decodeCertificateVerify(message.body);
          verifyCertificateVerify13(this.crypto, parseCertificate(serverCert.chain[0]!), cv.signatureScheme, ALL_SCHEMES, 'server', h, cv.signature);
          break;
        }
        case HandshakeType.finished:
          checkFinished(this.crypto, ks, hs.server, h, decodeFinished(message.body).verifyData, 'server');
          break;
        default:
          assert.fail(`unexpected message ${message.msgType}`);
      }
      t.add(message.msgType, message.body);
    }
    ks.master();
    const sfHash = t.digest(this.crypto);
    const ap = ks.applicationTrafficSecrets(sfHash);
    const exporter = exporter13(this.crypto, suite.hash, ks.derive('exp master', sfHash));
    let seq = msgs.length + (this.hrr ? 1 : 0);
    const out: PlainRecord[] = [];
    const send = (msgType: number, body: Uint8Array) => {
      t.add(msgType, body);
      out.push(handshakeRecord(msgType, this.nextSeq++, body, 2, seq++));
    };
    if (requested && opts.cert) {
      const c = opts.cert === 'none' ? undefined : opts.cert;
      send(HandshakeType.certificate, encodeCertificate13({ context: new Uint8Array(0), entries: (c?.chain ?? []).map((data) => ({ data, extensions: [] })) }));
      if (c) {
        const scheme = c.curve === 'P-256' ? SignatureSchemes.ecdsa_secp256r1_sha256 : SignatureSchemes.ecdsa_secp384r1_sha384;
        const sig = signCertificateVerify(this.crypto, c, scheme, 'client', t.digest(this.crypto));
        if (opts.badSignature) sig[sig.length - 3]! ^= 1;
        send(HandshakeType.certificate_verify, encodeCertificateVerify({ signatureScheme: scheme, signature: sig }));
      }
    }
    const verifyData = finishedVerifyData(this.crypto, ks, hs.client, t.digest(this.crypto));
    if (opts.badFinished) verifyData[0]! ^= 1;
    send(HandshakeType.finished, encodeFinished({ verifyData }));
    const keys = (secret: Uint8Array) => ks.trafficKeys(secret, suite.keyLength, suite.ivLength);
    return {
      records: out,
      suite,
      group,
      ee,
      exporter,
      serverHs: keys(hs.server),
      clientHs: keys(hs.client),
      serverAp: keys(ap.server),
      clientAp: keys(ap.client),
    };
  }
}

function encodeTranscript(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/** Feeds records one by one and collects what the machine asked for. */
export function feed(m: HandshakeMachine, recs: PlainRecord[]): HandshakeAction[] {
  const out: HandshakeAction[] = [];
  for (const r of recs) out.push(...m.handleRecord(0, r, r.epoch));
  return out;
}

export const kinds = (as: HandshakeAction[]) =>
  as
    .filter((a) => a.kind !== 'trace')
    .map((a) => (a.kind === 'flight' ? `flight ${a.number} ${a.mode}` : a.kind === 'write-keys' || a.kind === 'read-keys' ? `${a.kind} ${a.epoch}` : a.kind));
