/** Generated names as Kubernetes makes them (apimachinery's util/rand, the ReplicaSet hash). */
import type { Rng } from '../sim/rng';

/** util/rand's alphabet: no vowels (no words) and no confusable characters (0, 1, 3). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.String(n): what generateName appends (`web-7d4b9c8f6-x2k9p`, `kube-dns-8vwzq`). */
export function randomSuffix(rng: Rng, n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[rng.int(0, ALPHANUMS.length - 1)];
  return s;
}

/** rand.SafeEncodeString: each byte of the string mapped onto the alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** FNV-1a, 32 bits (hash/fnv New32a). */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The pod-template-hash label: controller.ComputeHash is SafeEncodeString of the decimal FNV-1a
 * of the template. Kubernetes hashes Go's deep printing of the template; this hashes its JSON, so
 * the value is stable for a template as a real one is, but not the same digits.
 */
export function podTemplateHash(template: unknown): string {
  return safeEncodeString(String(fnv32a(JSON.stringify(template))));
}

/** A random RFC 4122 version 4 UUID (pod UIDs, `cni-<uuid>` sandbox namespaces). */
export function uuid4(rng: Rng): string {
  const b = rng.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
