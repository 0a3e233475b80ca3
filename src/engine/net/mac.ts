/** Ethernet MAC addresses as branded lowercase "aa:bb:cc:dd:ee:ff" strings. */
import { formatIpv6 } from './ipv6';

export type Mac = string & { readonly __brand: 'Mac' };

export const MAC_ZERO = '00:00:00:00:00:00' as Mac;
export const MAC_BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;

/** Parses a MAC written with colons (any case); returns the canonical lowercase form. */
export function parseMac(text: string): Mac | undefined {
  const parts = text.split(':');
  if (parts.length !== 6) return undefined;
  const out: string[] = [];
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    out.push(p.toLowerCase().padStart(2, '0'));
  }
  return out.join(':') as Mac;
}

export function mac(text: string): Mac {
  const m = parseMac(text);
  if (m === undefined) throw new Error(`not a MAC address: ${text}`);
  return m;
}

export function macFromBytes(bytes: readonly number[]): Mac {
  return bytes.map((b) => (b & 255).toString(16).padStart(2, '0')).join(':') as Mac;
}

export function macBytes(m: Mac): number[] {
  return m.split(':').map((p) => parseInt(p, 16));
}

export function isBroadcastMac(m: Mac): boolean {
  return m === MAC_BROADCAST;
}

/** The group bit: broadcast and multicast destinations. */
export function isMulticastMac(m: Mac): boolean {
  return (parseInt(m.slice(0, 2), 16) & 1) === 1;
}

/** Orders MACs as the kernel's memcmp does (used when a bridge adopts the lowest port MAC). */
export function compareMac(a: Mac, b: Mac): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The modified EUI-64 IPv6 link-local address the kernel derives from a MAC
 * (shown by `ip addr` as inet6 fe80::…/64).
 */
export function linkLocalFromMac(m: Mac): string {
  const b = macBytes(m);
  const eui = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups = [0xfe80, 0, 0, 0];
  for (let i = 0; i < 8; i += 2) groups.push((eui[i]! << 8) | eui[i + 1]!);
  return formatIpv6(groups);
}
