// The DTLS 1.3 client's states (RFC 8446 2, 4; RFC 9147 5): whole, in-order
// messages in, actions out. client13.ts is the message layer around it.
//
//   start ── ClientHello ──► wait_server_hello ──HelloRetryRequest──► ClientHello (cookie, new share)
//                               │ ServerHello: handshake keys (epoch 2)
//                               ▼
//   wait_encrypted_extensions ► wait_certificate (CertificateRequest?) ► wait_certificate_verify
//                               ► wait_finished ──► [Certificate CertificateVerify] Finished,
//                                                   application keys (epoch 3) ──► done
import type { HandshakeAction } from './machine.ts';
import type { ResolvedOptions } from '../options.ts';
import { suite13ById, type CipherSuite13 } from '../crypto/suites.ts';
import { KeySchedule13 } from '../crypto/key-schedule13.ts';
import { kemClientShare, kemGroupById, type KemClientKey, type KemGroup } from '../crypto/hybrid-kem.ts';
import { DtlsError } from '../errors.ts';
import { HandshakeType, type HandshakeMessage, ExtensionType, ProtocolVersion } from '../wire/types.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { decodeServerHello, type ServerHello } from '../wire/messages/server-hello.ts';
import { decodeFinished, encodeFinished } from '../wire/messages/finished.ts';
import { checkServerHello13, downgradeSentinel, isHelloRetryRequest } from '../wire/messages13/hello13.ts';
import { decodeEncryptedExtensions } from '../wire/messages13/encrypted-extensions.ts';
import { decodeCertificateRequest13 } from '../wire/messages13/certificate-request13.ts';
import { decodeCertificate13, encodeCertificate13 } from '../wire/messages13/certificate13.ts';
import { decodeCertificateVerify, encodeCertificateVerify } from '../wire/messages13/certificate-verify13.ts';
import { decodeKeyShareRetry, decodeKeyShareServer } from '../wire/extensions13/key-share.ts';
import { decodeCookie } from '../wire/extensions13/cookie.ts';
import type { FlightItem } from '../reliability/flight.ts';
import { hashLength } from '../crypto/hkdf.ts';
import { decodePreSharedKeyServer, clientHelloBinderCut, replacePskBinders } from '../wire/extensions13/pre-shared-key.ts';
import { decodeNewSessionTicket13 } from '../wire/messages13/new-session-ticket.ts';
import { encodeTranscriptMessage } from '../wire/messages13/transcript.ts';
import { fingerprint } from '../x509/fingerprint.ts';
import { encodeClientSession, pskBinder, type ClientSession } from './ticket13.ts';
import { decodeAs } from './common.ts';
import { ConnectionIds13 } from './cid13.ts';
import { verifyPeer, type VerifiedPeer } from './verify-peer.ts';
import { buildClientHello13, checkExtensions13, offeredTypes, readEncryptedExtensions } from './client13-hello.ts';
import { KeyUpdate13, type KeyUpdateHost13 } from './key-update13.ts';
import { usableSession12 } from './client12-session.ts';
import {
  Transcript13,
  checkFinished,
  chooseScheme13,
  clientHelloHash,
  finishedVerifyData,
  handshakeInfo13,
  keyLog13,
  signCertificateVerify,
  verifyCertificateVerify13,
  trafficKeys13,
} from './common13.ts';

/** The handshake keys' state, from ServerHello on. */
interface Keyed {
  transcript: Transcript13;
  suite: CipherSuite13;
  group: KemGroup;
  schedule: KeySchedule13;
  clientHs: Uint8Array;
  serverHs: Uint8Array;
  /** The session the server resumed (RFC 8446 2.2): no certificates follow; the peer is the one it holds. */
  resumed: ClientSession | undefined;
}
interface Settled extends Keyed {
  srtpProfile: number | undefined;
  alpn: string | undefined;
  /** signature_algorithms and context of a CertificateRequest, once one came. */
  certRequest: { schemes: number[]; context: Uint8Array } | undefined;
}
interface Authenticated extends Settled {
  peer: VerifiedPeer;
  chain: Uint8Array[];
}

/** One type per state, holding only what that state needs (STYLE.md). */
type State =
  | { name: 'start' }
  | { name: 'wait_server_hello'; retried: CipherSuite13 | undefined }
  | { name: 'wait_encrypted_extensions'; k: Keyed }
  | { name: 'wait_certificate'; k: Settled }
  | { name: 'wait_certificate_verify'; k: Authenticated }
  | { name: 'wait_finished'; k: Authenticated }
  | { name: 'done' };

/** A 1.2 ServerHello (or HelloVerifyRequest) came to a client that also offered 1.2: the 1.2 machine takes over from here. */
export class FallbackTo12 {
  readonly message: HandshakeMessage;
  constructor(message: HandshakeMessage) {
    this.message = message;
  }
}

export class Client13Role implements KeyUpdateHost13 {
  readonly #o: ResolvedOptions;
  #out: HandshakeAction[] = [];
  #state: State = { name: 'start' };
  #sendSeq = 0;
  readonly random: Uint8Array;
  #shares: KemClientKey[] = [];
  #cookie: Uint8Array | undefined;
  /** The messages before the suite (and so the transcript hash) is known: ClientHello, or message_hash, HelloRetryRequest, ClientHello. */
  #hellos: { msgType: number; body: Uint8Array }[] = [];
  /** KeyUpdate both ways once connected (RFC 8446 4.6.3, RFC 9147 8): the application secrets and their epochs. */
  #keyUpdate: KeyUpdate13 | undefined;
  /** The ClientHello as sent (for a 1.2 fallback) and the extension types a 1.2 ServerHello may answer. */
  clientHello: { message: HandshakeMessage; answerable12: Set<number> } | undefined;
  /** The session offered in the current ClientHello (options.session, when still usable). */
  #offer: ClientSession | undefined;
  /** A DTLS 1.2 session (options.session12) offered beside 1.3, for a 1.2 server to resume (client12.ts takes it up). */
  #offer12: { ticket: Uint8Array; sessionId: Uint8Array } | undefined;
  /** What a NewSessionTicket makes a session of (RFC 8446 4.6.1), once connected and when the application takes sessions. */
  #tickets: { schedule: KeySchedule13; suite: CipherSuite13; resumptionMaster: Uint8Array; alpn: string | undefined; peerChain: Uint8Array[] } | undefined;
  /** Connection IDs (RFC 9147 9): offered in the ClientHello, settled by the ServerHello; undefined when we offer none (options.connectionId). */
  readonly cids: ConnectionIds13 | undefined;

  constructor(o: ResolvedOptions) {
    this.#o = o;
    this.random = o.crypto.random(32);
    this.cids =
      o.connectionId === undefined
        ? undefined
        : new ConnectionIds13(
            o,
            (t, b) => this.#message(t, b),
            () => this.#keyUpdate?.sendEpoch ?? 3,
            () => this.#keyUpdate?.pending ?? false,
          );
  }

  get done(): boolean {
    return this.#state.name === 'done';
  }
  get stateName(): string {
    return this.#state.name;
  }

  start(now: number): HandshakeAction[] {
    this.#offer = this.#usableSession(now);
    const s12 = usableSession12(this.#o, now);
    if (s12) this.#offer12 = { ticket: s12.ticket, sessionId: s12.ticket.length ? this.#o.crypto.random(32) : s12.sessionId };
    const g = this.#o.groups13;
    // One share for the preferred group; a hybrid one comes with x25519 beside it, as browsers send.
    const groups: KemGroup[] = g[0] === 'X25519MLKEM768' && g.includes('x25519') ? ['X25519MLKEM768', 'x25519'] : [g[0]!];
    this.#shares = groups.map((grp) => kemClientShare(this.#o.crypto, grp));
    if (this.cids) this.#out.push(...this.cids.expect());
    this.#sendClientHello(now, 1);
    return this.#take();
  }

  handleMessage(now: number, msg: HandshakeMessage): HandshakeAction[] {
    this.#dispatch(now, msg);
    return this.#take();
  }

  #take(): HandshakeAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** KeyUpdateHost13: our post-handshake messages share the handshake's message_seq (RFC 9147 5.2). */
  takeMessageSeq(): number {
    return this.#sendSeq++;
  }

  /** KeyUpdateHost13: connection IDs a RequestConnectionId asked for while our KeyUpdate waited. */
  afterKeyUpdate(): HandshakeAction[] {
    return this.cids?.flush() ?? [];
  }

  #message(msgType: number, body: Uint8Array): HandshakeMessage {
    return { msgType, messageSeq: this.#sendSeq++, body };
  }

  /**
   * options.session, if it may be offered now: unexpired (RFC 8446 4.6.1),
   * for the server name we ask for, of a suite hash we offer, and with a peer
   * certificate our verify option still accepts (a resumed handshake shows none).
   */
  #usableSession(now: number): ClientSession | undefined {
    const s = this.#o.session;
    if (!s) return undefined;
    const hash = suite13ById(s.suite)?.hash;
    if (!hash || !this.#o.cipherSuites13.some((id) => suite13ById(id)?.hash === hash)) return undefined;
    const age = this.#o.wallTime(now) - s.receivedAt;
    // A clock that went back makes no session older: only the lifetime counts.
    if (age > s.lifetime * 1000) return undefined;
    if (s.serverName !== this.#o.serverName || !s.peerChain.length) return undefined;
    try {
      verifyPeer(s.peerChain, this.#o, now, 'client');
    } catch (e) {
      if (e instanceof DtlsError) return undefined;
      throw e;
    }
    return s;
  }

  #sendClientHello(now: number, number: number): void {
    const offer = this.#offer;
    const hash = offer && suite13ById(offer.suite)!.hash;
    // RFC 8446 4.2.11.1: the age in ms as the client sees it, plus ticket_age_add, mod 2^32.
    const psk = offer && {
      identity: offer.ticket,
      obfuscatedTicketAge: (Math.max(0, Math.floor(this.#o.wallTime(now) - offer.receivedAt)) + offer.ageAdd) >>> 0,
      binderLength: hashLength[hash!],
    };
    const built = buildClientHello13(this.#o, {
      random: this.random,
      shares: this.#shares,
      cookie: this.#cookie,
      wantTickets: this.#o.onSession !== undefined,
      psk,
      cid: this.cids?.offer(),
      session12: this.#offer12,
    });
    const answerable12 = built.answerable12;
    let body = built.body;
    if (offer) {
      // RFC 8446 4.2.11.2: the binder covers the transcript up to this ClientHello cut before the binders.
      const before = this.#hellos.map((m) => encodeTranscriptMessage(m.msgType, m.body));
      body = replacePskBinders(body, [pskBinder(this.#o.crypto, hash!, offer.psk, before, body, clientHelloBinderCut(body))]);
    }
    const msg = this.#message(HandshakeType.client_hello, body);
    this.clientHello = { message: msg, answerable12 };
    this.#hellos.push({ msgType: msg.msgType, body: msg.body });
    this.#state = { name: 'wait_server_hello', retried: this.#state.name === 'wait_server_hello' ? this.#state.retried : undefined };
    // A HelloRetryRequest costs a stateless server no crypto: its answer is no fair round trip.
    this.#out.push({ kind: 'flight', items: [{ kind: 'handshake', epoch: 0, message: msg }], number, mode: 'retransmit', sampleRtt: number === 1 });
  }

  #dispatch(now: number, msg: HandshakeMessage): void {
    const t = msg.msgType;
    const s = this.#state;
    switch (s.name) {
      case 'wait_server_hello':
        if (t === HandshakeType.server_hello) return this.#onServerHello(s, now, msg);
        // Only a DTLS 1.2 server sends it (RFC 9147 5.1 replaces it with the HelloRetryRequest cookie).
        if (t === HandshakeType.hello_verify_request && !s.retried) {
          if (this.#o.versions.includes('1.2')) throw new FallbackTo12(msg);
          throw new DtlsError('protocol_version', 'a HelloVerifyRequest: the server speaks DTLS 1.2, and we offer DTLS 1.3 only');
        }
        break;
      case 'wait_encrypted_extensions':
        if (t === HandshakeType.encrypted_extensions) return this.#onEncryptedExtensions(s, msg);
        break;
      case 'wait_certificate':
        if (t === HandshakeType.certificate_request && !s.k.certRequest) return this.#onCertificateRequest(s, msg);
        if (t === HandshakeType.certificate) return this.#onCertificate(s, now, msg);
        break;
      case 'wait_certificate_verify':
        if (t === HandshakeType.certificate_verify) return this.#onCertificateVerify(s, msg);
        break;
      case 'wait_finished':
        if (t === HandshakeType.finished) return this.#onFinished(s, msg);
        break;
    }
    throw new DtlsError('unexpected_message', `handshake message ${t} in state ${s.name}`);
  }

  #onServerHello(s: Extract<State, { name: 'wait_server_hello' }>, now: number, msg: HandshakeMessage): void {
    const sh = decodeAs('ServerHello', () => decodeServerHello(msg.body));
    if (!checkServerHello13(sh, new Uint8Array(0))) {
      // No supported_versions: a DTLS 1.2 server (or older).
      if (s.retried) throw new DtlsError('illegal_parameter', 'a DTLS 1.2 ServerHello after a HelloRetryRequest');
      if (!this.#o.versions.includes('1.2'))
        throw new DtlsError('protocol_version', `server chose version 0x${sh.version.toString(16)}; we offer DTLS 1.3 only`);
      // RFC 8446 4.1.3: a 1.3 server that chose 1.2 says so in its random; a 1.3-capable client that sees it was downgraded.
      if (downgradeSentinel(sh.random) !== undefined)
        throw new DtlsError('illegal_parameter', 'ServerHello.random carries the downgrade sentinel: a forced downgrade from DTLS 1.3');
      throw new FallbackTo12(msg);
    }
    const suite = suite13ById(sh.cipherSuite);
    if (!suite || !this.#o.cipherSuites13.includes(sh.cipherSuite))
      throw new DtlsError('illegal_parameter', `server chose cipher suite 0x${sh.cipherSuite.toString(16)}, which we did not offer`);
    // The server's version is known (a HelloRetryRequest selects it too): RFC 9147 4.
    this.#out.push({ kind: 'hello-record-version', version: ProtocolVersion.DTLS1_2 });
    if (isHelloRetryRequest(sh)) return this.#onHelloRetryRequest(s, now, sh, suite, msg);
    if (s.retried && s.retried.id !== suite.id) throw new DtlsError('illegal_parameter', 'ServerHello cipher suite differs from the HelloRetryRequest');
    checkExtensions13(sh.extensions, offeredTypes(this.#o, false, this.#offer !== undefined), 'ServerHello');
    const ks = findExtension(sh.extensions, ExtensionType.key_share);
    // We offer psk_dhe_ke only (RFC 8446 4.2.9): a key share comes with or without a PSK.
    if (!ks) throw new DtlsError('missing_extension', 'ServerHello without key_share (we offer no psk_ke)');
    const pskExt = findExtension(sh.extensions, ExtensionType.pre_shared_key);
    let resumed: ClientSession | undefined;
    if (pskExt) {
      const selected = decodeAs('pre_shared_key', () => decodePreSharedKeyServer(pskExt.data));
      // RFC 8446 4.2.11: an identity we did not offer, or a suite of another hash than the PSK's, is illegal_parameter.
      if (selected !== 0) throw new DtlsError('illegal_parameter', `ServerHello selects PSK identity ${selected}, we offered one`);
      if (suite13ById(this.#offer!.suite)!.hash !== suite.hash)
        throw new DtlsError('illegal_parameter', "ServerHello resumes with a suite of another hash than the PSK's");
      resumed = this.#offer;
    }
    const entry = decodeAs('key_share', () => decodeKeyShareServer(ks.data));
    const share = this.#shares.find((k) => kemGroupById(entry.group) === k.group);
    if (!share) throw new DtlsError('illegal_parameter', `ServerHello key share of group ${entry.group}, which we sent no share for`);
    const crypto = this.#o.crypto;
    const shared = share.decapsulate(crypto, entry.keyExchange);
    for (const k of this.#shares) k.dispose();
    const transcript = new Transcript13(suite.hash);
    for (const m of this.#hellos) transcript.add(m.msgType, m.body);
    transcript.add(msg.msgType, msg.body);
    const schedule = new KeySchedule13(crypto, suite.hash, resumed?.psk);
    schedule.handshake(shared);
    shared.fill(0);
    const hs = schedule.handshakeTrafficSecrets(transcript.digest(crypto));
    // CIDs before the keys: our epoch-2 records carry the server's.
    if (this.cids) this.#out.push(...this.cids.onServerHello(sh.extensions));
    // Write keys first: opening epoch 2 hands back the server's records that came early, and their answer goes out in it.
    this.#out.push({ kind: 'write-keys', epoch: 2, keys: trafficKeys13(schedule, suite, hs.client) });
    this.#out.push({ kind: 'read-keys', epoch: 2, keys: trafficKeys13(schedule, suite, hs.server) });
    this.#state = {
      name: 'wait_encrypted_extensions',
      k: { transcript, suite, group: share.group, schedule, clientHs: hs.client, serverHs: hs.server, resumed },
    };
  }

  /** RFC 8446 4.1.4: once, with a change that makes a second ClientHello different; transcript with message_hash. */
  #onHelloRetryRequest(s: Extract<State, { name: 'wait_server_hello' }>, now: number, hrr: ServerHello, suite: CipherSuite13, msg: HandshakeMessage): void {
    if (s.retried) throw new DtlsError('unexpected_message', 'a second HelloRetryRequest');
    checkExtensions13(hrr.extensions, offeredTypes(this.#o, false), 'HelloRetryRequest');
    const ks = findExtension(hrr.extensions, ExtensionType.key_share);
    const ck = findExtension(hrr.extensions, ExtensionType.cookie);
    if (!ks && !ck) throw new DtlsError('illegal_parameter', 'HelloRetryRequest asks for no change');
    if (ks) {
      const id = decodeAs('key_share', () => decodeKeyShareRetry(ks.data));
      const group = kemGroupById(id);
      if (!group || !this.#o.groups13.includes(group))
        throw new DtlsError('illegal_parameter', `HelloRetryRequest selects group ${id}, which we did not offer`);
      if (this.#shares.some((k) => k.group === group))
        throw new DtlsError('illegal_parameter', `HelloRetryRequest selects group ${group}, which we already sent a share for`);
      for (const k of this.#shares) k.dispose();
      this.#shares = [kemClientShare(this.#o.crypto, group)];
    }
    if (ck) this.#cookie = decodeAs('cookie', () => decodeCookie(ck.data)).slice();
    // RFC 8446 4.4.1: ClientHello1 stands in the transcript as message_hash(Hash(ClientHello1)).
    const ch1 = this.#hellos[0]!;
    this.#hellos = [
      { msgType: 254, body: clientHelloHash(this.#o.crypto, suite.hash, ch1.body) },
      { msgType: msg.msgType, body: msg.body },
    ];
    this.#state = { name: 'wait_server_hello', retried: suite };
    // RFC 8446 4.1.4: a PSK whose hash is not the chosen suite's is not offered again.
    if (this.#offer && suite13ById(this.#offer.suite)!.hash !== suite.hash) this.#offer = undefined;
    this.#sendClientHello(now, 3);
  }

  /** The server's KeyUpdate (RFC 8446 4.6.3, RFC 9147 8): key-update13.ts, the same for both roles. */
  handleKeyUpdate(msg: HandshakeMessage): HandshakeAction[] {
    if (!this.#keyUpdate) throw new DtlsError('unexpected_message', 'KeyUpdate before the handshake completed');
    return this.#keyUpdate.receive(msg);
  }

  /**
   * A NewSessionTicket (RFC 8446 4.6.1): a session for the application, made
   * of the ticket and the PSK of its nonce, when it takes sessions; the
   * message is ACKed in any case (RFC 9147 5.8.4). A lifetime of zero means
   * the ticket is not to be used.
   */
  handleNewSessionTicket(now: number, msg: HandshakeMessage): HandshakeAction[] {
    if (!this.done) throw new DtlsError('unexpected_message', 'NewSessionTicket before the handshake completed');
    const nst = decodeAs('NewSessionTicket', () => decodeNewSessionTicket13(msg.body));
    const t = this.#tickets;
    const onSession = this.#o.onSession;
    if (!t || !onSession || nst.lifetime === 0) return [];
    const session = encodeClientSession({
      suite: t.suite.id,
      psk: t.schedule.ticketPsk(t.resumptionMaster, nst.nonce),
      lifetime: nst.lifetime,
      ageAdd: nst.ageAdd,
      alpn: t.alpn,
      serverName: this.#o.serverName,
      peerChain: t.peerChain,
      ticket: nst.ticket.slice(),
      receivedAt: this.#o.wallTime(now),
    });
    try {
      onSession(session);
    } catch {
      // The application's callback failing is not the peer's fault: the connection goes on.
    }
    return [];
  }

  #onEncryptedExtensions(s: Extract<State, { name: 'wait_encrypted_extensions' }>, msg: HandshakeMessage): void {
    const ee = decodeAs('EncryptedExtensions', () => decodeEncryptedExtensions(msg.body));
    const { srtpProfile, alpn } = readEncryptedExtensions(this.#o, ee.extensions);
    s.k.transcript.add(msg.msgType, msg.body);
    const r = s.k.resumed;
    if (r) {
      // Resumed (RFC 8446 2.2): the server proves itself by its Finished under the PSK; its certificate is the session's.
      const peer = { leaf: undefined, fingerprint: fingerprint(r.peerChain[0]!, 'sha-256', this.#o.crypto) };
      this.#state = { name: 'wait_finished', k: { ...s.k, srtpProfile, alpn, certRequest: undefined, peer, chain: r.peerChain } };
      return;
    }
    this.#state = { name: 'wait_certificate', k: { ...s.k, srtpProfile, alpn, certRequest: undefined } };
  }

  #onCertificateRequest(s: Extract<State, { name: 'wait_certificate' }>, msg: HandshakeMessage): void {
    const cr = decodeAs('CertificateRequest', () => decodeCertificateRequest13(msg.body));
    const sa = findExtension(cr.extensions, 13);
    if (!sa) throw new DtlsError('missing_extension', 'CertificateRequest without signature_algorithms (RFC 8446 4.3.2)');
    const schemes = decodeAs('signature_algorithms', () => decodeSignatureAlgorithms(sa.data));
    s.k.transcript.add(msg.msgType, msg.body);
    this.#state = { name: 'wait_certificate', k: { ...s.k, certRequest: { schemes, context: cr.context.slice() } } };
  }

  #onCertificate(s: Extract<State, { name: 'wait_certificate' }>, now: number, msg: HandshakeMessage): void {
    const c = decodeAs('Certificate', () => decodeCertificate13(msg.body));
    if (c.context.length !== 0) throw new DtlsError('illegal_parameter', 'server Certificate with a certificate_request_context');
    const chain = c.entries.map((e) => e.data.slice());
    if (!chain.length) throw new DtlsError('decode_error', 'server Certificate is empty (RFC 8446 4.4.2.4)');
    const peer = verifyPeer(chain, this.#o, now, 'client');
    s.k.transcript.add(msg.msgType, msg.body);
    this.#state = { name: 'wait_certificate_verify', k: { ...s.k, peer, chain } };
  }

  #onCertificateVerify(s: Extract<State, { name: 'wait_certificate_verify' }>, msg: HandshakeMessage): void {
    const cv = decodeAs('CertificateVerify', () => decodeCertificateVerify(msg.body));
    const crypto = this.#o.crypto;
    const th = s.k.transcript.digest(crypto);
    verifyCertificateVerify13(crypto, s.k.peer.leaf, cv.signatureScheme, this.#o.signatureSchemes.schemes13, 'server', th, cv.signature);
    s.k.transcript.add(msg.msgType, msg.body);
    this.#state = { name: 'wait_finished', k: s.k };
  }

  #onFinished(s: Extract<State, { name: 'wait_finished' }>, msg: HandshakeMessage): void {
    const k = s.k;
    const crypto = this.#o.crypto;
    const t = k.transcript;
    const fin = decodeAs('Finished', () => decodeFinished(msg.body));
    checkFinished(crypto, k.schedule, k.serverHs, t.digest(crypto), fin.verifyData, 'server');
    t.add(msg.msgType, msg.body);
    k.schedule.master();
    const serverFinishedHash = t.digest(crypto);
    const app = k.schedule.applicationTrafficSecrets(serverFinishedHash);
    const exporterMaster = k.schedule.derive('exp master', serverFinishedHash);
    const items: FlightItem[] = [];
    const cert = this.#o.certificate;
    if (k.certRequest) {
      const entries = cert ? cert.chain.map((data) => ({ data, extensions: [] })) : [];
      const m = this.#message(HandshakeType.certificate, encodeCertificate13({ context: k.certRequest.context, entries }));
      t.add(m.msgType, m.body);
      items.push({ kind: 'handshake', epoch: 2, message: m });
      if (cert) {
        const scheme = chooseScheme13(cert, k.certRequest.schemes, crypto);
        const sig = signCertificateVerify(crypto, cert, scheme, 'client', t.digest(crypto));
        const cv = this.#message(HandshakeType.certificate_verify, encodeCertificateVerify({ signatureScheme: scheme, signature: sig }));
        t.add(cv.msgType, cv.body);
        items.push({ kind: 'handshake', epoch: 2, message: cv });
      }
    }
    const ours = this.#message(HandshakeType.finished, encodeFinished({ verifyData: finishedVerifyData(crypto, k.schedule, k.clientHs, t.digest(crypto)) }));
    t.add(ours.msgType, ours.body);
    items.push({ kind: 'handshake', epoch: 2, message: ours });
    if (this.#o.onSession)
      this.#tickets = {
        schedule: k.schedule,
        suite: k.suite,
        resumptionMaster: k.schedule.resumptionMaster(t.digest(crypto)),
        alpn: k.alpn,
        peerChain: k.chain,
      };
    this.#state = { name: 'done' };
    const ku = (this.#keyUpdate = new KeyUpdate13({ crypto, suite: k.suite, ours: app.client, peers: app.server, exporter: exporterMaster }, this));
    // Our last flight is kept until the server ACKs it (or its data shows it arrived; RFC 9147 5.8.3, 7).
    this.#out.push({ kind: 'flight', items, number: 5, mode: 'ack', sampleRtt: true });
    this.#out.push({ kind: 'write-keys', epoch: 3, keys: trafficKeys13(k.schedule, k.suite, app.client) });
    this.#out.push({
      kind: 'complete',
      result: {
        info: {
          ...handshakeInfo13({
            suite: k.suite,
            group: k.group,
            peerChain: k.chain,
            peerFingerprint: k.peer.fingerprint,
            srtpProfile: k.srtpProfile,
            alpn: k.alpn,
            serverName: this.#o.serverName,
          }),
          resumed: k.resumed !== undefined,
        },
        exportKeyingMaterial: ku.exportKeyingMaterial.bind(ku),
        keyLogLines: keyLog13(this.random, {
          clientHandshake: k.clientHs,
          serverHandshake: k.serverHs,
          clientTraffic: app.client,
          serverTraffic: app.server,
          exporter: exporterMaster,
        }),
        keyUpdate: this.#keyUpdate,
      },
    });
    // After 'complete', so the server's early application data lands as data, not as a sign of loss.
    this.#out.push({ kind: 'read-keys', epoch: 3, keys: trafficKeys13(k.schedule, k.suite, app.server) });
  }
}
