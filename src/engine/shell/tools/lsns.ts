/**
 * lsns (util-linux 2.38) for network namespaces: `lsns -t net` and `lsns` (which here lists the
 * net type only: the model has no mount, UTS, IPC, PID, user or cgroup namespaces). One line per
 * namespace that a process lives in: its inode, how many processes, the lowest PID and its
 * command, the namespace id the caller's namespace assigned it and where it is bind-mounted.
 *
 * Inode numbers: the initial namespace's is 4026531840 as on every kernel; the others are the
 * model's own, in creation order (a kernel allocates them from one counter for every namespace
 * type, so real numbers have gaps).
 */
import type { NetNs } from '../../linux/netns';
import type { Tool } from '../tool';

export function netnsInode(ns: NetNs): number {
  if (ns.isInit) return 4026531840;
  const i = ns.host.namespaces.indexOf(ns);
  return 4026532160 + 8 * Math.max(i, 0);
}

/** The user a process runs as: the pause image runs as 65535, everything else as root. */
const userOf = (comm: string) => (comm === '/pause' ? '65535' : 'root');

export const lsns: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const t =
      a === '-t' || a === '--type'
        ? args[++i]
        : a.startsWith('--type=')
          ? a.slice(7)
          : a.startsWith('-t')
            ? a.slice(2)
            : undefined;
    if (t === undefined) {
      proc.writeErr(
        `lsns: invalid option -- '${a.replace(/^-+/, '')}'\nTry 'lsns --help' for more information.\n`,
      );
      proc.exit(1);
      return;
    }
    if (!['net', 'mnt', 'uts', 'ipc', 'pid', 'user', 'cgroup', 'time'].includes(t)) {
      proc.writeErr(`lsns: unknown namespace type: ${t}\n`);
      proc.exit(1);
      return;
    }
    if (t !== 'net') {
      proc.exit(0);
      return;
    }
  }
  const host = proc.host;
  const rows: string[][] = [['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'NETNSID', 'NSFS', 'COMMAND']];
  for (const ns of host.namespaces) {
    const procs = [...host.processes.values()].filter((p) => p.ns === ns && p !== proc);
    if (ns === proc.ns) procs.push(proc);
    if (procs.length === 0 && !ns.isInit) continue;
    procs.sort((a, b) => a.pid - b.pid);
    const first = procs[0];
    const nsid = ns === proc.ns ? undefined : proc.ns.nsidOf(ns);
    const name = host.nameOf(ns);
    rows.push([
      String(netnsInode(ns)),
      'net',
      String(ns.isInit ? procs.length + 1 : procs.length),
      ns.isInit ? '1' : String(first!.pid),
      ns.isInit ? 'root' : userOf(first!.comm),
      ns === proc.ns ? 'unassigned' : nsid !== undefined ? String(nsid) : 'unassigned',
      name !== undefined ? `/run/netns/${name}` : '',
      ns.isInit ? '/sbin/init' : first!.argv.join(' '),
    ]);
  }
  // libsmartcols: numbers right-aligned, text left-aligned, one space between columns.
  const right = new Set([0, 2, 3, 5]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  proc.write(
    rows
      .map(
        (r) =>
          r
            .map((c, i) =>
              i === r.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
            )
            .join(' ') + '\n',
      )
      .join(''),
  );
  proc.exit(0);
};
