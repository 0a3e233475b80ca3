/**
 * BusyBox's `ip rule` (iprule.c). The model has no policy routing of its own: every namespace
 * keeps the kernel's default rules (IPv4: local, main, default; IPv6: local, main), printed as
 * print_rule does, with a tab after the priority and a space at the end.
 */
import {
  type BbIp,
  dsfieldId,
  getAddr32,
  getPrefix,
  getUnsigned,
  ipUsage,
  realmId,
  routeTypeId,
  tableId,
} from './ipArgs';
import { indexInSubstrings } from './libbb';

export function ipRule(c: BbIp, args: readonly string[]): number {
  let rest = args;
  if (args.length) {
    const k = indexInSubstrings(['add', 'delete', 'list', 'show'], args[0]!);
    if (k < 0) c.invarg(args[0]!, 'ip');
    rest = args.slice(1);
    if (k < 2) return ruleModify(c, rest);
  }
  if (rest.length) {
    // bb_warn_ignoring_args, and a return of -1.
    c.warn('ignoring all arguments');
    return -1;
  }
  const family = c.family === 'unspec' ? 'inet' : c.family;
  if (family === 'inet' || family === 'inet6') {
    c.print('0:\tfrom all lookup local \n32766:\tfrom all lookup main \n');
    if (family === 'inet') c.print('32767:\tfrom all lookup default \n');
  }
  return 0;
}

/** iprule_modify's words; index_in_substrings, so "t" (to, tos, table, type) matches none. */
const WORDS = [
  'from',
  'to',
  'preference',
  'order',
  'priority',
  'tos',
  'fwmark',
  'realms',
  'table',
  'lookup',
  'suppress_prefixlength',
  'suppress_ifgroup',
  'dev',
  'iif',
  'nat',
  'map-to',
  'type',
  'help',
] as const;

/** iprule_modify: each argument checked in turn, then the kernel refuses the change. */
function ruleModify(c: BbIp, args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const w = WORDS[indexInSubstrings(WORDS, a)];
    if (w === undefined) c.invarg(a, 'ip');
    if (w === 'help') throw ipUsage();
    const v = c.next(args, i++);
    if (w === 'from' || w === 'to') getPrefix(c, v, c.family);
    else if (w === 'preference' || w === 'order' || w === 'priority')
      getUnsigned(c, v, 'preference');
    else if (w === 'tos') {
      if (dsfieldId(v) === undefined) c.invarg(v, 'TOS');
    } else if (w === 'fwmark') {
      const slash = v.indexOf('/');
      getUnsigned(c, slash < 0 ? v : v.slice(0, slash), 'fwmark');
      if (slash >= 0) getUnsigned(c, v.slice(slash + 1), 'fwmask');
    } else if (w === 'realms') {
      // get_rt_realms: [SRCREALM/]DSTREALM.
      const slash = v.indexOf('/');
      const dst = v.slice(slash + 1);
      if (slash >= 0 && realmId(v.slice(0, slash)) === undefined) c.invarg(v, 'realms');
      if (dst !== '' && realmId(dst) === undefined) c.invarg(v, 'realms');
    } else if (w === 'table' || w === 'lookup') {
      if (tableId(v) === undefined) c.invarg(v, 'table ID');
    } else if (w === 'suppress_prefixlength' || w === 'suppress_ifgroup') getUnsigned(c, v, w);
    else if (w === 'nat' || w === 'map-to') getAddr32(c, v);
    else if (w === 'type') {
      if (routeTypeId(v) === undefined) c.invarg(v, 'type');
    }
  }
  return c.refuseRtnl();
}
