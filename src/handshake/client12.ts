// The DTLS 1.2 client (RFC 6347 4.2.4 flights 1, 3 and 5; RFC 5246 7.3).
//
//   start ── ClientHello ──► wait_server_hello ──HelloVerifyRequest──► (ClientHello+cookie)
//                               │ ServerHello
//                               ▼
//   wait_certificate ► wait_server_key_exchange ► wait_hello_done (CertificateRequest?)
//                               │ ServerHelloDone
//                               ▼   [Certificate] ClientKeyExchange [CertificateVerify] CCS Finished
//           [wait_new_session_ticket] ► wait_ccs ──CCS──► wait_finished ──Finished──► done
//
// Offering a session (ticket12.ts) and answered with our session ID echoed,
// the abbreviated handshake (RFC 5246 7.3, RFC 5077 3.4): no certificates, no
// key exchange, the server's Finished first and ours last (a final flight):
//   wait_server_hello ──ServerHello──► [wait_new_session_ticket] ► wait_ccs ──CCS──►
//   wait_finished ──Finished──► CCS Finished ► done
import type { HandshakeAction } from './machine.ts';
import type { Role12 } from './dtls12.ts';
import type { ResolvedOptions } from '../options.ts';
import type { CipherSuite } from '../crypto/suites.ts';
import { suiteById } from '../crypto/suites.ts';
import type { GroupName, KeyShare } from '../crypto/provider.ts';
import { DtlsError } from '../errors.ts';
import { ExtensionType, HandshakeType, ProtocolVersion, type Extension, type HandshakeMessage } from '../wire/types.ts';
import { downgradeSentinel } from '../wire/messages13/hello13.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { encodeSupportedGroups } from '../wire/extensions/supported-groups.ts';
import { encodeEcPointFormats } from '../wire/extensions/ec-point-formats.ts';
import { encodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { encodeUseSrtp, decodeUseSrtp } from '../wire/extensions/use-srtp.ts';
import { encodeAlpn, decodeAlpn } from '../wire/extensions/alpn.ts';
import { encodeServerName } from '../wire/extensions/server-name.ts';
import { encodeRenegotiationInfo, decodeRenegotiationInfo } from '../wire/extensions/renegotiation-info.ts';
import { decodeExtendedMasterSecret } from '../wire/extensions/extended-master-secret.ts';
import { connectionIds12, type ConnectionIds12 } from './cid12.ts';
import { decodeClientHello, encodeClientHello } from '../wire/messages/client-hello.ts';
import { decodeServerHello } from '../wire/messages/server-hello.ts';
import { decodeHelloVerifyRequest } from '../wire/messages/hello-verify-request.ts';
import { decodeCertificate, encodeCertificate } from '../wire/messages/certificate.ts';
import { decodeServerKeyExchange, encodeEcdheParams } from '../wire/messages/server-key-exchange.ts';
import { decodeCertificateRequest } from '../wire/messages/certificate-request.ts';
import { encodeClientKeyExchange } from '../wire/messages/client-key-exchange.ts';
import { encodeCertificateVerify } from '../wire/messages/certificate-verify.ts';
import { decodeFinished, encodeFinished } from '../wire/messages/finished.ts';
import { computeExtendedMasterSecret, computeMasterSecret, computeVerifyData, deriveKeys } from '../crypto/prf.ts';
import type { TrafficKeys } from '../record/traffic-keys.ts';
import { concat, equalBytes } from '../wire/codec.ts';
import type { FlightItem } from '../reliability/flight.ts';
import { Transcript, decodeAs, chooseSignatureScheme, verifyPeerSignature, groupByCode, groupCode, handshakeInfo12, exporter12, keyLog12 } from './common.ts';
import { verifyPeer, type VerifiedPeer } from './verify-peer.ts';
import { encodeSessionTicket } from '../wire/extensions/session-ticket.ts';
import { decodeNewSessionTicket12 } from '../wire/messages/new-session-ticket.ts';
import { fingerprint } from '../x509/fingerprint.ts';
import { encodeClientSession12, type ClientSession12 } from './ticket12.ts';
import { usableSession12 } from './client12-session.ts';

/** A ClientHello sent by the DTLS 1.3 client that offered 1.2 too (client13.ts Fallback12). */
export interface SentClientHello {
  clientHello: HandshakeMessage;
  random: Uint8Array;
  answerable: Set<number>;
}

/** What the server chose, learned from ServerHello. */
interface Negotiated {
  suite: CipherSuite;
  serverRandom: Uint8Array;
  ems: boolean;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  /** The ServerHello carried session_ticket: a NewSessionTicket comes before its CCS (RFC 5077 3.3). */
  ticketPromised: boolean;
  /** The server's session ID: names the session when no ticket comes (RFC 5246 7.4.1.3). */
  sessionId: Uint8Array;
}

/** The negotiated session once the keys exist: what Finished and the summary need. */
interface Session {
  neg: Negotiated;
  peer: VerifiedPeer;
  chain: Uint8Array[];
  /** Undefined in a resumption, which runs no key exchange. */
  group: GroupName | undefined;
  master: Uint8Array;
  /** Resumed: our keys for the final flight, which follows the server's Finished. */
  abbreviated: { writeKeys: TrafficKeys } | undefined;
  /** A NewSessionTicket's ticket and lifetime hint, once one came. */
  ticket: { ticket: Uint8Array; lifetimeHint: number } | undefined;
}

/** One type per state, holding only what that state needs (STYLE.md). */
type State =
  | { name: 'start' }
  | { name: 'wait_server_hello' }
  | { name: 'wait_certificate'; neg: Negotiated }
  | { name: 'wait_server_key_exchange'; neg: Negotiated; peer: VerifiedPeer; chain: Uint8Array[] }
  | {
      name: 'wait_hello_done';
      neg: Negotiated;
      peer: VerifiedPeer;
      chain: Uint8Array[];
      group: GroupName;
      serverPublic: Uint8Array;
      /** Signature schemes of a CertificateRequest, once one came. */
      certRequest: number[] | undefined;
    }
  | { name: 'wait_new_session_ticket'; session: Session; readKeys: TrafficKeys }
  | { name: 'wait_ccs'; session: Session; readKeys: TrafficKeys }
  | { name: 'wait_finished'; session: Session }
  | { name: 'done' };

type In<N extends State['name']> = Extract<State, { name: N }>;

export class Client12 implements Role12 {
  readonly #o: ResolvedOptions;
  /** What this input asks for, handed back when it returns. */
  #out: HandshakeAction[] = [];
  #state: State = { name: 'start' };
  #sendSeq = 0;
  readonly #random: Uint8Array;
  #cookie: Uint8Array = new Uint8Array(0);
  /** A HelloVerifyRequest came: the next ClientHello is flight 3, whatever its cookie. */
  #verified = false;
  /** Extension types our ClientHello offered that a ServerHello may carry. */
  #answerable = new Set<number>();
  #transcript = new Transcript();
  /**
   * The ClientHello the DTLS 1.3 client sent: a HelloVerifyRequest is answered
   * with it again, cookie added (RFC 6347 4.2.1), not with a 1.2-only one.
   */
  readonly #offered: HandshakeMessage | undefined;
  /** The DTLS 1.2 session our ClientHello offers, and the session ID that marks its acceptance (RFC 5077 3.4). */
  #resumable: { session: ClientSession12; sessionId: Uint8Array } | undefined;
  /** RFC 9146 connection IDs, when offered (cid12.ts). */
  readonly cids: ConnectionIds12 | undefined;

  /** `sent`: a ClientHello the DTLS 1.3 client already sent, offering 1.2 too; this client continues from it. */
  constructor(options: ResolvedOptions, sent?: SentClientHello) {
    this.#o = options;
    this.#random = sent ? sent.random : this.#o.crypto.random(32);
    if (sent) {
      this.#answerable = new Set(sent.answerable);
      this.#transcript.add(sent.clientHello);
      this.#offered = sent.clientHello;
      this.#sendSeq = sent.clientHello.messageSeq + 1;
      this.#state = { name: 'wait_server_hello' };
      // The 1.3 client's hello may have offered our 1.2 session (client13-hello.ts): a 1.2 ServerHello may take it.
      const s = options.session12;
      const ch = decodeClientHello(sent.clientHello.body);
      const t = findExtension(ch.extensions, ExtensionType.session_ticket);
      const offered = s && ch.sessionId.length && (s.ticket.length ? t && equalBytes(t.data, s.ticket) : equalBytes(ch.sessionId, s.sessionId));
      if (offered) this.#resumable = { session: s, sessionId: ch.sessionId.slice() };
    }
    this.cids = connectionIds12(options, sent?.clientHello);
    if (sent && this.cids) this.#answerable.add(ExtensionType.connection_id);
  }

  get done(): boolean {
    return this.#state.name === 'done';
  }
  get stateName(): string {
    return this.#state.name;
  }

  start(now: number): HandshakeAction[] {
    const session = usableSession12(this.#o, now);
    // RFC 5077 3.4: a fresh session ID beside the ticket; the server echoes it when it resumes.
    // A session without a ticket is named by the server's own session ID.
    if (session) this.#resumable = { session, sessionId: session.ticket.length ? this.#o.crypto.random(32) : session.sessionId };
    this.#out.push({ kind: 'hello-record-version', version: ProtocolVersion.DTLS1_0 });
    this.#sendClientHello();
    return this.#take();
  }

  #take(): HandshakeAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #message(msgType: number, body: Uint8Array): HandshakeMessage {
    return { msgType, messageSeq: this.#sendSeq++, body };
  }

  #sendClientHello(): void {
    if (this.#offered) return this.#sendOfferedAgain(this.#offered);
    const o = this.#o;
    const exts: Extension[] = [];
    // RFC 5246 7.4.1.4: the ServerHello may answer only these (server_name and
    // use_srtp, alpn, ems when offered); supported_groups and signature_algorithms never.
    this.#answerable = new Set([ExtensionType.ec_point_formats, ExtensionType.renegotiation_info]);
    if (o.serverName !== undefined && !isIpLiteral(o.serverName)) {
      exts.push({ type: ExtensionType.server_name, data: encodeServerName(o.serverName) });
      this.#answerable.add(ExtensionType.server_name);
    }
    exts.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(o.groups.map(groupCode)) });
    exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(o.signatureSchemes.schemes12) });
    if (o.srtpProfiles.length) {
      exts.push({ type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: o.srtpProfiles, mki: new Uint8Array(0) }) });
    }
    if (o.alpn.length) exts.push({ type: ExtensionType.alpn, data: encodeAlpn(o.alpn) });
    if (o.extendedMasterSecret !== false) exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
    // RFC 5077 3.2: the ticket to resume with, or empty to ask for one (sessions need the extended master secret).
    const resumable = this.#resumable;
    if (resumable || (o.onSession !== undefined && o.extendedMasterSecret !== false))
      exts.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(resumable ? resumable.session.ticket : new Uint8Array(0)) });
    const cid = this.cids?.offer();
    // An abbreviated handshake's Finished (a tls12_cid record) shares a datagram with the ServerHello: split with our CID's length from now on.
    if (cid) {
      exts.push(cid);
      this.#out.push(...this.cids!.expect());
    }
    for (const e of exts)
      if (
        e.type === ExtensionType.use_srtp ||
        e.type === ExtensionType.alpn ||
        e.type === ExtensionType.extended_master_secret ||
        e.type === ExtensionType.session_ticket ||
        e === cid
      )
        this.#answerable.add(e.type);
    exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
    const body = encodeClientHello({
      version: ProtocolVersion.DTLS1_2,
      random: this.#random,
      sessionId: resumable ? resumable.sessionId : new Uint8Array(0),
      cookie: this.#cookie,
      cipherSuites: o.cipherSuites,
      compressionMethods: [0],
      extensions: exts,
    });
    this.#sendHello(body);
  }

  /**
   * RFC 6347 4.2.1: the ClientHello after a HelloVerifyRequest is the first one
   * with the cookie: the same versions, suites and extensions (a server may
   * check, and a 1.3 offer dropped here would be a downgrade).
   */
  #sendOfferedAgain(offered: HandshakeMessage): void {
    const hello = decodeClientHello(offered.body);
    this.#sendHello(encodeClientHello({ ...hello, cookie: this.#cookie }));
  }

  #sendHello(body: Uint8Array): void {
    const msg = this.#message(HandshakeType.client_hello, body);
    this.#transcript = new Transcript();
    this.#transcript.add(msg);
    this.#state = { name: 'wait_server_hello' };
    // Flight 3 answers a HelloVerifyRequest, which cost the server no crypto: not a fair round trip.
    const number = this.#verified ? 3 : 1;
    this.#out.push({ kind: 'flight', items: [{ kind: 'handshake', epoch: 0, message: msg }], number, mode: 'retransmit', sampleRtt: number !== 3 });
  }

  handleChangeCipherSpec(_now: number): HandshakeAction[] {
    const s = this.#state;
    if (s.name !== 'wait_ccs') throw new DtlsError('unexpected_message', `ChangeCipherSpec in state ${s.name}`);
    // Epoch 1 opens when the connection applies this; records of it that came
    // early (the Finished) then come back to us, in wait_finished.
    this.#state = { name: 'wait_finished', session: s.session };
    this.#out.push({ kind: 'read-keys', epoch: 1, keys: s.readKeys });
    return this.#take();
  }

  handleMessage(now: number, msg: HandshakeMessage, _epoch: number): HandshakeAction[] {
    this.#dispatch(now, msg);
    return this.#take();
  }

  #dispatch(now: number, msg: HandshakeMessage): void {
    const t = msg.msgType;
    const s = this.#state;
    switch (s.name) {
      case 'wait_server_hello':
        if (t === HandshakeType.hello_verify_request) return this.#onHelloVerify(msg);
        if (t === HandshakeType.server_hello) return this.#onServerHello(msg);
        break;
      case 'wait_certificate':
        if (t === HandshakeType.certificate) return this.#onCertificate(s, now, msg);
        break;
      case 'wait_server_key_exchange':
        if (t === HandshakeType.server_key_exchange) return this.#onServerKeyExchange(s, msg);
        break;
      case 'wait_hello_done':
        if (t === HandshakeType.certificate_request && !s.certRequest) return this.#onCertificateRequest(s, msg);
        if (t === HandshakeType.server_hello_done) return this.#onHelloDone(s, msg);
        break;
      case 'wait_new_session_ticket':
        if (t === HandshakeType.new_session_ticket) return this.#onNewSessionTicket(s, msg);
        break;
      case 'wait_finished':
        if (t === HandshakeType.finished) return this.#onFinished(s, now, msg);
        break;
    }
    throw new DtlsError('unexpected_message', `handshake message ${t} in state ${s.name}`);
  }

  #onHelloVerify(msg: HandshakeMessage): void {
    const hvr = decodeAs('HelloVerifyRequest', () => decodeHelloVerifyRequest(msg.body));
    // RFC 6347 4.2.1: at most one cookie round; a second HVR is answered the same way.
    // cookie<0..2^8-1> allows an empty one: odd, but legal, and answered like any other.
    this.#cookie = hvr.cookie.slice();
    this.#verified = true;
    this.#sendClientHello();
  }

  #onServerHello(msg: HandshakeMessage): void {
    const sh = decodeAs('ServerHello', () => decodeServerHello(msg.body));
    this.#out.push({ kind: 'hello-record-version', version: ProtocolVersion.DTLS1_2 });
    const o = this.#o;
    if (sh.version !== ProtocolVersion.DTLS1_2) {
      throw new DtlsError('protocol_version', `server chose version 0x${sh.version.toString(16)}`);
    }
    // RFC 9147 5.1: a DTLS 1.3 server asks for a cookie with a HelloRetryRequest, never a HelloVerifyRequest.
    if (this.#offered && this.#verified && findExtension(sh.extensions, ExtensionType.supported_versions)) {
      throw new DtlsError('illegal_parameter', 'a DTLS 1.3 ServerHello after a HelloVerifyRequest (RFC 9147 5.1)');
    }
    // RFC 8446 4.1.3: we offered 1.3, so a 1.2 ServerHello marked by a 1.3-capable server is a forced downgrade
    // (client13-role.ts checks it when no HelloVerifyRequest came first).
    if (this.#offered && downgradeSentinel(sh.random) !== undefined) {
      throw new DtlsError('illegal_parameter', 'ServerHello.random carries the downgrade sentinel: a forced downgrade from DTLS 1.3');
    }
    if (!o.cipherSuites.includes(sh.cipherSuite)) throw new DtlsError('illegal_parameter', 'server chose a cipher suite we did not offer');
    const suite = suiteById(sh.cipherSuite)!;
    if (sh.compressionMethod !== 0) throw new DtlsError('illegal_parameter', 'server chose compression');
    for (const e of sh.extensions) {
      // RFC 5246 7.4.1.4: a server must not send what the client did not offer.
      if (!this.#answerable.has(e.type)) throw new DtlsError('unsupported_extension', `server sent extension ${e.type}, which we did not offer`);
    }
    const emsExt = findExtension(sh.extensions, ExtensionType.extended_master_secret);
    if (emsExt) {
      decodeAs('extended_master_secret', () => decodeExtendedMasterSecret(emsExt.data));
    }
    const ems = emsExt !== undefined;
    if (!ems && o.extendedMasterSecret === 'require') {
      throw new DtlsError('handshake_failure', 'server does not support extended_master_secret (RFC 7627), which is required');
    }
    const reneg = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    if (reneg) {
      const v = decodeAs('renegotiation_info', () => decodeRenegotiationInfo(reneg.data));
      if (v.length !== 0) throw new DtlsError('handshake_failure', 'non-empty renegotiation_info on an initial handshake (RFC 5746 3.4)');
    }
    let srtpProfile: number | undefined;
    const srtp = findExtension(sh.extensions, ExtensionType.use_srtp);
    if (srtp) {
      const v = decodeAs('use_srtp', () => decodeUseSrtp(srtp.data));
      // RFC 5764 4.1.1: exactly one profile, one we offered.
      if (v.profiles.length !== 1 || !o.srtpProfiles.includes(v.profiles[0]!)) {
        throw new DtlsError('illegal_parameter', 'server chose an SRTP profile we did not offer');
      }
      // We offer no MKI; a server must echo ours (RFC 5764 4.1.1).
      if (v.mki.length !== 0) throw new DtlsError('illegal_parameter', 'server sent an SRTP MKI we did not offer');
      srtpProfile = v.profiles[0];
    }
    let alpn: string | undefined;
    const alpnExt = findExtension(sh.extensions, ExtensionType.alpn);
    if (alpnExt) {
      const v = decodeAs('alpn', () => decodeAlpn(alpnExt.data));
      if (v.length !== 1 || !o.alpn.includes(v[0]!)) throw new DtlsError('illegal_parameter', 'server chose an ALPN protocol we did not offer');
      alpn = v[0];
    }
    const ticketExt = findExtension(sh.extensions, ExtensionType.session_ticket);
    if (ticketExt && ticketExt.data.length) throw new DtlsError('decode_error', 'ServerHello session_ticket extension is not empty (RFC 5077 3.2)');
    // RFC 9146 3: negotiated when the server answered; the record layer learns which CIDs go where.
    if (this.cids) this.#out.push(...this.cids.onServerHello(sh.extensions));
    this.#transcript.add(msg);
    const neg: Negotiated = {
      suite,
      serverRandom: sh.random.slice(),
      sessionId: sh.sessionId.slice(),
      ems,
      srtpProfile,
      alpn,
      ticketPromised: ticketExt !== undefined,
    };
    const r = this.#resumable;
    if (r && sh.sessionId.length && equalBytes(sh.sessionId, r.sessionId)) return this.#resumed(neg, r.session);
    this.#state = { name: 'wait_certificate', neg };
  }

  /** The server took our session (RFC 5077 3.4): the abbreviated handshake, on the session's master secret. */
  #resumed(neg: Negotiated, session: ClientSession12): void {
    // RFC 5246 7.4.1.3: a resumption keeps the session's suite.
    if (neg.suite.id !== session.suite) throw new DtlsError('illegal_parameter', 'server resumed our session with another cipher suite');
    // RFC 7627 5.3: the session had the extended master secret (all ours do), so the resumption must have it.
    if (!neg.ems) throw new DtlsError('handshake_failure', 'server resumed a session without extended_master_secret (RFC 7627 5.3)');
    const crypto = this.#o.crypto;
    const master = session.master.slice();
    const keys = deriveKeys(crypto, neg.suite, master, this.#random, neg.serverRandom);
    const readKeys = { suite: neg.suite, key: keys.serverWriteKey, iv: keys.serverWriteIv };
    const writeKeys = { suite: neg.suite, key: keys.clientWriteKey, iv: keys.clientWriteIv };
    const peer = { leaf: undefined, fingerprint: fingerprint(session.peerChain[0]!, 'sha-256', crypto) };
    const s: Session = { neg, peer, chain: session.peerChain, group: undefined, master, abbreviated: { writeKeys }, ticket: undefined };
    this.#state = neg.ticketPromised ? { name: 'wait_new_session_ticket', session: s, readKeys } : { name: 'wait_ccs', session: s, readKeys };
  }

  #onNewSessionTicket(s: In<'wait_new_session_ticket'>, msg: HandshakeMessage): void {
    const nst = decodeAs('NewSessionTicket', () => decodeNewSessionTicket12(msg.body));
    this.#transcript.add(msg);
    // An empty ticket: the server issues none after all (RFC 5077 3.3).
    const ticket = nst.ticket.length ? { ticket: nst.ticket.slice(), lifetimeHint: nst.lifetimeHint } : undefined;
    this.#state = { name: 'wait_ccs', session: { ...s.session, ticket }, readKeys: s.readKeys };
  }

  #onCertificate(s: In<'wait_certificate'>, now: number, msg: HandshakeMessage): void {
    const chain = decodeAs('Certificate', () => decodeCertificate(msg.body).certificates.map((c) => c.slice()));
    const peer = verifyPeer(chain, this.#o, now, 'client');
    // RFC 5246 7.4.2: the certificate's key must be the one the suite authenticates with;
    // ECDSA suites take ECDSA or Ed25519 keys (RFC 8422 5.1.1).
    const keyType = peer.leaf?.publicKey.type;
    const wanted = s.neg.suite.auth === 'rsa' ? ['rsa'] : ['ec', 'ed25519'];
    if (!keyType || !wanted.includes(keyType)) {
      throw new DtlsError('unsupported_certificate', `server certificate has a ${keyType ?? 'missing'} key; ${s.neg.suite.name} needs ${s.neg.suite.auth}`);
    }
    this.#transcript.add(msg);
    this.#state = { name: 'wait_server_key_exchange', neg: s.neg, peer, chain };
  }

  #onServerKeyExchange(s: In<'wait_server_key_exchange'>, msg: HandshakeMessage): void {
    const ske = decodeAs('ServerKeyExchange', () => decodeServerKeyExchange(msg.body));
    const group = groupByCode(ske.namedGroup);
    if (!group || !this.#o.groups.includes(group)) throw new DtlsError('illegal_parameter', `server chose group ${ske.namedGroup} we did not offer`);
    // RFC 4492 5.4: the signature covers client_random + server_random + ServerECDHParams.
    const signed = concat(this.#random, s.neg.serverRandom, encodeEcdheParams(ske.namedGroup, ske.publicKey));
    verifyPeerSignature(this.#o.crypto, s.peer.leaf, ske.signatureScheme, signed, ske.signature, 'ServerKeyExchange', this.#o.signatureSchemes.schemes12);
    this.#transcript.add(msg);
    this.#state = { name: 'wait_hello_done', neg: s.neg, peer: s.peer, chain: s.chain, group, serverPublic: ske.publicKey.slice(), certRequest: undefined };
  }

  #onCertificateRequest(s: In<'wait_hello_done'>, msg: HandshakeMessage): void {
    const cr = decodeAs('CertificateRequest', () => decodeCertificateRequest(msg.body));
    this.#transcript.add(msg);
    this.#state = { ...s, certRequest: cr.signatureSchemes };
  }

  #onHelloDone(s: In<'wait_hello_done'>, msg: HandshakeMessage): void {
    if (msg.body.length !== 0) throw new DtlsError('decode_error', 'ServerHelloDone with a body');
    this.#transcript.add(msg);
    const o = this.#o;
    const crypto = o.crypto;
    const neg = s.neg;
    const items: FlightItem[] = [];
    const cert = o.certificate;
    if (s.certRequest) {
      const m = this.#message(HandshakeType.certificate, encodeCertificate({ certificates: cert ? cert.chain : [] }));
      this.#transcript.add(m);
      items.push({ kind: 'handshake', epoch: 0, message: m });
    }
    const share: KeyShare = crypto.generateKeyShare(s.group);
    const pms = crypto.ecdh(s.group, share.privateKey, s.serverPublic);
    share.privateKey.fill(0);
    const cke = this.#message(HandshakeType.client_key_exchange, encodeClientKeyExchange({ publicKey: share.publicKey }));
    this.#transcript.add(cke);
    items.push({ kind: 'handshake', epoch: 0, message: cke });
    const h = neg.suite.prfHash;
    const master = neg.ems
      ? computeExtendedMasterSecret(crypto, h, pms, this.#transcript.hash(crypto, h))
      : computeMasterSecret(crypto, h, pms, this.#random, neg.serverRandom);
    pms.fill(0);
    if (s.certRequest && cert) {
      const scheme = chooseSignatureScheme(cert, s.certRequest, crypto);
      const sig = crypto.sign(scheme, cert.privateKey, this.#transcript.bytes());
      const cv = this.#message(HandshakeType.certificate_verify, encodeCertificateVerify({ signatureScheme: scheme, signature: sig }));
      this.#transcript.add(cv);
      items.push({ kind: 'handshake', epoch: 0, message: cv });
    }
    const keys = deriveKeys(crypto, neg.suite, master, this.#random, neg.serverRandom);
    this.#out.push({ kind: 'write-keys', epoch: 1, keys: { suite: neg.suite, key: keys.clientWriteKey, iv: keys.clientWriteIv } });
    const readKeys = { suite: neg.suite, key: keys.serverWriteKey, iv: keys.serverWriteIv };
    const verifyData = computeVerifyData(crypto, h, master, 'client finished', this.#transcript.hash(crypto, h));
    const fin = this.#message(HandshakeType.finished, encodeFinished({ verifyData }));
    this.#transcript.add(fin);
    items.push({ kind: 'ccs', epoch: 0 }, { kind: 'handshake', epoch: 1, message: fin });
    const session: Session = { neg, peer: s.peer, chain: s.chain, group: s.group, master, abbreviated: undefined, ticket: undefined };
    this.#state = neg.ticketPromised ? { name: 'wait_new_session_ticket', session, readKeys } : { name: 'wait_ccs', session, readKeys };
    this.#out.push({ kind: 'flight', items, number: 5, mode: 'retransmit', sampleRtt: true });
  }

  #onFinished(s: In<'wait_finished'>, now: number, msg: HandshakeMessage): void {
    const { neg, master, abbreviated } = s.session;
    const crypto = this.#o.crypto;
    const fin = decodeAs('Finished', () => decodeFinished(msg.body));
    if (fin.verifyData.length !== 12) throw new DtlsError('decode_error', `Finished of ${fin.verifyData.length} bytes, not 12`);
    const expected = computeVerifyData(crypto, neg.suite.prfHash, master, 'server finished', this.#transcript.hash(crypto, neg.suite.prfHash));
    if (!equalBytes(expected, fin.verifyData)) throw new DtlsError('decrypt_error', 'server Finished does not verify');
    if (abbreviated) {
      // Ours is the last flight (RFC 6347 4.2.4): kept and resent when the server resends its own.
      this.#transcript.add(msg);
      const verifyData = computeVerifyData(crypto, neg.suite.prfHash, master, 'client finished', this.#transcript.hash(crypto, neg.suite.prfHash));
      const ours = this.#message(HandshakeType.finished, encodeFinished({ verifyData }));
      this.#out.push({ kind: 'write-keys', epoch: 1, keys: abbreviated.writeKeys });
      const items: FlightItem[] = [
        { kind: 'ccs', epoch: 0 },
        { kind: 'handshake', epoch: 1, message: ours },
      ];
      this.#out.push({ kind: 'flight', items, number: this.#verified ? 5 : 3, mode: 'final', sampleRtt: false });
    }
    this.#state = { name: 'done' };
    // Nothing reads the transcript after the Finished messages: release it (it holds every message, certificates too).
    this.#transcript.clear();
    this.#out.push({
      kind: 'complete',
      result: {
        keyLogLines: keyLog12(this.#random, master),
        exportKeyingMaterial: exporter12(crypto, neg.suite, master, this.#random, neg.serverRandom),
        info: {
          ...handshakeInfo12({
            suite: neg.suite,
            group: s.session.group,
            peerChain: s.session.chain,
            peerFingerprint: s.session.peer.fingerprint,
            srtpProfile: neg.srtpProfile,
            alpn: neg.alpn,
            serverName: this.#o.serverName,
            ems: neg.ems,
          }),
          resumed: abbreviated !== undefined,
        },
      },
    });
    this.#issueSession(now, s.session);
  }

  /** A NewSessionTicket came in this handshake: a session for the application (only with the extended master secret, RFC 7627 5.3). */
  #issueSession(now: number, s: Session): void {
    const onSession = this.#o.onSession;
    // Resumed without a new ticket: the session offered stays the one to keep.
    if (!onSession || !s.neg.ems || !s.chain.length || (!s.ticket && (s.abbreviated || !s.neg.sessionId.length))) return;
    const session = encodeClientSession12({
      suite: s.neg.suite.id,
      master: s.master,
      // RFC 5077 3.3: a hint of 0 leaves the lifetime unspecified; at most seven days are kept.
      lifetime: Math.min(s.ticket?.lifetimeHint || DEFAULT_LIFETIME_12, MAX_LIFETIME_12),
      alpn: s.neg.alpn,
      serverName: this.#o.serverName,
      peerChain: s.chain,
      ticket: s.ticket?.ticket ?? new Uint8Array(0),
      sessionId: s.neg.sessionId,
      receivedAt: this.#o.wallTime(now),
    });
    try {
      onSession(session);
    } catch {
      // The application's callback failing is not the peer's fault: the connection goes on.
    }
  }
}

/** Seconds a session lives when the server gives no hint, and the most we keep one. */
const DEFAULT_LIFETIME_12 = 7200;
const MAX_LIFETIME_12 = 604800;

function isIpLiteral(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}
