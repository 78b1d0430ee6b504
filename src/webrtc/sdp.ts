// The SDP a WebRTC user needs from a DTLS library: our a=fingerprint line, the
// peer's fingerprints and a=setup, the DTLS role that follows from a=setup
// (RFC 8842, RFC 5763 5), the peer's ICE credentials, and a minimal ICE-lite
// answer to a browser's offer. Not a general SDP library: lines are kept as
// text, and only what those helpers need is interpreted.
import type { Role } from '../options.ts';
import { fingerprint as fingerprintOf, parseFingerprint } from '../x509/fingerprint.ts';
import type { CertificateKeyPair } from '../x509/types.ts';
import { validateIceCredentials, type IceCredentials } from './ice-lite.ts';
import { parseIp } from './ip.ts';

/** One m= section of an SDP. */
export interface SdpMedia {
  /** "audio", "video", "application", ... */
  kind: string;
  port: number;
  /** e.g. "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP". */
  proto: string;
  formats: string[];
  /** The section's other lines ("a=...", "c=...") without line ends. */
  lines: string[];
}

/** An SDP split into session lines and media sections. */
export interface ParsedSdp {
  /** Session-level lines (before the first m=). */
  session: string[];
  media: SdpMedia[];
}

/** Splits SDP text (CRLF or LF line ends) into the session part and media sections. */
export function parseSdp(text: string): ParsedSdp {
  if (typeof text !== 'string') throw new TypeError('SDP must be a string');
  const lines = text.split(/\r?\n/).filter((l) => l.length);
  if (!lines[0]?.startsWith('v=')) throw new TypeError('SDP must start with v=');
  const sdp: ParsedSdp = { session: [], media: [] };
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new TypeError(`not an SDP line: ${JSON.stringify(line)}`);
    if (line.startsWith('m=')) {
      const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)(?: (.*))?$/.exec(line);
      if (!m) throw new TypeError(`bad m= line: ${JSON.stringify(line)}`);
      sdp.media.push({ kind: m[1]!, port: Number(m[2]), proto: m[3]!, formats: m[4] ? m[4].split(' ').filter(Boolean) : [], lines: [] });
    } else if (sdp.media.length) {
      sdp.media[sdp.media.length - 1]!.lines.push(line);
    } else {
      sdp.session.push(line);
    }
  }
  return sdp;
}

const asParsed = (sdp: string | ParsedSdp): ParsedSdp => (typeof sdp === 'string' ? parseSdp(sdp) : sdp);

/** Values of `a=name:value` (or "" for `a=name`) among lines. */
export function attributeValues(lines: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l === `a=${name}`) out.push('');
    else if (l.startsWith(`a=${name}:`)) out.push(l.slice(name.length + 3));
  }
  return out;
}

/** A media-level attribute, falling back to the session level (RFC 8866 5.13). */
function effective(sdp: ParsedSdp, m: SdpMedia, name: string): string[] {
  const own = attributeValues(m.lines, name);
  return own.length ? own : attributeValues(sdp.session, name);
}

/** The sections that carry a transport (not rejected with port 0, unless bundled onto one that does). */
function liveSections(sdp: ParsedSdp): SdpMedia[] {
  const bundled = new Set(bundleGroup(sdp));
  return sdp.media.filter((m) => m.port !== 0 || attributeValues(m.lines, 'bundle-only').length || bundled.has(attributeValues(m.lines, 'mid')[0] ?? '\0'));
}

function bundleGroup(sdp: ParsedSdp): string[] {
  for (const g of attributeValues(sdp.session, 'group')) {
    const [semantics, ...mids] = g.split(' ');
    if (semantics === 'BUNDLE') return mids;
  }
  return [];
}

// ---- a=fingerprint ----

/** `a=fingerprint:sha-256 AB:CD:..` for our certificate (RFC 8122 5). */
export function fingerprintAttribute(cert: CertificateKeyPair | Uint8Array, algorithm = 'sha-256'): string {
  if (cert instanceof Uint8Array) return `a=fingerprint:${fingerprintOf(cert, algorithm)}`;
  const leaf = cert.chain[0];
  if (!leaf) throw new TypeError('the certificate chain is empty');
  return `a=fingerprint:${algorithm.toLowerCase() === 'sha-256' ? cert.fingerprint : fingerprintOf(leaf, algorithm)}`;
}

/**
 * The peer's certificate fingerprints, as "sha-256 AB:CD:.." strings for
 * `verify: { fingerprints }`: every a=fingerprint of the live sections (or the
 * session level), without duplicates. Throws TypeError when there is none or
 * one is malformed (a peer that offers none cannot be authenticated).
 */
export function sdpFingerprints(sdp: string | ParsedSdp): string[] {
  const p = asParsed(sdp);
  const all = new Map<string, string>();
  const sections = liveSections(p);
  const values = sections.length ? sections.flatMap((m) => effective(p, m, 'fingerprint')) : attributeValues(p.session, 'fingerprint');
  for (const v of values) {
    const { algorithm, bytes } = parseFingerprint(v);
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
    all.set(`${algorithm} ${hex}`, `${algorithm} ${hex}`);
  }
  if (!all.size) throw new TypeError('the SDP has no a=fingerprint');
  return [...all.values()];
}

// ---- a=setup and the DTLS role ----

/** An a=setup value (RFC 4145, RFC 8842). */
export type SetupValue = 'actpass' | 'active' | 'passive' | 'holdconn';

/** The peer's a=setup: one value on every live section (required here, though RFC 4145 lets an absent one mean active). */
export function sdpSetup(sdp: string | ParsedSdp): SetupValue {
  const p = asParsed(sdp);
  const sections = liveSections(p);
  const values = new Set(sections.length ? sections.flatMap((m) => effective(p, m, 'setup')) : attributeValues(p.session, 'setup'));
  if (values.size !== 1) throw new TypeError(values.size ? `conflicting a=setup values: ${[...values].join(', ')}` : 'the SDP has no a=setup');
  const v = [...values][0]!;
  if (v !== 'actpass' && v !== 'active' && v !== 'passive' && v !== 'holdconn') throw new TypeError(`unknown a=setup value "${v}"`);
  return v;
}

/**
 * Our a=setup and DTLS role when answering an offer with `offerSetup`
 * (RFC 8842 5.2, 5.3): 'active' is the DTLS client, 'passive' the server. An
 * actpass offer lets us choose: `prefer` (default 'client', as JSEP does).
 */
export function answerDtlsRole(offerSetup: SetupValue, prefer: Role = 'client'): { setup: 'active' | 'passive'; role: Role } {
  switch (offerSetup) {
    case 'actpass':
      return prefer === 'client' ? { setup: 'active', role: 'client' } : { setup: 'passive', role: 'server' };
    case 'active':
      return { setup: 'passive', role: 'server' };
    case 'passive':
      return { setup: 'active', role: 'client' };
    case 'holdconn':
      throw new TypeError('a=setup:holdconn: the peer does not want a connection now');
    default:
      throw new TypeError(`unknown a=setup value "${String(offerSetup)}"`);
  }
}

/** Our DTLS role after we offered a=setup:actpass and the answer says `answerSetup`. */
export function offerDtlsRole(answerSetup: SetupValue): Role {
  if (answerSetup === 'active') return 'server';
  if (answerSetup === 'passive') return 'client';
  throw new TypeError(`an answer must say a=setup:active or passive, not ${answerSetup}`);
}

// ---- ICE ----

/** ICE parameters read from an SDP. */
export interface SdpIceParameters extends IceCredentials {
  /** The peer is an ICE-lite agent. */
  lite: boolean;
  options: string[];
}

/** The peer's ice-ufrag and ice-pwd (the first live section's, or the session's). */
export function sdpIceParameters(sdp: string | ParsedSdp): SdpIceParameters {
  const p = asParsed(sdp);
  const m = liveSections(p)[0];
  const get = (name: string): string[] => (m ? effective(p, m, name) : attributeValues(p.session, name));
  const ufrag = get('ice-ufrag')[0];
  const password = get('ice-pwd')[0];
  if (ufrag === undefined || password === undefined) throw new TypeError('the SDP has no a=ice-ufrag / a=ice-pwd');
  return { ufrag, password, lite: attributeValues(p.session, 'ice-lite').length > 0, options: (get('ice-options')[0] ?? '').split(' ').filter(Boolean) };
}

// ---- the ICE-lite answer ----

/** A host candidate (address and UDP port) for an answer. */
export interface HostCandidate {
  address: string;
  port: number;
}

/** An SDP media direction attribute. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Options of iceLiteAnswer(). */
export interface IceLiteAnswerOptions {
  /** Our ice-ufrag and ice-pwd (generateIceCredentials()). */
  ice: IceCredentials;
  /** Our certificate, or its "sha-256 AB:.." fingerprint. */
  certificate: CertificateKeyPair | string;
  /** Our a=setup: 'passive' (we are the DTLS server) or 'active' (client); see answerDtlsRole(). */
  setup: 'active' | 'passive';
  /** Where the peer's checks and DTLS go: our UDP socket's address(es). */
  candidates: HostCandidate[];
  /** RTP codecs we accept, by rtpmap encoding name, in order. Default ['opus']. */
  codecs?: string[];
  /** Our direction for RTP sections. Default: we receive what the offer sends and send nothing. */
  direction?: MediaDirection;
  /** o= session id (digits). Default: random. */
  sessionId?: string;
}

const REVERSE: Record<string, MediaDirection> = { sendrecv: 'recvonly', sendonly: 'recvonly', recvonly: 'inactive', inactive: 'inactive' };

function candidateLine(c: HostCandidate, i: number): string {
  parseIp(c.address); // a literal address, not a host name
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 0xffff) throw new RangeError(`bad candidate port ${c.port}`);
  // RFC 8445 5.1.2.1: type preference 126 (host), local preference by order, component 1.
  const priority = 126 * 2 ** 24 + (65535 - i) * 2 ** 8 + 255;
  return `a=candidate:${i + 1} 1 udp ${priority} ${c.address} ${c.port} typ host`;
}

/**
 * An answer that makes a browser's offer connect to us as an ICE-lite agent
 * (RFC 8445 2.5) on one socket: a=ice-lite, our credentials, fingerprint and
 * a=setup, our host candidates, every accepted section bundled on the offer's
 * BUNDLE group. RTP sections keep the payload types of `codecs` (with their
 * rtpmap and fmtp) and rtcp-mux; a data channel section keeps its sctp-port;
 * anything else is rejected (port 0). Lines end with CRLF.
 */
export function iceLiteAnswer(offer: string | ParsedSdp, options: IceLiteAnswerOptions): string {
  const p = asParsed(offer);
  validateIceCredentials(options.ice);
  if (options.setup !== 'active' && options.setup !== 'passive') throw new TypeError("setup must be 'active' or 'passive' in an answer");
  if (!options.candidates.length) throw new TypeError('at least one candidate is needed');
  const fp = typeof options.certificate === 'string' ? `a=fingerprint:${options.certificate}` : fingerprintAttribute(options.certificate);
  parseFingerprint(fp.slice('a=fingerprint:'.length));
  const codecs = (options.codecs ?? ['opus']).map((c) => c.toLowerCase());
  const sessionId = options.sessionId ?? String(Math.floor(Math.random() * 2 ** 52));
  if (!/^\d+$/.test(sessionId)) throw new TypeError('sessionId must be digits');

  const first = options.candidates[0]!;
  const ipv = parseIp(first.address).length === 4 ? 'IP4' : 'IP6';
  const bundle = bundleGroup(p);
  const accepted: string[] = [];
  const sections: string[][] = [];

  for (const m of p.media) {
    const mid = attributeValues(m.lines, 'mid')[0];
    // One transport (our one socket): only the BUNDLE group, or the first section without one.
    const transportOk = bundle.length ? mid !== undefined && bundle.includes(mid) : accepted.length === 0;
    const body = transportOk && m.port !== 0 ? acceptSection(m, codecs, options.direction) : undefined;
    if (!body) {
      sections.push([`m=${m.kind} 0 ${m.proto} ${m.formats.join(' ') || '0'}`, ...(mid !== undefined ? [`a=mid:${mid}`] : [])]);
      continue;
    }
    if (mid !== undefined) accepted.push(mid);
    sections.push([
      `m=${m.kind} ${first.port} ${m.proto} ${body.formats.join(' ')}`,
      `c=IN ${ipv} ${first.address}`,
      ...(mid !== undefined ? [`a=mid:${mid}`] : []),
      `a=ice-ufrag:${options.ice.ufrag}`,
      `a=ice-pwd:${options.ice.password}`,
      fp,
      `a=setup:${options.setup}`,
      ...body.lines,
      ...options.candidates.map(candidateLine),
      'a=end-of-candidates',
    ]);
  }
  if (!sections.some((s) => !/^m=\S+ 0 /.test(s[0]!))) throw new TypeError('nothing in the offer can be accepted');
  const session = [
    'v=0',
    `o=- ${sessionId} 2 IN ${ipv} ${first.address}`,
    's=-',
    't=0 0',
    ...(bundle.length && accepted.length ? [`a=group:BUNDLE ${accepted.join(' ')}`] : []),
    'a=ice-lite',
  ];
  return [...session, ...sections.flat()].join('\r\n') + '\r\n';
}

function acceptSection(m: SdpMedia, codecs: string[], direction: MediaDirection | undefined): { formats: string[]; lines: string[] } | undefined {
  if (m.kind === 'application' && /^(UDP|TCP)\/DTLS\/SCTP$/.test(m.proto) && m.formats.includes('webrtc-datachannel')) {
    const lines = [
      ...attributeValues(m.lines, 'sctp-port').map((v) => `a=sctp-port:${v}`),
      ...attributeValues(m.lines, 'max-message-size').map((v) => `a=max-message-size:${v}`),
    ];
    return { formats: ['webrtc-datachannel'], lines };
  }
  if ((m.kind === 'audio' || m.kind === 'video') && /RTP\/S?AVPF?$/.test(m.proto) && m.proto.includes('TLS')) {
    const rtpmaps = attributeValues(m.lines, 'rtpmap');
    const formats: string[] = [];
    const lines: string[] = [];
    for (const codec of codecs) {
      for (const r of rtpmaps) {
        const [pt, encoding] = r.split(' ');
        if (!pt || !encoding || encoding.split('/')[0]!.toLowerCase() !== codec || !m.formats.includes(pt)) continue;
        formats.push(pt);
        lines.push(
          `a=rtpmap:${r}`,
          ...attributeValues(m.lines, 'fmtp')
            .filter((f) => f.startsWith(`${pt} `))
            .map((f) => `a=fmtp:${f}`),
        );
      }
    }
    if (!formats.length) return undefined;
    const offered = (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).find((d) => attributeValues(m.lines, d).length) ?? 'sendrecv';
    lines.unshift(`a=${direction ?? REVERSE[offered]}`, 'a=rtcp-mux');
    if (attributeValues(m.lines, 'rtcp-rsize').length) lines.push('a=rtcp-rsize');
    return { formats, lines };
  }
  return undefined;
}
