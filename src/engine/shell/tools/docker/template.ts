/**
 * The part of Go's text/template that `docker inspect --format` is used with: field paths
 * (`{{ .NetworkSettings.IPAddress }}`, spaces optional), `json`, `index`, `range … end`,
 * evaluated against the inspect JSON the way the CLI does (a decoded map, so a missing key prints
 * `<no value>`).
 */

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export class TemplateError extends Error {}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; fn?: 'json' | 'index' | 'len' | 'println'; path: string; keys: string[] }
  | { kind: 'range'; path: string; body: Node[] };

function parsePath(p: string, col: number): string {
  if (p === '.' || /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(p)) return p;
  throw new TemplateError(`template: :1:${col}: unexpected "${p}" in operand`);
}

export function parseTemplate(src: string): Node[] {
  const stack: Node[][] = [[]];
  const ranges: { path: string }[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      stack[stack.length - 1]!.push({ kind: 'text', text: src.slice(i) });
      break;
    }
    if (open > i) stack[stack.length - 1]!.push({ kind: 'text', text: src.slice(i, open) });
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('template: :1: unclosed action');
    const words = src
      .slice(open + 2, close)
      .trim()
      .match(/"[^"]*"|\S+/g) ?? [''];
    const col = open + 2;
    const head = words[0]!;
    if (head === 'end') {
      if (!ranges.length) throw new TemplateError(`template: :1: unexpected {{end}}`);
      const body = stack.pop()!;
      const r = ranges.pop()!;
      stack[stack.length - 1]!.push({ kind: 'range', path: r.path, body });
    } else if (head === 'range') {
      ranges.push({ path: parsePath(words[1] ?? '', col) });
      stack.push([]);
    } else if (head.startsWith('.')) {
      if (words.length > 1)
        throw new TemplateError(
          `template: :1:${col}: executing "" at <${head}>: can't give argument to non-function ${head}`,
        );
      stack[stack.length - 1]!.push({ kind: 'expr', path: parsePath(head, col), keys: [] });
    } else if (head === 'json' || head === 'len' || head === 'println' || head === 'index') {
      const path = parsePath(words[1] ?? '.', col);
      const keys = words.slice(2).map((w) => w.replace(/^"|"$/g, ''));
      stack[stack.length - 1]!.push({ kind: 'expr', fn: head, path, keys });
    } else if (head === '') {
      throw new TemplateError('template: :1: missing value for command');
    } else {
      throw new TemplateError(`template: :1: function "${head}" not defined`);
    }
    i = close + 2;
  }
  if (ranges.length) throw new TemplateError('template: :1: unexpected EOF');
  return stack[0]!;
}

function lookup(dot: Json | undefined, path: string): Json | undefined {
  if (path === '.') return dot;
  let v: Json | undefined = dot;
  for (const k of path.slice(1).split('.')) {
    if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v))
      return undefined;
    v = v[k];
  }
  return v;
}

/** Go's %v of a decoded JSON value: maps as map[k:v] with sorted keys, arrays as [a b]. */
export function goFormat(v: Json | undefined): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  const keys = Object.keys(v).sort();
  return `map[${keys.map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
}

/** encoding/json: object keys sorted (maps), no spaces. */
export function goJson(v: Json | undefined): string {
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function exec(nodes: Node[], dot: Json | undefined): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'range') {
      const v = lookup(dot, n.path);
      if (Array.isArray(v)) for (const item of v) out += exec(n.body, item);
      else if (v && typeof v === 'object')
        for (const k of Object.keys(v).sort()) out += exec(n.body, v[k]);
    } else {
      let v = lookup(dot, n.path);
      for (const k of n.keys)
        v = v && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined;
      if (n.fn === 'json') out += goJson(v);
      else if (n.fn === 'len')
        out += String(
          Array.isArray(v)
            ? v.length
            : v && typeof v === 'object'
              ? Object.keys(v).length
              : typeof v === 'string'
                ? v.length
                : 0,
        );
      else if (n.fn === 'println') out += `${goFormat(v)}\n`;
      else out += goFormat(v);
    }
  }
  return out;
}

/** Renders a template against one inspected object; throws TemplateError when it cannot parse. */
export function renderTemplate(src: string, dot: Json): string {
  return exec(parseTemplate(src), dot);
}
