// The DTLS 1.2 server (RFC 6347 4.2.4 flights 2, 4 and 6; RFC 5246 7.3).
//
//   wait_client_hello ──ClientHello, no cookie──► HelloVerifyRequest (not kept)
//        │ ClientHello (cookie ok, or none required)
//        ▼  ServerHello Certificate ServerKeyExchange [CertificateRequest] ServerHelloDone
//   [wait_client_certificate] ► wait_client_key_exchange ► [wait_certificate_verify]
//        ► wait_ccs ──CCS──► wait_finished ──Finished──► [NewSessionTicket] CCS Finished (final flight) ► done
//
// Resumed with a ticket of ours (RFC 5077 3.1, RFC 5246 7.3), the abbreviated
// handshake, where our flight comes first and the client's is the last:
//   wait_client_hello ──ClientHello + ticket──► ServerHello [NewSessionTicket] CCS Finished
//        ► wait_ccs ──CCS──► wait_finished ──Finished──► done
// That flight is resent until the client's Finished comes (RFC 6347 4.2.4).
import type { HandshakeAction } from './machine.ts';
import type { Role12 } from './dtls12.ts';
import type { ResolvedOptions } from '../options.ts';
import { suiteById, type CipherSuite } from '../crypto/suites.ts';
import type { GroupName, KeyShare } from '../crypto/provider.ts';
import { DtlsError } from '../errors.ts';
import { ExtensionType, HandshakeType, ProtocolVersion, type Extension, type HandshakeMessage } from '../wire/types.ts';
import { findExtension } from '../wire/extensions/index.ts';
import { decodeSupportedGroups } from '../wire/extensions/supported-groups.ts';
import { decodeEcPointFormats, encodeEcPointFormats } from '../wire/extensions/ec-point-formats.ts';
import { decodeSignatureAlgorithms } from '../wire/extensions/signature-algorithms.ts';
import { decodeUseSrtp, encodeUseSrtp } from '../wire/extensions/use-srtp.ts';
import { decodeAlpn, encodeAlpn } from '../wire/extensions/alpn.ts';
import { decodeServerName } from '../wire/extensions/server-name.ts';
import { decodeRenegotiationInfo, encodeRenegotiationInfo } from '../wire/extensions/renegotiation-info.ts';
import { decodeExtendedMasterSecret } from '../wire/extensions/extended-master-secret.ts';
import { decodeClientHello } from '../wire/messages/client-hello.ts';
import { encodeServerHello } from '../wire/messages/server-hello.ts';
import { encodeHelloVerifyRequest } from '../wire/messages/hello-verify-request.ts';
import { decodeCertificate, encodeCertificate } from '../wire/messages/certificate.ts';
import { encodeServerKeyExchange, encodeEcdheParams } from '../wire/messages/server-key-exchange.ts';
import { encodeCertificateRequest } from '../wire/messages/certificate-request.ts';
import { decodeClientKeyExchange } from '../wire/messages/client-key-exchange.ts';
import { decodeCertificateVerify } from '../wire/messages/certificate-verify.ts';
import { decodeFinished, encodeFinished } from '../wire/messages/finished.ts';
import { computeExtendedMasterSecret, computeMasterSecret, computeVerifyData, deriveKeys } from '../crypto/prf.ts';
import type { TrafficKeys } from '../record/traffic-keys.ts';
import { concat, equalBytes } from '../wire/codec.ts';
import type { FlightItem } from '../reliability/flight.ts';
import {
  Transcript,
  certificateAuth,
  chooseAlpn,
  decodeAs,
  chooseSignatureScheme,
  groupCode,
  handshakeInfo12,
  exporter12,
  keyLog12,
  verifyPeerSignature,
} from './common.ts';
import { computeCookie } from './cookie.ts';
import { versionsOf } from './common13.ts';
import { withDowngradeSentinel } from '../wire/messages13/hello13.ts';
import { verifyPeer, type VerifiedPeer } from './verify-peer.ts';
import { decodeSessionTicket, encodeSessionTicket } from '../wire/extensions/session-ticket.ts';
import { encodeNewSessionTicket12 } from '../wire/messages/new-session-ticket.ts';
import { fingerprint } from '../x509/fingerprint.ts';
import { cacheSession12, chooseSession12, issueTicket12 } from './server12-resume.ts';
import type { Ticket12 } from './ticket12.ts';
import { connectionIds12, type ConnectionIds12 } from './cid12.ts';
import { decodeConnectionIdExtension } from '../wire/extensions13/connection-id.ts';

const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
// ClientCertificateType (RFC 4492 5.5, RFC 5246 7.4.4).
const ECDSA_SIGN = 64;
const RSA_SIGN = 1;

interface Negotiated {
  suite: CipherSuite;
  group: GroupName;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  ems: boolean;
  srtpProfile: number | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  /** The client asked for a ticket, and we issue them: a NewSessionTicket goes before our CCS (RFC 5077 3.3). */
  issueTicket: boolean;
  /** Full handshake: the session ID our ServerHello gives, the session cached under it once complete (empty: none). */
  sessionId: Uint8Array;
}

/** The client's certificate, when it sent one (verified). */
interface ClientAuth {
  peer: VerifiedPeer;
  chain: Uint8Array[];
}

/** The negotiated session once the keys exist: what Finished and the summary need. */
interface Session {
  neg: Negotiated;
  master: Uint8Array;
  auth: ClientAuth | undefined;
  /** An abbreviated handshake: our Finished went first, the client's ends it. */
  resumed: boolean;
}

/** One type per state, holding only what that state needs (STYLE.md). */
type State =
  | { name: 'wait_client_hello' }
  | { name: 'wait_client_certificate'; neg: Negotiated; share: KeyShare }
  | { name: 'wait_client_key_exchange'; neg: Negotiated; share: KeyShare; auth: ClientAuth | undefined }
  | { name: 'wait_certificate_verify'; session: Session; auth: ClientAuth; read: TrafficKeys; write: TrafficKeys }
  | { name: 'wait_ccs'; session: Session; read: TrafficKeys; write: TrafficKeys }
  | { name: 'wait_finished'; session: Session; write: TrafficKeys }
  | { name: 'done' };

type In<N extends State['name']> = Extract<State, { name: N }>;

export class Server12 implements Role12 {
  readonly #o: ResolvedOptions;
  /** What this input asks for, handed back when it returns. */
  #out: HandshakeAction[] = [];
  #state: State = { name: 'wait_client_hello' };
  #sendSeq = 0;
  readonly #cookieSecret: Uint8Array;
  #transcript = new Transcript();
  /** RFC 9146 connection IDs, when we accept them (cid12.ts). */
  readonly cids: ConnectionIds12 | undefined;

  constructor(options: ResolvedOptions) {
    this.#o = options;
    this.#cookieSecret = this.#o.crypto.random(32);
    this.cids = connectionIds12(options);
  }

  get done(): boolean {
    return this.#state.name === 'done';
  }
  get stateName(): string {
    return this.#state.name;
  }

  start(_now: number): HandshakeAction[] {
    return [];
  }

  #take(): HandshakeAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  handleChangeCipherSpec(_now: number): HandshakeAction[] {
    const s = this.#state;
    if (s.name !== 'wait_ccs') throw new DtlsError('unexpected_message', `ChangeCipherSpec in state ${s.name}`);
    // Epoch 1 opens when the connection applies this; records of it that came
    // early (the Finished) then come back to us, in wait_finished.
    this.#state = { name: 'wait_finished', session: s.session, write: s.write };
    this.#out.push({ kind: 'read-keys', epoch: 1, keys: s.read });
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
      case 'wait_client_hello':
        if (t === HandshakeType.client_hello) return this.#onClientHello(now, msg);
        break;
      case 'wait_client_certificate':
        if (t === HandshakeType.certificate) return this.#onCertificate(s, now, msg);
        break;
      case 'wait_client_key_exchange':
        if (t === HandshakeType.client_key_exchange) return this.#onClientKeyExchange(s, msg);
        break;
      case 'wait_certificate_verify':
        if (t === HandshakeType.certificate_verify) return this.#onCertificateVerify(s, msg);
        break;
      case 'wait_finished':
        if (t === HandshakeType.finished) return this.#onFinished(s, now, msg);
        break;
    }
    throw new DtlsError('unexpected_message', `handshake message ${t} in state ${s.name}`);
  }

  #onClientHello(now: number, msg: HandshakeMessage): void {
    const ch = decodeAs('ClientHello', () => decodeClientHello(msg.body));
    const o = this.#o;
    const crypto = o.crypto;
    // DTLS versions count down from 0xfeff (1.0) to 0xfefd (1.2) and 0xfefc (1.3);
    // anything outside 0xfe00..0xfefd (a TLS version, garbage, DTLS 1.0) is refused.
    if (ch.version > ProtocolVersion.DTLS1_2 || ch.version < 0xfe00) {
      throw new DtlsError('protocol_version', `client offers version 0x${ch.version.toString(16)}; DTLS 1.2 is required`);
    }
    if (o.requireCookie) {
      const expected = computeCookie(crypto, this.#cookieSecret, '', ch.random);
      if (!ch.cookie.length || !equalBytes(ch.cookie, expected)) {
        const hvr = {
          msgType: HandshakeType.hello_verify_request,
          messageSeq: msg.messageSeq,
          body: encodeHelloVerifyRequest({ version: ProtocolVersion.DTLS1_0, cookie: expected }),
        };
        this.#out.push({ kind: 'flight', items: [{ kind: 'handshake', epoch: 0, message: hvr }], number: 2, mode: 'once', sampleRtt: true });
        return;
      }
    }
    // RFC 6347 4.2.2: our message_seq follows the ClientHello we answer.
    this.#sendSeq = msg.messageSeq;
    if (!ch.compressionMethods.includes(0)) throw new DtlsError('illegal_parameter', 'client does not offer null compression');
    const cert = o.certificate;
    if (!cert) throw new DtlsError('internal_error', 'server has no certificate');

    // A suite's auth must fit our certificate: ECDSA suites with an ECDSA key, RSA ones with RSA (RFC 5246 7.4.2).
    const auth = certificateAuth(cert);
    const common = o.cipherSuites.filter((s) => ch.cipherSuites.includes(s));
    const suiteId = common.find((s) => suiteById(s)!.auth === auth);
    if (suiteId === undefined) {
      throw new DtlsError('handshake_failure', common.length ? `no cipher suite in common for our ${auth} certificate` : 'no cipher suite in common');
    }
    const suite = suiteById(suiteId)!;

    const ext = (type: number) => findExtension(ch.extensions, type);
    const decodeExt = <T>(type: number, name: string, f: (d: Uint8Array) => T): T | undefined => {
      const e = ext(type);
      return e ? decodeAs(name, () => f(e.data)) : undefined;
    };
    const clientGroups = decodeExt(ExtensionType.supported_groups, 'supported_groups', decodeSupportedGroups);
    // RFC 8422 4: without the extension, assume the client takes secp256r1.
    const groupCodes = clientGroups ?? [groupCode('secp256r1')];
    const group = o.groups.find((g) => groupCodes.includes(groupCode(g)));
    if (!group) throw new DtlsError('handshake_failure', 'no key exchange group in common');
    // RFC 8422 5.1: supported_groups also limits the curves of ECDSA certificates.
    const curve = 'curve' in cert && auth === 'ecdsa' ? cert.curve : undefined;
    if (curve && clientGroups && !clientGroups.includes(groupCode(curve === 'P-256' ? 'secp256r1' : 'secp384r1'))) {
      throw new DtlsError('handshake_failure', `client does not accept our certificate's curve ${curve}`);
    }
    const formats = decodeExt(ExtensionType.ec_point_formats, 'ec_point_formats', decodeEcPointFormats);
    if (formats && !formats.includes(0)) throw new DtlsError('illegal_parameter', 'client does not accept uncompressed points');
    const schemes = decodeExt(ExtensionType.signature_algorithms, 'signature_algorithms', decodeSignatureAlgorithms);
    const scheme = chooseSignatureScheme(cert, schemes, crypto);

    const clientEms = decodeExt(ExtensionType.extended_master_secret, 'extended_master_secret', (d) => (decodeExtendedMasterSecret(d), true)) ?? false;
    const ems = clientEms && o.extendedMasterSecret !== false;
    if (!ems && o.extendedMasterSecret === 'require') {
      throw new DtlsError('handshake_failure', 'client does not offer extended_master_secret (RFC 7627), which is required');
    }
    const reneg = decodeExt(ExtensionType.renegotiation_info, 'renegotiation_info', decodeRenegotiationInfo);
    if (reneg && reneg.length) throw new DtlsError('handshake_failure', 'non-empty renegotiation_info on an initial handshake (RFC 5746 3.6)');
    const secureReneg = reneg !== undefined || ch.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);

    const srtp = decodeExt(ExtensionType.use_srtp, 'use_srtp', decodeUseSrtp);
    const srtpProfile = srtp ? o.srtpProfiles.find((p) => srtp.profiles.includes(p)) : undefined;
    const alpn = chooseAlpn(o, decodeExt(ExtensionType.alpn, 'alpn', decodeAlpn));
    const serverName = decodeExt(ExtensionType.server_name, 'server_name', decodeServerName);
    const ticketExt = ext(ExtensionType.session_ticket);
    const ticket = ticketExt ? decodeSessionTicket(ticketExt.data) : new Uint8Array(0);
    const resume = chooseSession12(o, { ch, ticket, ems, serverName, auth, wallNow: o.wallTime(now) });
    // RFC 5077 3.2: tickets go to a client that sent the extension; only sessions with the extended master secret can resume (RFC 7627 5.3).
    const issueTicket = ticketExt !== undefined && ems && o.sessionTickets > 0;

    // RFC 8446 4.1.3: a server that speaks 1.3 but negotiates 1.2 says so in the last 8 bytes, so a downgrade shows.
    const serverRandom = versionsOf(o).includes('1.3') ? withDowngradeSentinel(crypto.random(32), '1.2') : crypto.random(32);
    // A session we issue no ticket for (sessionTickets: 0, or a client without the session_ticket extension,
    // RFC 5077 3.2) is named by its ID and cached (server12-cache.ts, bounded), so such a client can still
    // resume (RFC 5246 7.4.1.3); only sessions with the extended master secret are kept (RFC 7627 5.3).
    // A ticket's session leaves nothing on the server.
    const sessionId = ems && !issueTicket ? crypto.random(32) : new Uint8Array(0);
    const neg: Negotiated = { suite, group, clientRandom: ch.random.slice(), serverRandom, ems, srtpProfile, alpn, serverName, issueTicket, sessionId };
    this.#transcript = new Transcript();
    this.#transcript.add(msg);

    const exts: Extension[] = [];
    if (secureReneg) exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(0)) });
    if (ems) exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
    if (formats) exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    if (srtpProfile !== undefined) exts.push({ type: ExtensionType.use_srtp, data: encodeUseSrtp({ profiles: [srtpProfile], mki: new Uint8Array(0) }) });
    if (alpn !== undefined) exts.push({ type: ExtensionType.alpn, data: encodeAlpn([alpn]) });
    if (issueTicket) exts.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(new Uint8Array(0)) });
    // RFC 6066 3: an empty server_name acknowledges the client's name; never when resuming.
    if (serverName !== undefined && !resume) exts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    // RFC 9146 3: answered only when the client offered and we take CIDs; the record layer learns them now.
    const clientCid = this.cids && decodeExt(ExtensionType.connection_id, 'connection_id', decodeConnectionIdExtension);
    const cid = this.cids?.onClientHello(clientCid?.slice());
    if (cid) {
      exts.push(cid.extension);
      this.#out.push(...cid.actions);
    }
    if (resume) return this.#resume(now, msg, { ...neg, suite: suiteById(resume.t.suite)! }, resume.t, ch.sessionId, exts);

    const items: FlightItem[] = [];
    const add = (msgType: number, body: Uint8Array) => {
      const m = { msgType, messageSeq: this.#sendSeq++, body };
      this.#transcript.add(m);
      items.push({ kind: 'handshake', epoch: 0, message: m });
    };
    add(
      HandshakeType.server_hello,
      encodeServerHello({
        version: ProtocolVersion.DTLS1_2,
        random: serverRandom,
        sessionId: neg.sessionId,
        cipherSuite: suiteId,
        compressionMethod: 0,
        extensions: exts,
      }),
    );
    add(HandshakeType.certificate, encodeCertificate({ certificates: cert.chain }));
    const share = crypto.generateKeyShare(group);
    const namedGroup = groupCode(group);
    const signed = concat(ch.random, serverRandom, encodeEcdheParams(namedGroup, share.publicKey));
    const signature = crypto.sign(scheme, cert.privateKey, signed);
    add(
      HandshakeType.server_key_exchange,
      encodeServerKeyExchange({ curveType: 3, namedGroup, publicKey: share.publicKey, signatureScheme: scheme, signature }),
    );
    if (o.requestClientCertificate) {
      add(
        HandshakeType.certificate_request,
        encodeCertificateRequest({ certificateTypes: [ECDSA_SIGN, RSA_SIGN], signatureSchemes: [...o.signatureSchemes.schemes12], authorities: [] }),
      );
    }
    add(HandshakeType.server_hello_done, new Uint8Array(0));
    this.#state = o.requestClientCertificate
      ? { name: 'wait_client_certificate', neg, share }
      : { name: 'wait_client_key_exchange', neg, share, auth: undefined };
    this.#out.push({ kind: 'flight', items, number: 4, mode: 'retransmit', sampleRtt: true });
  }

  /**
   * The abbreviated handshake (RFC 5246 7.3, RFC 5077 3.1): the ticket's
   * master secret with fresh randoms, our session ID echoed (RFC 5077 3.4),
   * and our Finished first. A fresh ticket renews the session when asked.
   */
  #resume(now: number, msg: HandshakeMessage, neg: Negotiated, t: Ticket12, sessionId: Uint8Array, exts: Extension[]): void {
    const crypto = this.#o.crypto;
    const items: FlightItem[] = [];
    const add = (msgType: number, body: Uint8Array, epoch: number) => {
      const m = { msgType, messageSeq: this.#sendSeq++, body };
      this.#transcript.add(m);
      items.push({ kind: 'handshake', epoch, message: m });
    };
    const master = t.master;
    add(
      HandshakeType.server_hello,
      encodeServerHello({
        version: ProtocolVersion.DTLS1_2,
        random: neg.serverRandom,
        sessionId,
        cipherSuite: neg.suite.id,
        compressionMethod: 0,
        extensions: exts,
      }),
      0,
    );
    const chain = t.peerChain;
    const auth: ClientAuth | undefined = chain.length
      ? { peer: { leaf: undefined, fingerprint: fingerprint(chain[0]!, 'sha-256', crypto) }, chain }
      : undefined;
    if (neg.issueTicket) add(HandshakeType.new_session_ticket, this.#newTicket(now, neg, master, chain), 0);
    const keys = deriveKeys(crypto, neg.suite, master, neg.clientRandom, neg.serverRandom);
    const read = { suite: neg.suite, key: keys.clientWriteKey, iv: keys.clientWriteIv };
    const write = { suite: neg.suite, key: keys.serverWriteKey, iv: keys.serverWriteIv };
    const h = neg.suite.prfHash;
    const verifyData = computeVerifyData(crypto, h, master, 'server finished', this.#transcript.hash(crypto, h));
    items.push({ kind: 'ccs', epoch: 0 });
    add(HandshakeType.finished, encodeFinished({ verifyData }), 1);
    this.#out.push({ kind: 'write-keys', epoch: 1, keys: write });
    // Flights 2 (4 after a cookie exchange) and 3 of RFC 6347 4.2.4's resumed handshake; ours waits for the client's.
    this.#out.push({ kind: 'flight', items, number: msg.messageSeq > 0 ? 4 : 2, mode: 'retransmit', sampleRtt: true });
    this.#state = { name: 'wait_ccs', session: { neg, master, auth, resumed: true }, read, write };
  }

  /** A NewSessionTicket body (RFC 5077 3.3) for this session. */
  #newTicket(now: number, neg: Negotiated, master: Uint8Array, peerChain: Uint8Array[]): Uint8Array {
    const o = this.#o;
    const ticket = issueTicket12(o, { suite: neg.suite.id, master, alpn: neg.alpn, serverName: neg.serverName, peerChain }, o.wallTime(now));
    return encodeNewSessionTicket12({ lifetimeHint: o.ticketLifetime, ticket });
  }

  #onCertificate(s: In<'wait_client_certificate'>, now: number, msg: HandshakeMessage): void {
    const chain = decodeAs('Certificate', () => decodeCertificate(msg.body).certificates.map((c) => c.slice()));
    let auth: ClientAuth | undefined;
    if (chain.length === 0) {
      if (this.#o.requestClientCertificate === 'require') throw new DtlsError('handshake_failure', 'client sent no certificate, and one is required');
    } else {
      auth = { peer: verifyPeer(chain, this.#o, now, 'server'), chain };
    }
    this.#transcript.add(msg);
    this.#state = { name: 'wait_client_key_exchange', neg: s.neg, share: s.share, auth };
  }

  #onClientKeyExchange(s: In<'wait_client_key_exchange'>, msg: HandshakeMessage): void {
    const cke = decodeAs('ClientKeyExchange', () => decodeClientKeyExchange(msg.body));
    const neg = s.neg;
    const crypto = this.#o.crypto;
    const pms = crypto.ecdh(neg.group, s.share.privateKey, cke.publicKey);
    s.share.privateKey.fill(0);
    this.#transcript.add(msg);
    const h = neg.suite.prfHash;
    const master = neg.ems
      ? computeExtendedMasterSecret(crypto, h, pms, this.#transcript.hash(crypto, h))
      : computeMasterSecret(crypto, h, pms, neg.clientRandom, neg.serverRandom);
    pms.fill(0);
    const keys = deriveKeys(crypto, neg.suite, master, neg.clientRandom, neg.serverRandom);
    const read = { suite: neg.suite, key: keys.clientWriteKey, iv: keys.clientWriteIv };
    const write = { suite: neg.suite, key: keys.serverWriteKey, iv: keys.serverWriteIv };
    const session: Session = { neg, master, auth: s.auth, resumed: false };
    this.#state = s.auth ? { name: 'wait_certificate_verify', session, auth: s.auth, read, write } : { name: 'wait_ccs', session, read, write };
  }

  #onCertificateVerify(s: In<'wait_certificate_verify'>, msg: HandshakeMessage): void {
    const cv = decodeAs('CertificateVerify', () => decodeCertificateVerify(msg.body));
    verifyPeerSignature(
      this.#o.crypto,
      s.auth.peer.leaf,
      cv.signatureScheme,
      this.#transcript.bytes(),
      cv.signature,
      'CertificateVerify',
      this.#o.signatureSchemes.schemes12,
    );
    this.#transcript.add(msg);
    this.#state = { name: 'wait_ccs', session: s.session, read: s.read, write: s.write };
  }

  #onFinished(s: In<'wait_finished'>, now: number, msg: HandshakeMessage): void {
    const { neg, master, auth, resumed } = s.session;
    const crypto = this.#o.crypto;
    const h = neg.suite.prfHash;
    const fin = decodeAs('Finished', () => decodeFinished(msg.body));
    if (fin.verifyData.length !== 12) throw new DtlsError('decode_error', `Finished of ${fin.verifyData.length} bytes, not 12`);
    const expected = computeVerifyData(crypto, h, master, 'client finished', this.#transcript.hash(crypto, h));
    if (!equalBytes(expected, fin.verifyData)) throw new DtlsError('decrypt_error', 'client Finished does not verify');
    this.#transcript.add(msg);
    if (!resumed) {
      this.#sendFinalFlight(now, s);
      if (neg.sessionId.length) {
        const peerChain = auth?.chain ?? [];
        cacheSession12(this.#o, neg.sessionId, { suite: neg.suite.id, master, alpn: neg.alpn, serverName: neg.serverName, peerChain }, this.#o.wallTime(now));
      }
    }
    this.#state = { name: 'done' };
    // Nothing reads the transcript after the Finished messages: release it (it holds every message, certificates too).
    this.#transcript.clear();
    this.#out.push({
      kind: 'complete',
      result: {
        keyLogLines: keyLog12(neg.clientRandom, master),
        exportKeyingMaterial: exporter12(crypto, neg.suite, master, neg.clientRandom, neg.serverRandom),
        info: {
          ...handshakeInfo12({
            suite: neg.suite,
            // A resumption runs no key exchange.
            group: resumed ? undefined : neg.group,
            peerChain: auth?.chain ?? [],
            peerFingerprint: auth?.peer.fingerprint,
            srtpProfile: neg.srtpProfile,
            alpn: neg.alpn,
            serverName: neg.serverName,
            ems: neg.ems,
          }),
          resumed,
        },
      },
    });
  }

  /** Flight 6: [NewSessionTicket] CCS Finished, the last of a full handshake (RFC 5077 3.3 puts the ticket before the CCS). */
  #sendFinalFlight(now: number, s: In<'wait_finished'>): void {
    const { neg, master, auth } = s.session;
    const crypto = this.#o.crypto;
    const h = neg.suite.prfHash;
    const items: FlightItem[] = [];
    if (neg.issueTicket) {
      const nst = { msgType: HandshakeType.new_session_ticket, messageSeq: this.#sendSeq++, body: this.#newTicket(now, neg, master, auth?.chain ?? []) };
      this.#transcript.add(nst);
      items.push({ kind: 'handshake', epoch: 0, message: nst });
    }
    const verifyData = computeVerifyData(crypto, h, master, 'server finished', this.#transcript.hash(crypto, h));
    const ours = { msgType: HandshakeType.finished, messageSeq: this.#sendSeq++, body: encodeFinished({ verifyData }) };
    items.push({ kind: 'ccs', epoch: 0 }, { kind: 'handshake', epoch: 1, message: ours });
    this.#out.push({ kind: 'write-keys', epoch: 1, keys: s.write });
    this.#out.push({ kind: 'flight', items, number: 6, mode: 'final', sampleRtt: true });
  }
}
