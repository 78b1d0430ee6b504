// The handshake as a ladder diagram: two lanes, one arrow per message, grouped
// into flights (RFC 6347 4.2.4 numbering), with retransmissions, losses and
// alerts highlighted. Plain DOM, no framework; shared by both demo pages.

export type Side = 'left' | 'right';

interface Group {
  sender: Side;
  names: Set<string>;
  flight: number | undefined;
  repeat: boolean;
}

/** A small padlock (no emoji font needed). */
export const LOCK =
  '<span class="lock"><svg viewBox="0 0 10 11" aria-hidden="true"><rect x="0.5" y="4.5" width="9" height="6" rx="1.5" fill="currentColor"/><path d="M2.5 4.8V3.3a2.5 2.5 0 0 1 5 0v1.5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg></span>';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export class Ladder {
  readonly #rows: HTMLElement;
  #t0 = performance.now();
  #group: Group | undefined;
  #seen: { sender: Side; names: string }[] = [];
  #sawHelloVerify = false;
  /** Message names of each flight number, for retransmission rows. */
  readonly flights = new Map<number, string[]>();
  /** The sender of flight 1 (the client) is drawn on this side. */
  readonly #clientSide: Side;

  constructor(root: HTMLElement, labels: { left: string; right: string; client?: Side }) {
    this.#clientSide = labels.client ?? 'left';
    root.classList.add('ladder');
    root.innerHTML = `
      <div class="lanes"><div class="lane-head left">${esc(labels.left)}</div><div class="lane-head right">${esc(labels.right)}</div></div>
      <div class="rows"></div>`;
    this.#rows = root.querySelector('.rows')!;
  }

  reset(): void {
    this.#rows.innerHTML = '';
    this.#t0 = performance.now();
    this.#group = undefined;
    this.#seen = [];
    this.#sawHelloVerify = false;
    this.flights.clear();
  }

  /** The ladder as text, one row a line (for tests and copy-paste). */
  text(): string {
    return [...this.#rows.children].map((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim()).join('\n');
  }

  /** One handshake message or ChangeCipherSpec sent by `sender`. */
  message(sender: Side, what: string, epoch: number, bytes: number): void {
    const g = this.#group;
    if (!g || g.sender !== sender || g.names.has(what)) this.#startGroup(sender, what);
    const group = this.#group!;
    group.names.add(what);
    if (group.flight !== undefined && !group.repeat) {
      const list = this.flights.get(group.flight) ?? [];
      list.push(what);
      this.flights.set(group.flight, list);
    }
    const lock = epoch > 0 ? LOCK.replace('<span class="lock">', `<span class="lock" title="encrypted (epoch ${epoch})">`) : '';
    this.#arrow(sender, `${group.repeat ? 'again' : ''}`, `<b>${esc(what)}</b>${lock}`, `${bytes} B`);
  }

  /** `sender` sent flight `flight` again. */
  retransmit(sender: Side, flight: number, reason: string, attempt: number): void {
    const names = this.flights.get(flight);
    const what = names ? names.join(', ') : `flight ${flight}`;
    const why = reason === 'timeout' ? 'timer expired' : 'peer repeated its flight';
    this.#group = undefined; // what follows is a new flight
    this.#arrow(sender, 'retx', `<span class="tag warn">↻ flight ${flight} resent</span> ${esc(what)}`, `${why} · #${attempt}`);
  }

  /** A datagram from `sender` that never arrived. */
  lost(sender: Side, detail: string, bytes: number): void {
    this.#arrow(sender, 'lost', `<span class="tag bad">✕ lost</span> ${esc(detail)}`, `${bytes} B`);
  }

  alert(sender: Side, name: string, level: string): void {
    this.#group = undefined;
    this.#arrow(
      sender,
      level === 'fatal' ? 'alert fatal' : 'alert',
      `<span class="tag ${level === 'fatal' ? 'bad' : 'info'}">alert</span> <b>${esc(name)}</b>`,
      level,
    );
  }

  /** Application data (after the handshake). */
  data(sender: Side, text: string, bytes: number): void {
    this.#group = undefined;
    const shown = text.length > 28 ? text.slice(0, 27) + '…' : text;
    this.#arrow(sender, 'data', `<span class="tag data">data</span> “${esc(shown)}”${LOCK}`, `${bytes} B`);
  }

  /** A milestone across both lanes. */
  note(text: string, kind: 'ok' | 'bad' | 'info' = 'info'): void {
    this.#group = undefined;
    const row = document.createElement('div');
    row.className = `row note ${kind}`;
    row.innerHTML = `<span class="t">${this.#time()} </span><div class="note-text">${esc(text)}</div>`;
    this.#append(row);
  }

  #startGroup(sender: Side, first: string): void {
    const client = sender === this.#clientSide;
    let flight: number | undefined;
    if (first === 'ClientHello') flight = this.#sawHelloVerify ? 3 : 1;
    else if (first === 'HelloVerifyRequest') {
      flight = 2;
      this.#sawHelloVerify = true;
    } else if (first === 'ServerHello') flight = 4;
    else if (client && (first === 'Certificate' || first === 'ClientKeyExchange' || first === 'ChangeCipherSpec')) flight = 5;
    else if (!client && (first === 'ChangeCipherSpec' || first === 'NewSessionTicket' || first === 'Finished')) flight = 6;
    const key = `${sender}:${flight ?? first}`;
    const repeat = this.#seen.some((s) => s.sender === sender && s.names === key);
    this.#seen.push({ sender, names: key });
    this.#group = { sender, names: new Set(), flight, repeat };
    const row = document.createElement('div');
    row.className = `row flight ${sender}${repeat ? ' repeat' : ''}`;
    const label = flight !== undefined ? `Flight ${flight}` : 'Flight';
    row.innerHTML = `<span class="t"></span><div class="flight-label">${label}${repeat ? ' <span class="tag warn">received again</span>' : ''}</div>`;
    this.#append(row);
  }

  #arrow(sender: Side, kind: string, label: string, meta: string): void {
    const row = document.createElement('div');
    row.className = `row msg ${sender === 'left' ? 'ltr' : 'rtl'} ${kind}`;
    row.innerHTML = `<span class="t">${this.#time()} </span><div class="arrow"><div class="label">${label} </div><div class="meta">${esc(meta)}</div><div class="line"></div></div>`;
    this.#append(row);
  }

  #time(): string {
    return `${Math.round(performance.now() - this.#t0)} ms`;
  }

  #append(row: HTMLElement): void {
    this.#rows.append(row);
    row.scrollIntoView({ block: 'nearest' });
  }
}
