/**
 * lsns (util-linux 2.38): every namespace type, or those of -t; -p for one process's; -n, -o, -r
 * and -J. One line per namespace a process lives in, sorted by inode: how many processes, the
 * lowest PID, its user and command line; for network namespaces alone (-t net) also the
 * namespace id the caller's namespace assigned it and where it is bind-mounted.
 *
 * Checked on kernel 6.18 with util-linux 2.38.1, with a pod built by hand in pl- namespaces
 * (unshare for a pause-like process, nsenter for a container joining its net, IPC and UTS
 * namespaces with mount and PID ones of its own): `lsns -p` of the container listed the host's
 * time, cgroup and user namespaces, the pause's net, UTS and IPC, and its own mnt and pid.
 * Inode numbers: see linux/namespaces.ts.
 *
 * Not modelled: the process tree the real lsns draws in COMMAND (a namespace whose first process
 * is the child of another row's; the modelled processes are never that), the NS argument, and
 * the PPID, PNS and ONS columns.
 */
import type { NetNs } from '../../linux/netns';
import { NS_TYPES, type NsType } from '../../linux/namespaces';
import type { Process } from '../../linux/process';
import type { Tool } from '../tool';

export function netnsInode(ns: NetNs): number {
  return ns.inode;
}

/** The user a process runs as: the pause image runs as 65535, everything else as root. */
const userOf = (comm: string) => (comm === '/pause' ? '65535' : 'root');

const COLUMNS = [
  'NS',
  'TYPE',
  'PATH',
  'NPROCS',
  'PID',
  'UID',
  'USER',
  'NETNSID',
  'NSFS',
  'COMMAND',
];
const DEFAULT_COLUMNS = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'COMMAND'];
const NET_COLUMNS = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'NETNSID', 'NSFS', 'COMMAND'];
const UNMODELLED_COLUMNS = new Set(['PPID', 'PNS', 'ONS']);
/** Options lsns 2.38 has that the model does not. */
const NOT_MODELLED = new Set(['-T', '--tree', '-l', '--list', '--output-all']);

/** The host's PID 1: not a modelled process, but the first in all its initial namespaces. */
const INIT = { pid: 1, comm: '/sbin/init', argv: ['/sbin/init'] } as const;

interface Row {
  readonly inode: number;
  readonly type: NsType;
  readonly procs: readonly { pid: number; comm: string; argv: readonly string[] }[];
  readonly net?: NetNs;
}

export const lsns: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  const fail = (text: string) => {
    proc.writeErr(text);
    proc.exit(1);
  };
  let headings = true;
  let raw = false;
  let json = false;
  let columns: string[] | undefined;
  const types: NsType[] = [];
  let task: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (short: string, long: string): string | undefined => {
      if (a === short || a === long) return args[++i] ?? '';
      if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
      if (a.startsWith(short) && a.length > 2) return a.slice(2);
      return undefined;
    };
    const t = value('-t', '--type');
    if (t !== undefined) {
      if (!(NS_TYPES as readonly string[]).includes(t))
        return fail(`lsns: unknown namespace type: ${t}\n`);
      if (!types.includes(t as NsType)) types.push(t as NsType);
      continue;
    }
    const p = value('-p', '--task');
    if (p !== undefined) {
      if (!/^[0-9]+$/.test(p)) return fail(`lsns: invalid PID argument: '${p}'\n`);
      task = Number(p);
      continue;
    }
    const o = value('-o', '--output');
    if (o !== undefined) {
      const names = o.split(',');
      const gone = names.find((c) => UNMODELLED_COLUMNS.has(c.toUpperCase()));
      if (gone !== undefined) return fail(`packet-life: lsns column ${gone} is not modelled\n`);
      const unknown = names.find((c) => c !== '' && !COLUMNS.includes(c.toUpperCase()));
      if (unknown !== undefined) return fail(`lsns: unknown column: ${unknown}\n`);
      columns = names.map((c) => c.toUpperCase());
      continue;
    }
    if (a === '-n' || a === '--noheadings') headings = false;
    else if (a === '-r' || a === '--raw') raw = true;
    else if (a === '-J' || a === '--json') json = true;
    else if (a === '-u' || a === '--notruncate' || a === '-W' || a === '--nowrap') continue;
    else if (NOT_MODELLED.has(a.split('=')[0]!) || (!a.startsWith('-') && /^[0-9]+$/.test(a)))
      return fail(`packet-life: lsns ${a} is not modelled\n`);
    else if (a.startsWith('-'))
      return fail(
        `lsns: ${a.startsWith('--') ? `unrecognized option '${a}'` : `invalid option -- '${a.slice(1, 2)}'`}\nTry 'lsns --help' for more information.\n`,
      );
    else return fail(`lsns: invalid namespace argument: ${a}\n`);
  }
  const host = proc.host;
  // In a container's own PID namespace /proc shows that namespace's processes, numbered from 1
  // there: the model keeps one PID per process, so it does not list from inside.
  if (proc.spaces.pid !== host.initSpaces.pid)
    return fail(
      'packet-life: lsns inside a container (its own PID namespace) is not modelled; run it on the node\n',
    );
  // lsns reads /proc: every process alive, itself included, and the host's init.
  const procs: Process[] = [...host.processes.values()].filter((p) => p.running || p === proc);
  if (!procs.includes(proc)) procs.push(proc);
  if (task !== undefined && task !== INIT.pid && !procs.some((p) => p.pid === task)) {
    // A PID that is not there: nothing at all, not even the headings.
    proc.exit(0);
    return;
  }
  const wanted = types.length ? types : NS_TYPES;
  const byInode = new Map<number, Row & { procs: Row['procs'][number][] }>();
  const add = (type: NsType, inode: number, p: Row['procs'][number], net?: NetNs) => {
    let row = byInode.get(inode);
    if (!row) byInode.set(inode, (row = { inode, type, procs: [], net }));
    row.procs.push(p);
  };
  for (const type of wanted) {
    for (const ns of type === 'net' ? host.namespaces.filter((n) => n.isInit) : [])
      add('net', ns.inode, INIT, ns);
    if (type !== 'net') add(type, host.initSpaces[type].inode, INIT);
    for (const p of procs) {
      if (type === 'net') add('net', p.ns.inode, p, p.ns);
      else add(type, p.spaces[type].inode, p);
    }
  }
  const memberOf = (r: Row) => task === undefined || r.procs.some((p) => p.pid === task);
  const rows = [...byInode.values()].filter(memberOf).sort((a, b) => a.inode - b.inode);
  const cells = rows.map((r) => {
    const first = [...r.procs].sort((a, b) => a.pid - b.pid)[0]!;
    const net = r.net;
    const nsid = net === undefined || net === proc.ns ? undefined : proc.ns.nsidOf(net);
    const name = net !== undefined ? host.nameOf(net) : undefined;
    const user = userOf(first.comm);
    return [
      String(r.inode),
      r.type,
      `/proc/${first.pid}/ns/${r.type}`,
      String(r.procs.length),
      String(first.pid),
      user === 'root' ? '0' : user,
      user,
      r.type !== 'net' ? '' : nsid !== undefined ? String(nsid) : 'unassigned',
      name !== undefined ? `/run/netns/${name}` : '',
      first.argv.join(' '),
    ];
  });
  const netOnly = types.length === 1 && types[0] === 'net';
  const shown = (columns ?? (netOnly ? NET_COLUMNS : DEFAULT_COLUMNS)).filter((c) => c !== '');
  // `-o ''` asks for no column at all: lsns prints nothing.
  if (shown.length === 0) {
    proc.exit(0);
    return;
  }
  const pick = (r: string[]) => shown.map((c) => r[COLUMNS.indexOf(c)]!);
  if (json) {
    // libsmartcols JSON: numbers bare, an empty NSFS null, three-space indents.
    const numeric = new Set(['NS', 'NPROCS', 'PID', 'UID']);
    // Objects follow one another as "},{" on one line.
    const item = (r: string[]) =>
      `{\n${shown
        .map((c, i) => {
          const v = pick(r)[i]!;
          const out = numeric.has(c) ? v : v === '' ? 'null' : JSON.stringify(v);
          return `         "${c.toLowerCase()}": ${out}`;
        })
        .join(',\n')}\n      }`;
    proc.write(`{\n   "namespaces": [\n      ${cells.map(item).join(',')}\n   ]\n}\n`);
    proc.exit(0);
    return;
  }
  const table = [...(headings ? [shown] : []), ...cells.map(pick)];
  if (raw) {
    // Raw output: one space between columns, spaces and other unsafe bytes as \x20 escapes.
    const esc = (v: string) =>
      v.replace(/[\s\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    proc.write(table.map((r) => `${r.map(esc).join(' ')}\n`).join(''));
    proc.exit(0);
    return;
  }
  // libsmartcols: numbers right-aligned, text left-aligned, one space between columns.
  const right = new Set(['NS', 'NPROCS', 'PID', 'UID', 'NETNSID']);
  const widths = shown.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  proc.write(
    table
      .map(
        (r) =>
          r
            // A number is right-aligned even in the last column; text there is not padded.
            .map((c, i) =>
              right.has(shown[i]!)
                ? c.padStart(widths[i]!)
                : i === r.length - 1
                  ? c
                  : c.padEnd(widths[i]!),
            )
            .join(' ') + '\n',
      )
      .join(''),
  );
  proc.exit(0);
};
