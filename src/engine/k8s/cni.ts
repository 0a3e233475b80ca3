/**
 * The pod network, as a node's CNI plugin and its agent build it. Each model has two halves:
 * what the agent does once per node (routes to the other nodes' pod CIDRs, Flannel's VXLAN device
 * and its neighbour/FDB entries) and what the plugin does per pod sandbox (the runtime calls it
 * with CNI_COMMAND=ADD/DEL). Both use the same emulated binaries and commands a learner can run.
 */
import { type Cidr, type Ipv4, formatCidr, formatIpv4, ipv4Add } from '../net/ipv4';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { Shell } from '../shell/session';
import { CNI_BINARIES, binaryContent } from '../shell/tools/cni/plugins';
import type { Mac } from '../net/mac';

export type CniModelName = 'bridge' | 'flannel';

export interface CniNode {
  readonly name: string;
  readonly host: Host;
  readonly nodeIP: Ipv4;
  /** The node's NIC on the node network. */
  readonly dev: string;
  readonly podCIDR: Cidr;
}

export interface CniCluster {
  readonly model: CniModelName;
  readonly clusterCIDR: Cidr;
  readonly nodes: readonly CniNode[];
  /**
   * Flannel: each node's flannel.1 MAC, random as the kernel makes it; flanneld publishes it in
   * the node's `flannel.alpha.coreos.com/backend-data` annotation for the other nodes to program.
   */
  readonly vtepMacs: ReadonlyMap<string, Mac>;
}

const CNI_BIN = '/opt/cni/bin';
const CNI_CONF_DIR = '/etc/cni/net.d';

/** The network config the runtime passes on stdin, as the node's /etc/cni/net.d file holds it. */
export function cniConfig(c: CniCluster, node: CniNode): { file: string; text: string } {
  if (c.model === 'flannel') {
    // What the flannel plugin delegates to bridge (flannel's default delegate), with the node's
    // lease from /run/flannel/subnet.env and FLANNEL_MTU 1450.
    return {
      file: '10-flannel.conflist',
      text: `${JSON.stringify(
        {
          cniVersion: '0.2.0',
          name: 'cbr0',
          type: 'bridge',
          bridge: 'cni0',
          mtu: 1450,
          hairpinMode: true,
          ipMasq: false,
          isGateway: true,
          isDefaultGateway: true,
          ipam: {
            type: 'host-local',
            subnet: formatCidr(node.podCIDR),
            routes: [{ dst: formatCidr(c.clusterCIDR) }],
          },
        },
        null,
        2,
      )}\n`,
    };
  }
  return {
    file: '10-bridge.conf',
    text: `${JSON.stringify(
      {
        cniVersion: '0.2.0',
        name: 'bridge',
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        isDefaultGateway: true,
        hairpinMode: true,
        ipMasq: false,
        ipam: { type: 'host-local', subnet: formatCidr(node.podCIDR) },
      },
      null,
      2,
    )}\n`,
  };
}

/** The first address of a node's pod CIDR: the bridge's (bridge) or flannel.1's (flannel). */
export function gatewayOf(podCIDR: Cidr): Ipv4 {
  return ipv4Add(podCIDR.addr, 1);
}

/**
 * What the node agent sets up before any pod runs: the plugin binaries and config, forwarding and
 * br_netfilter (kubeadm's preflight requires both), and the way to the other nodes' pods.
 * Returns the command lines that failed, with their errors.
 */
export function setupNodeNetwork(c: CniCluster, node: CniNode): string[] {
  const host = node.host;
  const fs = host.fs;
  fs.mkdirp(CNI_BIN);
  for (const id of Object.keys(CNI_BINARIES)) {
    const name = id.slice('cni-'.length, id.indexOf('@'));
    fs.writeFile(`${CNI_BIN}/${name}`, binaryContent(id));
  }
  fs.mkdirp(CNI_CONF_DIR);
  const conf = cniConfig(c, node);
  fs.writeFile(`${CNI_CONF_DIR}/${conf.file}`, conf.text);
  const lines = ['modprobe br_netfilter', 'sysctl -q -w net.ipv4.ip_forward=1'];
  const others = c.nodes.filter((n) => n.name !== node.name);
  if (c.model === 'bridge') {
    // Flat routing: every node knows each other node's pod CIDR is behind that node's IP.
    for (const o of others)
      lines.push(
        `ip route add ${formatCidr(o.podCIDR)} via ${formatIpv4(o.nodeIP)} dev ${node.dev}`,
      );
    // kindnet's masquerade agent: what leaves the pod network for anywhere else but the node
    // itself is masqueraded; pod-to-pod keeps its addresses (the bridge plugin's own ipMasq
    // would exempt only the node's subnet, hiding pods from pods on other nodes).
    const cc = formatCidr(c.clusterCIDR);
    lines.push(
      'iptables -t nat -N KIND-MASQ-AGENT',
      `iptables -t nat -A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment "kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" -j KIND-MASQ-AGENT`,
      `iptables -t nat -A KIND-MASQ-AGENT -d ${cc} -m comment --comment "kind-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN`,
      `iptables -t nat -A KIND-MASQ-AGENT -m comment --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE`,
    );
  } else {
    // flanneld's vxlan backend: flannel.1 (VNI 1, port 8472, no learning) holding the network
    // address of the node's lease as a /32; per remote lease a route via its flannel.1 address
    // (onlink), a permanent neighbour entry for that address and an FDB entry to the node IP.
    fs.mkdirp('/run/flannel');
    fs.writeFile(
      '/run/flannel/subnet.env',
      `FLANNEL_NETWORK=${formatCidr(c.clusterCIDR)}\nFLANNEL_SUBNET=${formatIpv4(gatewayOf(node.podCIDR))}/${node.podCIDR.len}\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
    );
    lines.push(
      `ip link add flannel.1 address ${c.vtepMacs.get(node.name)!} type vxlan id 1 local ${formatIpv4(node.nodeIP)} dev ${node.dev} dstport 8472 nolearning`,
      `ip addr add ${formatIpv4(node.podCIDR.addr)}/32 dev flannel.1`,
      'ip link set flannel.1 up',
    );
    for (const o of others) {
      const net = formatIpv4(o.podCIDR.addr);
      lines.push(
        `ip neigh add ${net} lladdr ${c.vtepMacs.get(o.name)!} dev flannel.1 nud permanent`,
        `bridge fdb append ${c.vtepMacs.get(o.name)!} dev flannel.1 dst ${formatIpv4(o.nodeIP)}`,
        `ip route add ${formatCidr(o.podCIDR)} via ${net} dev flannel.1 onlink`,
      );
    }
    // flanneld's masquerade rules (FLANNEL_IPMASQ): traffic within the pod network keeps its
    // addresses; pods reaching outside it are masqueraded.
    const cc = formatCidr(c.clusterCIDR);
    const own = formatCidr(node.podCIDR);
    const m = '-m comment --comment "flanneld masq"';
    lines.push(
      'iptables -t nat -N FLANNEL-POSTRTG',
      `iptables -t nat -A POSTROUTING ${m} -j FLANNEL-POSTRTG`,
      `iptables -t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${m} -j RETURN`,
      `iptables -t nat -A FLANNEL-POSTRTG -s ${own} -d ${cc} ${m} -j RETURN`,
      `iptables -t nat -A FLANNEL-POSTRTG -s ${cc} -d ${own} ${m} -j RETURN`,
      `iptables -t nat -A FLANNEL-POSTRTG ! -s ${cc} -d ${own} ${m} -j RETURN`,
      `iptables -t nat -A FLANNEL-POSTRTG -s ${cc} ! -d 224.0.0.0/4 ${m} -j MASQUERADE --random-fully`,
      `iptables -t nat -A FLANNEL-POSTRTG ! -s ${cc} -d ${cc} ${m} -j MASQUERADE --random-fully`,
    );
  }
  const sh = new Shell(host.world, host);
  const failed: string[] = [];
  for (const l of lines) {
    const r = sh.run(l);
    if (r.exitCode !== 0) failed.push(`${l}: ${r.stderr.trim()}`);
  }
  return failed;
}

export interface CniAddResult {
  readonly ok: boolean;
  readonly ip?: Ipv4;
  /** The plugin's stdout (the result JSON) or its error JSON. */
  readonly output: string;
}

/** The runtime's CNI call for one pod sandbox (ADD or DEL), as containerd makes it. */
export function cniInvoke(
  c: CniCluster,
  node: CniNode,
  command: 'ADD' | 'DEL',
  containerId: string,
  netnsPath: string,
  podNs: NetNs | undefined,
): CniAddResult {
  const conf = cniConfig(c, node);
  let out = '';
  const code = CNI_BINARIES['cni-bridge@v0.4.0']!({
    host: node.host,
    ns: node.host.rootNs,
    env: new Map([
      ['CNI_COMMAND', command],
      ['CNI_CONTAINERID', containerId],
      ['CNI_NETNS', netnsPath],
      ['CNI_IFNAME', 'eth0'],
      ['CNI_PATH', CNI_BIN],
    ]),
    stdin: conf.text,
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
  });
  if (code !== 0 || command === 'DEL') return { ok: code === 0, output: out };
  const addr = podNs?.device('eth0')?.addrs[0]?.local;
  return { ok: addr !== undefined, ip: addr, output: out };
}
