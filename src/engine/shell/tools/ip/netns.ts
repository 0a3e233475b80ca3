/** `ip netns`: list, add, delete, exec, identify, pids, set, list-id. */
import { netnsDestroy } from '../../../linux/rtnl';
import type { ToolContext } from '../../tool';
import type { IpCtx } from './common';
import { IpExit, matches, openNetns } from './common';

export type ExecRequest = { ns: ReturnType<typeof openNetns>; argv: string[] };

/** Returns an exec request for `ip netns exec`, which the caller runs in the same process. */
export function ipNetns(c: IpCtx, args: string[], ctx: ToolContext): ExecRequest | undefined {
  const cmd = args[0];
  const host = c.host;
  if (cmd === undefined || matches(cmd, 'list') || matches(cmd, 'show')) {
    // readdir of the tmpfs /var/run/netns returns the newest entry first.
    for (const name of [...host.named.keys()].reverse()) {
      const ns = host.named.get(name)!;
      const id = c.ns.nsidOf(ns);
      c.print(id !== undefined ? `${name} (id: ${id})` : name);
    }
    return undefined;
  }
  if (matches(cmd, 'add')) {
    const name = args[1];
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    if (!validNetnsName(name)) throw new IpExit(1, `Invalid netns name "${name}"\n`);
    if (host.named.has(name))
      throw new IpExit(1, `Cannot create namespace file "/var/run/netns/${name}": File exists\n`);
    const ns = host.createNetns(name);
    host.named.set(name, ns);
    return undefined;
  }
  if (matches(cmd, 'delete')) {
    const name = args[1];
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    if (name === '-all' || name === '--all') {
      for (const n of [...host.named.keys()]) removeName(c, n);
      return undefined;
    }
    if (!host.named.has(name))
      throw new IpExit(
        1,
        `Cannot remove namespace file "/var/run/netns/${name}": No such file or directory\n`,
      );
    removeName(c, name);
    return undefined;
  }
  if (matches(cmd, 'exec')) {
    const name = args[1];
    if (name === undefined) throw new IpExit(255, 'No netns name specified\n');
    const ns = host.named.get(name);
    if (!ns)
      throw new IpExit(255, `Cannot open network namespace "${name}": No such file or directory\n`);
    const argv = args.slice(2);
    if (argv.length === 0) throw new IpExit(255, 'No command specified\n');
    return { ns, argv };
  }
  if (matches(cmd, 'identify')) {
    const pid = args[1] !== undefined ? Number(args[1]) : ctx.proc.pid;
    const p = host.processes.get(pid);
    if (!p) throw new IpExit(1, `Cannot open network namespace: No such file or directory\n`);
    for (const [name, ns] of host.named) if (ns === p.ns) c.print(name);
    return undefined;
  }
  if (matches(cmd, 'pids')) {
    const name = args[1];
    if (name === undefined) throw new IpExit(1, 'No netns name specified\n');
    const ns = openNetns(host, name);
    for (const p of host.processes.values()) if (p.ns === ns) c.print(String(p.pid));
    return undefined;
  }
  if (matches(cmd, 'set')) {
    const name = args[1];
    const id = args[2];
    if (name === undefined || id === undefined) throw new IpExit(1, 'No netns name specified\n');
    const ns = openNetns(host, name);
    if (id === 'auto') c.ns.nsidAlloc(ns);
    else {
      const n = Number(id);
      if (!/^[0-9]+$/.test(id)) throw new IpExit(1, `Invalid "netnsid" value\n`);
      if ([...c.ns.nsids.values()].includes(n) || c.ns.nsids.has(ns.id))
        throw new IpExit(2, 'RTNETLINK answers: File exists\n');
      c.ns.nsids.set(ns.id, n);
    }
    return undefined;
  }
  if (matches(cmd, 'list-id')) {
    const entries = [...c.ns.nsids.entries()].sort((a, b) => a[1] - b[1]);
    for (const [nsWorldId, id] of entries) {
      let label = '';
      for (const [name, ns] of host.named)
        if (ns.id === nsWorldId) label = ` (iproute2 netns name: ${name})`;
      c.print(`nsid ${id}${label}`);
    }
    return undefined;
  }
  throw new IpExit(255, `Command "${cmd}" is unknown, try "ip netns help".\n`);
}

function validNetnsName(name: string): boolean {
  return (
    name.length > 0 && name.length < 256 && !name.includes('/') && name !== '.' && name !== '..'
  );
}

function removeName(c: IpCtx, name: string): void {
  const host = c.host;
  const ns = host.named.get(name)!;
  host.named.delete(name);
  if (!host.nsInUse(ns)) netnsDestroy(host, ns);
}
