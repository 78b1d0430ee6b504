// The DTLS 1.3 server (RFC 9147 5; RFC 8446 2, 4).
//
//   wait_client_hello ──ClientHello, no usable share or cookie required──► HelloRetryRequest + cookie
//        │                (nothing kept: the cookie holds Hash(ClientHello1), RFC 9147 5.1)
//        │ ClientHello (with a share we take, and our cookie when one was asked for)
//        ▼  ServerHello | EncryptedExtensions [CertificateRequest] Certificate CertificateVerify Finished
//   [wait_client_certificate ► wait_certificate_verify] ► wait_finished ──Finished──► done
//
// Epoch 0 carries the hellos, epoch 2 the rest of the handshake (handshake
// traffic keys), epoch 3 application data (RFC 9147 6.1). The message layer
// here (reassembly, message_seq, which epoch each message must come in) is
// what the 1.2 machine's dtls12.ts does for 1.2, under DTLS 1.3's rules: the
// transcript has no message_seq (RFC 9147 5.2) and no ChangeCipherSpec exists.
import type { ResolvedOptions } from '../options.ts';
import type { PlainRecord } from '../record/record-layer.ts';
import type { FlightItem } from '../reliability/flight.ts';
import { Reassembler } from '../reliability/reassembly.ts';
import { kemEncapsulate, KEM_GROUP_IDS } from '../crypto/hybrid-kem.ts';
import { KeySchedule13 } from '../crypto/key-schedule13.ts';
import { DtlsError } from '../errors.ts';
import { decodeHandshakeFragments } from '../wire/handshake-header.ts';
import { ContentType, ExtensionType, HandshakeType, ProtocolVersion, type Extension, type HandshakeMessage } from '../wire/types.ts';
import { encodeUseSrtp } from '../wire/extensions/use-srtp.ts';
import { encodeAlpn } from '../wire/extensions/alpn.ts';
import { encodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { encodeKeyShareServer } from '../wire/extensions13/key-share.ts';
import { encodeSupportedVersionsServer } from '../wire/extensions13/supported-versions.ts';
import { encodeServerHello } from '../wire/messages/server-hello.ts';
import { decodeFinished, encodeFinished } from '../wire/messages/finished.ts';
import { serverHello13 } from '../wire/messages13/hello13.ts';
import { encodeEncryptedExtensions } from '../wire/messages13/encrypted-extensions.ts';
import { encodeCertificateRequest13 } from '../wire/messages13/certificate-request13.ts';
import { decodeCertificate13, encodeCertificate13 } from '../wire/messages13/certificate13.ts';
import { decodeCertificateVerify, encodeCertificateVerify } from '../wire/messages13/certificate-verify13.ts';
import type { HandshakeAction, HandshakeMachine } from './machine.ts';
import { decodeAs } from './common.ts';
import {
  Transcript13,
  checkFinished,
  finishedVerifyData,
  handshakeInfo13,
  keyLog13,
  signCertificateVerify,
  verifyCertificateVerify13,
  trafficKeys13,
} from './common13.ts';
import { readClientHello13, type Hello13 } from './server13-hello.ts';
import { choosePsk, wantsTickets } from './server13-psk.ts';
import { sealTicket } from './ticket13.ts';
import { encodePreSharedKeyServer } from '../wire/extensions13/pre-shared-key.ts';
import { encodeNewSessionTicket13 } from '../wire/messages13/new-session-ticket.ts';
import { fingerprint } from '../x509/fingerprint.ts';
import { verifyPeer, type VerifiedPeer } from './verify-peer.ts';
import { secretCookies, type HrrCookies } from './cookie.ts';
import { handshakeName } from './dtls12.ts';
import { KeyUpdate13, endOfEpoch, postHandshakeEpoch, type KeyUpdateHost13 } from './key-update13.ts';
import { ConnectionIds13, isConnectionIdMessage, noConnectionIds } from './cid13.ts';

/** The epochs of DTLS 1.3 (RFC 9147 6.1). */
const EPOCH_HANDSHAKE = 2;
const EPOCH_APPLICATION = 3;

/** The negotiated session once the handshake keys exist. */
interface Session {
  hello: Hello13;
  ks: KeySchedule13;
  transcript: Transcript13;
  clientHs: Uint8Array;
  serverHs: Uint8Array;
  clientAp: Uint8Array;
  serverAp: Uint8Array;
  exporterMaster: Uint8Array;
  /** Resumed from a ticket (RFC 8446 2.2): no certificates were exchanged. */
  resumed: boolean;
}

interface ClientAuth {
  peer: VerifiedPeer;
  chain: Uint8Array[];
}

/** One type per state, holding only what that state needs (STYLE.md). */
type State =
  /** Our HelloRetryRequest cookies (our own secret, or a gate's): the only thing kept before a cookie returns. */
  | { name: 'wait_client_hello'; cookies: HrrCookies }
  | { name: 'wait_client_certificate'; session: Session }
  | { name: 'wait_certificate_verify'; session: Session; auth: ClientAuth }
  | { name: 'wait_finished'; session: Session; auth: ClientAuth | undefined }
  | { name: 'done' };

type In<N extends State['name']> = Extract<State, { name: N }>;

/** Every connection that completed its handshake shares this state object. */
const DONE: State = { name: 'done' };

export class Server13Handshake implements HandshakeMachine, KeyUpdateHost13 {
  readonly #o: ResolvedOptions;
  /**
   * The client's messages, in order. Once connected it is made only while a
   * post-handshake message is in pieces (about 380 bytes a connection would
   * otherwise keep); `#peerSeq` is its nextSeq meanwhile.
   */
  #reassembler: Reassembler | undefined;
  #peerSeq = 0;
  #state: State;
  #out: HandshakeAction[] = [];
  #sendSeq = 0;
  /** The reassembler's nextSeq when our current flight was sent: the peer flight it answers ends just below. */
  #answeredUpTo = 0;
  /** KeyUpdate both ways once connected (RFC 8446 4.6.3, RFC 9147 8). */
  #keyUpdate: KeyUpdate13 | undefined;
  /**
   * Connection IDs (RFC 9147 9): settled by the ClientHello, then
   * NewConnectionId/RequestConnectionId. Undefined when we are not configured
   * for them (options.connectionId): they can never be negotiated then.
   */
  readonly cids: ConnectionIds13 | undefined;

  constructor(o: ResolvedOptions) {
    this.#o = o;
    // Post-handshake messages go in the application epoch (a KeyUpdate of ours would move it).
    this.cids =
      o.connectionId === undefined
        ? undefined
        : new ConnectionIds13(
            o,
            (msgType, body) => ({ msgType, messageSeq: this.#sendSeq++, body }),
            () => this.#keyUpdate?.sendEpoch ?? EPOCH_APPLICATION,
            () => this.#keyUpdate?.pending ?? false,
          );
    // A gate in front of the server (listen()) hands over its cookies, so the cookie it issued opens here.
    this.#state = { name: 'wait_client_hello', cookies: o.hrrCookies ?? secretCookies(o.crypto, o.crypto.random(32)) };
    this.#reassembler = this.#newReassembler();
  }

  #newReassembler(): Reassembler {
    const l = this.#o.limits;
    return new Reassembler({ maxMessageLength: l.maxHandshakeMessage, maxBufferedBytes: l.maxReassemblyBytes });
  }

  /** KeyUpdateHost13: our post-handshake messages share the handshake's message_seq (RFC 9147 5.2). */
  takeMessageSeq(): number {
    return this.#sendSeq++;
  }

  /** KeyUpdateHost13: connection IDs a RequestConnectionId asked for while our KeyUpdate waited. */
  afterKeyUpdate(): HandshakeAction[] {
    return this.cids?.flush() ?? [];
  }

  get done(): boolean {
    return this.#state.name === 'done';
  }
  get stateName(): string {
    return this.#state.name;
  }
  get version(): '1.3' {
    return '1.3';
  }

  start(_now: number): HandshakeAction[] {
    return [];
  }

  handleRecord(now: number, rec: PlainRecord, readEpoch: number): HandshakeAction[] {
    try {
      if (rec.contentType === ContentType.handshake) this.#handshake(now, rec, readEpoch);
      // DTLS 1.3 has no ChangeCipherSpec (RFC 9147 5): one is dropped, as anything else that is not a handshake record.
      else this.#out.push({ kind: 'drop', reason: 'unexpected' });
    } catch (e) {
      if (!(e instanceof DtlsError)) throw e;
      this.#out.push({ kind: 'fail', error: e });
    }
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #handshake(now: number, rec: PlainRecord, readEpoch: number): void {
    let fragments;
    try {
      fragments = decodeHandshakeFragments(rec.payload);
    } catch (e) {
      // Unauthenticated epoch-0 garbage is dropped; under the keys it is the peer's fault.
      if (rec.epoch === 0) return void this.#out.push({ kind: 'drop', reason: 'malformed' });
      throw e;
    }
    let r = this.#reassembler;
    if (!r) {
      // Connected, with no message of the client's in pieces: copies of what was taken need none.
      if (!fragments.some((f) => f.messageSeq >= this.#peerSeq)) return;
      r = this.#reassembler = this.#newReassembler();
      r.nextSeq = this.#peerSeq;
    }
    const s = this.#state.name;
    for (const f of fragments) {
      if (s === 'wait_client_hello' && rec.epoch === 0 && f.msgType === HandshakeType.client_hello && f.messageSeq > r.nextSeq && f.messageSeq < 8) {
        // Stateless HRR: the second ClientHello (message_seq 1) may be the first we keep (RFC 9147 5.2).
        r.nextSeq = f.messageSeq;
      }
      if (s === 'wait_client_hello' && rec.epoch === 0 && f.msgType === HandshakeType.client_hello && rec.sequenceNumber < 0x10000) {
        // Our answer continues above the ClientHello's record number, as a stateless server's would.
        this.#out.push({ kind: 'advance-write-seq', epoch: 0, seq: rec.sequenceNumber });
      }
      const isNew = f.messageSeq >= r.nextSeq;
      // After the Finished: post-handshake messages, under the application keys of the peer's current epoch.
      if (isNew && this.done && rec.epoch >= EPOCH_APPLICATION) {
        postHandshakeEpoch(rec.epoch, readEpoch);
      }
      // RFC 8446 5.1: after its Finished the client sends nothing new under the handshake keys (authenticated: its fault).
      else if (isNew && this.done && rec.epoch === EPOCH_HANDSHAKE)
        throw new DtlsError('unexpected_message', 'a new handshake message after the client Finished, under the handshake keys');
      // Each new message must come in the epoch of its place in the handshake:
      // ClientHello in 0, the client's second flight in 2 (RFC 9147 6.1).
      else if (isNew && (this.done || rec.epoch !== (s === 'wait_client_hello' ? 0 : EPOCH_HANDSHAKE))) {
        this.#out.push({ kind: 'drop', reason: rec.epoch < EPOCH_HANDSHAKE ? 'stale_epoch' : 'unexpected' });
        continue;
      }
      const res = r.add(f);
      if (res === 'old' && !this.done && f.messageSeq === this.#answeredUpTo - 1 && f.fragmentOffset === 0) {
        // A copy of the ClientHello our flight answers: the peer lost our flight.
        this.#out.push({ kind: 'peer-copy', keyed: rec.epoch > 0 });
      } else if (res === 'dropped') this.#out.push({ kind: 'drop', reason: 'reassembly_limit' });
    }
    for (let m = r.poll(); m; m = r.poll()) {
      this.#out.push({ kind: 'trace', direction: 'in', what: handshakeName(m.msgType), epoch: rec.epoch, bytes: m.body.length });
      if (this.done) {
        this.#postHandshake(m);
        if (m.msgType === HandshakeType.key_update) endOfEpoch(r, 'KeyUpdate');
        continue;
      }
      const before = this.#out.length;
      this.#dispatch(now, m);
      if (this.#out.slice(before).some((a) => a.kind === 'flight')) this.#answeredUpTo = r.nextSeq;
      // RFC 8446 5.1: nothing follows the client's Finished under the handshake keys.
      if (this.done) endOfEpoch(r, 'client Finished');
    }
    if (this.done && r.bufferedMessages === 0) {
      this.#peerSeq = r.nextSeq;
      this.#reassembler = undefined;
    }
  }

  /** The client's messages after its Finished: KeyUpdate (key-update13.ts, the same for both roles) and the connection ID messages (cid13.ts); a client sends nothing else (RFC 8446 4.6). */
  #postHandshake(msg: HandshakeMessage): void {
    if (msg.msgType === HandshakeType.key_update && this.#keyUpdate) return void this.#out.push(...this.#keyUpdate.receive(msg));
    if (isConnectionIdMessage(msg.msgType)) {
      if (!this.cids) throw noConnectionIds();
      return void this.#out.push(...this.cids.onMessage(msg));
    }
    throw new DtlsError('unexpected_message', `post-handshake ${handshakeName(msg.msgType)} from a client`);
  }

  #dispatch(now: number, msg: HandshakeMessage): void {
    const t = msg.msgType;
    const s = this.#state;
    switch (s.name) {
      case 'wait_client_hello':
        if (t === HandshakeType.client_hello) return this.#onClientHello(s, now, msg);
        break;
      case 'wait_client_certificate':
        if (t === HandshakeType.certificate) return this.#onCertificate(s, now, msg);
        break;
      case 'wait_certificate_verify':
        if (t === HandshakeType.certificate_verify) return this.#onCertificateVerify(s, msg);
        break;
      case 'wait_finished':
        if (t === HandshakeType.finished) return this.#onFinished(s, now, msg);
        break;
    }
    throw new DtlsError('unexpected_message', `handshake message ${handshakeName(t)} in state ${s.name}`);
  }

  #onClientHello(s: In<'wait_client_hello'>, now: number, msg: HandshakeMessage): void {
    const o = this.#o;
    const crypto = o.crypto;
    const decision = readClientHello13(o, msg.body, s.cookies);
    // RFC 9147 5.2: our first message answers with the ClientHello's message_seq.
    this.#sendSeq = msg.messageSeq;
    if (decision.kind === 'retry') {
      // Not retransmitted and nothing kept (RFC 9147 5.1): a lost HRR is drawn again by the client's ClientHello.
      const hrr = { msgType: HandshakeType.server_hello, messageSeq: this.#sendSeq, body: decision.hrrBody };
      this.#out.push({ kind: 'flight', items: [{ kind: 'handshake', epoch: 0, message: hrr }], number: 2, mode: 'once', sampleRtt: true });
      return;
    }
    const hello = decision.hello;
    const { suite } = hello;
    const transcript = new Transcript13(suite.hash);
    if (hello.retry) {
      transcript.addMessageHash(hello.retry.state.clientHello1Hash);
      transcript.add(HandshakeType.server_hello, hello.retry.hrrBody);
      // The HelloRetryRequest was our message_seq 0; the ServerHello follows it.
      this.#sendSeq = Math.max(this.#sendSeq, 1);
    }
    transcript.add(HandshakeType.client_hello, msg.body);
    // PSK with (EC)DHE (RFC 8446 2.2): a ticket of ours with a good binder skips the certificates.
    const resume = choosePsk(o, hello, msg.body, o.wallTime(now));

    const { share, sharedSecret } = kemEncapsulate(crypto, hello.group, hello.clientShare);
    const cid = this.cids?.onClientHello(hello.clientCid);
    // CIDs before the flight: its epoch-2 records carry the client's.
    if (cid) this.#out.push(...cid.actions);
    const sh = encodeServerHello(
      serverHello13({
        random: crypto.random(32),
        // RFC 9147 5.3: never echoed in DTLS 1.3 (no middlebox compatibility mode).
        sessionIdEcho: new Uint8Array(0),
        cipherSuite: suite.id,
        extensions: [
          { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.DTLS1_3) },
          { type: ExtensionType.key_share, data: encodeKeyShareServer({ group: KEM_GROUP_IDS[hello.group], keyExchange: share }) },
          ...(resume ? [{ type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServer(resume.index) }] : []),
          ...(cid ? [cid.extension] : []),
        ],
      }),
    );
    const items: FlightItem[] = [];
    const add = (msgType: number, body: Uint8Array, epoch: number) => {
      transcript.add(msgType, body);
      items.push({ kind: 'handshake', epoch, message: { msgType, messageSeq: this.#sendSeq++, body } });
    };
    add(HandshakeType.server_hello, sh, 0);

    const ks = new KeySchedule13(crypto, suite.hash, resume?.ticket.psk);
    ks.handshake(sharedSecret);
    sharedSecret.fill(0);
    const hs = ks.handshakeTrafficSecrets(transcript.digest(crypto));

    const ee: Extension[] = [];
    if (hello.srtpProfile !== undefined)
      ee.push({ type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: [hello.srtpProfile], mki: new Uint8Array(0) }) });
    if (hello.alpn !== undefined) ee.push({ type: ExtensionType.alpn, data: encodeAlpn([hello.alpn]) });
    // RFC 6066 3: an empty server_name acknowledges the client's name; not when resuming (the name was settled then).
    if (hello.serverName !== undefined && !resume) ee.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    add(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: ee }), EPOCH_HANDSHAKE);
    // RFC 8446 4.3.2, 4.4.2: a PSK handshake has no CertificateRequest, Certificate or CertificateVerify.
    if (o.requestClientCertificate && !resume) {
      const extensions = [{ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(this.#o.signatureSchemes.schemes13) }];
      add(HandshakeType.certificate_request, encodeCertificateRequest13({ context: new Uint8Array(0), extensions }), EPOCH_HANDSHAKE);
    }
    const cert = o.certificate!;
    if (!resume) {
      add(
        HandshakeType.certificate,
        encodeCertificate13({ context: new Uint8Array(0), entries: cert.chain.map((data) => ({ data, extensions: [] })) }),
        EPOCH_HANDSHAKE,
      );
      const signature = signCertificateVerify(crypto, cert, hello.scheme, 'server', transcript.digest(crypto));
      add(HandshakeType.certificate_verify, encodeCertificateVerify({ signatureScheme: hello.scheme, signature }), EPOCH_HANDSHAKE);
    }
    add(HandshakeType.finished, encodeFinished({ verifyData: finishedVerifyData(crypto, ks, hs.server, transcript.digest(crypto)) }), EPOCH_HANDSHAKE);

    // Application secrets and the exporter come from the transcript through our Finished (RFC 8446 7.1).
    ks.master();
    const serverFinishedHash = transcript.digest(crypto);
    const ap = ks.applicationTrafficSecrets(serverFinishedHash);
    const exporterMaster = ks.derive('exp master', serverFinishedHash);
    const session: Session = {
      hello,
      ks,
      transcript,
      clientHs: hs.client,
      serverHs: hs.server,
      clientAp: ap.client,
      serverAp: ap.server,
      exporterMaster,
      resumed: resume !== undefined,
    };

    this.#out.push({ kind: 'write-keys', epoch: EPOCH_HANDSHAKE, keys: trafficKeys13(ks, suite, hs.server) });
    this.#out.push({ kind: 'flight', items, number: 4, mode: 'retransmit', sampleRtt: true });
    // Resumed: the client's identity is the one its ticket carries from the connection that issued it.
    const chain = resume?.ticket.peerChain ?? [];
    const ticketAuth: ClientAuth | undefined = chain.length
      ? { peer: { leaf: undefined, fingerprint: fingerprint(chain[0]!, 'sha-256', crypto) }, chain }
      : undefined;
    this.#state = o.requestClientCertificate && !resume ? { name: 'wait_client_certificate', session } : { name: 'wait_finished', session, auth: ticketAuth };
    // The client's second flight comes in epoch 2; records of it that came early are handed back now.
    this.#out.push({ kind: 'read-keys', epoch: EPOCH_HANDSHAKE, keys: trafficKeys13(ks, suite, hs.client) });
    // After our Finished we write in epoch 3 (RFC 8446 4.4.4, RFC 9147 6.1): the client reads it once our
    // flight is in, so an alert of ours from now on is one it can open (data waits for the handshake).
    this.#out.push({ kind: 'write-keys', epoch: EPOCH_APPLICATION, keys: trafficKeys13(ks, suite, ap.server) });
  }

  #onCertificate(s: In<'wait_client_certificate'>, now: number, msg: HandshakeMessage): void {
    const c = decodeAs('Certificate', () => decodeCertificate13(msg.body));
    // RFC 8446 4.4.2: the client echoes our (empty) certificate_request_context.
    if (c.context.length !== 0) throw new DtlsError('illegal_parameter', 'client Certificate has a certificate_request_context we did not send');
    s.session.transcript.add(msg.msgType, msg.body);
    if (c.entries.length === 0) {
      // RFC 8446 4.4.2.4: no certificate; the handshake goes on unless one is required.
      if (this.#o.requestClientCertificate === 'require') throw new DtlsError('handshake_failure', 'client sent no certificate, and one is required');
      this.#state = { name: 'wait_finished', session: s.session, auth: undefined };
      return;
    }
    const chain = c.entries.map((e) => e.data.slice());
    this.#state = { name: 'wait_certificate_verify', session: s.session, auth: { peer: verifyPeer(chain, this.#o, now, 'server'), chain } };
  }

  #onCertificateVerify(s: In<'wait_certificate_verify'>, msg: HandshakeMessage): void {
    const crypto = this.#o.crypto;
    const cv = decodeAs('CertificateVerify', () => decodeCertificateVerify(msg.body));
    const { transcript } = s.session;
    verifyCertificateVerify13(
      crypto,
      s.auth.peer.leaf,
      cv.signatureScheme,
      this.#o.signatureSchemes.schemes13,
      'client',
      transcript.digest(crypto),
      cv.signature,
    );
    transcript.add(msg.msgType, msg.body);
    this.#state = { name: 'wait_finished', session: s.session, auth: s.auth };
  }

  #onFinished(s: In<'wait_finished'>, now: number, msg: HandshakeMessage): void {
    const crypto = this.#o.crypto;
    const { hello, ks, transcript } = s.session;
    const fin = decodeAs('Finished', () => decodeFinished(msg.body));
    checkFinished(crypto, ks, s.session.clientHs, transcript.digest(crypto), fin.verifyData, 'client');
    transcript.add(msg.msgType, msg.body);
    const ses = s.session;
    this.#out.push({ kind: 'read-keys', epoch: EPOCH_APPLICATION, keys: trafficKeys13(ks, hello.suite, ses.clientAp) });
    this.#state = DONE;
    const ku = (this.#keyUpdate = new KeyUpdate13({ crypto, suite: hello.suite, ours: ses.serverAp, peers: ses.clientAp, exporter: ses.exporterMaster }, this));
    const secrets = {
      clientHandshake: ses.clientHs,
      serverHandshake: ses.serverHs,
      clientTraffic: ses.clientAp,
      serverTraffic: ses.serverAp,
      exporter: ses.exporterMaster,
    };
    this.#out.push({
      kind: 'complete',
      result: {
        info: {
          ...handshakeInfo13({
            suite: hello.suite,
            group: hello.group,
            peerChain: s.auth?.chain ?? [],
            peerFingerprint: s.auth?.peer.fingerprint,
            srtpProfile: hello.srtpProfile,
            alpn: hello.alpn,
            serverName: hello.serverName,
          }),
          resumed: ses.resumed,
        },
        exportKeyingMaterial: ku.exportKeyingMaterial.bind(ku),
        keyLogLines: keyLog13(hello.ch.random.slice(), secrets),
        keyUpdate: this.#keyUpdate,
      },
    });
    this.#sendTickets(now, ses, s.auth?.chain ?? []);
  }

  /**
   * NewSessionTickets after the handshake (RFC 8446 4.6.1), each resent until
   * ACKed (RFC 9147 5.8.4), when the client can use them (RFC 8446 4.2.9).
   * The ticket seals the PSK of its nonce and what the summary of a resumed
   * connection needs; the server keeps nothing.
   */
  #sendTickets(now: number, ses: Session, peerChain: Uint8Array[]): void {
    const o = this.#o;
    if (o.sessionTickets === 0 || !wantsTickets(ses.hello.ch)) return;
    const crypto = o.crypto;
    const { hello, ks, transcript } = ses;
    const resumptionMaster = ks.resumptionMaster(transcript.digest(crypto));
    for (let i = 0; i < o.sessionTickets; i++) {
      const nonce = Uint8Array.of(i);
      const r = crypto.random(4);
      const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
      const psk = ks.ticketPsk(resumptionMaster, nonce);
      const ticket = sealTicket(crypto, o.ticketKeys()[0]!, {
        suite: hello.suite.id,
        psk,
        lifetime: o.ticketLifetime,
        ageAdd,
        alpn: hello.alpn,
        serverName: hello.serverName,
        peerChain,
        issuedAt: o.wallTime(now),
      });
      psk.fill(0);
      const body = encodeNewSessionTicket13({ lifetime: o.ticketLifetime, ageAdd, nonce, ticket, extensions: [] });
      const message = { msgType: HandshakeType.new_session_ticket, messageSeq: this.#sendSeq++, body };
      this.#out.push({ kind: 'post-handshake', item: { kind: 'handshake', epoch: EPOCH_APPLICATION, message } });
    }
    resumptionMaster.fill(0);
  }
}
