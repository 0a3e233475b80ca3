/**
 * NetworkPolicy enforced in each node's filter table the way kube-router's network policy
 * controller does it in iptables mode, following kube-router v2.9.0
 * (pkg/controllers/netpol: network_policy_controller.go, pod.go, policy.go, utils.go; the last
 * release before v2.10 moved the REJECT into KUBE-NWPLCY-TAIL). One full sync per node:
 *
 * - ensureTopLevelChains, with single iptables commands: KUBE-ROUTER-INPUT / -FORWARD / -OUTPUT
 *   jumped to at position 1 of INPUT / FORWARD / OUTPUT ("kube-router netpol - <uuid>", the uuid
 *   being the first 16 characters of base32(sha256(chain + the rule's words))); in
 *   KUBE-ROUTER-INPUT, RETURN for the service cluster IP range and for LOCAL TCP/UDP/SCTP traffic
 *   to the node-port range (30000:32767).
 * - KUBE-NWPLCY-DEFAULT (mark 0x10000/0x10000: allowed, for a direction no policy covers) and
 *   KUBE-NWPLCY-COMMON (INVALID dropped, RELATED,ESTABLISHED accepted, ICMP echo-request,
 *   destination-unreachable and time-exceeded accepted), appended with -C/-A as go-iptables'
 *   AppendUnique does. Those two commands pass the comment with its Go quotes inside
 *   ("\"rule for stateful firewall for pod\""), so the comment keeps them, as the source says.
 * - iptables-save of the filter table, then appended to it: one KUBE-NWPLCY-<hash> chain per
 *   policy (hash of namespace + name + sync version + "IPv4") with, per allowed peer/port, a
 *   `-j MARK --set-xmark 0x10000/0x10000` rule and its `-m mark --mark 0x10000/0x10000 -j RETURN`
 *   twin, peers matched with `-m set --match-set KUBE-SRC-…|KUBE-DST-… src|dst`; one
 *   KUBE-POD-FW-<hash> chain per pod running on the node (hash of namespace + name + version):
 *   COMMON, the local-node ACCEPT, DEFAULT for an uncovered direction, the policies, then NFLOG
 *   (group 100, 10/minute burst 10) and REJECT of whatever no policy marked ("rule to REJECT
 *   traffic destined for POD name:… namespace: …"), the mark cleared, and 0x20000 set; the
 *   KUBE-ROUTER-* jumps to it by pod address (and with --physdev-is-bridged for bridged frames);
 *   the explicit ACCEPT of 0x20000 moved to the end of each KUBE-ROUTER-* chain.
 * - cleanupStaleRules drops every line naming a pod or policy chain of an earlier sync, and the
 *   result is restored whole with iptables-restore (not --noflush); ip sets go in first through
 *   `ipset restore -exist` (filled as TMP-<hash> sets and swapped in), and sets of deleted
 *   policies are destroyed after the restore.
 * - sets: KUBE-DST-/KUBE-SRC- + base32(sha256(…))[:16] of namespace + name (+ "ingressrule" /
 *   "egressrule" + index + "IPv4" + "pod" / "ipblock" / "namedport"), hash:ip with `timeout 0`,
 *   hash:net for ipBlocks with `nomatch` for each except (a /0 split into two /1s).
 *
 * The sync version is the sync's Unix time in nanoseconds (strconv.FormatInt(UnixNano, 10)), so
 * every sync renames the pod and policy chains; here it is the simulated clock, made to grow by
 * at least 1 between two syncs of a node within the same nanosecond.
 *
 * The controller starts with the first NetworkPolicy the cluster sees (as if kube-router were
 * deployed with it) and stays; a cluster that never had one keeps the filter table kube-proxy
 * wrote. Policies, pods and sets are walked in namespace/name order (kube-router walks informer
 * caches and Go maps, in no fixed order); the built-in chains in INPUT, FORWARD, OUTPUT order.
 *
 * Left out: IPv6 (only the IPv4 family is synced), --netpol-default-deny, external-IP and
 * load-balancer IP ranges in KUBE-ROUTER-INPUT, the metrics and health heartbeats, and the
 * implicit `-p sctp --dport` match (SCTP ports in a policy fail to restore).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { formatIpv4 } from '../net/ipv4';
import { ipsetsOf, runIpset } from '../linux/ipset';
import type { Netfilter } from '../linux/netfilter';
import { IptError } from '../shell/tools/iptables/rule';
import { iptablesRestore, iptablesSave, runIptables } from '../shell/tools/iptables/index';
import type { Cluster } from './cluster';
import { base32, sha256 } from './kubeProxy';
import { type LabelSelectorData, type NetworkPolicyManifest, selectorMatches } from './objects';

// --- the controller's view of the API

export interface NetpolPod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** status.podIP ('' while none is assigned). */
  readonly ip: string;
  /** status.hostIP: the node the pod runs on. */
  readonly hostIP: string;
  readonly hostNetwork: boolean;
  /** Phase Succeeded or Failed. */
  readonly finished: boolean;
  readonly ports: readonly { name: string; protocol: string; containerPort: number }[];
}

export interface NetpolNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface NetpolPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly spec: NetworkPolicyManifest['spec'];
}

export interface NetpolNode {
  readonly nodeIP: string;
  /** --service-cluster-ip-range. */
  readonly serviceClusterIPRange: string;
  /** --service-node-port-range, as validateNodePortRange leaves it ("30000:32767"). */
  readonly nodePortRange?: string;
}

export interface NetpolInput {
  readonly node: NetpolNode;
  readonly pods: readonly NetpolPod[];
  readonly namespaces: readonly NetpolNamespace[];
  readonly policies: readonly NetpolPolicy[];
}

// --- names

const FAMILY = 'IPv4';
const hash16 = (s: string) => base32(sha256(s)).slice(0, 16);

export const podFirewallChainName = (ns: string, pod: string, version: string) =>
  `KUBE-POD-FW-${hash16(ns + pod + version)}`;
export const networkPolicyChainName = (ns: string, policy: string, version: string) =>
  `KUBE-NWPLCY-${hash16(ns + policy + version + FAMILY)}`;
export const policySourcePodIPSetName = (ns: string, policy: string) =>
  `KUBE-SRC-${hash16(ns + policy + FAMILY)}`;
export const policyDestinationPodIPSetName = (ns: string, policy: string) =>
  `KUBE-DST-${hash16(ns + policy + FAMILY)}`;
const indexed = (
  prefix: string,
  ns: string,
  policy: string,
  dir: string,
  i: number,
  kind: string,
) => `${prefix}${hash16(`${ns}${policy}${dir}rule${i}${FAMILY}${kind}`)}`;
export const policyIndexedSourcePodIPSetName = (ns: string, p: string, i: number) =>
  indexed('KUBE-SRC-', ns, p, 'ingress', i, 'pod');
export const policyIndexedDestinationPodIPSetName = (ns: string, p: string, i: number) =>
  indexed('KUBE-DST-', ns, p, 'egress', i, 'pod');
export const policyIndexedSourceIPBlockIPSetName = (ns: string, p: string, i: number) =>
  indexed('KUBE-SRC-', ns, p, 'ingress', i, 'ipblock');
export const policyIndexedDestinationIPBlockIPSetName = (ns: string, p: string, i: number) =>
  indexed('KUBE-DST-', ns, p, 'egress', i, 'ipblock');
const namedPortSet = (ns: string, p: string, dir: string, i: number, n: number) =>
  `KUBE-DST-${hash16(`${ns}${p}${dir}rule${i}${n}${FAMILY}namedport`)}`;

const INPUT = 'KUBE-ROUTER-INPUT';
const FORWARD = 'KUBE-ROUTER-FORWARD';
const OUTPUT = 'KUBE-ROUTER-OUTPUT';
const DEFAULT_CHAIN = 'KUBE-NWPLCY-DEFAULT';
const COMMON_CHAIN = 'KUBE-NWPLCY-COMMON';
const DEFAULT_CHAINS: readonly [string, string][] = [
  ['INPUT', INPUT],
  ['FORWARD', FORWARD],
  ['OUTPUT', OUTPUT],
];

// --- the policies as kube-router reads them (buildNetworkPoliciesInfo)

interface PortProto {
  protocol: string;
  port: string;
  endport: string;
}
interface NamedEps extends PortProto {
  ips: string[];
}
type NamedPorts = Map<string, Map<string, Map<string, NamedEps>>>;

interface Rule {
  matchAllPorts: boolean;
  ports: PortProto[];
  namedPorts: NamedEps[];
  matchAll: boolean;
  peers: NetpolPod[];
  ipBlocks: string[][];
}

interface PolicyInfo {
  name: string;
  namespace: string;
  targetPods: NetpolPod[];
  ingress?: Rule[];
  egress?: Rule[];
  type: 'ingress' | 'egress' | 'both';
}

const actionable = (p: NetpolPod) => !p.finished && p.ip !== '' && !p.hostNetwork;

function grabNamedPorts(pod: NetpolPod, into: NamedPorts): void {
  for (const port of pod.ports) {
    let byProto = into.get(port.name);
    if (!byProto) into.set(port.name, (byProto = new Map()));
    let byNum = byProto.get(port.protocol);
    if (!byNum) byProto.set(port.protocol, (byNum = new Map()));
    const num = String(port.containerPort);
    const eps = byNum.get(num);
    if (eps) eps.ips.push(pod.ip);
    else byNum.set(num, { ips: [pod.ip], protocol: port.protocol, port: num, endport: '' });
  }
}

function buildPolicies(input: NetpolInput): PolicyInfo[] {
  const podsIn = (ns: string, sel: LabelSelectorData | undefined) =>
    input.pods.filter(
      (p) => p.namespace === ns && (sel === undefined || selectorMatches(sel, p.labels)),
    );
  const out: PolicyInfo[] = [];
  for (const pol of input.policies) {
    const spec = pol.spec;
    // The API server's defaulting: Ingress always, Egress when there are egress rules.
    const types = spec.policyTypes ?? ['Ingress', ...(spec.egress ? (['Egress'] as const) : [])];
    const ing = types.includes('Ingress');
    const eg = types.includes('Egress');
    const info: PolicyInfo = {
      name: pol.name,
      namespace: pol.namespace,
      targetPods: [],
      type: ing && eg ? 'both' : eg ? 'egress' : 'ingress',
      ingress: spec.ingress ? [] : undefined,
      egress: spec.egress ? [] : undefined,
    };
    const ingressNamed: NamedPorts = new Map();
    for (const p of podsIn(pol.namespace, spec.podSelector)) {
      if (!actionable(p)) continue;
      info.targetPods.push(p);
      grabNamedPorts(p, ingressNamed);
    }
    const evalPeer = (
      peer: NonNullable<NonNullable<typeof spec.ingress>[number]['from']>[number],
    ) => {
      if (peer.namespaceSelector) {
        const nss = input.namespaces.filter((n) =>
          selectorMatches(peer.namespaceSelector!, n.labels),
        );
        return nss.flatMap((n) => podsIn(n.name, peer.podSelector));
      }
      if (peer.podSelector) return podsIn(pol.namespace, peer.podSelector);
      return [];
    };
    const ipBlock = (peer: Parameters<typeof evalPeer>[0]): string[][] => {
      if (peer.podSelector || peer.namespaceSelector || !peer.ipBlock) return [];
      const b = peer.ipBlock;
      if (b.cidr.includes(':')) return [];
      const all = (c: string, extra: string[]) =>
        c.endsWith('/0')
          ? [
              ['0.0.0.0/1', 'timeout', '0', ...extra],
              ['128.0.0.0/1', 'timeout', '0', ...extra],
            ]
          : [[c, 'timeout', '0', ...extra]];
      return [
        ...all(b.cidr, []),
        ...(b.except ?? []).filter((e) => !e.includes(':')).flatMap((e) => all(e, ['nomatch'])),
      ];
    };
    const ports = (
      specPorts: NonNullable<NonNullable<typeof spec.ingress>[number]['ports']>,
      named: NamedPorts,
    ) => {
      const numeric: PortProto[] = [];
      const namedOut: NamedEps[] = [];
      for (const p of specPorts) {
        const protocol = p.protocol ?? 'TCP';
        if (p.port === undefined) numeric.push({ protocol, port: '', endport: '' });
        else if (typeof p.port === 'number')
          numeric.push({
            protocol,
            port: String(p.port),
            endport: p.endPort !== undefined && p.endPort >= p.port ? String(p.endPort) : '',
          });
        else for (const eps of named.get(p.port)?.get(protocol)?.values() ?? []) namedOut.push(eps);
      }
      return { numeric, namedOut };
    };
    for (const r of spec.ingress ?? []) {
      const rule: Rule = {
        matchAllPorts: false,
        ports: [],
        namedPorts: [],
        matchAll: !r.from?.length,
        peers: [],
        ipBlocks: [],
      };
      for (const peer of r.from ?? []) {
        rule.peers.push(...evalPeer(peer).filter(actionable));
        rule.ipBlocks.push(...ipBlock(peer));
      }
      if (!r.ports?.length) rule.matchAllPorts = true;
      else {
        const x = ports(r.ports, ingressNamed);
        rule.ports = x.numeric;
        rule.namedPorts = x.namedOut;
      }
      info.ingress!.push(rule);
    }
    for (const r of spec.egress ?? []) {
      const rule: Rule = {
        matchAllPorts: false,
        ports: [],
        namedPorts: [],
        matchAll: !r.to?.length,
        peers: [],
        ipBlocks: [],
      };
      const egressNamed: NamedPorts = new Map();
      if (rule.matchAll && r.ports?.some((p) => typeof p.port === 'string'))
        for (const p of podsIn(pol.namespace, undefined))
          if (actionable(p)) grabNamedPorts(p, egressNamed);
      for (const peer of r.to ?? []) {
        for (const p of evalPeer(peer).filter(actionable)) {
          rule.peers.push(p);
          grabNamedPorts(p, egressNamed);
        }
        rule.ipBlocks.push(...ipBlock(peer));
      }
      if (!r.ports?.length) rule.matchAllPorts = true;
      else {
        const x = ports(r.ports, egressNamed);
        rule.ports = x.numeric;
        rule.namedPorts = x.namedOut;
      }
      info.egress!.push(rule);
    }
    out.push(info);
  }
  return out;
}

// --- the restore text

interface SetSpec {
  type: 'hash:ip' | 'hash:net';
  entries: string[][];
}

const q = (s: string) => `"${s}"`;

/** What one sync writes: the ipset restore input, the iptables-restore input, the sets in use. */
export interface NetpolRules {
  readonly ipsetRestore: string;
  readonly filterRestore: string;
  readonly activeSets: readonly string[];
  readonly activePolicyChains: readonly string[];
  readonly activePodFwChains: readonly string[];
}

/**
 * One fullPolicySync's texts for a node. `savedFilter` is `iptables-save -t filter` taken after
 * the top-level, DEFAULT and COMMON chains were ensured; `savedSets` is `ipset save`; `version`
 * the sync version that names the pod and policy chains.
 */
export function networkPolicyRules(
  input: NetpolInput,
  savedFilter: string,
  savedSets: string,
  version: string,
): NetpolRules {
  const policies = buildPolicies(input);
  const buf: string[] = savedFilter.split('\n').filter((l) => l !== '');
  const w = (...args: string[]) => buf.push(args.join(' '));
  const sets = new Map<string, SetSpec>();
  const active = new Set<string>();
  const refresh = (name: string, type: SetSpec['type'], entries: string[][]) =>
    sets.set(name, { type, entries });
  const ipEntries = (ips: readonly string[]) => ips.map((ip) => [ip, 'timeout', '0']);
  const activePolicyChains = new Set<string>();

  const append = (
    chain: string,
    comment: string,
    src: string,
    dst: string,
    protocol: string,
    dport: string,
    endport: string,
  ) => {
    const args = ['-A', chain];
    if (comment) args.push('-m', 'comment', '--comment', q(comment));
    if (src) args.push('-m', 'set', '--match-set', src, 'src');
    if (dst) args.push('-m', 'set', '--match-set', dst, 'dst');
    if (protocol) args.push('-p', protocol);
    if (dport) args.push('--dport', endport ? `${dport}:${endport}` : dport);
    w(...args, '-j', 'MARK', '--set-xmark', '0x10000/0x10000');
    w(...args, '-m', 'mark', '--mark', '0x10000/0x10000', '-j', 'RETURN');
  };

  // syncNetworkPolicyChains
  for (const pol of policies) {
    const chain = networkPolicyChainName(pol.namespace, pol.name, version);
    w(`:${chain}`);
    activePolicyChains.add(chain);
    const targetIPs = pol.targetPods.map((p) => p.ip);
    const by = (kind: string) =>
      `rule to ACCEPT traffic from ${kind} selected by policy name${kind.includes('source pods to dest pods') ? '' : ':'} ${pol.name} namespace ${pol.namespace}`;
    if (pol.type !== 'egress') {
      const dstSet = policyDestinationPodIPSetName(pol.namespace, pol.name);
      refresh(dstSet, 'hash:ip', ipEntries(targetIPs));
      (pol.ingress ?? []).forEach((r, i) => {
        if (r.peers.length) {
          const srcSet = policyIndexedSourcePodIPSetName(pol.namespace, pol.name, i);
          active.add(srcSet);
          refresh(srcSet, 'hash:ip', ipEntries(r.peers.map((p) => p.ip)));
          const c = by('source pods to dest pods');
          for (const pp of r.ports)
            append(chain, c, srcSet, dstSet, pp.protocol, pp.port, pp.endport);
          r.namedPorts.forEach((eps, n) => {
            const set = namedPortSet(pol.namespace, pol.name, 'ingress', i, n);
            active.add(set);
            refresh(set, 'hash:ip', ipEntries(eps.ips));
            append(chain, c, srcSet, set, eps.protocol, eps.port, eps.endport);
          });
          if (!r.ports.length && !r.namedPorts.length) append(chain, c, srcSet, dstSet, '', '', '');
        }
        if (r.matchAll && !r.matchAllPorts) {
          const c = by('all sources to dest pods');
          for (const pp of r.ports) append(chain, c, '', dstSet, pp.protocol, pp.port, pp.endport);
          r.namedPorts.forEach((eps, n) => {
            const set = namedPortSet(pol.namespace, pol.name, 'ingress', i, n);
            active.add(set);
            refresh(set, 'hash:ip', ipEntries(eps.ips));
            append(chain, c, '', set, eps.protocol, eps.port, eps.endport);
          });
        }
        if (r.matchAll && r.matchAllPorts)
          append(chain, by('all sources to dest pods'), '', dstSet, '', '', '');
        if (r.ipBlocks.length) {
          const set = policyIndexedSourceIPBlockIPSetName(pol.namespace, pol.name, i);
          active.add(set);
          refresh(set, 'hash:net', r.ipBlocks);
          const c = by('specified ipBlocks to dest pods');
          if (!r.matchAllPorts) {
            for (const pp of r.ports)
              append(chain, c, set, dstSet, pp.protocol, pp.port, pp.endport);
            r.namedPorts.forEach((eps, n) => {
              const np = namedPortSet(pol.namespace, pol.name, 'ingress', i, n);
              active.add(np);
              refresh(np, 'hash:net', ipEntries(eps.ips));
              append(chain, c, set, np, eps.protocol, eps.port, eps.endport);
            });
          } else append(chain, c, set, dstSet, '', '', '');
        }
      });
      active.add(dstSet);
    }
    if (pol.type !== 'ingress') {
      const srcSet = policySourcePodIPSetName(pol.namespace, pol.name);
      refresh(srcSet, 'hash:ip', ipEntries(targetIPs));
      (pol.egress ?? []).forEach((r, i) => {
        if (r.peers.length) {
          const dstSet = policyIndexedDestinationPodIPSetName(pol.namespace, pol.name, i);
          active.add(dstSet);
          refresh(dstSet, 'hash:ip', ipEntries(r.peers.map((p) => p.ip)));
          const c = by('source pods to dest pods');
          for (const pp of r.ports)
            append(chain, c, srcSet, dstSet, pp.protocol, pp.port, pp.endport);
          r.namedPorts.forEach((eps, n) => {
            const set = namedPortSet(pol.namespace, pol.name, 'egress', i, n);
            active.add(set);
            refresh(set, 'hash:ip', ipEntries(eps.ips));
            append(chain, c, srcSet, set, eps.protocol, eps.port, eps.endport);
          });
          if (!r.ports.length && !r.namedPorts.length) append(chain, c, srcSet, dstSet, '', '', '');
        }
        const all = by('source pods to all destinations');
        if (r.matchAll && !r.matchAllPorts)
          for (const pp of [...r.ports, ...r.namedPorts])
            append(chain, all, srcSet, '', pp.protocol, pp.port, pp.endport);
        if (r.matchAll && r.matchAllPorts) append(chain, all, srcSet, '', '', '', '');
        if (r.ipBlocks.length) {
          const set = policyIndexedDestinationIPBlockIPSetName(pol.namespace, pol.name, i);
          active.add(set);
          refresh(set, 'hash:net', r.ipBlocks);
          const c = by('source pods to specified ipBlocks');
          if (!r.matchAllPorts)
            for (const pp of r.ports)
              append(chain, c, srcSet, set, pp.protocol, pp.port, pp.endport);
          else append(chain, c, srcSet, set, '', '', '');
        }
      });
      active.add(srcSet);
    }
  }

  // syncPodFirewallChains
  const activePodFwChains = new Set<string>();
  const local = input.pods.filter((p) => p.hostIP === input.node.nodeIP && actionable(p));
  for (const pod of local) {
    const fw = podFirewallChainName(pod.namespace, pod.name, version);
    const ip = pod.ip;
    w(`:${fw}`);
    activePodFwChains.add(fw);
    // setupPodNetpolRules: each -I … 1 lands in front of the one before.
    let hasIngress = false;
    let hasEgress = false;
    for (const pol of policies) {
      if (!pol.targetPods.some((t) => t.ip === ip)) continue;
      const comment = q(`run through nw policy ${pol.name}`);
      const chain = networkPolicyChainName(pol.namespace, pol.name, version);
      if (pol.type === 'both') {
        hasIngress = hasEgress = true;
        w('-I', fw, '1', '-m', 'comment', '--comment', comment, '-j', chain);
      } else if (pol.type === 'ingress') {
        hasIngress = true;
        w('-I', fw, '1', '-d', ip, '-m', 'comment', '--comment', comment, '-j', chain);
      } else {
        hasEgress = true;
        w('-I', fw, '1', '-s', ip, '-m', 'comment', '--comment', comment, '-j', chain);
      }
    }
    if (!hasIngress)
      w(
        '-I',
        fw,
        '1',
        '-d',
        ip,
        '-m',
        'comment',
        '--comment',
        q('run through default ingress network policy chain'),
        '-j',
        DEFAULT_CHAIN,
      );
    if (!hasEgress)
      w(
        '-I',
        fw,
        '1',
        '-s',
        ip,
        '-m',
        'comment',
        '--comment',
        q('run through default egress network policy chain'),
        '-j',
        DEFAULT_CHAIN,
      );
    w(
      '-I',
      fw,
      '1',
      '-m',
      'comment',
      '--comment',
      q("rule to permit the traffic traffic to pods when source is the pod's local node"),
      '-m',
      'addrtype',
      '--src-type',
      'LOCAL',
      '-d',
      ip,
      '-j',
      'ACCEPT',
    );
    w(
      '-I',
      fw,
      '1',
      '-m',
      'comment',
      '--comment',
      q('common bi-directional traffic policy rules'),
      '-j',
      COMMON_CHAIN,
    );
    // interceptPodInboundTraffic
    const to = q(
      `rule to jump traffic destined to POD name:${pod.name} namespace: ${pod.namespace} to chain ${fw}`,
    );
    w('-A', FORWARD, '-m', 'comment', '--comment', to, '-d', ip, '-j', fw);
    w('-A', OUTPUT, '-m', 'comment', '--comment', to, '-d', ip, '-j', fw);
    w(
      '-A',
      FORWARD,
      '-m',
      'physdev',
      '--physdev-is-bridged',
      '-m',
      'comment',
      '--comment',
      to,
      '-d',
      ip,
      '-j',
      fw,
    );
    // interceptPodOutboundTraffic
    const from = q(
      `rule to jump traffic from POD name:${pod.name} namespace: ${pod.namespace} to chain ${fw}`,
    );
    for (const [, chain] of DEFAULT_CHAINS)
      w('-A', chain, '-m', 'comment', '--comment', from, '-s', ip, '-j', fw);
    w(
      '-A',
      FORWARD,
      '-m',
      'physdev',
      '--physdev-is-bridged',
      '-m',
      'comment',
      '--comment',
      from,
      '-s',
      ip,
      '-j',
      fw,
    );
    // dropUnmarkedTrafficRules
    w(
      '-A',
      fw,
      '-m',
      'comment',
      '--comment',
      q(`rule to log dropped traffic POD name:${pod.name} namespace: ${pod.namespace}`),
      '-m',
      'mark',
      '!',
      '--mark',
      '0x10000/0x10000',
      '-j',
      'NFLOG',
      '--nflog-group',
      '100',
      '-m',
      'limit',
      '--limit',
      '10/minute',
      '--limit-burst',
      '10',
    );
    w(
      '-A',
      fw,
      '-m',
      'comment',
      '--comment',
      q(`rule to REJECT traffic destined for POD name:${pod.name} namespace: ${pod.namespace}`),
      '-m',
      'mark',
      '!',
      '--mark',
      '0x10000/0x10000',
      '-j',
      'REJECT',
    );
    w('-A', fw, '-j', 'MARK', '--set-mark', '0/0x10000');
    w(
      '-A',
      fw,
      '-m',
      'comment',
      '--comment',
      q('set mark to ACCEPT traffic that comply to network policies'),
      '-j',
      'MARK',
      '--set-mark',
      '0x20000/0x20000',
    );
  }

  // ensureExplicitAccept: utils.AppendUnique on the buffer.
  for (const [, chain] of DEFAULT_CHAINS) {
    const rule = [
      '-m',
      'comment',
      '--comment',
      q('rule to explicitly ACCEPT traffic that comply to network policies'),
      '-m',
      'mark',
      '--mark',
      '0x20000/0x20000',
      '-j',
      'ACCEPT',
    ].join(' ');
    for (let i = buf.length - 1; i >= 0; i--)
      if (buf[i]!.includes(chain) && buf[i]!.includes(rule)) buf.splice(i, 1);
    w('-A', chain, rule);
  }

  // cleanupStaleRules
  const chains = savedFilter
    .split('\n')
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0]!);
  const stale = chains.filter(
    (c) =>
      (c.startsWith('KUBE-NWPLCY-') &&
        c !== DEFAULT_CHAIN &&
        c !== COMMON_CHAIN &&
        !activePolicyChains.has(c)) ||
      (c.startsWith('KUBE-POD-FW-') && !activePodFwChains.has(c)),
  );
  const newChains: string[] = [];
  const newRules: string[] = [];
  for (const line of buf) {
    if (stale.some((c) => line.includes(c))) continue;
    if (line.includes('COMMIT') || line.startsWith('# ')) continue;
    if (line.startsWith(':')) newChains.push(`${line} - [0:0]`);
    if (line.startsWith('-')) newRules.push(line);
  }
  const filterRestore = ['*filter', ...newChains, ...newRules, 'COMMIT', ''].join('\n');

  // RestoreSets: the active sets, by name, through a temporary set per option string.
  const existingOptions = new Map<string, string>();
  for (const l of savedSets.split('\n')) {
    const m = /^create (\S+) (.*)$/.exec(l);
    if (m) existingOptions.set(m[1]!, m[2]!.replace(/ initval 0x[0-9a-f]+/, ''));
  }
  const restore: string[] = [];
  const tmpSets = new Map<string, string>();
  for (const name of [...sets.keys()].filter((n) => active.has(n)).sort()) {
    const set = sets.get(name)!;
    const options = existingOptions.get(name) ?? `${set.type} timeout 0`;
    let tmp = tmpSets.get(options);
    if (tmp === undefined) {
      tmp = `TMP-${base32(sha1First10(`tmp:${options}`))}`;
      restore.push(`create ${tmp} ${options}`, `flush ${tmp}`);
      tmpSets.set(options, tmp);
    }
    for (const e of set.entries) restore.push(`add ${tmp} ${e.join(' ')}`);
    restore.push(`create ${name} ${options}`, `swap ${tmp} ${name}`, `flush ${tmp}`);
  }
  for (const tmp of [...tmpSets.values()].sort()) restore.push(`destroy ${tmp}`);

  return {
    ipsetRestore: restore.length ? `${restore.join('\n')}\n` : '',
    filterRestore,
    activeSets: [...active].sort(),
    activePolicyChains: [...activePolicyChains],
    activePodFwChains: [...activePodFwChains],
  };
}

/** The first 10 bytes of SHA-1 (BuildIPSetRestore's temporary set names). */
function sha1First10(text: string): Uint8Array {
  return sha1(utf8ToBytes(text)).slice(0, 10);
}

// --- applying it on the nodes

function tryIpt(nf: Netfilter, args: string[]): string | undefined {
  try {
    return runIptables(nf, args);
  } catch (e) {
    if (e instanceof IptError) return undefined;
    throw e;
  }
}

function must(nf: Netfilter, args: string[]): void {
  runIptables(nf, args);
}

const uuidOf = (chain: string, spec: readonly string[]) => hash16(chain + spec.join(''));

/** ensureRuleAtPosition: insert the rule, or move it to `position` if it sits elsewhere. */
function ensureAt(nf: Netfilter, chain: string, spec: string[], uuid: string, position: number) {
  if (tryIpt(nf, ['-t', 'filter', '-C', chain, ...spec]) === undefined) {
    must(nf, ['-t', 'filter', '-I', chain, String(position), ...spec]);
    return;
  }
  const rules = runIptables(nf, ['-t', 'filter', '-S', chain]).split('\n').filter(Boolean);
  let ruleNo = 0;
  let offset = 0;
  for (const [i, raw] of rules.entries()) {
    const rule = raw.replace('"', '').replace('"', '');
    if (rule.startsWith('-P') || rule.startsWith('-N')) {
      offset++;
      continue;
    }
    if (rule.includes(uuid)) {
      ruleNo = i + 1 - offset;
      break;
    }
  }
  if (ruleNo !== position) {
    must(nf, ['-t', 'filter', '-I', chain, String(position), ...spec]);
    must(nf, ['-t', 'filter', '-D', chain, String(ruleNo + 1)]);
  }
}

function withUuid(chain: string, spec: string[]): { spec: string[]; uuid: string } {
  const uuid = uuidOf(chain, spec);
  const i = spec.indexOf('--comment');
  const out = [...spec];
  out[i + 1] = `${out[i + 1]} - ${uuid}`;
  return { spec: out, uuid };
}

function ensureChain(nf: Netfilter, chain: string): void {
  if (!nf.tables.get('filter')?.chains.has(chain)) must(nf, ['-t', 'filter', '-N', chain]);
}

function appendUnique(nf: Netfilter, chain: string, spec: string[]): void {
  if (tryIpt(nf, ['-t', 'filter', '-C', chain, ...spec]) === undefined)
    must(nf, ['-t', 'filter', '-A', chain, ...spec]);
}

/** ensureTopLevelChains, ensureDefaultNetworkPolicyChain and ensureCommonPolicyChain. */
function ensureBaseChains(nf: Netfilter, node: NetpolNode): void {
  for (const [builtin, custom] of DEFAULT_CHAINS) {
    ensureChain(nf, custom);
    const r = withUuid(builtin, ['-m', 'comment', '--comment', 'kube-router netpol', '-j', custom]);
    ensureAt(nf, builtin, r.spec, r.uuid, 1);
  }
  let position = 1;
  const vip = withUuid(INPUT, [
    '-m',
    'comment',
    '--comment',
    'allow traffic to primary/secondary cluster IP range',
    '-d',
    node.serviceClusterIPRange,
    '-j',
    'RETURN',
  ]);
  ensureAt(nf, INPUT, vip.spec, vip.uuid, position++);
  for (const proto of ['tcp', 'udp', 'sctp']) {
    const r = withUuid(INPUT, [
      '-p',
      proto,
      '-m',
      'comment',
      '--comment',
      `allow LOCAL ${proto.toUpperCase()} traffic to node ports`,
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      '-m',
      'multiport',
      '--dports',
      node.nodePortRange ?? '30000:32767',
      '-j',
      'RETURN',
    ]);
    ensureAt(nf, INPUT, r.spec, r.uuid, position++);
  }
  ensureChain(nf, DEFAULT_CHAIN);
  appendUnique(nf, DEFAULT_CHAIN, [
    '-j',
    'MARK',
    '-m',
    'comment',
    '--comment',
    'rule to mark traffic matching a network policy',
    '--set-xmark',
    '0x10000/0x10000',
  ]);
  ensureChain(nf, COMMON_CHAIN);
  appendUnique(nf, COMMON_CHAIN, [
    '-m',
    'comment',
    '--comment',
    '"rule to drop invalid state for pod"',
    '-m',
    'conntrack',
    '--ctstate',
    'INVALID',
    '-j',
    'DROP',
  ]);
  appendUnique(nf, COMMON_CHAIN, [
    '-m',
    'comment',
    '--comment',
    '"rule for stateful firewall for pod"',
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  ]);
  for (const [type, comment] of [
    ['echo-request', 'allow icmp echo requests'],
    ['destination-unreachable', 'allow icmp destination unreachable messages'],
    ['time-exceeded', 'allow icmp time exceeded messages'],
  ] as const)
    appendUnique(nf, COMMON_CHAIN, [
      '-m',
      'comment',
      '--comment',
      comment,
      '-p',
      'icmp',
      '--icmp-type',
      type,
      '-j',
      'ACCEPT',
    ]);
}

/** The API objects as the controller's informers see them. */
export function netpolInput(cluster: Cluster, nodeIP: string): NetpolInput {
  const pods: NetpolPod[] = cluster.podList().map((p) => {
    const phase = cluster.podPhase(p);
    return {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      ip: p.podIP !== undefined ? formatIpv4(p.podIP) : '',
      hostIP: p.hostIP !== undefined ? formatIpv4(p.hostIP) : '',
      hostNetwork: p.spec.hostNetwork === true,
      finished: phase === 'Succeeded' || phase === 'Failed',
      ports: p.spec.containers.flatMap((c) =>
        (c.ports ?? []).map((cp) => ({
          name: cp.name ?? '',
          protocol: cp.protocol ?? 'TCP',
          containerPort: cp.containerPort,
        })),
      ),
    };
  });
  const byName = <T extends { name: string }>(a: T, b: T) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const namespaces = [...cluster.namespaces.values()]
    .map((n) => ({ name: n.name, labels: n.labels }))
    .sort(byName);
  const policies = [...cluster.networkPolicies.values()]
    .map((p) => ({ name: p.name, namespace: p.namespace, spec: p.spec }))
    .sort((a, b) =>
      a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : byName(a, b),
    );
  const c = cluster.config.serviceCIDR;
  return {
    node: { nodeIP, serviceClusterIPRange: `${formatIpv4(c.addr)}/${c.len}` },
    pods,
    namespaces,
    policies,
  };
}

interface ControllerState {
  lastVersion: Map<string, bigint>;
}
const controllers = new WeakMap<Cluster, ControllerState>();

/**
 * kube-router's fullPolicySync on every node of the cluster (once the cluster has had a
 * NetworkPolicy). Returns the errors met, prefixed with the node's name.
 */
export function syncNetworkPolicies(cluster: Cluster): string[] {
  let state = controllers.get(cluster);
  if (!state) {
    if (cluster.networkPolicies.size === 0) return [];
    state = { lastVersion: new Map() };
    controllers.set(cluster, state);
  }
  const errors: string[] = [];
  const world = cluster.world;
  const nowNs =
    BigInt(Math.floor(world.unixNow())) * 1000000000n + BigInt(Math.floor(world.sched.now % 1e9));
  for (const n of cluster.nodes) {
    const nf = n.host.rootNs.netfilter;
    const nodeIP = formatIpv4(n.nodeIP);
    const last = state.lastVersion.get(n.name);
    const v = last !== undefined && nowNs <= last ? last + 1n : nowNs;
    state.lastVersion.set(n.name, v);
    try {
      const input = netpolInput(cluster, nodeIP);
      ensureBaseChains(nf, input.node);
      const saved = iptablesSave(nf, { counters: false, table: 'filter', unix: world.unixNow() });
      const savedSets = runIpset(n.host.rootNs, ['save']).stdout;
      const rules = networkPolicyRules(input, saved, savedSets, v.toString());
      if (rules.ipsetRestore) {
        const r = runIpset(n.host.rootNs, ['restore', '-exist'], rules.ipsetRestore);
        if (r.code !== 0) {
          errors.push(`kube-router on ${n.name}: failed to perform ipset restore: ${r.stderr}`);
          continue;
        }
      }
      const r = iptablesRestore(nf, rules.filterRestore, false);
      if (!r.ok) {
        errors.push(`kube-router on ${n.name}: Failed to run iptables-restore: ${r.error}`);
        continue;
      }
      // cleanupStaleIPSets
      const keep = new Set(rules.activeSets);
      for (const name of [...ipsetsOf(n.host.rootNs).sets.keys()])
        if ((name.startsWith('KUBE-SRC-') || name.startsWith('KUBE-DST-')) && !keep.has(name)) {
          const d = runIpset(n.host.rootNs, ['destroy', name]);
          if (d.code !== 0)
            errors.push(`kube-router on ${n.name}: failed to delete ipset ${name}: ${d.stderr}`);
        }
    } catch (e) {
      if (e instanceof IptError) errors.push(`kube-router on ${n.name}: ${e.text.trim()}`);
      else throw e;
    }
  }
  return errors;
}
