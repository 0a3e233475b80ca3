/**
 * The share codec: a scenario (and the commands the learner typed) carried in the URL fragment,
 * so a link opens anywhere with no server.
 *
 * Format: `<version>.<payload>`
 * - version 1: base64url( deflate-raw( UTF-8 JSON of {@link SharePayload} ) )
 * - version 0 (the first drafts, still accepted): base64url( UTF-8 JSON of the scenario alone ),
 *   uncompressed. Migrated to version 1 on decode.
 *
 * Pure and async (CompressionStream is a stream API); runs in browsers and in Node 20.
 */

export const SHARE_VERSION = 1;
/** Links whose compressed data is larger than this are refused (and never produced). */
export const MAX_COMPRESSED_BYTES = 64 * 1024;
/** A guard against decompression bombs: no scenario is anywhere near this. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Links longer than this do not paste into chat tools (Discord caps messages at 2,000). */
export const LONG_LINK_CHARS = 2000;

/** A command the learner typed, replayed after `afterStep` steps have run. */
export interface SharedCommand {
  readonly afterStep: number;
  readonly host: string;
  readonly run: string;
}

export interface SharePayload {
  readonly v: 1;
  /** The scenario document as authored (validated again by the worker when opened). */
  readonly scenario: unknown;
  readonly commands: readonly SharedCommand[];
}

export type ShareErrorCode =
  'malformed' | 'truncated' | 'too-large' | 'newer-version' | 'unknown-version';

export type DecodeResult =
  | { readonly ok: true; readonly payload: SharePayload; readonly migratedFrom?: number }
  | { readonly ok: false; readonly code: ShareErrorCode; readonly message: string };

// ---------- base64url ----------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Map([...ALPHABET].map((c, i) => [c, i]));

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Decodes base64url (no padding); undefined if a character is outside the alphabet or the length is impossible. */
export function fromBase64Url(s: string): Uint8Array | undefined {
  if (s.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    let k = 0;
    for (; k < 4 && i + k < s.length; k++) {
      const v = LOOKUP.get(s[i + k]!);
      if (v === undefined) return undefined;
      n |= v << (18 - 6 * k);
    }
    out[o++] = (n >> 16) & 255;
    if (k > 2) out[o++] = (n >> 8) & 255;
    if (k > 3) out[o++] = n & 255;
  }
  return out.subarray(0, o);
}

// ---------- compression ----------

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new RangeError('too large');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });
}

export async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  return readAll(
    streamOf(bytes).pipeThrough(new CompressionStream('deflate-raw')),
    Number.MAX_SAFE_INTEGER,
  );
}

export async function inflateRaw(bytes: Uint8Array, limit = MAX_JSON_BYTES): Promise<Uint8Array> {
  return readAll(streamOf(bytes).pipeThrough(new DecompressionStream('deflate-raw')), limit);
}

// ---------- encode / decode ----------

/** Encodes a payload as `1.<base64url>`; throws a RangeError if the result would be over the limit. */
export async function encodeShare(payload: Omit<SharePayload, 'v'>): Promise<string> {
  const body: SharePayload = { v: 1, scenario: payload.scenario, commands: payload.commands };
  const compressed = await deflateRaw(new TextEncoder().encode(JSON.stringify(body)));
  if (compressed.length > MAX_COMPRESSED_BYTES) {
    throw new RangeError(
      `this scenario is too large to fit in a link (${Math.round(compressed.length / 1024)} KB compressed; the limit is ${MAX_COMPRESSED_BYTES / 1024} KB)`,
    );
  }
  return `${SHARE_VERSION}.${toBase64Url(compressed)}`;
}

const fail = (code: ShareErrorCode, message: string): DecodeResult => ({
  ok: false,
  code,
  message,
});

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkCommands(v: unknown): SharedCommand[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  const out: SharedCommand[] = [];
  for (const c of v) {
    if (
      !isObject(c) ||
      typeof c['host'] !== 'string' ||
      typeof c['run'] !== 'string' ||
      typeof c['afterStep'] !== 'number'
    )
      return undefined;
    if (!Number.isInteger(c['afterStep']) || c['afterStep'] < 0) return undefined;
    out.push({ afterStep: c['afterStep'], host: c['host'], run: c['run'] });
  }
  return out;
}

/** Migrations from older link versions, one per version number. */
export const SHARE_MIGRATIONS: Record<number, (decoded: unknown) => unknown> = {
  // Version 0 carried the scenario document alone.
  0: (scenario) => ({ v: 1, scenario, commands: [] }),
};

/**
 * Decodes the part of the fragment after `z=`. Never throws: a malformed, truncated, oversized
 * or unknown payload comes back as an error with a message for the learner.
 */
export async function decodeShare(data: string): Promise<DecodeResult> {
  const m = /^(\d{1,4})\.(.*)$/s.exec(data);
  if (!m)
    return fail(
      'malformed',
      'This link does not contain a packet-life scenario (the part after "z=" should start with a version number and a dot).',
    );
  const version = Number(m[1]);
  const body = m[2]!;
  if (version > SHARE_VERSION) {
    return fail(
      'newer-version',
      `This link was made by a newer version of packet-life (link format ${version}; this one reads up to ${SHARE_VERSION}). Reload the page to get the latest version.`,
    );
  }
  if (!(version in SHARE_MIGRATIONS) && version !== SHARE_VERSION) {
    return fail(
      'unknown-version',
      `This link uses format ${version}, which packet-life never produced.`,
    );
  }
  // base64url is 4 characters per 3 bytes.
  if ((body.length * 3) / 4 > MAX_COMPRESSED_BYTES * (version === 0 ? 16 : 1)) {
    return fail(
      'too-large',
      `This link carries more data than packet-life accepts (over ${MAX_COMPRESSED_BYTES / 1024} KB compressed).`,
    );
  }
  const bytes = fromBase64Url(body);
  if (!bytes || bytes.length === 0) {
    return fail(
      body.length % 4 === 1 ? 'truncated' : 'malformed',
      body.length % 4 === 1
        ? 'This link is incomplete: it looks cut off (copy the whole link and try again).'
        : 'This link is damaged: its data contains characters a packet-life link never has.',
    );
  }
  let json: Uint8Array;
  if (version === 0) json = bytes;
  else {
    try {
      json = await inflateRaw(bytes);
    } catch (e) {
      if (e instanceof RangeError)
        return fail(
          'too-large',
          `This link unpacks to more than ${MAX_JSON_BYTES / 1024 / 1024} MB, far more than any scenario; it was not opened.`,
        );
      return fail(
        'truncated',
        'This link is incomplete or damaged: its compressed data ends too early or is corrupt (was it cut off when copied?).',
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    return fail(
      'truncated',
      'This link is incomplete or damaged: its data is not a complete scenario (was it cut off when copied?).',
    );
  }
  let migratedFrom: number | undefined;
  for (let v = version; v < SHARE_VERSION; v++) {
    value = SHARE_MIGRATIONS[v]!(value);
    migratedFrom ??= version;
  }
  if (!isObject(value) || value['v'] !== 1 || !('scenario' in value)) {
    return fail('malformed', 'This link is damaged: it does not hold a scenario.');
  }
  const commands = checkCommands(value['commands']);
  if (!commands)
    return fail('malformed', 'This link is damaged: its list of typed commands is not readable.');
  return {
    ok: true,
    payload: { v: 1, scenario: value['scenario'], commands },
    ...(migratedFrom !== undefined ? { migratedFrom } : {}),
  };
}

/** Encodes a scenario the way the first drafts did (version 0). Kept for tests of the migration. */
export function encodeShareV0(scenario: unknown): string {
  return `0.${toBase64Url(new TextEncoder().encode(JSON.stringify(scenario)))}`;
}
