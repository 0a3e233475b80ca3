/**
 * Go's encoding/json, as far as CNI plugins lean on it: the syntax check with Go's error texts
 * ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input"),
 * decoding into typed structs (keys matched case-insensitively, unknown keys ignored, null leaves
 * a field alone, the first type mismatch reported after the rest decodes, a custom unmarshaller's
 * error aborting at once), and MarshalIndent's output.
 */

export type JsonValue =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'number'; text: string }
  | { t: 'string'; v: string }
  | { t: 'array'; items: JsonValue[] }
  | { t: 'object'; entries: [string, JsonValue][] };

/** A Go error: the text err.Error() returns. */
export class GoError extends Error {}

/** Go's quoteChar for scanner errors. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

/**
 * The last texts parsed, with their values or errors: a runtime hands every plugin of a pod the
 * same network config, which each of them reads (a node's pods all get the same one). Values are
 * never changed after parsing, so they are handed out again as they are.
 */
const recentParses = new Map<string, JsonValue | GoError>();
const RECENT_PARSES = 16;

/** json.Unmarshal's syntax pass; returns the value or throws GoError with Go's message. */
export function parseGoJson(text: string): JsonValue {
  let r = recentParses.get(text);
  if (r !== undefined) {
    // The most recently used last: a node's config stays while results come and go.
    recentParses.delete(text);
    recentParses.set(text, r);
  } else {
    try {
      r = parseText(text);
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      r = e;
    }
    if (recentParses.size >= RECENT_PARSES) recentParses.delete(recentParses.keys().next().value!);
    recentParses.set(text, r);
  }
  if (r instanceof GoError) throw new GoError(r.message);
  return r;
}

function parseText(text: string): JsonValue {
  const r = new JsonReader(text);
  const v = r.value();
  r.skip();
  if (r.i < r.n) r.bad('after top-level value');
  return v;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const LITERALS = [
  ['true', { t: 'bool', v: true }],
  ['false', { t: 'bool', v: false }],
  ['null', { t: 'null' }],
] as const;

/** The scanner over one text: `i` is where it stands. */
class JsonReader {
  i = 0;
  readonly n: number;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  skip(): void {
    const { text, n } = this;
    while (this.i < n) {
      const c = text[this.i];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return;
      this.i++;
    }
  }

  eof(): never {
    throw new GoError('unexpected end of JSON input');
  }

  bad(ctx: string): never {
    throw new GoError(`invalid character ${quoteChar(this.text[this.i]!)} ${ctx}`);
  }

  value(): JsonValue {
    this.skip();
    if (this.i >= this.n) return this.eof();
    const c = this.text[this.i]!;
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { t: 'string', v: this.string() };
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of LITERALS) {
      if (c !== word[0]) continue;
      this.i++;
      for (let k = 1; k < word.length; k++, this.i++) {
        if (this.i >= this.n) return this.eof();
        if (this.text[this.i] !== word[k])
          this.bad(`in literal ${word} (expecting ${quoteChar(word[k]!)})`);
      }
      return v;
    }
    return this.bad('looking for beginning of value');
  }

  object(): JsonValue {
    this.i++;
    const entries: [string, JsonValue][] = [];
    this.skip();
    if (this.i >= this.n) return this.eof();
    if (this.text[this.i] === '}') {
      this.i++;
      return { t: 'object', entries };
    }
    for (;;) {
      this.skip();
      if (this.i >= this.n) return this.eof();
      if (this.text[this.i] !== '"') this.bad('looking for beginning of object key string');
      const key = this.string();
      this.skip();
      if (this.i >= this.n) return this.eof();
      if (this.text[this.i] !== ':') this.bad('after object key');
      this.i++;
      entries.push([key, this.value()]);
      this.skip();
      if (this.i >= this.n) return this.eof();
      if (this.text[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.text[this.i] === '}') {
        this.i++;
        return { t: 'object', entries };
      }
      this.bad('after object key:value pair');
    }
  }

  array(): JsonValue {
    this.i++;
    const items: JsonValue[] = [];
    this.skip();
    if (this.i >= this.n) return this.eof();
    if (this.text[this.i] === ']') {
      this.i++;
      return { t: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.skip();
      if (this.i >= this.n) return this.eof();
      if (this.text[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.text[this.i] === ']') {
        this.i++;
        return { t: 'array', items };
      }
      this.bad('after array element');
    }
  }

  string(): string {
    const { text, n } = this;
    this.i++;
    let out = '';
    for (;;) {
      // A run of plain characters at once.
      const from = this.i;
      while (this.i < n) {
        const k = text.charCodeAt(this.i);
        if (k === 34 || k === 92 || k < 32) break;
        this.i++;
      }
      if (this.i > from) out += text.slice(from, this.i);
      if (this.i >= n) return this.eof();
      const c = text[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < ' ') this.bad('in string literal');
      // A backslash.
      this.i++;
      if (this.i >= n) return this.eof();
      const e = text[this.i]!;
      const simple = Object.hasOwn(SIMPLE_ESCAPES, e) ? SIMPLE_ESCAPES[e] : undefined;
      if (simple !== undefined) {
        out += simple;
        this.i++;
        continue;
      }
      if (e !== 'u') this.bad('in string escape code');
      this.i++;
      let hex = '';
      for (let k = 0; k < 4; k++, this.i++) {
        if (this.i >= n) return this.eof();
        if (!/[0-9a-fA-F]/.test(text[this.i]!)) this.bad('in \\u hexadecimal character escape');
        hex += text[this.i];
      }
      out += String.fromCharCode(parseInt(hex, 16));
    }
  }

  private digit(): boolean {
    const c = this.text[this.i];
    return this.i < this.n && c! >= '0' && c! <= '9';
  }

  number(): JsonValue {
    const { text, n } = this;
    const start = this.i;
    if (text[this.i] === '-') {
      this.i++;
      if (this.i >= n) return this.eof();
      if (!this.digit()) this.bad('in numeric literal');
    }
    if (text[this.i] === '0') this.i++;
    else while (this.digit()) this.i++;
    if (this.i < n && text[this.i] === '.') {
      this.i++;
      if (this.i >= n) return this.eof();
      if (!this.digit()) this.bad('after decimal point in numeric literal');
      while (this.digit()) this.i++;
    }
    if (this.i < n && (text[this.i] === 'e' || text[this.i] === 'E')) {
      this.i++;
      if (this.i < n && (text[this.i] === '+' || text[this.i] === '-')) this.i++;
      if (this.i >= n) return this.eof();
      if (!this.digit()) this.bad('in exponent of numeric literal');
      while (this.digit()) this.i++;
    }
    return { t: 'number', text: text.slice(start, this.i) };
  }
}

// --- decoding into Go types

/** A Go type a JSON value can be decoded into; `name` is how Go prints it in errors. */
export type GoType =
  | { k: 'string' }
  | { k: 'bool' }
  | { k: 'int' }
  | { k: 'slice'; elem: GoType; name: string }
  | { k: 'struct'; name: string; fields: Record<string, GoType> }
  | { k: 'ptr'; elem: GoType }
  | {
      k: 'custom';
      name: string;
      /** An UnmarshalJSON / UnmarshalText; a thrown GoError aborts the whole decode. */
      decode: (v: JsonValue) => unknown;
    };

export type Decoded = Record<string, unknown>;

function kindWord(v: JsonValue): string {
  return v.t === 'bool' ? 'bool' : v.t;
}

function goName(t: GoType): string {
  switch (t.k) {
    case 'string':
    case 'bool':
    case 'int':
      return t.k;
    case 'ptr':
      return `*${goName(t.elem)}`;
    default:
      return t.name;
  }
}

/**
 * A struct's fields by name, and by lower-cased name (the first field in order for each): the
 * exact key wins, then a case-insensitive match, as encoding/json matches keys.
 */
const structFields = new WeakMap<
  GoType,
  { exact: Map<string, string>; folded: Map<string, string> }
>();

function fieldNames(t: GoType & { k: 'struct' }) {
  let f = structFields.get(t);
  if (!f) {
    f = { exact: new Map(), folded: new Map() };
    for (const name of Object.keys(t.fields)) {
      f.exact.set(name, name);
      const low = name.toLowerCase();
      if (!f.folded.has(low)) f.folded.set(low, name);
    }
    structFields.set(t, f);
  }
  return f;
}

/**
 * json.Unmarshal of an already syntax-checked value into `t`, starting from `into` (fields a
 * null or a missing key leaves alone; `into` itself is not changed). Returns the value, frozen,
 * as it is shared with later calls for the same value, type and `into`; throws the first type
 * error after the whole value was decoded, or a custom unmarshaller's error at once.
 */
export function goUnmarshal<T>(v: JsonValue, t: GoType, into?: T): T {
  // The same parsed value (parseGoJson hands out recent ones again) decoded into the same type
  // from the same starting value: the frozen answer of last time.
  let byType = decoded.get(v);
  if (!byType) decoded.set(v, (byType = new Map()));
  let byInto = byType.get(t);
  if (!byInto) byType.set(t, (byInto = new Map()));
  let r = byInto.get(into);
  if (!r) {
    try {
      r = { value: deepFreeze(decode(v, t, into)) };
    } catch (e) {
      if (!(e instanceof GoError)) throw e;
      r = { error: e };
    }
    byInto.set(into, r);
  }
  if ('error' in r) throw new GoError(r.error.message);
  return r.value as T;
}

/** Decoded values by parsed value, type and starting value (compared by identity). */
const decoded = new WeakMap<
  JsonValue,
  Map<GoType, Map<unknown, { value: unknown } | { error: GoError }>>
>();

function deepFreeze<V>(v: V): V {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function decode(v: JsonValue, t: GoType, into: unknown): unknown {
  const d = new Decoder();
  const r = d.dec(v, t, into ?? (t.k === 'struct' ? {} : undefined));
  if (d.saved) throw d.saved;
  return r;
}

/** One decode: the first type error, kept until the whole value is decoded. */
class Decoder {
  saved?: GoError;

  typeErr(val: JsonValue, tt: GoType): void {
    const what = val.t === 'number' ? `number ${val.text}` : kindWord(val);
    this.saved ??= new GoError(
      `json: cannot unmarshal ${tt.k === 'int' || tt.k === 'custom' ? what : kindWord(val)} into Go value of type ${goName(tt)}`,
    );
  }

  dec(val: JsonValue, tt: GoType, cur: unknown): unknown {
    if (tt.k === 'custom') return val.t === 'null' && cur !== undefined ? cur : tt.decode(val);
    if (val.t === 'null') return tt.k === 'slice' || tt.k === 'ptr' ? undefined : cur;
    switch (tt.k) {
      case 'string':
        if (val.t !== 'string') return (this.typeErr(val, tt), cur);
        return val.v;
      case 'bool':
        if (val.t !== 'bool') return (this.typeErr(val, tt), cur);
        return val.v;
      case 'int': {
        if (val.t !== 'number') return (this.typeErr(val, tt), cur);
        if (!/^-?[0-9]+$/.test(val.text) || Math.abs(Number(val.text)) > 2 ** 63)
          return (this.typeErr(val, tt), cur);
        return Number(val.text);
      }
      case 'ptr':
        return this.dec(val, tt.elem, cur);
      case 'slice': {
        if (val.t !== 'array') return (this.typeErr(val, tt), cur);
        return val.items.map((x) => this.dec(x, tt.elem, undefined));
      }
      case 'struct': {
        if (val.t !== 'object') return (this.typeErr(val, tt), cur);
        const out: Decoded = { ...((cur as Decoded | undefined) ?? {}) };
        const names = fieldNames(tt);
        for (const [key, fv] of val.entries) {
          const field = names.exact.get(key) ?? names.folded.get(key.toLowerCase());
          if (field === undefined) continue;
          const r = this.dec(fv, tt.fields[field]!, out[field]);
          if (r !== undefined) out[field] = r;
          else if (field in out) delete out[field];
        }
        return out;
      }
    }
  }
}

/** json.Unmarshal: the syntax check, then decoding. */
export function goUnmarshalText<T>(text: string, t: GoType, into?: T): T {
  return goUnmarshal(parseGoJson(text), t, into);
}

// --- encoding

/** A value for goMarshalIndent: objects keep their key order; undefined fields are omitted. */
export type GoOut = string | number | boolean | null | GoOut[] | { [k: string]: GoOut | undefined };

function goString(s: string): string {
  // Go escapes <, > and & as \u003c, \u003e, \u0026 (HTML-safe by default).
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** json.MarshalIndent(v, "", "    "), with no trailing newline. */
export function goMarshalIndent(v: GoOut, indent = '    ', depth = 0): string {
  const pad = indent.repeat(depth + 1);
  const end = indent.repeat(depth);
  if (v === null) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + goMarshalIndent(x, indent, depth + 1)).join(',\n')}\n${end}]`;
  }
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${goString(k)}: ${goMarshalIndent(v[k]!, indent, depth + 1)}`).join(',\n')}\n${end}}`;
}

/** json.Marshal (compact), as json.NewEncoder writes it (the caller adds the newline). */
export function goMarshal(v: GoOut): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(goMarshal).join(',')}]`;
  return `{${Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .map((k) => `${goString(k)}:${goMarshal(v[k]!)}`)
    .join(',')}}`;
}

/** Go's %q of a string. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
