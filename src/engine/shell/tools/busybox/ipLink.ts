/**
 * BusyBox's `ip link` (iplink.c): `show` is the address listing for AF_PACKET; `set` works through
 * ioctls (SIOCSIFFLAGS only when a flag would change, so setting an up link up succeeds without
 * CAP_NET_ADMIN), `master` and `netns` and `add`/`delete` through rtnetlink. Every error exits 2:
 * do_iplink sets xfunc_error_retval first.
 */
import { IpipDevice } from '../../../linux/ipip';
import { ifFlags } from '../ip/format';
import { type BbIp, getAddr1, getUnsigned } from './ipArgs';
import { indexInStrings, indexInSubstrings } from './libbb';
import { listOrFlush } from './ipShow';

export function ipLink(c: BbIp, args: readonly string[]): number {
  c.dieCode = 2;
  if (args.length === 0) return listOrFlush(c, args, false, 'packet');
  const key = indexInSubstrings(['add', 'delete', 'set', 'show', 'lst', 'list'], args[0]!);
  if (key < 0) c.invarg(args[0]!, 'ip');
  const rest = args.slice(1);
  if (key <= 1) return addOrDelete(c, rest, key === 1);
  if (key === 2) return linkSet(c, rest);
  return listOrFlush(c, rest, false, 'packet');
}

/**
 * ll_addr_a2n: a dotted quad (4 bytes) or colon-separated hex bytes, at most `max` of them. The
 * parse cuts the word at its colons as it goes, so later messages show only the first part.
 */
function parseLladdr(
  c: BbIp,
  text: string,
  max: number,
): { len: number; shown: string } | undefined {
  if (text.includes('.')) {
    if (!getAddr1(text, 'inet').ok) {
      c.warn(`"${text}" is invalid lladdr`);
      return undefined;
    }
    return { len: 4, shown: text };
  }
  const parts = text.split(':');
  let i = 0;
  for (; i < max; i++) {
    const part = parts[i]!;
    // sscanf("%x"): blanks, a sign, an optional 0x, then hex digits.
    const m = /^\s*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]+)/.exec(part);
    const v = m ? parseInt(m[2]!, 16) * (m[1] === '-' ? -1 : 1) : NaN;
    if (!(v >= 0 && v <= 255)) {
      c.warn(`"${part}" is invalid lladdr`);
      return undefined;
    }
    if (i + 1 >= parts.length) break;
  }
  return { len: i + 1, shown: parts[0]! };
}

const SET_WORDS = [
  'up',
  'down',
  'name',
  'mtu',
  'qlen',
  'multicast',
  'arp',
  'promisc',
  'address',
  'netns',
  'master',
  'nomaster',
  'dev',
];

/** do_set: parse everything, then address, name, qlen, mtu, master, netns, flags, in that order. */
function linkSet(c: BbIp, args: readonly string[]): number {
  let dev: string | undefined;
  const want: { up?: boolean; multicast?: boolean; noarp?: boolean; promisc?: boolean } = {};
  let newName: string | undefined;
  let newAddr: string | undefined;
  let mtu: number | undefined;
  let qlen: number | undefined;
  let master: number | undefined;
  let netns: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    // No match (or an ambiguous one) counts as the device name, as "dev" does.
    const key = indexInSubstrings(SET_WORDS, a);
    const word = SET_WORDS[key];
    if (word === 'up' || word === 'down') want.up = word === 'up';
    else if (word === 'name') newName = c.next(args, i++);
    else if (word === 'mtu' || word === 'qlen') {
      const v = c.next(args, i++);
      if ((word === 'mtu' ? mtu : qlen) !== undefined) c.duparg(word, v);
      const n = getUnsigned(c, v, word);
      if (word === 'mtu') mtu = n;
      else qlen = n;
    } else if (word === 'address') newAddr = c.next(args, i++);
    else if (word === 'master') master = c.dev(c.next(args, i++)).ifindex;
    else if (word === 'nomaster') master = 0;
    else if (word === 'netns') netns = getUnsigned(c, c.next(args, i++), 'netns');
    else if (word === 'multicast' || word === 'arp' || word === 'promisc') {
      const on = indexInStrings(['on', 'off'], c.next(args, i++));
      if (on < 0) c.die(`argument of "${word}" must be "on" or "off"`);
      if (word === 'arp') want.noarp = on === 1;
      else want[word] = on === 0;
    } else {
      const v = word === 'dev' ? c.next(args, i++) : a;
      if (dev !== undefined) c.duparg2('dev', v);
      dev = v;
    }
  }
  if (dev === undefined) c.die('"dev" requires an argument');
  const d = c.ns.device(dev);
  if (newAddr !== undefined) {
    // get_address binds a packet socket to the device first.
    if (!d) c.die('SIOCGIFINDEX: No such device');
    const halen = d instanceof IpipDevice ? 4 : 6;
    const parsed = parseLladdr(c, newAddr, d.kind === 'loopback' || halen === 4 ? 19 : 14);
    if (!parsed) c.exit(1);
    if (parsed.len !== halen)
      c.die(`wrong address (${parsed.shown}) length: expected ${halen} bytes`);
    c.refuse('SIOCSIFHWADDR', 2);
  }
  // The ioctls that change something check CAP_NET_ADMIN before looking for the device.
  if (newName !== undefined && newName !== dev) c.refuse('SIOCSIFNAME', 2);
  if (qlen !== undefined) c.refuse('SIOCSIFTXQLEN', 2);
  if (mtu !== undefined) c.refuse('SIOCSIFMTU', 2);
  if (master !== undefined || netns !== undefined) {
    c.dev(dev);
    c.refuseRtnl();
  }
  if (Object.keys(want).length) {
    if (!d) c.die('SIOCGIFFLAGS: No such device');
    const f = ifFlags(d);
    const now = { up: f.up, multicast: f.multicast, noarp: f.noarp, promisc: f.promisc };
    const changes = (Object.keys(want) as (keyof typeof want)[]).some((k) => want[k] !== now[k]);
    if (changes) c.refuse('SIOCSIFFLAGS', 2);
  }
  return 0;
}

/** do_add_or_delete: `ip link add|delete`, refused by the kernel once the arguments pass. */
function addOrDelete(c: BbIp, args: readonly string[], del: boolean): number {
  let name: string | undefined;
  let link: string | undefined;
  let type: string | undefined;
  let dev: string | undefined;
  let address: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const key = indexInSubstrings(['link', 'name', 'type', 'dev', 'address'], a);
    if (key === 2) {
      type = c.next(args, i++);
      i++;
      break;
    }
    if (key === 0) link = c.next(args, i++);
    else if (key === 1) name = c.next(args, i++);
    else if (key === 4) address = c.next(args, i++);
    else {
      if (key === 3) {
        if (dev !== undefined) c.duparg(a, 'dev');
        dev = c.next(args, i++);
      } else dev = a;
    }
  }
  const typeArgs = args.slice(i);
  if (type !== undefined && typeArgs.length) {
    if (type === 'vlan') vlanOptions(c, typeArgs);
    else if (type === 'vrf') {
      if (typeArgs[0] !== 'table') c.invarg(typeArgs[0]!, 'type vrf');
      getUnsigned(c, c.next(typeArgs, 0), 'table');
    }
  }
  name ??= dev;
  dev ??= name;
  if (del) {
    if (dev === undefined) return 1;
    c.dev(dev);
  } else {
    if (link !== undefined) c.dev(link);
    if (address !== undefined && !parseLladdr(c, address, 32)) c.exit(255);
  }
  if (name !== undefined && (name === '' || name.length >= 16)) c.invarg(name, 'name');
  return c.refuseRtnl();
}

/** vlan_parse_opt: id, protocol, and the on/off flags. */
function vlanOptions(c: BbIp, args: readonly string[]): void {
  const words = ['id', 'protocol', 'reorder_hdr', 'gvrp', 'mvrp', 'loose_binding'];
  for (let i = 0; i < args.length; i++) {
    const key = indexInSubstrings(words, args[i]!);
    if (key < 0) c.invarg(args[i]!, 'type vlan');
    const v = c.next(args, i++);
    if (key === 0) getUnsigned(c, v, 'id', 0xffff);
    else if (key === 1) {
      // str_tolower works on the word itself: the message shows it lowered.
      const lower = v.toLowerCase();
      if (indexInSubstrings(['802.1q', '802.1ad'], lower) < 0)
        c.die(`unknown VLAN encapsulation protocol '${lower}'`);
    } else if (indexInStrings(['on', 'off'], v) < 0)
      c.die(`argument of "${words[key]}" must be "on" or "off"`);
  }
}
