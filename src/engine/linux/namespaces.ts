/**
 * The namespaces besides the network one that a process lives in: mount, UTS, IPC, PID, user,
 * cgroup and time. The model gives them identity only (what `lsns` and /proc/PID/ns show); the
 * network namespace is the NetNs a process runs in.
 *
 * Inode numbers, as kernel 6.18 gives them (checked with lsns on this machine): the initial
 * namespaces have fixed ones (PROC_*_INIT_INO: mnt 4026531832, net 4026531833, time …834,
 * cgroup …835, pid …836, user …837, uts …838, ipc …839); every later namespace, of any type,
 * takes the next number from one per-machine counter. (The kernel reuses freed numbers; the
 * model does not.)
 */
import type { Host } from './host';

export type NsType = 'mnt' | 'net' | 'pid' | 'uts' | 'ipc' | 'user' | 'cgroup' | 'time';

/** lsns's order of types (ns_names), and the one `lsns -t` accepts. */
export const NS_TYPES: readonly NsType[] = [
  'mnt',
  'net',
  'pid',
  'uts',
  'ipc',
  'user',
  'cgroup',
  'time',
];

export type OtherNsType = Exclude<NsType, 'net'>;

export class Namespace {
  constructor(
    readonly type: OtherNsType,
    readonly inode: number,
    /** A mount namespace's read-only paths (runc's readonlyPaths in a container). */
    readonly readOnly: readonly string[] = [],
  ) {}
}

/** What runc mounts read-only in a container's /proc (the OCI default spec's readonlyPaths). */
export const CONTAINER_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** Whether `path` lies under one of a mount namespace's read-only paths. */
export function isReadOnly(mnt: Namespace, path: string): boolean {
  return mnt.readOnly.some((p) => path === p || path.startsWith(`${p}/`));
}

/** One namespace of each type but net. */
export type NsSet = { readonly [K in OtherNsType]: Namespace };

export const INIT_INODES: { readonly [K in NsType]: number } = {
  mnt: 4026531832,
  net: 4026531833,
  time: 4026531834,
  cgroup: 4026531835,
  pid: 4026531836,
  user: 4026531837,
  uts: 4026531838,
  ipc: 4026531839,
};

/** The first number a namespace created after boot gets, here (boot creates a few hundred). */
export const FIRST_DYNAMIC_INODE = 4026532160;

export function initNsSet(): NsSet {
  const ns = (t: OtherNsType) => new Namespace(t, INIT_INODES[t]);
  return {
    mnt: ns('mnt'),
    pid: ns('pid'),
    uts: ns('uts'),
    ipc: ns('ipc'),
    user: ns('user'),
    cgroup: ns('cgroup'),
    time: ns('time'),
  };
}

/** The capabilities the model checks. */
export type Capability = 'NET_ADMIN' | 'NET_RAW' | 'SYS_ADMIN';

/** A root process on a host: every capability. */
export const ALL_CAPS: ReadonlySet<Capability> = new Set(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);

/**
 * What containerd and Docker give an unprivileged container (of the ones modelled): NET_RAW,
 * so ping works, but not NET_ADMIN or SYS_ADMIN, so it cannot change its network.
 */
export const CONTAINER_CAPS: ReadonlySet<Capability> = new Set(['NET_RAW']);

/**
 * unshare(2): `base` with a fresh namespace for each of `types`; a container runtime's new mount
 * namespace also gets its read-only paths.
 */
export function unshareNs(
  host: Host,
  base: NsSet,
  types: readonly OtherNsType[],
  opts: { readOnly?: readonly string[] } = {},
): NsSet {
  const out: { [K in OtherNsType]: Namespace } = { ...base };
  for (const t of types)
    out[t] = new Namespace(t, host.allocNsInode(), t === 'mnt' ? opts.readOnly : undefined);
  return out;
}
