/**
 * Deep links live in the URL fragment (never sent to a server):
 *
 * - `#/scenario/<id>?step=N&hop=M`: a built-in scenario at step N (1-based; 0 or absent is the
 *   introduction) and hop M of that step (1-based; absent is the start of the step).
 * - `#z=<version>.<payload>?step=N&hop=M`: a scenario carried in the link itself (see shareCodec).
 * - empty, `#` or `#/`: the default scenario.
 */

export type Route =
  | { readonly kind: 'home' }
  | {
      readonly kind: 'scenario';
      readonly id: string;
      readonly step?: number;
      readonly hop?: number;
    }
  | {
      readonly kind: 'payload';
      readonly data: string;
      readonly step?: number;
      readonly hop?: number;
    }
  | { readonly kind: 'unknown'; readonly hash: string };

const ID = /^[a-z0-9][a-z0-9-]*$/;

function positiveInt(v: string | null): number | undefined {
  if (v === null || !/^\d{1,6}$/.test(v)) return undefined;
  return Number(v);
}

function splitQuery(s: string): { path: string; step?: number; hop?: number } {
  const q = s.indexOf('?');
  if (q < 0) return { path: s };
  const params = new URLSearchParams(s.slice(q + 1));
  const step = positiveInt(params.get('step'));
  const hop = positiveInt(params.get('hop'));
  return {
    path: s.slice(0, q),
    ...(step !== undefined ? { step } : {}),
    ...(hop !== undefined && hop > 0 ? { hop } : {}),
  };
}

/**
 * Parses `location.hash`.
 *
 * @example
 * parseHash('#/scenario/veth-pair?step=5&hop=3') // { kind: 'scenario', id: 'veth-pair', step: 5, hop: 3 }
 */
export function parseHash(hash: string): Route {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h === '' || h === '/') return { kind: 'home' };
  if (h.startsWith('z=')) {
    const { path, step, hop } = splitQuery(h.slice(2));
    if (path === '') return { kind: 'unknown', hash };
    return {
      kind: 'payload',
      data: path,
      ...(step !== undefined ? { step } : {}),
      ...(hop !== undefined ? { hop } : {}),
    };
  }
  if (h.startsWith('/scenario/')) {
    const { path, step, hop } = splitQuery(h.slice('/scenario/'.length));
    let id: string;
    try {
      id = decodeURIComponent(path.replace(/\/$/, ''));
    } catch {
      return { kind: 'unknown', hash };
    }
    if (!ID.test(id)) return { kind: 'unknown', hash };
    return {
      kind: 'scenario',
      id,
      ...(step !== undefined ? { step } : {}),
      ...(hop !== undefined ? { hop } : {}),
    };
  }
  return { kind: 'unknown', hash };
}

function query(step?: number, hop?: number): string {
  if (!step) return '';
  return `?step=${step}${hop ? `&hop=${hop}` : ''}`;
}

/** The fragment for a route (the inverse of parseHash for the routes it produces). */
export function formatHash(r: Route): string {
  switch (r.kind) {
    case 'home':
      return '#/';
    case 'scenario':
      return `#/scenario/${encodeURIComponent(r.id)}${query(r.step, r.hop)}`;
    case 'payload':
      return `#z=${r.data}${query(r.step, r.hop)}`;
    case 'unknown':
      return r.hash;
  }
}

/** Whether two routes point at the same scenario (so moving between them needs no reload). */
export function sameScenario(a: Route, b: Route): boolean {
  if (a.kind === 'scenario' && b.kind === 'scenario') return a.id === b.id;
  if (a.kind === 'payload' && b.kind === 'payload') return a.data === b.data;
  return false;
}
