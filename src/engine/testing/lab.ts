/** Test helpers: a world with hosts and a shell per host, driven by command lines. */
import { parseCidr } from '../net/ipv4';
import { addrAdd, linkAddEther, linkSetUp } from '../linux/rtnl';
import { type CommandResult, Shell } from '../shell/session';
import { World } from '../sim/world';

export interface Lab {
  readonly world: World;
  sh(host?: string): Shell;
  run(line: string, host?: string): CommandResult;
  /** Runs several lines, failing loudly if one exits non-zero. */
  setup(lines: readonly string[], host?: string): void;
  /** Frames one interface carried during `r`, as tcpdump -nn -e prints them. */
}

export function lab(
  opts: {
    hosts?: { name: string; ipForward?: boolean; nic?: { network: string; address: string } }[];
    seed?: number;
    maxEvents?: number;
  } = {},
): Lab {
  const world = new World({ seed: opts.seed ?? 7 });
  const shells = new Map<string, Shell>();
  for (const h of opts.hosts ?? [{ name: 'h' }]) {
    const host = world.addHost({ name: h.name, ipForward: h.ipForward });
    if (h.nic) {
      const seg = world.segments.get(h.nic.network) ?? world.addSegment(h.nic.network);
      const r = linkAddEther(host.rootNs, 'eth0', world.randomMac());
      if (!r.ok) throw new Error('eth0');
      seg.plug(r.value);
      linkSetUp(r.value, true);
      addrAdd(r.value, parseCidr(h.nic.address)!);
    }
    shells.set(h.name, new Shell(world, host, { maxEvents: opts.maxEvents }));
  }
  const first = [...shells.keys()][0]!;
  const sh = (host = first) => shells.get(host)!;
  return {
    world,
    sh,
    run: (line, host) => sh(host).run(line),
    setup: (lines, host) => {
      for (const l of lines) {
        const r = sh(host).run(l);
        if (r.exitCode !== 0 && !l.trim().endsWith('&'))
          throw new Error(`setup "${l}" exited ${r.exitCode}: ${r.stderr}`);
      }
    },
  };
}

/** Two namespaces joined by a veth pair, 10.0.0.11/24 and 10.0.0.12/24 (the article's first walkthrough). */
export const VETH_PAIR = [
  'ip netns add a',
  'ip netns add b',
  'ip link add va type veth peer name vb',
  'ip link set va netns a',
  'ip link set vb netns b',
  'ip -n a addr add 10.0.0.11/24 dev va',
  'ip -n b addr add 10.0.0.12/24 dev vb',
  'ip -n a link set va up',
  'ip -n b link set vb up',
];
