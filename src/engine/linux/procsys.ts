/**
 * /proc/sys/net as seen from one namespace: reading and writing sysctls by their dotted key
 * (net.ipv4.ip_forward) with the kernel's side effects and errors.
 */
import type { Device } from './device';
import { setForwarding } from './host';
import type { NetNs } from './netns';
import {
  DEV_CONF_DEFAULTS,
  NEIGH_PARMS_DEFAULTS,
  type DevConfKey,
  type NeighParmKey,
} from './sysctl';

export type SysctlError = 'ENOENT' | 'EINVAL';

function isDevConfKey(k: string): k is DevConfKey {
  return Object.prototype.hasOwnProperty.call(DEV_CONF_DEFAULTS, k);
}
function isNeighKey(k: string): k is NeighParmKey {
  return Object.prototype.hasOwnProperty.call(NEIGH_PARMS_DEFAULTS, k);
}

type Resolved =
  | { kind: 'forward' }
  | { kind: 'conf'; which: 'all' | 'default' | Device; key: DevConfKey }
  | { kind: 'neigh'; which: 'default' | Device; key: NeighParmKey }
  | { kind: 'global'; key: string };

/** Sysctl keys use dots; device names inside them keep theirs as slashes (sysctl(8) convention). */
function resolve(ns: NetNs, key: string): Resolved | undefined {
  if (key === 'net.ipv4.ip_forward') return { kind: 'forward' };
  if (ns.globals.has(key)) return { kind: 'global', key };
  const conf = /^net\.ipv4\.conf\.([^.]+)\.([a-z0-9_]+)$/.exec(key);
  if (conf) {
    const [, ifname, k] = conf as unknown as [string, string, string];
    if (!isDevConfKey(k)) return undefined;
    if (ifname === 'all' || ifname === 'default') return { kind: 'conf', which: ifname, key: k };
    const dev = ns.device(ifname.replace(/\//g, '.'));
    return dev ? { kind: 'conf', which: dev, key: k } : undefined;
  }
  const neigh = /^net\.ipv4\.neigh\.([^.]+)\.([a-z0-9_]+)$/.exec(key);
  if (neigh) {
    const [, ifname, k] = neigh as unknown as [string, string, string];
    if (!isNeighKey(k)) return undefined;
    if (ifname === 'default') return { kind: 'neigh', which: 'default', key: k };
    const dev = ns.device(ifname.replace(/\//g, '.'));
    return dev ? { kind: 'neigh', which: dev, key: k } : undefined;
  }
  return undefined;
}

export function readSysctl(ns: NetNs, key: string): string | undefined {
  const r = resolve(ns, key);
  if (!r) return undefined;
  switch (r.kind) {
    case 'forward':
      return String(ns.confAll.forwarding);
    case 'global':
      return ns.globals.get(r.key);
    case 'conf':
      return String(
        r.which === 'all'
          ? ns.confAll[r.key]
          : r.which === 'default'
            ? ns.confDefault[r.key]
            : r.which.conf[r.key],
      );
    case 'neigh':
      return String(r.which === 'default' ? ns.neighDefault[r.key] : r.which.neighParms[r.key]);
  }
}

/** Parses an integer the way proc_dointvec does (leading/trailing blanks allowed). */
function parseIntValue(v: string): number | undefined {
  const t = v.trim();
  if (!/^-?[0-9]+$/.test(t)) return undefined;
  return Number(t);
}

export function writeSysctl(ns: NetNs, key: string, value: string): SysctlError | undefined {
  const r = resolve(ns, key);
  if (!r) return 'ENOENT';
  if (r.kind === 'global') {
    const cur = ns.globals.get(r.key) ?? '';
    const parts = value.trim().split(/\s+/);
    if (parts.some((p) => parseIntValue(p) === undefined)) return 'EINVAL';
    const width = cur.split('\t').length;
    ns.globals.set(r.key, parts.slice(0, width).join('\t'));
    return undefined;
  }
  const n = parseIntValue(value);
  if (n === undefined) return 'EINVAL';
  switch (r.kind) {
    case 'forward':
      setForwarding(ns, n !== 0);
      return undefined;
    case 'conf':
      if (r.key === 'forwarding' && r.which === 'all') {
        setForwarding(ns, n !== 0);
      } else if (r.which === 'all') ns.confAll[r.key] = n;
      else if (r.which === 'default') ns.confDefault[r.key] = n;
      else r.which.conf[r.key] = n;
      return undefined;
    case 'neigh':
      if (r.which === 'default') ns.neighDefault[r.key] = n;
      else r.which.neighParms[r.key] = n;
      return undefined;
  }
}

/** Every key this namespace has, sorted as `sysctl -a` lists them. */
export function listSysctls(ns: NetNs): string[] {
  const keys = new Set<string>(['net.ipv4.ip_forward', ...ns.globals.keys()]);
  const ifs = ['all', 'default', ...ns.devices.map((d) => d.name.replace(/\./g, '/'))];
  for (const i of ifs)
    for (const k of Object.keys(DEV_CONF_DEFAULTS)) keys.add(`net.ipv4.conf.${i}.${k}`);
  for (const i of ['default', ...ns.devices.map((d) => d.name.replace(/\./g, '/'))]) {
    for (const k of Object.keys(NEIGH_PARMS_DEFAULTS)) keys.add(`net.ipv4.neigh.${i}.${k}`);
  }
  return [...keys].sort();
}

/** /proc/sys/net/ipv4/ip_forward ↔ net.ipv4.ip_forward */
export function procPathToKey(path: string): string | undefined {
  const m = /^\/proc\/sys\/(.+)$/.exec(path);
  if (!m) return undefined;
  return m[1]!.split('/').join('.');
}
