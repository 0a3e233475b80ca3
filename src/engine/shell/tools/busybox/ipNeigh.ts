/**
 * BusyBox's `ip neigh` (ipneigh.c): show and flush only. It always prints the cache statistics:
 * `ref` while a timer holds the entry, `used` in seconds as it reckons them (the kernel's clock_t
 * ticks over the 10^9 /proc/net/psched gives it, so 0/0/0), `probes`. A flush lists what it
 * would delete before the kernel refuses it.
 */
import { formatIpv4 } from '../../../net/ipv4';
import type { NeighEntry, NudState } from '../../../linux/neigh';
import {
  type BbIp,
  type Family,
  type InetPrefix,
  addrBytes,
  getPrefix,
  prefixMatch,
} from './ipArgs';
import { indexInSubstrings } from './libbb';

export function ipNeigh(c: BbIp, args: readonly string[]): number {
  if (args.length === 0) return listOrFlush(c, args, false);
  const k = indexInSubstrings(['show', 'flush'], args[0]!);
  if (k < 0) return c.invarg(args[0]!, 'ip');
  return listOrFlush(c, args.slice(1), k === 1);
}

/** NUD_* bits, in the order print_neigh names them. */
const NUD: Readonly<Record<NudState, number>> = {
  INCOMPLETE: 0x01,
  REACHABLE: 0x02,
  STALE: 0x04,
  DELAY: 0x08,
  PROBE: 0x10,
  FAILED: 0x20,
  NOARP: 0x40,
  PERMANENT: 0x80,
  NONE: 0x00,
};
/** States with a running timer, which holds a reference (`ref 1`). */
const IN_TIMER = NUD.INCOMPLETE | NUD.REACHABLE | NUD.DELAY | NUD.PROBE;
/** NUD_VALID: the entry has a link-layer address to report. */
const VALID = NUD.PERMANENT | NUD.NOARP | NUD.REACHABLE | NUD.PROBE | NUD.STALE | NUD.DELAY;

/** nud_state_a2n: the words `nud` takes, abbreviated as index_in_substrings allows. */
const NUD_WORDS: readonly [string, number][] = [
  ['permanent', NUD.PERMANENT],
  ['reachable', NUD.REACHABLE],
  ['noarp', NUD.NOARP],
  ['none', NUD.NONE],
  ['stale', NUD.STALE],
  ['incomplete', NUD.INCOMPLETE],
  ['delay', NUD.DELAY],
  ['probe', NUD.PROBE],
  ['failed', NUD.FAILED],
];

interface Filter {
  family: Family;
  index?: number;
  state: number;
  pfx?: InetPrefix;
}

function selected(e: NeighEntry, f: Filter): boolean {
  const state = NUD[e.state];
  if (f.family !== 'unspec' && f.family !== 'inet') return false;
  if (f.index !== undefined && f.index !== e.dev.ifindex) return false;
  // NUD_NONE entries only when 0x100 (asked for with "nud none") is in the filter.
  if (!(f.state & state) && (state || !(f.state & 0x100))) return false;
  if (
    f.pfx &&
    f.pfx.family !== 'unspec' &&
    !prefixMatch(addrBytes(formatIpv4(e.ip)), f.pfx.bytes, f.pfx.bitlen)
  )
    return false;
  return true;
}

/** print_neigh's line for one entry. */
function neighLine(e: NeighEntry, f: Filter): string {
  const state = NUD[e.state];
  let s = `${formatIpv4(e.ip)} `;
  if (f.index === undefined) s += `dev ${e.dev.name} `;
  if (state & VALID && e.mac) s += `lladdr ${e.mac}`;
  if (e.router) s += ' router';
  if (state & IN_TIMER) s += ' ref 1';
  s += ` used 0/0/0 probes ${e.probes}`;
  return `${s}${state ? ` ${e.state}` : ''}\n`;
}

function listOrFlush(c: BbIp, args: readonly string[], flush: boolean): number {
  if (flush && args.length === 0) c.die('"ip neigh flush" requires an argument');
  const f: Filter = {
    family: c.family,
    state: flush ? ~(NUD.PERMANENT | NUD.NOARP) : 0xff & ~NUD.NOARP,
  };
  let stateGiven = false;
  let filterDev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const k = indexInSubstrings(['to', 'dev', 'nud'], args[i]!);
    if (k === 1) filterDev = c.next(args, i++);
    else if (k === 2) {
      const v = c.next(args, i++);
      if (!stateGiven) {
        stateGiven = true;
        f.state = 0;
      }
      let s: number;
      if (v === 'all') s = flush ? ~NUD.NOARP : ~0;
      else {
        const n = indexInSubstrings(
          NUD_WORDS.map(([w]) => w),
          v,
        );
        if (n < 0) c.invarg(v, 'nud state');
        s = NUD_WORDS[n]![1];
      }
      f.state |= s || 0x100;
    } else {
      const v = k === 0 ? c.next(args, i++) : args[i]!;
      f.pfx = getPrefix(c, v, f.family);
      if (f.family === 'unspec') f.family = f.pfx.family;
    }
  }
  if (filterDev !== undefined) f.index = c.dev(filterDev).ifindex;
  if (flush) f.state &= ~NUD.FAILED;
  const entries = c.ns.neigh.list().filter((e) => selected(e, f));
  for (const e of entries) c.print(neighLine(e, f));
  if (!flush) return 0;
  if (entries.length === 0) {
    c.print('Nothing to flush\n');
    return 0;
  }
  return c.refuseFlush();
}
