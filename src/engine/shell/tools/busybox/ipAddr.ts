/** BusyBox's `ip addr` (do_ipaddr, ipaddr_modify): listing, flush, and the refused changes. */
import { type BbIp, type Family, getAddr, getPrefix, getUnsigned, scopeId } from './ipArgs';
import { indexInStrings, indexInSubstrings } from './libbb';
import { listOrFlush } from './ipShow';

/** do_ipaddr's commands; with none, "list". */
const COMMANDS = ['add', 'change', 'chg', 'replace', 'delete', 'list', 'show', 'lst', 'flush'];

export function ipAddr(c: BbIp, args: readonly string[]): number {
  if (args.length === 0) return listOrFlush(c, args, false, c.family);
  const cmd = indexInSubstrings(COMMANDS, args[0]!);
  if (cmd < 0) c.invarg(args[0]!, 'ip');
  if (cmd <= 4) return addrModify(c, args.slice(1), cmd === 4);
  return listOrFlush(c, args.slice(1), cmd === 8, c.family);
}

/** ipaddr_modify's words, matched exactly; anything else is the local address. */
const OPTIONS = [
  'peer',
  'remote',
  'broadcast',
  'brd',
  'anycast',
  'valid_lft',
  'preferred_lft',
  'scope',
  'dev',
  'label',
  'noprefixroute',
  'local',
];

const FOREVER = 0xffffffff;

/**
 * ipaddr_modify: parses as BusyBox does (a bad prefix, a second local, a scope it does not know,
 * no dev), looks the device up, then sends the request, which the kernel refuses.
 */
function addrModify(c: BbIp, args: readonly string[], del: boolean): number {
  let family: Family = c.family;
  const setFamily = (f: Family) => {
    if (family === 'unspec') family = f;
  };
  let dev: string | undefined;
  let label: string | undefined;
  let localLen = 0;
  let peerLen = 0;
  let brdLen = 0;
  let anyLen = 0;
  let valid: number | undefined;
  let preferred: number | undefined;
  const lifetime = (v: string, what: string) =>
    v === 'forever' ? FOREVER : getUnsigned(c, v, what);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const k = indexInStrings(OPTIONS, a);
    if (k === 0 || k === 1) {
      const v = c.next(args, i++);
      if (peerLen) c.duparg('peer', v);
      const p = getPrefix(c, v, family);
      peerLen = p.bytelen;
      setFamily(p.family);
    } else if (k === 2 || k === 3) {
      const v = c.next(args, i++);
      if (brdLen) c.duparg('broadcast', v);
      if (v === '+') brdLen = -1;
      else if (v === '-') brdLen = -2;
      else {
        const p = getAddr(c, v, family);
        setFamily(p.family);
        brdLen = p.bytelen;
      }
    } else if (k === 4) {
      const v = c.next(args, i++);
      if (anyLen) c.duparg('anycast', v);
      const p = getAddr(c, v, family);
      setFamily(p.family);
      anyLen = p.bytelen;
    } else if (k === 5 || k === 6) {
      // The duplicate is reported before the value is read: the keyword stands for it.
      if ((k === 5 ? valid : preferred) !== undefined) c.duparg(a, a);
      const v = lifetime(c.next(args, i++), a);
      if (k === 5) valid = v;
      else preferred = v;
    } else if (k === 7) {
      const v = c.next(args, i++);
      if (scopeId(v) === undefined) c.invarg(v, 'scope');
    } else if (k === 8) dev = c.next(args, i++);
    else if (k === 9) label = c.next(args, i++);
    else if (k === 10) continue;
    else {
      const v = k === 11 ? c.next(args, i++) : a;
      if (localLen) c.duparg2('local', v);
      const p = getPrefix(c, v, family);
      setFamily(p.family);
      localLen = p.bytelen;
    }
  }
  if (dev === undefined) c.die('need "dev IFACE"');
  if (label !== undefined && !label.startsWith(dev))
    c.die(`"dev" (${dev}) must match "label" (${label})`);
  if (brdLen < 0 && !del && family !== 'inet')
    c.die('broadcast can be set only for IPv4 addresses');
  c.dev(dev);
  if (valid !== undefined || preferred !== undefined) {
    const v = valid ?? FOREVER;
    if (v === 0) c.exit(1, 'valid_lft is zero\n');
    if (v < (preferred ?? FOREVER)) c.exit(1, 'preferred_lft is greater than valid_lft\n');
  }
  return c.refuseRtnl();
}
