/**
 * IPv4 addresses as branded uint32 values, and the prefix arithmetic the kernel's FIB uses.
 * Values only: no state, no I/O.
 */

/** An IPv4 address held as an unsigned 32-bit integer. */
export type Ipv4 = number & { readonly __brand: 'Ipv4' };

/** A network prefix: an address and a prefix length (0–32). */
export interface Cidr {
  readonly addr: Ipv4;
  readonly len: number;
}

export const IPV4_ANY = 0 as Ipv4;
export const IPV4_BROADCAST = 0xffffffff as Ipv4;
export const IPV4_LOOPBACK = 0x7f000001 as Ipv4;

/** Brands a number known to be a uint32 address. */
export function asIpv4(n: number): Ipv4 {
  return (n >>> 0) as Ipv4;
}

/**
 * Parses a strict dotted quad (four decimal parts, 0–255, no leading zeros beyond "0").
 * Returns undefined for anything else.
 */
export function parseIpv4(text: string): Ipv4 | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value as Ipv4;
}

/**
 * Parses an address the way iproute2's get_addr_ipv4 does: one to four dot-separated decimal
 * parts, missing trailing parts are zero ("10" is 10.0.0.0, "10.1" is 10.1.0.0).
 */
export function parseIpv4Loose(text: string): Ipv4 | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    let n = 0;
    if (part !== undefined) {
      if (!/^[0-9]{1,3}$/.test(part)) return undefined;
      n = Number(part);
      if (n > 255) return undefined;
    }
    value = value * 256 + n;
  }
  return value as Ipv4;
}

/** Parses a strict dotted quad or throws; for literals in code and tests. */
export function ipv4(text: string): Ipv4 {
  const a = parseIpv4(text);
  if (a === undefined) throw new Error(`not an IPv4 address: ${text}`);
  return a;
}

export function formatIpv4(a: Ipv4): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** The netmask of a prefix length as a uint32 (len 0 gives 0). */
export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function formatMask(len: number): string {
  return formatIpv4(maskOf(len) as Ipv4);
}

/** The address ANDed with the prefix's mask: the network address. */
export function networkOf(addr: Ipv4, len: number): Ipv4 {
  return ((addr & maskOf(len)) >>> 0) as Ipv4;
}

export function broadcastOf(addr: Ipv4, len: number): Ipv4 {
  return ((networkOf(addr, len) | ~maskOf(len)) >>> 0) as Ipv4;
}

export function cidr(addr: Ipv4, len: number): Cidr {
  return { addr, len };
}

/** True when `a` lies inside the prefix. */
export function cidrContains(c: Cidr, a: Ipv4): boolean {
  return networkOf(a, c.len) === networkOf(c.addr, c.len);
}

/** Parses "a.b.c.d/len" (strict); a bare address gets `defaultLen`. */
export function parseCidr(text: string, defaultLen = 32): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIpv4(addrText);
  if (addr === undefined) return undefined;
  if (slash < 0) return { addr, len: defaultLen };
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > 32) return undefined;
  return { addr, len };
}

/** "a.b.c.d/len", always with the length. */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.addr)}/${c.len}`;
}

/** As `ip route` prints a destination: host routes (/32) without the length. */
export function formatRouteDst(c: Cidr): string {
  if (c.len === 0) return 'default';
  return c.len === 32 ? formatIpv4(c.addr) : formatCidr(c);
}

export function isLoopbackAddr(a: Ipv4): boolean {
  return a >>> 24 === 127;
}

export function isMulticastAddr(a: Ipv4): boolean {
  return a >>> 28 === 0xe;
}

export function isZeronet(a: Ipv4): boolean {
  return a >>> 24 === 0;
}

/** The 32-character binary form with a dot every 8 bits, for the mask arithmetic a learner reads. */
export function formatBinary(a: number): string {
  const bits = (a >>> 0).toString(2).padStart(32, '0');
  return `${bits.slice(0, 8)}.${bits.slice(8, 16)}.${bits.slice(16, 24)}.${bits.slice(24)}`;
}

/** Adds an offset to an address (wraps at 2^32). */
export function ipv4Add(a: Ipv4, n: number): Ipv4 {
  return ((a + n) >>> 0) as Ipv4;
}
