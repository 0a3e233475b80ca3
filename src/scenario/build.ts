/** Turns a scenario's physical description into a booted World with one shell per host. */
import { broadcastOf, parseCidr, parseIpv4 } from '../engine/net/ipv4';
import { parseMac } from '../engine/net/mac';
import { addrAdd, linkAddEther, linkSetMtu, linkSetUp } from '../engine/linux/rtnl';
import { bootDocker } from '../engine/runtime/docker';
import { Cluster } from '../engine/k8s/cluster';
import { TOOLS } from '../engine/shell/tools';
import { Shell } from '../engine/shell/session';
import { type EngineFaults, World } from '../engine/sim/world';
import type { ScenarioError } from './load';
import type { ScenarioData } from './schema';

export interface BuiltWorld {
  readonly world: World;
  readonly shells: Map<string, Shell>;
}

/** Boots every host: NICs up with their addresses, boot routes, files, then setup commands. */
export function buildWorld(
  s: ScenarioData,
  faults?: EngineFaults,
): { ok: true; built: BuiltWorld } | { ok: false; errors: ScenarioError[] } {
  const world = new World({ seed: s.seed ?? 1, epoch: s.epoch, faults });
  const errors: ScenarioError[] = [];
  for (const n of s.networks) world.addSegment(n.name);
  const shells = new Map<string, Shell>();
  s.hosts.forEach((h, i) => {
    const host = world.addHost({
      name: h.name,
      external: h.external,
      ipForward: h.ipForward,
      modules: h.modules,
    });
    for (const [path, content] of Object.entries(h.files)) {
      const dir = path.slice(0, path.lastIndexOf('/')) || '/';
      host.fs.mkdirp(dir);
      const e = host.fs.writeFile(path, content);
      if (e) errors.push({ path: `hosts[${i}].files.${path}`, message: `cannot write: ${e}` });
    }
    h.interfaces.forEach((f, j) => {
      const mac = f.mac ? parseMac(f.mac)! : world.randomMac();
      const r = linkAddEther(host.rootNs, f.name, mac);
      if (!r.ok) {
        errors.push({ path: `hosts[${i}].interfaces[${j}]`, message: `cannot create: ${r.errno}` });
        return;
      }
      const dev = r.value;
      if (f.ifindex !== undefined && !host.rootNs.setIfindex(dev, f.ifindex)) {
        errors.push({
          path: `hosts[${i}].interfaces[${j}].ifindex`,
          message: `ifindex ${f.ifindex} is taken`,
        });
      }
      if (f.attach === 'veth') {
        dev.containerPeerIfindex = dev.ifindex + 1;
        dev.txqueuelen = 0;
      }
      if (f.mtu !== undefined) linkSetMtu(dev, f.mtu);
      world.segments.get(f.network)!.plug(dev);
      linkSetUp(dev, true);
      if (f.address) {
        const c = parseCidr(f.address)!;
        const a = addrAdd(dev, c, f.broadcast ? { broadcast: broadcastOf(c.addr, c.len) } : {});
        if (!a.ok)
          errors.push({
            path: `hosts[${i}].interfaces[${j}].address`,
            message: `cannot add: ${a.errno}`,
          });
      }
    });
    if (h.docker) {
      const bip = h.docker === true ? undefined : h.docker.bip;
      bootDocker(host, {
        bip: bip !== undefined ? parseCidr(bip) : undefined,
        images: h.docker === true ? undefined : h.docker.images,
      });
    }
    const sh = new Shell(world, host);
    if (h.cwd !== undefined) {
      host.fs.mkdirp(h.cwd);
      sh.cwd = h.cwd;
    }
    shells.set(h.name, sh);
    h.routes.forEach((route, j) => {
      const r = sh.run(`ip route add ${route}`);
      if (r.exitCode !== 0)
        errors.push({
          path: `hosts[${i}].routes[${j}]`,
          message: r.stderr.trim() || `ip route add ${route} failed`,
        });
    });
  });
  if (s.cluster && errors.length === 0) errors.push(...bootCluster(world, s));
  // Host setup runs after every host has booted, so services can talk to each other. It uses a
  // shell of its own: its jobs and their output never show up in a learner's terminal.
  s.hosts.forEach((h, i) => {
    const sh = new Shell(world, world.host(h.name)!);
    h.setup.forEach((cmd, j) => {
      const r = sh.run(cmd);
      if (r.exitCode !== 0 && !cmd.trim().endsWith('&')) {
        errors.push({
          path: `hosts[${i}].setup[${j}]`,
          message: `"${cmd}" exited ${r.exitCode}: ${r.stderr.trim()}`,
        });
      }
    });
  });
  if (errors.length) return { ok: false, errors };
  // Boot output and traffic are not part of any step.
  return { ok: true, built: { world, shells } };
}

/** Starts Kubernetes on the cluster's nodes, then creates its objects as `kubectl apply` would. */
function bootCluster(world: World, s: ScenarioData): ScenarioError[] {
  const c = s.cluster!;
  const errors: ScenarioError[] = [];
  const cluster = new Cluster(world, {
    cni: c.cni,
    calicoEncapsulation: c.calicoEncapsulation,
    clusterCIDR: parseCidr(c.clusterCIDR)!,
    serviceCIDR: parseCidr(c.serviceCIDR)!,
    loadBalancerPool: c.loadBalancerPool
      ? [parseIpv4(c.loadBalancerPool[0])!, parseIpv4(c.loadBalancerPool[1])!]
      : undefined,
    nodes: c.nodes.map((n) => ({
      host: world.host(n.host)!,
      podCIDR: parseCidr(n.podCIDR)!,
      role: n.role,
      dev: n.dev,
    })),
    tools: (name) => TOOLS[name],
  });
  for (const e of cluster.boot()) errors.push({ path: 'cluster', message: e });
  cluster.applyAll(c.objects).forEach((r, i) => {
    if (!r.ok) errors.push({ path: `cluster.objects[${i}]`, message: r.error });
  });
  return errors;
}
