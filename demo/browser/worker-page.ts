// The lossy-network page: starts worker.js (a DTLS client and server in a Web
// Worker over a MessageChannel that loses datagrams) and draws what it reports.
import { Ladder, LOCK } from './ladder.ts';
import type { Side, WorkerReport, WorkerRun } from './worker.ts';

interface WorkerDemoState {
  done: boolean;
  ok: boolean;
  connected: Record<Side, boolean>;
  retransmits: { side: Side; flight: number; reason: string }[];
  lost: { from: Side; why: string; detail: string }[];
  error: string | undefined;
  ladder(): string;
}

const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => document.querySelector<T>(sel)!;
$('#lock-legend').insertAdjacentHTML('afterbegin', `${LOCK} `);
const ladder = new Ladder($('#ladder'), { left: 'Client (worker)', right: 'Server (worker)' });
const lane = (s: Side) => (s === 'client' ? 'left' : 'right');
const state: WorkerDemoState = {
  done: false,
  ok: false,
  connected: { client: false, server: false },
  retransmits: [],
  lost: [],
  error: undefined,
  ladder: () => ladder.text(),
};
(window as unknown as { workerDemo: WorkerDemoState }).workerDemo = state;
let worker: Worker | undefined;

function summary(extra: Record<string, string> = {}): void {
  const rows: [string, string][] = [
    ['Client', state.connected.client ? 'connected' : state.done ? 'not connected' : 'handshaking…'],
    ['Server', state.connected.server ? 'connected' : state.done ? 'not connected' : 'handshaking…'],
    ['Datagrams lost', String(state.lost.length)],
    [
      'Retransmissions',
      `${state.retransmits.filter((r) => r.side === 'client').length} by the client, ${state.retransmits.filter((r) => r.side === 'server').length} by the server`,
    ],
    ...Object.entries(extra),
  ];
  $('#summary').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('');
}

function start(): void {
  worker?.terminate();
  ladder.reset();
  Object.assign(state, { done: false, ok: false, connected: { client: false, server: false }, retransmits: [], lost: [], error: undefined });
  const run: WorkerRun = {
    seed: Number($<HTMLInputElement>('#seed').value) || 1,
    loss: Math.min(0.9, Math.max(0, Number($<HTMLInputElement>('#loss').value) / 100)),
    dropFlight4: $<HTMLInputElement>('#flight4').checked,
  };
  const pill = $('#status');
  pill.className = 'pill handshaking';
  pill.textContent = 'running…';
  summary();
  worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = (e: MessageEvent<WorkerReport>) => {
    const r = e.data;
    switch (r.kind) {
      case 'trace': {
        const alert = /^Alert\((.+)\)$/.exec(r.what);
        if (alert) ladder.alert(lane(r.side), alert[1]!, alert[1] === 'close_notify' ? 'warning' : 'fatal');
        else ladder.message(lane(r.side), r.what, r.epoch, r.bytes);
        break;
      }
      case 'retransmit':
        state.retransmits.push({ side: r.side, flight: r.flight, reason: r.reason });
        ladder.retransmit(lane(r.side), r.flight, r.reason, r.attempt);
        break;
      case 'lost':
        state.lost.push({ from: r.from, why: r.why, detail: r.detail });
        ladder.lost(lane(r.from), `${r.detail || 'datagram'}${r.why === 'flight 4' ? ' · first flight 4' : ''}`, r.bytes);
        break;
      case 'handshake':
        state.connected[r.side] = true;
        ladder.note(`${r.side} connected · ${r.suite}`, 'ok');
        break;
      case 'data':
        ladder.data(lane(r.from), r.text, r.bytes);
        break;
      case 'done':
        state.done = true;
        state.ok = r.ok;
        state.error = r.error;
        pill.className = `pill ${r.ok ? 'connected' : 'failed'}`;
        pill.textContent = r.ok ? 'both connected' : 'failed';
        if (!r.ok) ladder.note(`failed: ${r.error}`, 'bad');
        summary({ 'Total time': `${Math.round(r.ms)} ms` });
        document.body.dataset.state = r.ok ? 'done' : 'failed';
        break;
    }
    if (r.kind !== 'done') summary();
  };
  worker.postMessage(run);
}

const params = new URLSearchParams(location.search);
for (const k of ['seed', 'loss'] as const) if (params.has(k)) $<HTMLInputElement>(`#${k}`).value = params.get(k)!;
if (params.get('flight4') === '0') $<HTMLInputElement>('#flight4').checked = false;
$('#run').addEventListener('click', start);
start();
