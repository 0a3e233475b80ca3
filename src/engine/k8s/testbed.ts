/**
 * A generated cluster on fresh hosts, for tests and benchmarks: N nodes on one switch
 * (172.18.0.2 onward, as kind numbers its nodes), node i owning 10.244.i.0/24, the first node the
 * control plane.
 */
import { parseCidr } from '../net/ipv4';
import { addrAdd, linkAddEther, linkSetUp } from '../linux/rtnl';
import { World } from '../sim/world';
import { TOOLS } from '../shell/tools';
import { Cluster } from './cluster';
import type { CniModelName } from './cni';
import type { ManifestData } from './objects';

export interface TestbedOptions {
  readonly nodes: number;
  readonly cni?: CniModelName;
  readonly seed?: number;
  readonly objects?: readonly ManifestData[];
}

export function nodeName(i: number): string {
  return i === 0 ? 'kind-control-plane' : i === 1 ? 'kind-worker' : `kind-worker${i}`;
}

export function testbed(o: TestbedOptions): { world: World; cluster: Cluster } {
  const world = new World({ seed: o.seed ?? 7 });
  const seg = world.addSegment('kind');
  const nodes = [];
  for (let i = 0; i < o.nodes; i++) {
    const host = world.addHost({ name: nodeName(i), ipForward: true });
    const r = linkAddEther(host.rootNs, 'eth0', world.randomMac());
    if (!r.ok) throw new Error(r.errno);
    seg.plug(r.value);
    linkSetUp(r.value, true);
    const n = 2 + i;
    addrAdd(r.value, parseCidr(`172.18.${n >> 8}.${n & 255}/16`)!);
    nodes.push({
      host,
      podCIDR: parseCidr(`10.244.${i}.0/24`)!,
      role: i === 0 ? ('control-plane' as const) : ('worker' as const),
    });
  }
  const cluster = new Cluster(world, {
    cni: o.cni ?? 'bridge',
    clusterCIDR: parseCidr('10.244.0.0/16')!,
    serviceCIDR: parseCidr('10.96.0.0/12')!,
    nodes,
    tools: (name) => TOOLS[name],
  });
  const errors = cluster.boot();
  if (errors.length) throw new Error(errors.join('\n'));
  // One batch: the controllers run after each object, kube-proxy once at the end.
  for (const r of cluster.applyAll(o.objects ?? [])) if (!r.ok) throw new Error(r.error);
  return { world, cluster };
}
