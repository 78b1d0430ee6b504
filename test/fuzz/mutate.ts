// Mutations of a recorded conversation (the datagrams one side received), each
// drawn from a seeded Prng and described in a line a failure report can show.
// They work on raw bytes with tolerant parsers of their own, so a mutation can
// also target a record or handshake header that the last mutation broke.
import type { Delivery } from './recordings.ts';
import type { Prng } from './det-crypto.ts';

const RECORD_HEADER = 13;
const HS_HEADER = 12;
const CONTENT_TYPES = [20, 21, 22, 23, 24, 25, 26, 0, 255];
const HANDSHAKE_TYPES = [0, 1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 20, 24, 254, 255];
const VERSIONS = [0xfefd, 0xfeff, 0xfefc, 0x0303, 0x0000, 0xffff];

/** One record in a datagram: header at `at`, payload at at+13 of `length` bytes. */
export interface RecordSpan {
  at: number;
  type: number;
  epoch: number;
  length: number;
}

/** Records whose header and payload fit in the datagram, as decodeRecords would split them. */
export function recordSpans(d: Uint8Array): RecordSpan[] {
  const out: RecordSpan[] = [];
  for (let at = 0; at + RECORD_HEADER <= d.length;) {
    const length = (d[at + 11]! << 8) | d[at + 12]!;
    if (at + RECORD_HEADER + length > d.length) break;
    out.push({ at, type: d[at]!, epoch: (d[at + 3]! << 8) | d[at + 4]!, length });
    at += RECORD_HEADER + length;
  }
  return out;
}

/** Handshake fragment headers inside a plaintext record payload: offsets into the datagram. */
export function fragmentSpans(d: Uint8Array, rec: RecordSpan): { at: number; bodyLength: number }[] {
  const out: { at: number; bodyLength: number }[] = [];
  const end = rec.at + RECORD_HEADER + rec.length;
  for (let at = rec.at + RECORD_HEADER; at + HS_HEADER <= end;) {
    const n = (d[at + 9]! << 16) | (d[at + 10]! << 8) | d[at + 11]!;
    if (at + HS_HEADER + n > end) break;
    out.push({ at, bodyLength: n });
    at += HS_HEADER + n;
  }
  return out;
}

const getUint = (d: Uint8Array, at: number, n: number): number => {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + d[at + i]!;
  return v;
};
const setUint = (d: Uint8Array, at: number, n: number, v: number): void => {
  for (let i = n - 1; i >= 0; i--, v = Math.floor(v / 256)) d[at + i] = v % 256;
};

/** An interesting replacement for an n-byte unsigned field holding `v`. */
function fieldValue(rng: Prng, n: number, v: number, extra: readonly number[] = []): number {
  const max = 2 ** (8 * n) - 1;
  const choices = [v + 1, v - 1, 0, max, max - 1, v + 2, v ^ (1 << rng.int(8 * n)), rng.int(max + 1), rng.int(64), ...extra];
  const c = choices[rng.int(choices.length)]!;
  return ((c % (max + 1)) + max + 1) % (max + 1);
}

const concatBytes = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

export interface MutationContext {
  /** Records from every recording, both directions (for splicing from another session). */
  pool: Uint8Array[];
}

type Op = (rng: Prng, list: Delivery[], ctx: MutationContext) => string | undefined;

const pickIndex = (rng: Prng, list: Delivery[]): number => {
  // Early datagrams (first flights) a little more often: later ones need the earlier ones intact.
  const n = list.length;
  return rng.chance(0.3) ? rng.int(Math.min(n, 2)) : rng.int(n);
};

const withDatagram = (list: Delivery[], k: number, data: Uint8Array): void => {
  list[k] = { at: list[k]!.at, data };
};

const ops: Record<string, { weight: number; run: Op }> = {
  flipBits: {
    weight: 10,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data.slice();
      if (!d.length) return undefined;
      const n = 1 + rng.int(rng.chance(0.7) ? 1 : 4);
      const bits: number[] = [];
      // Headers more often than bodies.
      const span = rng.chance(0.5) ? Math.min(d.length, RECORD_HEADER + HS_HEADER) : d.length;
      for (let i = 0; i < n; i++) {
        const bit = rng.int(span * 8);
        d[bit >>> 3]! ^= 1 << (bit & 7);
        bits.push(bit);
      }
      withDatagram(list, k, d);
      return `flip bits ${bits.join(',')} of datagram ${k}`;
    },
  },
  setByte: {
    weight: 6,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data.slice();
      if (!d.length) return undefined;
      const at = rng.int(d.length);
      const v = rng.pick([0, 0xff, 0x80, 0x7f, 1, rng.int(256)]);
      d[at] = v;
      withDatagram(list, k, d);
      return `set byte ${at} of datagram ${k} to ${v}`;
    },
  },
  truncate: {
    weight: 5,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const at = rng.chance(0.3) ? Math.max(0, d.length - 1 - rng.int(16)) : rng.int(d.length + 1);
      withDatagram(list, k, d.slice(0, at));
      return `truncate datagram ${k} to ${at} of ${d.length} bytes`;
    },
  },
  extend: {
    weight: 4,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      let tail: Uint8Array;
      let what: string;
      if (rng.chance(0.5)) {
        tail = rng.bytes(1 + rng.int(rng.chance(0.8) ? 24 : 300));
        what = 'random';
      } else {
        // A plausible record header with a random length and a short body.
        const len = rng.int(64);
        tail = concatBytes(
          Uint8Array.of(rng.pick(CONTENT_TYPES), 0xfe, 0xfd, 0, rng.int(3), 0, 0, 0, 0, 0, rng.int(64), len >> 8, len & 0xff),
          rng.bytes(rng.int(len + 8)),
        );
        what = 'record-like';
      }
      withDatagram(list, k, concatBytes(d, tail));
      return `extend datagram ${k} by ${tail.length} ${what} bytes`;
    },
  },
  duplicate: {
    weight: 5,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const to = k + 1 + rng.int(list.length - k);
      list.splice(to, 0, { at: list[Math.min(to, list.length - 1)]!.at, data: list[k]!.data.slice() });
      return `duplicate datagram ${k} at ${to}`;
    },
  },
  drop: {
    weight: 4,
    run(rng, list) {
      const k = pickIndex(rng, list);
      list.splice(k, 1);
      return `drop datagram ${k}`;
    },
  },
  delay: {
    weight: 3,
    run(rng, list) {
      // Hold a datagram back (timers fire meanwhile) or deliver it early; later ones keep their order.
      const k = pickIndex(rng, list);
      const by = rng.pick([-list[k]!.at + list[0]!.at, 1, 250, 999, 1000, 1001, 2500, 7000, 7999, 8000, 30000, rng.int(10000)]);
      const at = list[k]!.at + by;
      list[k] = { at, data: list[k]!.data };
      for (let i = k + 1; i < list.length; i++) if (list[i]!.at < at) list[i] = { at, data: list[i]!.data };
      for (let i = k - 1; i >= 0; i--) if (list[i]!.at > at) list[i] = { at, data: list[i]!.data };
      return `deliver datagram ${k} ${by} ms later`;
    },
  },
  reorder: {
    weight: 4,
    run(rng, list) {
      if (list.length < 2) return undefined;
      const k = pickIndex(rng, list);
      let j = rng.int(list.length - 1);
      if (j >= k) j++;
      const a = list[k]!.data;
      withDatagram(list, k, list[j]!.data);
      withDatagram(list, j, a);
      return `swap datagrams ${k} and ${j}`;
    },
  },
  reorderRecords: {
    weight: 3,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const spans = recordSpans(d);
      if (spans.length < 2) return undefined;
      const recs = spans.map((s) => d.subarray(s.at, s.at + RECORD_HEADER + s.length));
      const i = rng.int(recs.length);
      let j = rng.int(recs.length - 1);
      if (j >= i) j++;
      [recs[i], recs[j]] = [recs[j]!, recs[i]!];
      const last = spans[spans.length - 1]!;
      withDatagram(list, k, concatBytes(...recs, d.subarray(last.at + RECORD_HEADER + last.length)));
      return `swap records ${i} and ${j} in datagram ${k}`;
    },
  },
  splitDatagram: {
    weight: 2,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const spans = recordSpans(d);
      if (spans.length < 2) return undefined;
      const cut = spans[1 + rng.int(spans.length - 1)]!.at;
      list.splice(k, 1, { at: list[k]!.at, data: d.slice(0, cut) }, { at: list[k]!.at, data: d.slice(cut) });
      return `split datagram ${k} at record boundary ${cut}`;
    },
  },
  splice: {
    weight: 6,
    run(rng, list, ctx) {
      const rec = rng.pick(ctx.pool);
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const mode = rng.int(3);
      if (mode === 0) {
        list.splice(k, 0, { at: list[k]!.at, data: rec.slice() });
        return `insert a foreign record (${rec.length} bytes, type ${rec[0]}) as datagram ${k}`;
      }
      const spans = recordSpans(d);
      if (mode === 1 || !spans.length) {
        withDatagram(list, k, concatBytes(d, rec));
        return `append a foreign record (${rec.length} bytes, type ${rec[0]}) to datagram ${k}`;
      }
      const s = rng.pick(spans);
      withDatagram(list, k, concatBytes(d.subarray(0, s.at), rec, d.subarray(s.at + RECORD_HEADER + s.length)));
      return `replace record at ${s.at} of datagram ${k} with a foreign one (${rec.length} bytes, type ${rec[0]})`;
    },
  },
  recordField: {
    weight: 10,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data.slice();
      const spans = recordSpans(d);
      if (!spans.length) return undefined;
      const s = rng.pick(spans);
      const field = rng.pick(['type', 'version', 'epoch', 'sequence', 'length'] as const);
      let v: number;
      if (field === 'type') setUint(d, s.at, 1, (v = rng.chance(0.7) ? rng.pick(CONTENT_TYPES) : rng.int(256)));
      else if (field === 'version') setUint(d, s.at + 1, 2, (v = rng.chance(0.7) ? rng.pick(VERSIONS) : rng.int(65536)));
      else if (field === 'epoch') setUint(d, s.at + 3, 2, (v = fieldValue(rng, 2, s.epoch)));
      else if (field === 'sequence') {
        const old = getUint(d, s.at + 5, 6);
        v = rng.chance(0.2) ? 2 ** 48 - 1 - rng.int(4) : fieldValue(rng, 6, old, [old + 64, old + 1000]);
        setUint(d, s.at + 5, 6, v);
      } else setUint(d, s.at + 11, 2, (v = fieldValue(rng, 2, s.length)));
      withDatagram(list, k, d);
      return `set record ${field} of record at ${s.at} in datagram ${k} to ${v}`;
    },
  },
  handshakeField: {
    weight: 12,
    run(rng, list) {
      const k = pickIndex(rng, list);
      const d = list[k]!.data.slice();
      const recs = recordSpans(d).filter((s) => s.type === 22 && s.epoch === 0);
      if (!recs.length) return undefined;
      const frags = fragmentSpans(d, rng.pick(recs));
      if (!frags.length) return undefined;
      const f = rng.pick(frags);
      const field = rng.pick(['msg_type', 'length', 'message_seq', 'fragment_offset', 'fragment_length'] as const);
      const at = { msg_type: 0, length: 1, message_seq: 4, fragment_offset: 6, fragment_length: 9 }[field];
      const n = { msg_type: 1, length: 3, message_seq: 2, fragment_offset: 3, fragment_length: 3 }[field];
      const old = getUint(d, f.at + at, n);
      const v = field === 'msg_type' && rng.chance(0.7) ? rng.pick(HANDSHAKE_TYPES) : fieldValue(rng, n, old, [f.bodyLength, getUint(d, f.at + 1, 3)]);
      setUint(d, f.at + at, n, v);
      withDatagram(list, k, d);
      return `set handshake ${field} at ${f.at} in datagram ${k} from ${old} to ${v}`;
    },
  },
  handshakeBody: {
    weight: 10,
    run(rng, list) {
      // Edit a plaintext handshake body and fix up every length around it, so
      // the message is well framed and only its content is hostile.
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const recs = recordSpans(d).filter((s) => s.type === 22 && s.epoch === 0);
      if (!recs.length) return undefined;
      const rec = rng.pick(recs);
      const frags = fragmentSpans(d, rec);
      if (!frags.length) return undefined;
      const f = rng.pick(frags);
      const bodyAt = f.at + HS_HEADER;
      const body = d.slice(bodyAt, bodyAt + f.bodyLength);
      const whole = getUint(d, f.at + 6, 3) === 0 && getUint(d, f.at + 1, 3) === f.bodyLength;
      let nb: Uint8Array;
      let what: string;
      const op = whole ? rng.int(5) : rng.int(2);
      const pos = rng.int(body.length + 1);
      if (op === 0 && body.length) {
        nb = body.slice();
        const p = Math.min(pos, body.length - 1);
        nb[p] = rng.chance(0.5) ? nb[p]! ^ (1 << rng.int(8)) : rng.int(256);
        what = `change body byte ${p}`;
      } else if (op === 1 && body.length) {
        nb = body.slice();
        // Length-looking bytes: bump one of the first few by +-1.
        const p = Math.min(rng.int(Math.min(48, body.length)), body.length - 1);
        nb[p] = (nb[p]! + (rng.chance(0.5) ? 1 : 255)) & 0xff;
        what = `bump body byte ${p}`;
      } else if (op === 2) {
        const ins = rng.bytes(1 + rng.int(rng.chance(0.8) ? 4 : 80));
        nb = concatBytes(body.subarray(0, pos), ins, body.subarray(pos));
        what = `insert ${ins.length} bytes at ${pos}`;
      } else if (op === 3 && body.length) {
        const n = 1 + rng.int(Math.min(8, body.length - Math.min(pos, body.length - 1)));
        const p = Math.min(pos, body.length - 1);
        nb = concatBytes(body.subarray(0, p), body.subarray(p + n));
        what = `delete ${n} bytes at ${p}`;
      } else {
        nb = body.subarray(0, pos);
        what = `cut body to ${pos}`;
      }
      const hdr = d.slice(f.at, bodyAt);
      if (whole) setUint(hdr, 1, 3, nb.length);
      setUint(hdr, 9, 3, nb.length);
      const recHdr = d.slice(rec.at, rec.at + RECORD_HEADER);
      const newRecLen = rec.length - f.bodyLength + nb.length;
      if (newRecLen > 0xffff) return undefined;
      setUint(recHdr, 11, 2, newRecLen);
      const out = concatBytes(d.subarray(0, rec.at), recHdr, d.subarray(rec.at + RECORD_HEADER, f.at), hdr, nb, d.subarray(bodyAt + f.bodyLength));
      withDatagram(list, k, out);
      return `handshake body (type ${d[f.at]}) in datagram ${k}: ${what}`;
    },
  },
  refragment: {
    weight: 4,
    run(rng, list) {
      // Split one plaintext fragment into 2-3 fragments, possibly overlapping, in the same record.
      const k = pickIndex(rng, list);
      const d = list[k]!.data;
      const recs = recordSpans(d).filter((s) => s.type === 22 && s.epoch === 0);
      if (!recs.length) return undefined;
      const rec = rng.pick(recs);
      const frags = fragmentSpans(d, rec).filter((f) => f.bodyLength >= 2);
      if (!frags.length) return undefined;
      const f = rng.pick(frags);
      const hdr = d.subarray(f.at, f.at + HS_HEADER);
      const off = getUint(hdr, 6, 3);
      const body = d.subarray(f.at + HS_HEADER, f.at + HS_HEADER + f.bodyLength);
      const cut = 1 + rng.int(body.length - 1);
      const overlap = rng.chance(0.3) ? rng.int(Math.min(cut, 16) + 1) : 0;
      const piece = (start: number, end: number) => {
        const h = hdr.slice();
        setUint(h, 6, 3, off + start);
        setUint(h, 9, 3, end - start);
        return concatBytes(h, body.subarray(start, end));
      };
      const parts = [piece(cut - overlap, body.length), piece(0, cut)];
      if (rng.chance(0.5)) parts.reverse();
      const added = HS_HEADER + overlap;
      if (rec.length + added > 0xffff) return undefined;
      const recHdr = d.slice(rec.at, rec.at + RECORD_HEADER);
      setUint(recHdr, 11, 2, rec.length + added);
      const out = concatBytes(d.subarray(0, rec.at), recHdr, d.subarray(rec.at + RECORD_HEADER, f.at), ...parts, d.subarray(f.at + HS_HEADER + f.bodyLength));
      withDatagram(list, k, out);
      return `refragment handshake (type ${hdr[0]}) at ${f.at} in datagram ${k} at ${cut} overlap ${overlap}`;
    },
  },
};

const opNames = Object.keys(ops);
const totalWeight = opNames.reduce((n, k) => n + ops[k]!.weight, 0);

/** Applies one random mutation (retrying a few times if the drawn one does not apply). */
export function mutateOnce(rng: Prng, list: Delivery[], ctx: MutationContext): string {
  for (let tries = 0; tries < 8; tries++) {
    if (!list.length) {
      list.push({ at: 0, data: rng.pick(ctx.pool).slice() });
      return 'insert a foreign record into an empty conversation';
    }
    let w = rng.int(totalWeight);
    let name = opNames[0]!;
    for (const n of opNames) {
      w -= ops[n]!.weight;
      if (w < 0) {
        name = n;
        break;
      }
    }
    const desc = ops[name]!.run(rng, list, ctx);
    if (desc !== undefined) return desc;
  }
  return ops.flipBits!.run(rng, list, ctx) ?? 'no-op';
}

/** Changes the content type of an epoch >= 1 record (for a peer with the keys: see retype in det-crypto.ts). */
export function retypeRecord(rng: Prng, list: Delivery[]): string | undefined {
  const keyed = list.flatMap((d, k) =>
    recordSpans(d.data)
      .filter((s) => s.epoch > 0)
      .map((s) => ({ k, s })),
  );
  if (!keyed.length) return undefined;
  const { k, s } = rng.pick(keyed);
  const d = list[k]!.data.slice();
  const type = rng.pick([20, 21, 22, 23].filter((t) => t !== s.type));
  d[s.at] = type;
  list[k] = { at: list[k]!.at, data: d };
  return `reseal record at ${s.at} of datagram ${k} (epoch ${s.epoch}) as content type ${type}`;
}

/**
 * A hostile peer that holds the keys: rewrites an authenticated plaintext
 * (an epoch-1 record after decryption). Returns the new plaintext and a line.
 */
export function mutatePlaintext(rng: Prng, p: Uint8Array): { plaintext: Uint8Array; desc: string } {
  const op = rng.int(7);
  if (op === 0 && p.length) {
    const q = p.slice();
    const bit = rng.int(q.length * 8);
    q[bit >>> 3]! ^= 1 << (bit & 7);
    return { plaintext: q, desc: `flip bit ${bit}` };
  }
  if (op === 1 && p.length >= HS_HEADER) {
    const q = p.slice();
    const field = rng.pick([
      ['msg_type', 0, 1],
      ['length', 1, 3],
      ['message_seq', 4, 2],
      ['fragment_offset', 6, 3],
      ['fragment_length', 9, 3],
    ] as const);
    const v = fieldValue(rng, field[2], getUint(q, field[1], field[2]));
    setUint(q, field[1], field[2], v);
    return { plaintext: q, desc: `set ${field[0]} to ${v}` };
  }
  if (op === 2) {
    const at = rng.int(p.length + 1);
    return { plaintext: p.slice(0, at), desc: `truncate to ${at}` };
  }
  if (op === 3) {
    const tail = rng.bytes(1 + rng.int(20));
    return { plaintext: concatBytes(p, tail), desc: `extend by ${tail.length}` };
  }
  if (op === 4 && p.length >= HS_HEADER) {
    // Repeat the message: several fragments in one record.
    return { plaintext: concatBytes(p, p), desc: 'repeat' };
  }
  if (op >= 5) {
    // Forge a handshake message (renegotiation, a second Finished, a fragment of something).
    const type = rng.pick(HANDSHAKE_TYPES);
    const body = rng.bytes(rng.int(48));
    const length = rng.chance(0.7) ? body.length : body.length + rng.int(100);
    const offset = length > body.length && rng.chance(0.5) ? length - body.length : 0;
    const seq = rng.int(10);
    const h = new Uint8Array(HS_HEADER);
    setUint(h, 0, 1, type);
    setUint(h, 1, 3, length);
    setUint(h, 4, 2, seq);
    setUint(h, 6, 3, offset);
    setUint(h, 9, 3, body.length);
    return { plaintext: concatBytes(h, body), desc: `forge handshake type ${type} seq ${seq} length ${length} offset ${offset} (${body.length} bytes)` };
  }
  const n = rng.int(40);
  return { plaintext: rng.bytes(n), desc: `replace with ${n} random bytes` };
}
