/**
 * lsns (util-linux 2.38) for network namespaces: `lsns -t net`, with -n, -o, -r and -J. One
 * line per namespace that a process lives in: its inode, how many processes, the lowest PID and
 * its command, the namespace id the caller's namespace assigned it and where it is bind-mounted.
 * The model has no mount, UTS, IPC, PID, user, cgroup or time namespaces: `lsns` without -t net,
 * -p and the other types say so instead of printing a partial list.
 *
 * Inode numbers: the initial namespace's is 4026531833, the fixed number kernel 6.18 gives
 * init_net (PROC_NET_INIT_INO, 0xEFFFFFF9; checked with readlink /proc/self/ns/net); the others
 * are the model's own, in creation order (a kernel allocates them from one counter for every
 * namespace type, so real numbers have gaps).
 */
import type { NetNs } from '../../linux/netns';
import type { Tool } from '../tool';

export function netnsInode(ns: NetNs): number {
  if (ns.isInit) return 4026531833;
  const i = ns.host.namespaces.indexOf(ns);
  return 4026532160 + 8 * Math.max(i, 0);
}

/** The user a process runs as: the pause image runs as 65535, everything else as root. */
const userOf = (comm: string) => (comm === '/pause' ? '65535' : 'root');

const TYPES = ['net', 'mnt', 'uts', 'ipc', 'pid', 'user', 'cgroup', 'time'];
const COLUMNS = ['NS', 'TYPE', 'NPROCS', 'PID', 'USER', 'NETNSID', 'NSFS', 'COMMAND'];
/** Options lsns 2.38 has that the model does not (they need the other namespace types). */
const NOT_MODELLED = new Set(['-p', '--task', '-T', '--tree', '-l', '--list', '--output-all']);

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
  let netOnly = false;
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
      if (!TYPES.includes(t)) return fail(`lsns: unknown namespace type: ${t}\n`);
      if (t !== 'net')
        return fail(
          `packet-life: lsns -t ${t} is not modelled (network namespaces only: lsns -t net)\n`,
        );
      netOnly = true;
      continue;
    }
    const o = value('-o', '--output');
    if (o !== undefined) {
      const names = o.split(',');
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
      return fail(
        `packet-life: lsns ${a} is not modelled (network namespaces only: lsns -t net)\n`,
      );
    else if (a.startsWith('-'))
      return fail(
        `lsns: ${a.startsWith('--') ? `unrecognized option '${a}'` : `invalid option -- '${a.slice(1, 2)}'`}\nTry 'lsns --help' for more information.\n`,
      );
    else return fail(`lsns: invalid namespace argument: ${a}\n`);
  }
  // Without -t the real lsns lists every type: the model has network namespaces only.
  if (!netOnly)
    return fail(
      'packet-life: lsns lists network namespaces only here (lsns -t net): mount, UTS, IPC, PID, user, cgroup and time namespaces are not modelled\n',
    );
  const host = proc.host;
  const rows: string[][] = [];
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
  const shown = (columns ?? COLUMNS).filter((c) => c !== '');
  // `-o ''` asks for no column at all: lsns prints nothing.
  if (shown.length === 0) {
    proc.exit(0);
    return;
  }
  const pick = (r: string[]) => shown.map((c) => r[COLUMNS.indexOf(c)]!);
  if (json) {
    // libsmartcols JSON: numbers bare, an empty NSFS null, three-space indents.
    const numeric = new Set(['NS', 'NPROCS', 'PID']);
    // Objects follow one another as "},{" on one line.
    const item = (r: string[]) =>
      `{\n${shown
        .map((c, i) => {
          const v = pick(r)[i]!;
          const out = numeric.has(c) ? v : v === '' ? 'null' : JSON.stringify(v);
          return `         "${c.toLowerCase()}": ${out}`;
        })
        .join(',\n')}\n      }`;
    proc.write(`{\n   "namespaces": [\n      ${rows.map(item).join(',')}\n   ]\n}\n`);
    proc.exit(0);
    return;
  }
  const table = [...(headings ? [shown] : []), ...rows.map(pick)];
  if (raw) {
    // Raw output: one space between columns, spaces and other unsafe bytes as \x20 escapes.
    const esc = (v: string) =>
      v.replace(/[\s\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    proc.write(table.map((r) => `${r.map(esc).join(' ')}\n`).join(''));
    proc.exit(0);
    return;
  }
  // libsmartcols: numbers right-aligned, text left-aligned, one space between columns.
  const right = new Set(['NS', 'NPROCS', 'PID', 'NETNSID']);
  const widths = shown.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  proc.write(
    table
      .map(
        (r) =>
          r
            .map((c, i) =>
              i === r.length - 1
                ? c
                : right.has(shown[i]!)
                  ? c.padStart(widths[i]!)
                  : c.padEnd(widths[i]!),
            )
            .join(' ') + '\n',
      )
      .join(''),
  );
  proc.exit(0);
};
