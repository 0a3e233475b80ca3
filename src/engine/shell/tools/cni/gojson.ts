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
  if (r === undefined) {
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
  let i = 0;
  const n = text.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const skip = () => {
    while (i < n && isSpace(text[i]!)) i++;
  };
  const eof = (): never => {
    throw new GoError('unexpected end of JSON input');
  };
  const bad = (ctx: string): never => {
    throw new GoError(`invalid character ${quoteChar(text[i]!)} ${ctx}`);
  };
  const value = (): JsonValue => {
    skip();
    if (i >= n) return eof();
    const c = text[i]!;
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return { t: 'string', v: string() };
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [
      ['true', { t: 'bool', v: true }],
      ['false', { t: 'bool', v: false }],
      ['null', { t: 'null' }],
    ] as const) {
      if (c !== word[0]) continue;
      i++;
      for (let k = 1; k < word.length; k++, i++) {
        if (i >= n) return eof();
        if (text[i] !== word[k]) bad(`in literal ${word} (expecting ${quoteChar(word[k]!)})`);
      }
      return v;
    }
    return bad('looking for beginning of value');
  };
  const object = (): JsonValue => {
    i++;
    const entries: [string, JsonValue][] = [];
    skip();
    if (i >= n) return eof();
    if (text[i] === '}') {
      i++;
      return { t: 'object', entries };
    }
    for (;;) {
      skip();
      if (i >= n) return eof();
      if (text[i] !== '"') bad('looking for beginning of object key string');
      const key = string();
      skip();
      if (i >= n) return eof();
      if (text[i] !== ':') bad('after object key');
      i++;
      entries.push([key, value()]);
      skip();
      if (i >= n) return eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return { t: 'object', entries };
      }
      bad('after object key:value pair');
    }
  };
  const array = (): JsonValue => {
    i++;
    const items: JsonValue[] = [];
    skip();
    if (i >= n) return eof();
    if (text[i] === ']') {
      i++;
      return { t: 'array', items };
    }
    for (;;) {
      items.push(value());
      skip();
      if (i >= n) return eof();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return { t: 'array', items };
      }
      bad('after array element');
    }
  };
  const string = (): string => {
    i++;
    let out = '';
    for (;;) {
      // A run of plain characters at once.
      const from = i;
      while (i < n) {
        const k = text.charCodeAt(i);
        if (k === 34 || k === 92 || k < 32) break;
        i++;
      }
      if (i > from) out += text.slice(from, i);
      if (i >= n) return eof();
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') bad('in string literal');
      if (c === '\\') {
        i++;
        if (i >= n) return eof();
        const e = text[i]!;
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (simple[e] !== undefined) {
          out += simple[e];
          i++;
          continue;
        }
        if (e !== 'u') bad('in string escape code');
        i++;
        let hex = '';
        for (let k = 0; k < 4; k++, i++) {
          if (i >= n) return eof();
          if (!/[0-9a-fA-F]/.test(text[i]!)) bad('in \\u hexadecimal character escape');
          hex += text[i];
        }
        out += String.fromCharCode(parseInt(hex, 16));
        continue;
      }
      out += c;
      i++;
    }
  };
  const number = (): JsonValue => {
    const start = i;
    const digit = () => i < n && text[i]! >= '0' && text[i]! <= '9';
    if (text[i] === '-') {
      i++;
      if (i >= n) return eof();
      if (!digit()) bad('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (digit()) i++;
    if (i < n && text[i] === '.') {
      i++;
      if (i >= n) return eof();
      if (!digit()) bad('after decimal point in numeric literal');
      while (digit()) i++;
    }
    if (i < n && (text[i] === 'e' || text[i] === 'E')) {
      i++;
      if (i < n && (text[i] === '+' || text[i] === '-')) i++;
      if (i >= n) return eof();
      if (!digit()) bad('in exponent of numeric literal');
      while (digit()) i++;
    }
    return { t: 'number', text: text.slice(start, i) };
  };
  const v = value();
  skip();
  if (i < n) bad('after top-level value');
  return v;
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
  let saved: GoError | undefined;
  const typeErr = (val: JsonValue, tt: GoType) => {
    const what = val.t === 'number' ? `number ${val.text}` : kindWord(val);
    saved ??= new GoError(
      `json: cannot unmarshal ${tt.k === 'int' || tt.k === 'custom' ? what : kindWord(val)} into Go value of type ${goName(tt)}`,
    );
  };
  const dec = (val: JsonValue, tt: GoType, cur: unknown): unknown => {
    if (tt.k === 'custom') return val.t === 'null' && cur !== undefined ? cur : tt.decode(val);
    if (val.t === 'null') return tt.k === 'slice' || tt.k === 'ptr' ? undefined : cur;
    switch (tt.k) {
      case 'string':
        if (val.t !== 'string') return (typeErr(val, tt), cur);
        return val.v;
      case 'bool':
        if (val.t !== 'bool') return (typeErr(val, tt), cur);
        return val.v;
      case 'int': {
        if (val.t !== 'number') return (typeErr(val, tt), cur);
        if (!/^-?[0-9]+$/.test(val.text) || Math.abs(Number(val.text)) > 2 ** 63)
          return (typeErr(val, tt), cur);
        return Number(val.text);
      }
      case 'ptr':
        return dec(val, tt.elem, cur);
      case 'slice': {
        if (val.t !== 'array') return (typeErr(val, tt), cur);
        return val.items.map((x) => dec(x, tt.elem, undefined));
      }
      case 'struct': {
        if (val.t !== 'object') return (typeErr(val, tt), cur);
        const out: Decoded = { ...((cur as Decoded | undefined) ?? {}) };
        const names = fieldNames(tt);
        for (const [key, fv] of val.entries) {
          const field = names.exact.get(key) ?? names.folded.get(key.toLowerCase());
          if (field === undefined) continue;
          const r = dec(fv, tt.fields[field]!, out[field]);
          if (r !== undefined) out[field] = r;
          else if (field in out) delete out[field];
        }
        return out;
      }
    }
  };
  const r = dec(v, t, into ?? (t.k === 'struct' ? {} : undefined));
  if (saved) throw saved;
  return r;
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
