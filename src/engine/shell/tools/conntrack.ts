/** conntrack (conntrack-tools 1.4.7): list, count, delete and flush the connection table. */
import { formatIpv4, parseIpv4 } from '../../net/ipv4';
import type { CtEntry } from '../../linux/conntrack';
import type { Tool } from '../tool';

const NAME = 'conntrack v1.4.7 (conntrack-tools)';

export const conntrack: Tool = (ctx) => {
  const { proc } = ctx;
  const ct = proc.ns.netfilter.conntrack;
  const args = ctx.argv.slice(1);
  let op: 'L' | 'D' | 'F' | 'C' | undefined;
  const filters: ((e: CtEntry) => boolean)[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-L' || a === '--dump') op = 'L';
    else if (a === '-D' || a === '--delete') op = 'D';
    else if (a === '-F' || a === '--flush') op = 'F';
    else if (a === '-C' || a === '--count') op = 'C';
    else if (a === '-p' || a === '--proto') {
      const p = args[++i];
      const n = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : Number(p);
      filters.push((e) => e.orig.proto === n);
    } else if (a === '-s' || a === '--src' || a === '--orig-src') {
      const ip = parseIpv4(args[++i] ?? '');
      filters.push((e) => e.orig.src === ip);
    } else if (a === '-d' || a === '--dst' || a === '--orig-dst') {
      const ip = parseIpv4(args[++i] ?? '');
      filters.push((e) => e.orig.dst === ip);
    } else if (a === '--dport' || a === '--orig-port-dst') {
      const port = Number(args[++i]);
      filters.push((e) => e.orig.dport === port);
    } else if (a === '--sport' || a === '--orig-port-src') {
      const port = Number(args[++i]);
      filters.push((e) => e.orig.sport === port);
    } else if (a === '-n' || a === '--src-nat') filters.push((e) => e.nat.snat !== undefined);
    else if (a === '-g' || a === '--dst-nat') filters.push((e) => e.nat.dnat !== undefined);
    else if (a === '-o' || a === '--output') i++;
    else if (a === '-V' || a === '--version') {
      proc.write(`${NAME}\n`);
      proc.exit(0);
      return;
    } else {
      proc.writeErr(`${NAME}: Unknown argument: ${a}\nTry \`conntrack -h' for more information.\n`);
      proc.exit(2);
      return;
    }
  }
  if (!op) {
    proc.writeErr(`${NAME}: no command specified\nTry \`conntrack -h' for more information.\n`);
    proc.exit(2);
    return;
  }
  // ctnetlink wants CAP_NET_ADMIN for every request (checked: -L and -F failed so, exit 1; -F
  // announces the emptied table first).
  if (!proc.caps.has('NET_ADMIN')) {
    if (op === 'F') proc.writeErr(`${NAME}: connection tracking table has been emptied.\n`);
    proc.writeErr(
      `${NAME}: Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this\n`,
    );
    proc.exit(1);
    return;
  }
  const selected = ct.entries().filter((e) => filters.every((f) => f(e)));
  switch (op) {
    case 'L':
      for (const e of selected) proc.write(`${ct.format(e)}\n`);
      proc.writeErr(`${NAME}: ${selected.length} flow entries have been shown.\n`);
      proc.exit(0);
      return;
    case 'C':
      proc.write(`${selected.length}\n`);
      proc.exit(0);
      return;
    case 'D':
      for (const e of selected) ct.remove(e);
      proc.writeErr(`${NAME}: ${selected.length} flow entries have been deleted.\n`);
      proc.exit(selected.length ? 0 : 1);
      return;
    case 'F':
      ct.flush();
      proc.writeErr(`${NAME}: connection tracking table has been emptied.\n`);
      proc.exit(0);
      return;
  }
  void formatIpv4;
};
