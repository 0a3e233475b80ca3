/**
 * The built-in scenarios: every JSON file in `scenarios/` (except the JSON Schema), each loaded
 * lazily as its own chunk so the first view only fetches the one it shows.
 */

/** The scenario shown on first load. */
export const DEFAULT_SCENARIO_ID = 'veth-pair';

const files = import.meta.glob<unknown>(
  ['../../scenarios/*.json', '!../../scenarios/*.schema.json'],
  { import: 'default' },
);

function idOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.json$/, '');
}

const byId = new Map(Object.entries(files).map(([path, load]) => [idOf(path), load] as const));

/** Ids of the built-in scenarios (their file names), sorted. */
export function builtinIds(): string[] {
  return [...byId.keys()].sort();
}

/**
 * The raw document of a built-in scenario, or undefined if there is none with that id. The
 * worker validates it; nothing here trusts its shape.
 */
export async function loadBuiltinDoc(id: string): Promise<unknown> {
  const direct = byId.get(id);
  if (direct) return direct();
  // A file may be named differently from the id inside it.
  for (const load of byId.values()) {
    const doc = await load();
    if (isRecord(doc) && doc['id'] === id) return doc;
  }
  return undefined;
}

export interface CatalogEntry {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly article: string;
  readonly section?: string;
  readonly url?: string;
  readonly steps: number;
  readonly hosts: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What the gallery shows for a document (read defensively: it has not been validated). */
export function entryOf(fileId: string, doc: unknown): CatalogEntry {
  const d = isRecord(doc) ? doc : {};
  const source = isRecord(d['source']) ? d['source'] : {};
  const section = str(source['section']);
  const url = str(source['url']);
  return {
    id: str(d['id']) ?? fileId,
    title: str(d['title']) ?? fileId,
    summary: str(d['summary']) ?? '',
    article: str(source['article']) ?? '',
    ...(section ? { section } : {}),
    ...(url ? { url } : {}),
    steps: Array.isArray(d['steps']) ? d['steps'].length : 0,
    hosts: Array.isArray(d['hosts']) ? d['hosts'].length : 0,
  };
}

/** Every built-in scenario's gallery entry, sorted by article then title. */
export async function listCatalog(): Promise<CatalogEntry[]> {
  const entries = await Promise.all(
    [...byId.entries()].map(async ([id, load]) => entryOf(id, await load())),
  );
  return entries.sort(
    (a, b) => a.article.localeCompare(b.article) || a.title.localeCompare(b.title),
  );
}
