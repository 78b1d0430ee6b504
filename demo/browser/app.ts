// The browser is the DTLS client: a DtlsStream over a WebSocket to the relay
// (demo/browser/relay.ts), or over WebTransport datagrams to the HTTP/3 relay
// (examples/webtransport-relay), which forwards each datagram to a UDP DTLS
// server. Either relay sees only ciphertext. Bundled by serve.ts with esbuild.
import { DtlsStream, type HandshakeInfo } from '../../src/index.ts';
import { webSocketDuplex } from '../../src/adapters/websocket.ts';
import { webTransportDuplex } from '../../src/adapters/webtransport.ts';
import type { DatagramDuplex } from '../../src/adapters/types.ts';
import { Ladder, LOCK } from './ladder.ts';

interface Config {
  /** What the relay forwards to, for display ("127.0.0.1:4433"). */
  target: string;
  /** True when the target is the demo's own echo server. */
  ours: boolean;
  /** The server certificate's fingerprint, when known; otherwise the page connects unverified. */
  fingerprint: string | undefined;
  /** The WebTransport relay, when the demo runs one: its URL and the SHA-256 of its certificate (hex) to pin. */
  webtransport?: { url: string; certificateHash: string };
}

type TransportKind = 'websocket' | 'webtransport';

/** What the tests read. */
interface DemoState {
  state: string;
  /** How the datagrams travel to the relay. */
  transport: TransportKind;
  /** The DTLS mtu used (WebTransport: fits datagrams.maxDatagramSize). */
  mtu: number | undefined;
  info: HandshakeInfo | undefined;
  sent: string[];
  received: string[];
  retransmits: number;
  alerts: string[];
  error: string | undefined;
  ladder(): string;
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector<T>(sel)!;
const enc = new TextEncoder();
const dec = new TextDecoder();

$('#lock-legend').insertAdjacentHTML('afterbegin', `${LOCK} `);
const ladder = new Ladder($('#ladder'), { left: 'Browser · client', right: 'Server' });
const demo: DemoState = {
  state: 'idle',
  transport: 'websocket',
  mtu: undefined,
  info: undefined,
  sent: [],
  received: [],
  retransmits: 0,
  alerts: [],
  error: undefined,
  ladder: () => ladder.text(),
};
(window as unknown as { demo: DemoState }).demo = demo;

let current: { dtls: DtlsStream; close(): void; writer: WritableStreamDefaultWriter<Uint8Array> } | undefined;
let config: Config;
let statsTimer: ReturnType<typeof setInterval> | undefined;
/** Counts connectDemo() calls, so one overtaken while opening its transport gives way. */
let attempts = 0;

function setState(state: string, text?: string): void {
  demo.state = state;
  document.body.dataset.state = state;
  const pill = $('#status');
  pill.className = `pill ${state}`;
  pill.textContent = text ?? state;
}

function showInfo(info: HandshakeInfo | undefined, verified: boolean): void {
  const rows: [string, string, string?][] = info
    ? [
        ['Protocol', info.version],
        ['Cipher suite', info.cipherSuite, 'suite'],
        ['Key exchange', info.group ?? '—'],
        ['Extended master secret', info.extendedMasterSecret ? 'yes · RFC 7627' : 'no'],
        ['Server certificate', (info.peerFingerprint ?? '—') + (verified ? '' : '  (not verified)'), 'fingerprint'],
      ]
    : [
        ['Protocol', '—'],
        ['Cipher suite', '—', 'suite'],
        ['Key exchange', '—'],
        ['Extended master secret', '—'],
        ['Server certificate', config?.fingerprint ?? '—', 'fingerprint'],
      ];
  $('#info').innerHTML = rows
    .map(
      ([k, v, id]) =>
        `<dt>${k}</dt><dd${id ? ` id="${id}"` : ''}${id === 'fingerprint' ? ' class="mono"' : ''}>${v
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/_WITH_/, '_WITH_<wbr>')}</dd>`,
    )
    .join('');
  $('#info').classList.toggle('empty', !info);
}

function showStats(): void {
  const s = current?.dtls.stats;
  if (!s) return;
  $('#stats').innerHTML = [
    ['datagrams out', s.datagramsOut],
    ['datagrams in', s.datagramsIn],
    ['retransmissions', s.retransmits],
    ['dropped', Object.values(s.dropped).reduce((a, b) => a + (b ?? 0), 0)],
  ]
    .map(([k, v]) => `<div><span class="num">${v}</span><span class="lbl">${k}</span></div>`)
    .join('');
}

function bubble(kind: 'out' | 'in' | 'sys', text: string): void {
  const log = $('#messages');
  log.querySelector('.placeholder')?.remove();
  const div = document.createElement('div');
  div.className = `bubble ${kind}`;
  div.textContent = text;
  log.append(div);
  log.scrollTop = log.scrollHeight;
  showStats();
}

async function connectDemo(): Promise<void> {
  const attempt = ++attempts;
  if (current) {
    const old = current;
    current = undefined;
    await old.dtls.close().catch(() => {});
    old.close();
  }
  ladder.reset();
  Object.assign(demo, { info: undefined, mtu: undefined, sent: [], received: [], retransmits: 0, alerts: [], error: undefined });
  $('#messages').innerHTML = '<div class="placeholder">Messages you send travel encrypted through the relay; the server sends them back.</div>';
  showInfo(undefined, false);
  setState('connecting', 'connecting…');
  $<HTMLButtonElement>('#send').disabled = true;

  const kind = demo.transport;
  $('#transport-link').textContent = kind === 'webtransport' ? 'WebTransport · HTTP/3' : 'WebSocket';
  let opened: { transport: DatagramDuplex; mtu?: number; close(): void; note: string };
  try {
    opened = kind === 'webtransport' ? await openWebTransport() : openWebSocket();
  } catch (e) {
    if (attempt !== attempts) return;
    demo.error = (e as Error).message;
    setState('failed', 'failed');
    ladder.note(`failed: ${demo.error}`, 'bad');
    return;
  }
  if (attempt !== attempts) return opened.close(); // a newer connectDemo() has started meanwhile
  const { transport } = opened;
  demo.mtu = opened.mtu;
  const verified = config.fingerprint !== undefined;
  const dtls = new DtlsStream({
    role: 'client',
    // The page draws DTLS 1.2's ladder (HelloVerifyRequest, flights 1 to 6), so it asks for 1.2 (the library's default offers 1.3 first).
    versions: ['1.2'],
    verify: verified ? { fingerprints: [config.fingerprint!] } : 'insecure',
    retransmit: { initial: 500 },
    ...(opened.mtu ? { mtu: opened.mtu } : {}),
  });
  const writer = dtls.outbound.writable.getWriter();
  current = { dtls, close: opened.close, writer };
  ladder.note(opened.note);

  dtls.addEventListener('trace', (e) => {
    const { direction, what, epoch, bytes } = e.detail;
    if (what.startsWith('Alert')) return; // drawn from the 'alert' event
    ladder.message(direction === 'out' ? 'left' : 'right', what, epoch, bytes);
  });
  dtls.addEventListener('retransmit', (e) => {
    demo.retransmits++;
    ladder.retransmit('left', e.detail.flight, e.detail.reason, e.detail.attempt);
  });
  dtls.addEventListener('alert', (e) => {
    demo.alerts.push(e.detail.name);
    ladder.alert(e.detail.fromPeer ? 'right' : 'left', e.detail.name, e.detail.level);
  });
  dtls.addEventListener('statechange', (e) => {
    if (e.detail.state === 'handshaking') setState('handshaking', 'handshaking…');
  });

  void transport.readable.pipeTo(dtls.inbound.writable).catch(() => {});
  void dtls.outbound.readable.pipeTo(transport.writable).catch(() => {});
  clearInterval(statsTimer);
  statsTimer = setInterval(showStats, 250);

  dtls.closed.then(
    () => {
      if (current?.dtls !== dtls) return;
      setState('closed', 'closed');
      ladder.note('connection closed');
      $<HTMLButtonElement>('#send').disabled = true;
    },
    (err: Error) => {
      if (current?.dtls !== dtls) return;
      demo.error = err.message;
      setState('failed', 'failed');
      ladder.note(`failed: ${err.message}`, 'bad');
      bubble('sys', `Connection failed: ${err.message}`);
      $<HTMLButtonElement>('#send').disabled = true;
    },
  );

  const started = performance.now();
  const info = await dtls.handshake.catch(() => undefined);
  if (!info || current?.dtls !== dtls) return;
  demo.info = info;
  ladder.note(`handshake complete in ${Math.round(performance.now() - started)} ms`, 'ok');
  showInfo(info, verified);
  showStats();
  setState('connected', 'connected');
  $<HTMLButtonElement>('#send').disabled = false;
  $<HTMLInputElement>('#text').focus();
  if (!config.ours) bubble('sys', `This server does not echo: what you send is printed on its console.`);

  void (async () => {
    for await (const m of dtls.inbound.readable) {
      const text = dec.decode(m);
      demo.received.push(text);
      ladder.data('right', text, m.byteLength);
      bubble('in', text);
    }
  })().catch(() => {});
}

function openWebSocket(): { transport: DatagramDuplex; close(): void; note: string } {
  const ws = new WebSocket(`ws://${location.host}/relay`);
  return {
    transport: webSocketDuplex(ws, { closeSocket: true }),
    close: () => ws.close(),
    note: `WebSocket to the relay · relaying to udp://${config.target}`,
  };
}

/** A WebTransport session to the HTTP/3 relay, its short-lived certificate pinned by hash (no CA involved). */
async function openWebTransport(): Promise<{ transport: DatagramDuplex; mtu: number; close(): void; note: string }> {
  const wt = config.webtransport;
  if (!wt) throw new Error('this demo runs no WebTransport relay (start it with --webtransport)');
  if (typeof WebTransport === 'undefined') throw new Error('this browser has no WebTransport');
  const value = Uint8Array.from(wt.certificateHash.match(/../g)!, (h) => parseInt(h, 16));
  const session = new WebTransport(wt.url, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
  await session.ready;
  const { duplex, mtu } = webTransportDuplex(session);
  return {
    transport: duplex,
    mtu,
    close: () => {
      try {
        session.close();
      } catch {
        // already closed
      }
    },
    note: `WebTransport session to ${wt.url} · datagrams up to ${session.datagrams.maxDatagramSize} bytes, DTLS mtu ${mtu} · relaying to udp://${config.target}`,
  };
}

async function send(): Promise<void> {
  const input = $<HTMLInputElement>('#text');
  const text = input.value.trim();
  if (!text || !current || demo.state !== 'connected') return;
  input.value = '';
  const bytes = enc.encode(text);
  ladder.data('left', text, bytes.byteLength);
  demo.sent.push(text);
  bubble('out', text);
  await current.writer.write(bytes).catch((e: Error) => bubble('sys', `not sent: ${e.message}`));
}

async function main(): Promise<void> {
  config = (await (await fetch('config.json')).json()) as Config;
  $('#target').textContent =
    `${config.ours ? 'dtls-stream echo server' : 'external DTLS server'} · udp://${config.target} · ` +
    (config.fingerprint ? 'certificate checked against its fingerprint' : 'certificate not verified (no --cert or --fingerprint given)');
  $('#server-kind').textContent = config.ours ? 'dtls-stream, echoing' : 'external DTLS server';
  $('#send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void send();
  });
  $('#reconnect').addEventListener('click', () => void connectDemo());
  // ?transport=webtransport (or the picker) carries the datagrams over HTTP/3 instead of a WebSocket.
  const picker = $<HTMLSelectElement>('#transport');
  const wanted = new URLSearchParams(location.search).get('transport');
  picker.querySelector<HTMLOptionElement>('option[value=webtransport]')!.disabled = !config.webtransport;
  demo.transport = wanted === 'webtransport' && config.webtransport ? 'webtransport' : 'websocket';
  picker.value = demo.transport;
  picker.addEventListener('change', () => {
    demo.transport = picker.value as TransportKind;
    void connectDemo();
  });
  await connectDemo();
}

void main();
