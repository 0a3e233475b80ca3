/**
 * DNS messages (RFC 1035 §4, RFC 3596 AAAA, RFC 2782 SRV, RFC 6891 OPT): typed values, an encoder
 * and a decoder. Names are absolute and written without the final dot ("" is the root); a label
 * byte that is not printable, or is a dot or a backslash, is written as BIND writes it in master
 * files (`\.`, `\\`, `\DDD`), so any name read off the wire has a text form that encodes back to
 * the same bytes.
 *
 * The decoder follows compression pointers (backwards only, so it cannot loop) and reports any
 * malformed input as a DnsDecodeError; it never throws anything else.
 *
 * Bytes travel through the engine's UDP sockets as byte strings: one character per byte (0–255).
 */

export const DNS_TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const DNS_CLASS_IN = 1;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

/** Type mnemonics as dig and tcpdump print them; TYPEn for the rest (RFC 3597). */
export function typeName(t: number): string {
  for (const [k, v] of Object.entries(DNS_TYPE)) if (v === t) return k;
  return `TYPE${t}`;
}

export function typeFromName(name: string): number | undefined {
  const up = name.toUpperCase();
  if (up in DNS_TYPE) return DNS_TYPE[up as keyof typeof DNS_TYPE];
  const m = /^TYPE([0-9]+)$/.exec(up);
  return m && Number(m[1]) < 65536 ? Number(m[1]) : undefined;
}

export function rcodeName(r: number): string {
  const names = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
  return names[r] ?? `RESERVED${r}`;
}

export type DnsRdata =
  | { readonly kind: 'A'; readonly address: string }
  | { readonly kind: 'AAAA'; readonly address: string }
  | { readonly kind: 'NS' | 'CNAME' | 'PTR'; readonly target: string }
  | {
      readonly kind: 'SRV';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | {
      readonly kind: 'SOA';
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | { readonly kind: 'OPT'; readonly options: readonly DnsOption[] }
  /** Anything else, kept as its bytes. */
  | { readonly kind: 'raw'; readonly bytes: readonly number[] };

export interface DnsOption {
  readonly code: number;
  readonly data: readonly number[];
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  /** The class; for OPT the requester's UDP payload size. */
  readonly class: number;
  /** The TTL; for OPT the extended rcode, version and flags. */
  readonly ttl: number;
  readonly data: DnsRdata;
}

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsFlags {
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  /** The Z bit (must be zero, kept so any header round-trips). */
  readonly z: boolean;
  readonly ad: boolean;
  readonly cd: boolean;
  readonly rcode: number;
}

export interface DnsMessage {
  readonly id: number;
  readonly flags: DnsFlags;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authority: readonly DnsRecord[];
  readonly additional: readonly DnsRecord[];
}

export const NO_FLAGS: DnsFlags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: false,
  ra: false,
  z: false,
  ad: false,
  cd: false,
  rcode: 0,
};

export class DnsDecodeError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`DNS decode error at byte ${offset}: ${reason}`);
    this.name = 'DnsDecodeError';
  }
}

export class DnsEncodeError extends Error {
  constructor(reason: string) {
    super(`DNS encode error: ${reason}`);
    this.name = 'DnsEncodeError';
  }
}

// ---------------------------------------------------------------------------------------------
// Names

/** Splits a name's text form into label byte arrays (undoing `\.`, `\\` and `\DDD`). */
export function nameLabels(name: string): number[][] {
  if (name === '' || name === '.') return [];
  const labels: number[][] = [];
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      const d = /^[0-9]{3}/.exec(name.slice(i + 1));
      if (d) {
        const v = Number(d[0]);
        if (v > 255) throw new DnsEncodeError(`bad escape in ${name}`);
        cur.push(v);
        i += 3;
      } else {
        if (i + 1 >= name.length) throw new DnsEncodeError(`trailing backslash in ${name}`);
        cur.push(name.charCodeAt(++i) & 0xff);
      }
    } else if (c === 0x2e /* . */) {
      if (cur.length === 0) throw new DnsEncodeError(`empty label in ${name}`);
      labels.push(cur);
      cur = [];
    } else cur.push(c & 0xff);
  }
  if (cur.length) labels.push(cur);
  for (const l of labels) if (l.length > 63) throw new DnsEncodeError(`label over 63 bytes`);
  return labels;
}

function labelText(bytes: readonly number[]): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\${String(b).padStart(3, '0')}`;
  }
  return s;
}

/** The canonical (lower-case, no final dot) form, for comparisons. */
export function canonicalName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/** With the final dot, as dig, nslookup and tcpdump print names. */
export function fqdn(name: string): string {
  return name === '' ? '.' : `${name}.`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  readonly bytes: number[] = [];
  /** Offsets of names already written, keyed by their lower-cased remaining labels. */
  private readonly names = new Map<string, number>();

  constructor(private readonly compress: Compression) {}

  u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u16(v: number): void {
    this.bytes.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.u16((v >>> 16) & 0xffff);
    this.u16(v & 0xffff);
  }

  name(name: string, compressible = true): void {
    const labels = nameLabels(name);
    let total = 1;
    for (const l of labels) total += l.length + 1;
    if (total > 255) throw new DnsEncodeError(`name over 255 bytes: ${name}`);
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => l.map((b) => (b >= 0x41 && b <= 0x5a ? b + 32 : b)).join(','))
        .join('.');
      const whole = this.compress === 'whole-names';
      const at = whole && i > 0 ? undefined : this.names.get(key);
      if (this.compress !== false && compressible && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.bytes.length < 0x4000 && at === undefined && !(whole && i > 0))
        this.names.set(key, this.bytes.length);
      this.u8(labels[i]!.length);
      for (const b of labels[i]!) this.u8(b);
    }
    this.u8(0);
  }
}

function ipv4Bytes(text: string): number[] {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255))
    throw new DnsEncodeError(`bad IPv4 address ${text}`);
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address in text form (with ::, and an IPv4 tail). */
export function ipv6Bytes(text: string): number[] | undefined {
  let t = text;
  const v4 = /^(.*:)([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)$/.exec(t);
  if (v4) {
    let b: number[];
    try {
      b = ipv4Bytes(v4[2]!);
    } catch {
      return undefined;
    }
    t = `${v4[1]!}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const hex = (g: readonly string[]) => g.map((x) => parseInt(x, 16));
  let all: number[];
  if (halves.length === 2) {
    if (head.length + rest.length >= 8) return undefined;
    all = [...hex(head), ...new Array<number>(8 - head.length - rest.length).fill(0), ...hex(rest)];
  } else {
    if (head.length !== 8) return undefined;
    all = hex(head);
  }
  return all.flatMap((g) => [g >>> 8, g & 0xff]);
}

function formatIpv6Bytes(b: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: readonly number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

function writeRecord(w: Writer, r: DnsRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl >>> 0);
  const lenAt = w.bytes.length;
  w.u16(0);
  const d = r.data;
  switch (d.kind) {
    case 'A':
      for (const b of ipv4Bytes(d.address)) w.u8(b);
      break;
    case 'AAAA': {
      const b = ipv6Bytes(d.address);
      if (!b) throw new DnsEncodeError(`bad IPv6 address ${d.address}`);
      for (const x of b) w.u8(x);
      break;
    }
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(d.target);
      break;
    case 'SRV':
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      // RFC 2782: the target is never compressed.
      w.name(d.target, false);
      break;
    case 'SOA':
      w.name(d.mname);
      w.name(d.rname);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v >>> 0);
      break;
    case 'OPT':
      for (const o of d.options) {
        w.u16(o.code);
        w.u16(o.data.length);
        for (const b of o.data) w.u8(b);
      }
      break;
    case 'raw':
      for (const b of d.bytes) w.u8(b);
      break;
  }
  const len = w.bytes.length - lenAt - 2;
  if (len > 0xffff) throw new DnsEncodeError('rdata over 65535 bytes');
  w.bytes[lenAt] = len >>> 8;
  w.bytes[lenAt + 1] = len & 0xff;
}

/**
 * How names are compressed (RFC 1035 §4.1.4): true points any repeated suffix at its first
 * occurrence, as BIND does; 'whole-names' only repeats of a whole name, as dnsmasq 2.90 does (a
 * CNAME's target is written out, checked: 119 bytes for a CNAME and its A); false writes every
 * name out, as CoreDNS (miekg/dns) does for small UDP replies.
 */
export type Compression = boolean | 'whole-names';

/** The wire bytes of a message. */
export function encodeMessage(m: DnsMessage, opts: { compress?: Compression } = {}): Uint8Array {
  const w = new Writer(opts.compress ?? true);
  const f = m.flags;
  w.u16(m.id);
  w.u16(
    (f.qr ? 0x8000 : 0) |
      ((f.opcode & 0xf) << 11) |
      (f.aa ? 0x400 : 0) |
      (f.tc ? 0x200 : 0) |
      (f.rd ? 0x100 : 0) |
      (f.ra ? 0x80 : 0) |
      (f.z ? 0x40 : 0) |
      (f.ad ? 0x20 : 0) |
      (f.cd ? 0x10 : 0) |
      (f.rcode & 0xf),
  );
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authority.length);
  w.u16(m.additional.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of m.answers) writeRecord(w, r);
  for (const r of m.authority) writeRecord(w, r);
  for (const r of m.additional) writeRecord(w, r);
  return Uint8Array.from(w.bytes);
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.b.length) throw new DnsDecodeError(this.pos, `truncated ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    const hi = this.u16(what);
    return ((hi << 16) >>> 0) + this.u16(what);
  }

  /** A possibly compressed name starting at the current position. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let end: number | undefined;
    let wire = 1;
    // A pointer must point strictly backwards from where it was found, so the walk ends.
    let limit = pos;
    for (;;) {
      if (pos >= this.b.length) throw new DnsDecodeError(pos, 'truncated name');
      const len = this.b[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.b.length) throw new DnsDecodeError(pos, 'truncated pointer');
        const target = ((len & 0x3f) << 8) | this.b[pos + 1]!;
        if (end === undefined) end = pos + 2;
        if (target >= limit) throw new DnsDecodeError(pos, 'compression pointer loops forward');
        limit = target;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsDecodeError(pos, `bad label type 0x${len.toString(16)}`);
      if (len === 0) {
        pos++;
        break;
      }
      if (pos + 1 + len > this.b.length) throw new DnsDecodeError(pos, 'truncated label');
      wire += len + 1;
      if (wire > 255) throw new DnsDecodeError(pos, 'name over 255 bytes');
      labels.push(labelText(Array.from(this.b.subarray(pos + 1, pos + 1 + len))));
      pos += 1 + len;
    }
    this.pos = end ?? pos;
    return labels.join('.');
  }

  record(): DnsRecord {
    const name = this.name();
    const type = this.u16('record type');
    const cls = this.u16('record class');
    const ttl = this.u32('record TTL');
    const len = this.u16('rdata length');
    this.need(len, 'rdata');
    const start = this.pos;
    const end = start + len;
    const data = this.rdata(type, end);
    if (this.pos !== end)
      throw new DnsDecodeError(this.pos, `rdata length mismatch for type ${type}`);
    return { name, type, class: cls, ttl, data };
  }

  private rdata(type: number, end: number): DnsRdata {
    const len = end - this.pos;
    const raw = (): DnsRdata => {
      const bytes = Array.from(this.b.subarray(this.pos, end));
      this.pos = end;
      return { kind: 'raw', bytes };
    };
    const inside = <T>(f: () => T): T => {
      const v = f();
      if (this.pos > end) throw new DnsDecodeError(this.pos, 'rdata overruns its length');
      return v;
    };
    switch (type) {
      case DNS_TYPE.A: {
        if (len !== 4) throw new DnsDecodeError(this.pos, 'A rdata is not 4 bytes');
        const b = Array.from(this.b.subarray(this.pos, end));
        this.pos = end;
        return { kind: 'A', address: b.join('.') };
      }
      case DNS_TYPE.AAAA: {
        if (len !== 16) throw new DnsDecodeError(this.pos, 'AAAA rdata is not 16 bytes');
        const b = Array.from(this.b.subarray(this.pos, end));
        this.pos = end;
        return { kind: 'AAAA', address: formatIpv6Bytes(b) };
      }
      case DNS_TYPE.NS:
      case DNS_TYPE.CNAME:
      case DNS_TYPE.PTR: {
        const target = inside(() => this.name());
        return {
          kind: type === DNS_TYPE.NS ? 'NS' : type === DNS_TYPE.CNAME ? 'CNAME' : 'PTR',
          target,
        };
      }
      case DNS_TYPE.SRV:
        return inside(() => {
          const priority = this.u16('SRV');
          const weight = this.u16('SRV');
          const port = this.u16('SRV');
          return { kind: 'SRV', priority, weight, port, target: this.name() };
        });
      case DNS_TYPE.SOA:
        return inside(() => {
          const mname = this.name();
          const rname = this.name();
          const [serial, refresh, retry, expire, minimum] = [0, 0, 0, 0, 0].map(() =>
            this.u32('SOA'),
          ) as [number, number, number, number, number];
          return { kind: 'SOA', mname, rname, serial, refresh, retry, expire, minimum };
        });
      case DNS_TYPE.OPT: {
        const options: DnsOption[] = [];
        while (this.pos < end) {
          if (end - this.pos < 4) throw new DnsDecodeError(this.pos, 'truncated EDNS option');
          const code = this.u16('EDNS option');
          const olen = this.u16('EDNS option');
          if (this.pos + olen > end) throw new DnsDecodeError(this.pos, 'EDNS option overruns');
          options.push({ code, data: Array.from(this.b.subarray(this.pos, this.pos + olen)) });
          this.pos += olen;
        }
        return { kind: 'OPT', options };
      }
      default:
        return raw();
    }
  }
}

/** Decodes a message; throws DnsDecodeError (only) when the bytes are not one. */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  const r = new Reader(bytes);
  const id = r.u16('header');
  const fl = r.u16('header');
  const counts = [r.u16('header'), r.u16('header'), r.u16('header'), r.u16('header')] as const;
  const flags: DnsFlags = {
    qr: (fl & 0x8000) !== 0,
    opcode: (fl >>> 11) & 0xf,
    aa: (fl & 0x400) !== 0,
    tc: (fl & 0x200) !== 0,
    rd: (fl & 0x100) !== 0,
    ra: (fl & 0x80) !== 0,
    z: (fl & 0x40) !== 0,
    ad: (fl & 0x20) !== 0,
    cd: (fl & 0x10) !== 0,
    rcode: fl & 0xf,
  };
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = r.name();
    questions.push({ name, type: r.u16('question'), class: r.u16('question') });
  }
  const section = (n: number) => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < n; i++) out.push(r.record());
    return out;
  };
  const answers = section(counts[1]);
  const authority = section(counts[2]);
  const additional = section(counts[3]);
  return { id, flags, questions, answers, authority, additional };
}

/** decodeMessage, or the error as a value. */
export function tryDecodeMessage(bytes: Uint8Array): DnsMessage | DnsDecodeError {
  try {
    return decodeMessage(bytes);
  } catch (e) {
    if (e instanceof DnsDecodeError) return e;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Byte strings (how the engine's UDP sockets carry bytes)

export function toByteString(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

export function fromByteString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building queries as the clients do

/** An EDNS0 OPT pseudo-record (RFC 6891) advertising `udpSize`, with options such as a cookie. */
export function optRecord(udpSize: number, options: readonly DnsOption[] = []): DnsRecord {
  return { name: '', type: DNS_TYPE.OPT, class: udpSize, ttl: 0, data: { kind: 'OPT', options } };
}

export const EDNS_COOKIE = 10;

/** A recursive query as res_mkquery (glibc) and dig write it: RD set, one question. */
export function makeQuery(
  id: number,
  name: string,
  type: number,
  additional: readonly DnsRecord[] = [],
): DnsMessage {
  return {
    id,
    flags: { ...NO_FLAGS, rd: true },
    questions: [{ name, type, class: DNS_CLASS_IN }],
    answers: [],
    authority: [],
    additional,
  };
}

/** The in-addr.arpa name of a dotted quad. */
export function reverseName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}
