/**
 * kube-proxy in iptables mode, as Kubernetes v1.30 writes it (pkg/proxy/iptables/proxier.go,
 * syncProxyRules): the iptables-restore input for the filter and nat tables, and the jump rules
 * and canary chains it ensures with single iptables commands before restoring with --noflush.
 *
 * Followed from the source:
 * - chain names: "KUBE-SVC-" / "KUBE-SVL-" / "KUBE-EXT-" / "KUBE-FW-" + the first 16 characters
 *   of base32(sha256(servicePortName + protocol)), with servicePortName "ns/name:port" (":port"
 *   only when the port is named) and protocol lower-case; "KUBE-SEP-" hashes
 *   servicePortName + protocol + "ip:port".
 * - per service port, in order: the KUBE-SERVICES capture (or the filter REJECT when the Service
 *   has no endpoints), load-balancer and node-port captures, the SVC chain's masquerade rule for
 *   traffic from outside the cluster CIDR, the EXT chain, the SVC and SVL dispatch with the
 *   `-m statistic --mode random --probability 1/n` cascade (n counting down), then one SEP chain
 *   per endpoint (hairpin mark, DNAT).
 * - stale KUBE-SVC/SVL/EXT/FW/SEP chains are declared (which flushes them) and deleted with -X.
 * - the KUBE-SERVICES tail rule to KUBE-NODEPORTS for local destinations, KUBE-FORWARD.
 *
 * Defaults as a kubeadm node runs it: masquerade bit 14, localhostNodePorts=true (so the
 * KUBE-FIREWALL anti-martian rule is written and the node-port tail rule has no `! -d 127/8`),
 * nf_conntrack_tcp_be_liberal=0 (so KUBE-FORWARD drops INVALID), --random-fully available, no
 * nfacct. Service ports are written sorted by name (kube-proxy walks a Go map, in no fixed order)
 * and endpoints by "ip:port" (the EndpointSlice cache's order).
 *
 * sessionAffinity ClientIP adds the `-m recent --rcheck --seconds T --reap` rules ahead of the
 * cascade and `-m recent --set` to each SEP's DNAT rule.
 *
 * Not modelled: loadBalancerSourceRanges (KUBE-FW), internalTrafficPolicy=Local, topology hints,
 * terminating endpoints.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Netfilter, TableName } from '../linux/netfilter';
import { IptError } from '../shell/tools/iptables/rule';
import { iptablesRestore, runIptables, words } from '../shell/tools/iptables/index';
import { RestoreReplay, RestoreShare } from '../shell/tools/iptables/restoreShare';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  /** The port's name; empty for a single unnamed port. */
  name: string;
  protocol: Protocol;
  port: number;
  targetPort: number;
  nodePort?: number;
}

export interface Service {
  name: string;
  namespace: string;
  clusterIP: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  ports: ServicePort[];
  /** The address in status.loadBalancer.ingress (MetalLB-style), for type LoadBalancer. */
  loadBalancerIP?: string;
  externalIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** Allocated by the API server for externalTrafficPolicy=Local NodePort/LoadBalancer Services. */
  healthCheckNodePort?: number;
  sessionAffinity?: 'None' | 'ClientIP';
  /** sessionAffinityConfig.clientIP.timeoutSeconds (default 10800). */
  sessionAffinityTimeout?: number;
}

export interface Endpoint {
  ip: string;
  nodeName: string;
  ready: boolean;
}

export interface KubeProxyNode {
  nodeName: string;
  nodeIP: string;
  /** --cluster-cidr: the local-traffic detector (`! -s CIDR -j KUBE-MARK-MASQ`). */
  clusterCIDR?: string;
  masqueradeAll?: boolean;
}

// --- names

/** SHA-256 of a UTF-8 string (FIPS 180-4), as kube-proxy hashes chain names. */
export function sha256(text: string): Uint8Array {
  return nobleSha256(utf8ToBytes(text));
}

/** RFC 4648 base32 (Go's base32.StdEncoding), padded. */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

/** proxy.ServicePortName.String(): "ns/name:port", or "ns/name" for an unnamed port. */
export function servicePortName(namespace: string, name: string, port: string): string {
  return `${namespace}/${name}${port ? `:${port}` : ''}`;
}

/**
 * The chain-name hashes already computed: every sync names the same chains again, on every node.
 * A pure function's memo, so it may be shared by all worlds; emptied when it grows large.
 */
const hashes = new Map<string, string>();
function hash16(text: string): string {
  let h = hashes.get(text);
  if (h === undefined) {
    if (hashes.size >= 200_000) hashes.clear();
    h = base32(sha256(text)).slice(0, 16);
    hashes.set(text, h);
  }
  return h;
}

/** portProtoHash: the 16-character hash shared by a service port's SVC/SVL/EXT/FW chains. */
export function portProtoHash(spn: string, protocol: string): string {
  return hash16(spn + protocol.toLowerCase());
}

export const svcChain = (spn: string, proto: string) => `KUBE-SVC-${portProtoHash(spn, proto)}`;
export const svlChain = (spn: string, proto: string) => `KUBE-SVL-${portProtoHash(spn, proto)}`;
export const extChain = (spn: string, proto: string) => `KUBE-EXT-${portProtoHash(spn, proto)}`;
export const fwChain = (spn: string, proto: string) => `KUBE-FW-${portProtoHash(spn, proto)}`;
/** servicePortEndpointChainName: endpoint is "ip:port". */
export const sepChain = (spn: string, proto: string, endpoint: string) =>
  `KUBE-SEP-${hash16(spn + proto.toLowerCase() + endpoint)}`;

const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-EXT-'];
export const isServiceChainName = (c: string) =>
  SERVICE_CHAIN_PREFIXES.some((p) => c.startsWith(p));

/** computeProbability: Go's %0.10f of 1/n (iptables-save then prints the stored threshold). */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

// --- the restore text

/** 1 << masqueradeBit as Go's "%#08x" prints it (eight digits after the 0x). */
const MASQ_MARK = `0x${(1 << 14).toString(16).padStart(8, '0')}`;

const q = (s: string) => `"${s}"`;

/**
 * The iptables-restore input one syncProxyRules writes (filter, then nat). `existingNatChains`
 * are the nat chains present before the sync (what kube-proxy reads with iptables-save -t nat):
 * service chains among them that are no longer used are flushed and deleted.
 */
export function kubeProxyRules(
  node: KubeProxyNode,
  services: readonly Service[],
  endpoints: ReadonlyMap<string, readonly Endpoint[]>,
  existingNatChains: readonly string[] = [],
): string {
  const filterChains: string[] = [];
  const filterRules: string[] = [];
  const natChains: string[] = [];
  const natRules: string[] = [];
  const chainLine = (c: string) => `:${c} - [0:0]`;
  for (const c of [
    'KUBE-SERVICES',
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FORWARD',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-FIREWALL',
  ])
    filterChains.push(chainLine(c));
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'])
    natChains.push(chainLine(c));
  natRules.push(`-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  natRules.push(`-A KUBE-POSTROUTING -j MARK --xor-mark ${MASQ_MARK}`);
  natRules.push(
    `-A KUBE-POSTROUTING -m comment --comment ${q('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
  );
  natRules.push(`-A KUBE-MARK-MASQ -j MARK --or-mark ${MASQ_MARK}`);
  // localhostNodePorts (the default): the anti-martian rule kubelet also writes.
  filterChains.push(chainLine('KUBE-FIREWALL'));
  filterRules.push(
    `-A KUBE-FIREWALL -m comment --comment ${q('block incoming localnet connections')} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  );

  const active = new Set<string>();
  const ports = services
    .flatMap((svc) =>
      svc.ports.map((p) => ({ svc, p, spn: servicePortName(svc.namespace, svc.name, p.name) })),
    )
    .sort((a, b) =>
      a.spn < b.spn ? -1 : a.spn > b.spn ? 1 : a.p.protocol < b.p.protocol ? -1 : 1,
    );

  for (const { svc, p, spn } of ports) {
    const protocol = p.protocol.toLowerCase();
    const eps = (endpoints.get(`${svc.namespace}/${svc.name}`) ?? [])
      .filter((e) => e.ready)
      .map((e) => ({ ...e, str: `${e.ip}:${p.targetPort}` }))
      .sort((a, b) => (a.str < b.str ? -1 : a.str > b.str ? 1 : 0));
    const lbVIPs = svc.type === 'LoadBalancer' && svc.loadBalancerIP ? [svc.loadBalancerIP] : [];
    const externalIPs = svc.externalIPs ?? [];
    const nodePort = svc.type !== 'ClusterIP' ? (p.nodePort ?? 0) : 0;
    const externallyAccessible = nodePort > 0 || externalIPs.length > 0 || lbVIPs.length > 0;
    const externalLocal = externallyAccessible && svc.externalTrafficPolicy === 'Local';

    // proxy.CategorizeEndpoints (ready endpoints only).
    const clusterEndpoints = eps;
    const localEndpoints = externalLocal ? eps.filter((e) => e.nodeName === node.nodeName) : [];
    const hasEndpoints = clusterEndpoints.length > 0 || localEndpoints.length > 0;
    const reachable = [...clusterEndpoints];
    for (const e of localEndpoints) if (!reachable.some((r) => r.str === e.str)) reachable.push(e);

    const clusterPolicyChain = svcChain(spn, protocol);
    const localPolicyChain = svlChain(spn, protocol);
    const usesClusterPolicyChain = clusterEndpoints.length > 0;
    const usesLocalPolicyChain = localEndpoints.length > 0;
    const hasInternalEndpoints = hasEndpoints;
    const externalPolicyChain = externalLocal ? localPolicyChain : clusterPolicyChain;
    const hasExternalEndpoints = externalLocal ? localEndpoints.length > 0 : hasEndpoints;
    const externalTrafficChain = extChain(spn, protocol);
    const usesExternalTrafficChain = hasEndpoints && externallyAccessible;

    let internalFilterTarget = '';
    let internalFilterComment = '';
    let externalFilterTarget = '';
    let externalFilterComment = '';
    if (!hasEndpoints) {
      internalFilterTarget = 'REJECT';
      internalFilterComment = q(`${spn} has no endpoints`);
      externalFilterTarget = 'REJECT';
      externalFilterComment = internalFilterComment;
    } else if (!hasExternalEndpoints) {
      externalFilterTarget = 'DROP';
      externalFilterComment = q(`${spn} has no local endpoints`);
    }

    const match = `-m ${protocol} -p ${protocol}`;
    if (hasInternalEndpoints)
      natRules.push(
        `-A KUBE-SERVICES -m comment --comment ${q(`${spn} cluster IP`)} ${match} -d ${svc.clusterIP} --dport ${p.port} -j ${clusterPolicyChain}`,
      );
    else
      filterRules.push(
        `-A KUBE-SERVICES -m comment --comment ${internalFilterComment} ${match} -d ${svc.clusterIP} --dport ${p.port} -j ${internalFilterTarget}`,
      );
    for (const ip of externalIPs) {
      if (hasEndpoints)
        natRules.push(
          `-A KUBE-SERVICES -m comment --comment ${q(`${spn} external IP`)} ${match} -d ${ip} --dport ${p.port} -j ${externalTrafficChain}`,
        );
      if (!hasExternalEndpoints)
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} ${match} -d ${ip} --dport ${p.port} -j ${externalFilterTarget}`,
        );
    }
    for (const ip of lbVIPs)
      if (hasEndpoints)
        natRules.push(
          `-A KUBE-SERVICES -m comment --comment ${q(`${spn} loadbalancer IP`)} ${match} -d ${ip} --dport ${p.port} -j ${externalTrafficChain}`,
        );
    if (!hasExternalEndpoints)
      for (const ip of lbVIPs)
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} ${match} -d ${ip} --dport ${p.port} -j ${externalFilterTarget}`,
        );
    if (nodePort) {
      if (hasEndpoints)
        natRules.push(
          `-A KUBE-NODEPORTS -m comment --comment ${spn} ${match} --dport ${nodePort} -j ${externalTrafficChain}`,
        );
      if (!hasExternalEndpoints)
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${match} --dport ${nodePort} -j ${externalFilterTarget}`,
        );
    }
    if (svc.healthCheckNodePort)
      filterRules.push(
        `-A KUBE-NODEPORTS -m comment --comment ${q(`${spn} health check node port`)} -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
      );

    if (hasInternalEndpoints) {
      const args = `-m comment --comment ${q(`${spn} cluster IP`)} ${match} -d ${svc.clusterIP} --dport ${p.port}`;
      if (node.masqueradeAll) natRules.push(`-A ${clusterPolicyChain} ${args} -j KUBE-MARK-MASQ`);
      else if (node.clusterCIDR)
        natRules.push(
          `-A ${clusterPolicyChain} ${args} ! -s ${node.clusterCIDR} -j KUBE-MARK-MASQ`,
        );
    }

    if (usesExternalTrafficChain) {
      natChains.push(chainLine(externalTrafficChain));
      active.add(externalTrafficChain);
      if (!externalLocal)
        natRules.push(
          `-A ${externalTrafficChain} -m comment --comment ${q(`masquerade traffic for ${spn} external destinations`)} -j KUBE-MARK-MASQ`,
        );
      else {
        if (node.clusterCIDR)
          natRules.push(
            `-A ${externalTrafficChain} -m comment --comment ${q(`pod traffic for ${spn} external destinations`)} -s ${node.clusterCIDR} -j ${clusterPolicyChain}`,
          );
        natRules.push(
          `-A ${externalTrafficChain} -m comment --comment ${q(`masquerade LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
        );
        natRules.push(
          `-A ${externalTrafficChain} -m comment --comment ${q(`route LOCAL traffic for ${spn} external destinations`)} -m addrtype --src-type LOCAL -j ${clusterPolicyChain}`,
        );
      }
      if (hasExternalEndpoints)
        natRules.push(`-A ${externalTrafficChain} -j ${externalPolicyChain}`);
    }

    const affinity = svc.sessionAffinity === 'ClientIP';
    const dispatch = (chain: string, list: typeof eps) => {
      if (affinity)
        for (const e of list) {
          const sep = sepChain(spn, protocol, e.str);
          natRules.push(
            `-A ${chain} -m comment --comment ${q(`${spn} -> ${e.str}`)} -m recent --name ${sep} --rcheck --seconds ${svc.sessionAffinityTimeout ?? 10800} --reap -j ${sep}`,
          );
        }
      list.forEach((e, i) => {
        const stat =
          i < list.length - 1
            ? ` -m statistic --mode random --probability ${probability(list.length - i)}`
            : '';
        natRules.push(
          `-A ${chain} -m comment --comment ${q(`${spn} -> ${e.str}`)}${stat} -j ${sepChain(spn, protocol, e.str)}`,
        );
      });
    };
    if (usesClusterPolicyChain) {
      natChains.push(chainLine(clusterPolicyChain));
      active.add(clusterPolicyChain);
      dispatch(clusterPolicyChain, clusterEndpoints);
    }
    if (usesLocalPolicyChain) {
      natChains.push(chainLine(localPolicyChain));
      active.add(localPolicyChain);
      dispatch(localPolicyChain, localEndpoints);
    }
    for (const e of reachable) {
      const chain = sepChain(spn, protocol, e.str);
      natChains.push(chainLine(chain));
      active.add(chain);
      natRules.push(`-A ${chain} -m comment --comment ${spn} -s ${e.ip} -j KUBE-MARK-MASQ`);
      natRules.push(
        `-A ${chain} -m comment --comment ${spn}${affinity ? ` -m recent --name ${chain} --set` : ''} ${match} -j DNAT --to-destination ${e.str}`,
      );
    }
  }

  for (const c of existingNatChains) {
    if (active.has(c) || !isServiceChainName(c)) continue;
    natChains.push(chainLine(c));
    natRules.push(`-X ${c}`);
  }

  natRules.push(
    `-A KUBE-SERVICES -m comment --comment ${q('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
  );
  filterRules.push('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  filterRules.push(
    `-A KUBE-FORWARD -m comment --comment ${q('kubernetes forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
  );
  filterRules.push(
    `-A KUBE-FORWARD -m comment --comment ${q('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  return [
    '*filter',
    ...filterChains,
    ...filterRules,
    'COMMIT',
    '*nat',
    ...natChains,
    ...natRules,
    'COMMIT',
    '',
  ].join('\n');
}

// --- applying it to a namespace

interface JumpChain {
  table: TableName;
  dst: string;
  src: string;
  comment: string;
  extra: string[];
}

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];
/** iptablesJumpChains then iptablesKubeletJumpChains, each ensured with EnsureRule(Prepend). */
const JUMP_CHAINS: JumpChain[] = [
  {
    table: 'filter',
    dst: 'KUBE-EXTERNAL-SERVICES',
    src: 'INPUT',
    comment: 'kubernetes externally-visible service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-EXTERNAL-SERVICES',
    src: 'FORWARD',
    comment: 'kubernetes externally-visible service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-NODEPORTS',
    src: 'INPUT',
    comment: 'kubernetes health check service ports',
    extra: [],
  },
  {
    table: 'filter',
    dst: 'KUBE-SERVICES',
    src: 'FORWARD',
    comment: 'kubernetes service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-SERVICES',
    src: 'OUTPUT',
    comment: 'kubernetes service portals',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-FORWARD',
    src: 'FORWARD',
    comment: 'kubernetes forwarding rules',
    extra: [],
  },
  {
    table: 'filter',
    dst: 'KUBE-PROXY-FIREWALL',
    src: 'INPUT',
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-PROXY-FIREWALL',
    src: 'OUTPUT',
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  {
    table: 'filter',
    dst: 'KUBE-PROXY-FIREWALL',
    src: 'FORWARD',
    comment: 'kubernetes load balancer firewall',
    extra: NEW,
  },
  {
    table: 'nat',
    dst: 'KUBE-SERVICES',
    src: 'OUTPUT',
    comment: 'kubernetes service portals',
    extra: [],
  },
  {
    table: 'nat',
    dst: 'KUBE-SERVICES',
    src: 'PREROUTING',
    comment: 'kubernetes service portals',
    extra: [],
  },
  {
    table: 'nat',
    dst: 'KUBE-POSTROUTING',
    src: 'POSTROUTING',
    comment: 'kubernetes postrouting rules',
    extra: [],
  },
  { table: 'filter', dst: 'KUBE-FIREWALL', src: 'INPUT', comment: '', extra: [] },
  { table: 'filter', dst: 'KUBE-FIREWALL', src: 'OUTPUT', comment: '', extra: [] },
];

function ensureChain(nf: Netfilter, table: TableName, chain: string): void {
  // `iptables -N` would only fail with "Chain already exists" (the table is there already).
  if (nf.tables.get(table)?.chains.has(chain)) return;
  try {
    runIptables(nf, ['-t', table, '-N', chain]);
  } catch (e) {
    if (!(e instanceof IptError)) throw e;
  }
}

function ensureRule(nf: Netfilter, table: TableName, chain: string, args: string[]): void {
  try {
    runIptables(nf, ['-t', table, '-C', chain, ...args]);
  } catch (e) {
    if (!(e instanceof IptError)) throw e;
    runIptables(nf, ['-t', table, '-I', chain, ...args]);
  }
}

/**
 * What one round of syncs (the same Services and endpoints, every node) can share: the restore
 * text for nodes that would write the same one, and the parsed rules.
 */
export class KubeProxySyncShare {
  readonly texts = new Map<string, string>();
  readonly restore = new RestoreShare();
  readonly replay = new RestoreReplay(this.restore, words);
  /** Whether a node's name shows in its rules (only local endpoints of Local policies use it). */
  readonly nodeNameMatters: boolean;

  constructor(
    readonly services: readonly Service[],
    readonly endpoints: ReadonlyMap<string, readonly Endpoint[]>,
  ) {
    this.nodeNameMatters = services.some((s) => s.externalTrafficPolicy === 'Local');
  }
}

/**
 * One full sync on a node's namespace: the canary chains iptables.Monitor creates, the jump rules
 * from the built-in chains, then iptables-restore --noflush of {@link kubeProxyRules}. Calling it
 * again after endpoints change rewrites the service chains and deletes the stale ones. `share`
 * (made for these same `services` and `endpoints`) saves the work other nodes already did.
 */
export function syncKubeProxy(
  nf: Netfilter,
  node: KubeProxyNode,
  services: readonly Service[],
  endpoints: ReadonlyMap<string, readonly Endpoint[]>,
  share?: KubeProxySyncShare,
): { ok: true; rules: string } | { ok: false; error: string } {
  if (share && (share.services !== services || share.endpoints !== endpoints))
    throw new Error('syncKubeProxy: the share was made for other Services');
  for (const t of ['mangle', 'nat', 'filter'] as const) ensureChain(nf, t, 'KUBE-PROXY-CANARY');
  for (const j of JUMP_CHAINS) {
    ensureChain(nf, j.table, j.dst);
    const args = [...j.extra];
    if (j.comment) args.push('-m', 'comment', '--comment', j.comment);
    args.push('-j', j.dst);
    ensureRule(nf, j.table, j.src, args);
  }
  const existing = [...(nf.tables.get('nat')?.chains.keys() ?? [])];
  // The text depends on the node only through these (nodeIP is not written anywhere).
  const k = share
    ? JSON.stringify([
        share.nodeNameMatters ? node.nodeName : '',
        node.clusterCIDR ?? '',
        node.masqueradeAll ?? false,
        existing,
      ])
    : '';
  let rules = share?.texts.get(k);
  if (rules === undefined) {
    rules = kubeProxyRules(node, services, endpoints, existing);
    share?.texts.set(k, rules);
  }
  // The shared steps when they apply; iptables-restore itself otherwise (and for its errors).
  if (share?.replay.replay(nf, rules, true)) return { ok: true, rules };
  const r = iptablesRestore(nf, rules, true, share?.restore);
  return r.ok ? { ok: true, rules } : { ok: false, error: r.error };
}
