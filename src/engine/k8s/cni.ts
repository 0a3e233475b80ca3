/**
 * The pod network, as a node's CNI plugin and its agent build it. Each model has two halves:
 * what the agent does once per node (routes to the other nodes' pod CIDRs, Flannel's VXLAN device
 * and its neighbour/FDB entries) and what the plugin does per pod sandbox (the runtime calls it
 * with CNI_COMMAND=ADD/DEL). Both use the same emulated binaries and commands a learner can run.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { type Cidr, type Ipv4, formatCidr, formatIpv4, ipv4Add, parseIpv4 } from '../net/ipv4';
import { Process } from '../linux/process';
import { TOOLS } from '../shell/tools';
import { runTool } from './images';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { CNI_BINARIES, binaryContent } from '../shell/tools/cni/plugins';
import type { Mac } from '../net/mac';

export type CniModelName = 'bridge' | 'flannel' | 'calico';

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
  /** Calico: IP-in-IP through tunl0 between nodes (the manifests' default), or plain routes. */
  readonly calicoEncapsulation?: 'IPIP' | 'None';
}

const CNI_BIN = '/opt/cni/bin';
const CNI_CONF_DIR = '/etc/cni/net.d';

/** A config file as the node holds it: indented JSON and a final newline. */
const confFile = (file: string, conf: object) => ({
  file,
  text: `${JSON.stringify(conf, null, 2)}\n`,
});

/** The network config the runtime passes on stdin, as the node's /etc/cni/net.d file holds it. */
export function cniConfig(c: CniCluster, node: CniNode): { file: string; text: string } {
  if (c.model === 'calico') {
    // The calico plugin with host-local IPAM over the node's pod CIDR (`usePodCidr`); the
    // plugin's own network setup is in calicoInvoke below.
    return confFile('10-calico.conflist', {
      cniVersion: '0.2.0',
      name: 'k8s-pod-network',
      type: 'calico',
      mtu: c.calicoEncapsulation === 'None' ? 1500 : 1480,
      ipam: { type: 'host-local', subnet: formatCidr(node.podCIDR) },
    });
  }
  if (c.model === 'flannel') {
    // What the flannel plugin delegates to bridge (flannel's default delegate), with the node's
    // lease from /run/flannel/subnet.env and FLANNEL_MTU 1450.
    return confFile('10-flannel.conflist', {
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
    });
  }
  return confFile('10-bridge.conf', {
    cniVersion: '0.2.0',
    name: 'bridge',
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    isDefaultGateway: true,
    hairpinMode: true,
    ipMasq: false,
    ipam: { type: 'host-local', subnet: formatCidr(node.podCIDR) },
  });
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
  if (c.model === 'calico') {
    // Handled below, after the common steps.
  } else if (c.model === 'bridge') {
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
  if (c.model === 'calico') {
    // BIRD's routes (proto bird): a blackhole for the node's own block, and each other node's
    // block via that node, through tunl0 (onlink) with IP-in-IP or straight out of eth0.
    const ipip = c.calicoEncapsulation !== 'None';
    if (ipip)
      lines.push(
        'modprobe ipip',
        `ip addr add ${formatIpv4(node.podCIDR.addr)}/32 dev tunl0`,
        'ip link set tunl0 mtu 1480 up',
      );
    lines.push(`ip route add blackhole ${formatCidr(node.podCIDR)} proto bird`);
    for (const o of others)
      lines.push(
        ipip
          ? `ip route add ${formatCidr(o.podCIDR)} via ${formatIpv4(o.nodeIP)} dev tunl0 proto bird onlink`
          : `ip route add ${formatCidr(o.podCIDR)} via ${formatIpv4(o.nodeIP)} dev ${node.dev} proto bird`,
      );
  }
  const failed: string[] = [];
  for (const l of lines) {
    const e = runNow(host, host.rootNs, l);
    if (e) failed.push(e);
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
  /** K8S_POD_NAMESPACE.K8S_POD_NAME, which Calico hashes into the host veth's name. */
  podKey = '',
): CniAddResult {
  const conf = cniConfig(c, node);
  if (c.model === 'calico')
    return calicoInvoke(c, node, command, containerId, netnsPath, podNs, podKey);
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

/** Calico's host-side veth name: "cali" + the first 11 hex digits of sha1("<ns>.<pod>"). */
export function caliName(podKey: string): string {
  const h = [...sha1(utf8ToBytes(podKey))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `cali${h.slice(0, 11)}`;
}

/**
 * Runs one of the agent's or plugin's commands to completion, as a process of its own (ip,
 * iptables, sysctl, modprobe and bridge finish at once); words split on spaces, "…" quoted.
 * Returns the command and its error when it failed.
 */
function runNow(host: Host, ns: NetNs, line: string): string | undefined {
  const argv = splitQuoted(line);
  const proc = new Process(host, ns, argv, new Map(), '/');
  let err = '';
  proc.sink = (ch) => {
    if (ch.stream === 'stderr') err += ch.text;
  };
  runTool(proc, argv, (n) => TOOLS[n]);
  if (proc.running) {
    proc.exit(1);
    return `${line}: did not finish at once`;
  }
  return proc.exitCode === 0 ? undefined : `${line}: ${err.trim()}`;
}

/**
 * A command line's words (the agents separate them with spaces and tabs only): runs of
 * non-spaces, or "…" whole, without its quotes.
 */
export function splitQuoted(line: string): string[] {
  const out: string[] = [];
  const n = line.length;
  for (let i = 0; i < n;) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      const close = line.indexOf('"', i + 1);
      if (close >= 0) {
        out.push(line.slice(i + 1, close));
        i = close + 1;
        continue;
      }
    }
    let j = i + 1;
    while (j < n && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

/**
 * The calico CNI plugin's ADD (cni-plugin pkg/dataplane/linux): host-local hands out the
 * address; the pod gets it as a /32 with a link route to 169.254.1.1 and a default route via
 * that address, which nobody holds: the host end, cali…, answers ARP for it by proxy ARP with
 * its fixed MAC ee:ee:ee:ee:ee:ee. The node routes the pod's address to that veth.
 */
function calicoInvoke(
  c: CniCluster,
  node: CniNode,
  command: 'ADD' | 'DEL',
  containerId: string,
  netnsPath: string,
  podNs: NetNs | undefined,
  podKey: string,
): CniAddResult {
  const host = node.host;
  const root = host.rootNs;
  const cali = caliName(podKey);
  let out = '';
  const ipam = CNI_BINARIES['cni-host-local@v0.4.0']!({
    host,
    ns: root,
    env: new Map([
      ['CNI_COMMAND', command],
      ['CNI_CONTAINERID', containerId],
      ['CNI_NETNS', netnsPath],
      ['CNI_IFNAME', 'eth0'],
      ['CNI_PATH', CNI_BIN],
    ]),
    stdin: cniConfig(c, node).text,
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
  });
  if (command === 'DEL') {
    runNow(host, root, `ip link del ${cali}`);
    return { ok: ipam === 0, output: out };
  }
  const m = /"ip": "([0-9.]+)\//.exec(out);
  if (ipam !== 0 || !m || !podNs) return { ok: false, output: out };
  const ip = m[1]!;
  const nsName = netnsPath.slice(netnsPath.lastIndexOf('/') + 1);
  const mtu = c.calicoEncapsulation === 'None' ? 1500 : 1480;
  const steps: [NetNs, string][] = [
    [root, `ip link add ${cali} mtu ${mtu} type veth peer name eth0 netns ${nsName}`],
    [root, `ip link set ${cali} address ee:ee:ee:ee:ee:ee`],
    [root, `sysctl -q -w net.ipv4.conf.${cali}.proxy_arp=1`],
    [root, `sysctl -q -w net.ipv4.neigh.${cali}.proxy_delay=0`],
    [root, `sysctl -q -w net.ipv4.conf.${cali}.forwarding=1`],
    [root, `ip link set ${cali} up`],
    [podNs, `ip addr add ${ip}/32 dev eth0`],
    [podNs, 'ip link set eth0 up'],
    [podNs, 'ip route add 169.254.1.1 dev eth0 scope link'],
    [podNs, 'ip route add default via 169.254.1.1 dev eth0'],
    [root, `ip route add ${ip} dev ${cali} scope link`],
  ];
  for (const [ns, line] of steps) {
    const e = runNow(host, ns, line);
    if (e) return { ok: false, output: `${out}${e}\n` };
  }
  return { ok: true, ip: parseIpv4(ip), output: out };
}
