/**
 * kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath), the part learners use: literal
 * text, `{.a.b}`, `{.items[0].x}`, `{.items[*].x}` (results joined by spaces),
 * `{range .items[*]}…{end}`, `{"\n"}` / `{'\t'}` string literals, and `..name` is not supported.
 */
import type { Json } from './print';

export class JsonPathError extends Error {}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: string }
  | { kind: 'range'; path: string; body: Node[] };

function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      stack[stack.length - 1]!.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) stack[stack.length - 1]!.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}', open);
    if (close < 0) throw new JsonPathError(`unclosed action`);
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    const lit = /^(["'])(.*)\1$/s.exec(action);
    if (lit) {
      const text = lit[2]!.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\r/g, '\r');
      stack[stack.length - 1]!.push({ kind: 'text', text });
    } else if (action.startsWith('range ')) {
      const body: Node[] = [];
      stack[stack.length - 1]!.push({ kind: 'range', path: action.slice(6).trim(), body });
      stack.push(body);
    } else if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError(`not in range, nothing to end`);
      stack.pop();
    } else stack[stack.length - 1]!.push({ kind: 'path', path: action });
  }
  if (stack.length > 1) throw new JsonPathError('unclosed range');
  return root;
}

/** Every value `path` selects in `v` (`.a.b[0].c[*]`; `@` or `.` alone is v itself). */
function select(v: Json, path: string): Json[] {
  let cur: Json[] = [v];
  const re = /\.([A-Za-z0-9_-]+)|\[(\*|-?\d+)\]|\['([^']+)'\]/gy;
  let p = path === '@' ? '' : path.replace(/^@/, '');
  if (p === '.') p = '';
  re.lastIndex = 0;
  let pos = 0;
  while (pos < p.length) {
    re.lastIndex = pos;
    const m = re.exec(p);
    if (!m) throw new JsonPathError(`unrecognized identifier ${p.slice(pos)}`);
    pos = re.lastIndex;
    const field = m[1] ?? m[3];
    const next: Json[] = [];
    for (const x of cur) {
      if (field !== undefined) {
        if (x !== null && typeof x === 'object' && !Array.isArray(x) && field in x)
          next.push(x[field]!);
      } else if (Array.isArray(x)) {
        if (m[2] === '*') next.push(...x);
        else {
          const n = Number(m[2]);
          const e = x[n < 0 ? x.length + n : n];
          if (e === undefined)
            throw new JsonPathError(`array index out of bounds: index ${n}, length ${x.length}`);
          next.push(e);
        }
      }
    }
    cur = next;
  }
  return cur;
}

const show = (v: Json): string =>
  typeof v === 'string'
    ? v
    : v === null
      ? ''
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

function run(nodes: readonly Node[], v: Json): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'path') out += select(v, n.path).map(show).join(' ');
    else for (const item of select(v, n.path)) out += run(n.body, item);
  }
  return out;
}

/** Executes a template against an object; throws JsonPathError with kubectl's message. */
export function jsonPath(template: string, v: Json): string {
  return run(parse(template), v);
}
