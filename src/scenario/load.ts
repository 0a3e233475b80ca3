/**
 * Loading scenario files: JSON parsing with line/column errors, version migration, schema
 * validation with JSON paths, and the cross-reference checks a schema cannot express.
 */
import { z } from 'zod';
import { findJsonError } from './jsonError';
import { SCENARIO_VERSION, Scenario, type ScenarioData } from './schema';

export interface ScenarioError {
  /** JSON path like `steps[2].commands[0].on`, or "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

export type LoadResult =
  { ok: true; scenario: ScenarioData } | { ok: false; errors: ScenarioError[] };

/** Turns zod's path array into `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Line and column of a character offset, 1-based. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, col };
}

export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; errors: ScenarioError[] } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const at = findJsonError(text);
    const where = at ? lineCol(text, at.offset) : undefined;
    const found = at && at.offset < text.length ? `"${text[at.offset]}"` : 'the end of the file';
    return {
      ok: false,
      errors: [
        {
          path: '',
          message: `not valid JSON${where ? ` (line ${where.line}, column ${where.col})` : ''}: expected ${at?.expected ?? 'JSON'}, found ${found}`,
        },
      ],
    };
  }
}

/**
 * Migrations from older format versions, one per version number. Version 0 was the draft
 * format that called steps "walkthrough" and kept the source as a plain string.
 */
const MIGRATIONS: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {
  0: (doc) => {
    const { walkthrough, source, ...rest } = doc;
    return {
      ...rest,
      version: 1,
      steps: rest['steps'] ?? walkthrough,
      source: typeof source === 'string' ? { article: source } : source,
    };
  },
};

/** Brings a parsed document up to the current version, or explains why it cannot. */
export function migrate(
  doc: unknown,
): { ok: true; value: unknown } | { ok: false; errors: ScenarioError[] } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: '', message: 'expected a JSON object' }] };
  }
  let cur = doc as Record<string, unknown>;
  const v = cur['version'];
  if (v === undefined)
    return {
      ok: false,
      errors: [
        {
          path: 'version',
          message: `missing: this file does not say which format version it uses (current: ${SCENARIO_VERSION})`,
        },
      ],
    };
  if (typeof v !== 'number' || !Number.isInteger(v))
    return { ok: false, errors: [{ path: 'version', message: 'expected an integer' }] };
  if (v > SCENARIO_VERSION) {
    return {
      ok: false,
      errors: [
        {
          path: 'version',
          message: `version ${v} is newer than this packet-life understands (${SCENARIO_VERSION}); update packet-life`,
        },
      ],
    };
  }
  for (let from = v; from < SCENARIO_VERSION; from++) {
    const step = MIGRATIONS[from];
    if (!step)
      return {
        ok: false,
        errors: [{ path: 'version', message: `no migration from version ${from}` }],
      };
    cur = step(cur);
  }
  return { ok: true, value: cur };
}

/** Validates a parsed document: migration, schema, then cross-references. */
export function loadScenario(doc: unknown): LoadResult {
  const m = migrate(doc);
  if (!m.ok) return m;
  const parsed = Scenario.safeParse(m.value);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({
        path: formatPath(i.path),
        message: issueMessage(i, valueAt(m.value, i.path)),
      })),
    };
  }
  const errors = checkReferences(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, scenario: parsed.data };
}

export function loadScenarioText(text: string): LoadResult {
  const j = parseJson(text);
  if (!j.ok) return j;
  return loadScenario(j.value);
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let cur = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function issueMessage(i: z.core.$ZodIssue, value: unknown): string {
  if (i.code === 'unrecognized_keys')
    return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
  if (i.code === 'invalid_type') {
    if (value === undefined) return `missing: expected ${article(i.expected)}`;
    return `expected ${article(i.expected)}, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : article(typeof value)}`;
  }
  if (i.code === 'invalid_union')
    return 'does not match any allowed form (see the schema for the choices)';
  return i.message;
}

function checkReferences(s: ScenarioData): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const hosts = new Set<string>();
  s.hosts.forEach((h, i) => {
    if (hosts.has(h.name))
      errors.push({ path: `hosts[${i}].name`, message: `duplicate host name "${h.name}"` });
    hosts.add(h.name);
    const ifs = new Set<string>();
    h.interfaces.forEach((f, j) => {
      if (ifs.has(f.name))
        errors.push({
          path: `hosts[${i}].interfaces[${j}].name`,
          message: `duplicate interface "${f.name}" on ${h.name}`,
        });
      ifs.add(f.name);
      if (!s.networks.some((n) => n.name === f.network)) {
        errors.push({
          path: `hosts[${i}].interfaces[${j}].network`,
          message: `no network named "${f.network}" (declare it in "networks")`,
        });
      }
    });
  });
  const nets = new Set<string>();
  s.networks.forEach((n, i) => {
    if (nets.has(n.name))
      errors.push({ path: `networks[${i}].name`, message: `duplicate network "${n.name}"` });
    nets.add(n.name);
  });
  const checkOn = (on: string | undefined, path: string) => {
    if (on !== undefined && !hosts.has(on))
      errors.push({ path, message: `no host named "${on}" (hosts: ${[...hosts].join(', ')})` });
  };
  s.cluster?.nodes.forEach((n, i) => {
    checkOn(n.host, `cluster.nodes[${i}].host`);
    const h = s.hosts.find((x) => x.name === n.host);
    if (
      h &&
      !h.interfaces.some(
        (f) => f.address !== undefined && (n.dev === undefined || f.name === n.dev),
      )
    )
      errors.push({
        path: `cluster.nodes[${i}]`,
        message: `node ${n.host} needs an interface with an address (its node IP)`,
      });
    if (s.cluster!.nodes.findIndex((m) => m.host === n.host) !== i)
      errors.push({ path: `cluster.nodes[${i}].host`, message: `${n.host} is listed twice` });
  });
  s.setup.forEach((c, i) => typeof c !== 'string' && checkOn(c.on, `setup[${i}].on`));
  s.steps.forEach((st, i) => {
    checkOn(st.on, `steps[${i}].on`);
    st.commands.forEach((c, j) => {
      if (typeof c !== 'string') {
        checkOn(c.on, `steps[${i}].commands[${j}].on`);
        c.traffic?.forEach((t, k) => checkPlace(t, `steps[${i}].commands[${j}].traffic[${k}]`));
      }
    });
    st.traffic?.forEach((t, k) => checkPlace(t, `steps[${i}].traffic[${k}]`));
  });
  function checkPlace(t: Record<string, unknown>, path: string) {
    for (const v of Object.values(t)) {
      const p = v as { host?: string };
      if (p.host !== undefined && !hosts.has(p.host))
        errors.push({ path: `${path}.host`, message: `no host named "${p.host}"` });
    }
  }
  return errors;
}

/** The JSON Schema editors use (draft-07), generated from the zod schema. */
export function jsonSchema(): unknown {
  return z.toJSONSchema(Scenario, { io: 'input', target: 'draft-07' });
}
