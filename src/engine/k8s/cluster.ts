/**
 * A Kubernetes cluster over simulated hosts: the API objects (what `kubectl` reads and writes),
 * the controllers that turn them into more objects (Deployment → pods, Service → EndpointSlice),
 * the scheduler, and per node the kubelet (sandboxes through the CNI plugin) and kube-proxy
 * (iptables rules). Controllers run to completion after every change, so the cluster is always
 * converged when a command returns; a real one gets there within a second or two.
 */
import {
  type Cidr,
  type Ipv4,
  cidrContains,
  formatCidr,
  formatIpv4,
  ipv4Add,
  parseIpv4,
} from '../net/ipv4';
import type { Mac } from '../net/mac';
import type { Host } from '../linux/host';
import type { World } from '../sim/world';
import { type CniCluster, type CniModelName, type CniNode, setupNodeNetwork } from './cni';
import { clusterDnsIP, corednsObjects, startCoredns } from './clusterDns';
import { announceLoadBalancers, applyIngress, startIngressNginx } from './ingress';
import { type ToolLookup } from './images';
import { type ContainerStatus, Kubelet, type KubeletPod, type PodSandbox } from './kubelet';
import {
  type Endpoint as ProxyEndpoint,
  KubeProxySyncShare,
  type Service as ProxyService,
  syncKubeProxy,
} from './kubeProxy';
import { syncNetworkPolicies } from './networkPolicy';
import { podTemplateHash, randomSuffix, uuid4 } from './names';
import {
  type DeploymentManifest,
  type ManifestData,
  type NetworkPolicyManifest,
  type PodSpecData,
  type ServiceManifest,
  mapSelects,
  selectorMatches,
} from './objects';

export interface NodeConfig {
  readonly host: Host;
  readonly podCIDR: Cidr;
  readonly role: 'control-plane' | 'worker';
  /** The NIC holding the node IP (default: the host's first interface with an address). */
  readonly dev?: string;
}

export interface ClusterConfig {
  readonly cni: CniModelName;
  readonly clusterCIDR: Cidr;
  readonly serviceCIDR: Cidr;
  readonly nodes: readonly NodeConfig[];
  /** MetalLB-style pool for LoadBalancer Services: first and last address. */
  readonly loadBalancerPool?: readonly [Ipv4, Ipv4];
  readonly tools: ToolLookup;
  /** Run CoreDNS behind kube-dns and point pods at it (default true, as every cluster does). */
  readonly dns?: boolean;
  /** Calico only: IP-in-IP between nodes (default) or plain routes. */
  readonly calicoEncapsulation?: 'IPIP' | 'None';
}

export interface ClusterNode extends CniNode {
  readonly role: 'control-plane' | 'worker';
  readonly created: number;
  readonly kubelet: Kubelet;
}

export interface PodObject extends KubeletPod {
  readonly labels: Record<string, string>;
  nodeName?: string;
  readonly created: number;
  /** The ReplicaSet that owns the pod (`<deployment>-<pod-template-hash>`), if any. */
  readonly owner?: string;
  hostIP?: Ipv4;
  sandbox?: PodSandbox;
  containers: ContainerStatus[];
}

export interface ServiceObject {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly spec: ServiceManifest['spec'];
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  readonly clusterIP: string;
  /** Ports with their allocated node ports. */
  readonly ports: {
    name: string;
    protocol: 'TCP' | 'UDP' | 'SCTP';
    port: number;
    targetPort: number | string;
    nodePort?: number;
  }[];
  readonly healthCheckNodePort?: number;
  readonly loadBalancerIP?: string;
  readonly created: number;
}

export interface DeploymentObject {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  spec: DeploymentManifest['spec'];
  readonly created: number;
}

export interface EndpointSliceObject {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly created: number;
  endpoints: { ip: Ipv4; ready: boolean; nodeName: string; pod: string }[];
  ports: { name: string; protocol: string; port: number }[];
}

export interface NamespaceObject {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly created: number;
}

export interface NetworkPolicyObject {
  readonly name: string;
  readonly namespace: string;
  readonly spec: NetworkPolicyManifest['spec'];
  readonly created: number;
}

export type ApplyResult =
  | { ok: true; kind: string; name: string; action: 'created' | 'configured' | 'unchanged' }
  | { ok: false; error: string };

const clusters = new WeakMap<World, Cluster>();

/** The cluster running on `world`, if the scenario has one. */
export function clusterOf(world: World): Cluster | undefined {
  return clusters.get(world);
}

const key = (ns: string, name: string) => `${ns}/${name}`;
const byKey = <T extends { namespace: string; name: string }>(a: T, b: T) =>
  a.namespace < b.namespace
    ? -1
    : a.namespace > b.namespace
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;

export class Cluster {
  readonly world: World;
  readonly cni: CniCluster;
  readonly nodes: ClusterNode[] = [];
  readonly namespaces = new Map<string, NamespaceObject>();
  readonly pods = new Map<string, PodObject>();
  readonly services = new Map<string, ServiceObject>();
  readonly deployments = new Map<string, DeploymentObject>();
  readonly endpointSlices = new Map<string, EndpointSliceObject>();
  readonly networkPolicies = new Map<string, NetworkPolicyObject>();
  /** Problems met while converging (a kube-proxy restore that failed), for tests and `kubectl`. */
  readonly errors: string[] = [];
  private converging = false;
  /** Inside {@link batch}: kube-proxy syncs (and EndpointSlice contents) wait for its end. */
  private batching = 0;
  /**
   * Indexes over `pods`, kept by createPod/removePod (the only writers) so the controllers need
   * not scan every pod for every object. Sets keep insertion order, which is the pods map's.
   * - by owner prefix: "ns/x" holds the pods whose owner starts with "x-" (what a Deployment
   *   named x claims);
   * - by label: "ns\0key\0value";
   * - per node name, how many pods are bound to it (the scheduler's load).
   */
  private readonly podsByOwnerPrefix = new Map<string, Set<PodObject>>();
  private readonly podsByLabel = new Map<string, Set<PodObject>>();
  private readonly podsOnNode = new Map<string, number>();
  /**
   * What the controllers must look at, so a change costs work for what it touched only:
   * - Deployments ("ns/name") whose spec changed or whose claimed pods came or went (owner
   *   prefixes that name no Deployment are dropped);
   * - Services ("ns/name") applied since the last EndpointSlice pass;
   * - pods the kubelet has not started (in creation order, which is the pods map's).
   */
  private readonly deploymentsToCheck = new Set<string>();
  private readonly servicesToSlice = new Set<string>();
  private readonly unstarted = new Set<PodObject>();

  constructor(
    world: World,
    readonly config: ClusterConfig,
  ) {
    this.world = world;
    const nodes: CniNode[] = config.nodes.map((n) => {
      const dev =
        n.dev ??
        [...n.host.rootNs.devices.values()].find((d) => d.kind !== 'loopback' && d.addrs.length > 0)
          ?.name;
      const nodeIP = dev !== undefined ? n.host.rootNs.device(dev)?.addrs[0]?.local : undefined;
      if (dev === undefined || nodeIP === undefined)
        throw new Error(`node ${n.host.name} has no interface with an address`);
      return { name: n.host.name, host: n.host, nodeIP, dev, podCIDR: n.podCIDR };
    });
    const vtepMacs = new Map<string, Mac>(nodes.map((n) => [n.name, world.randomMac()]));
    this.cni = {
      model: config.cni,
      clusterCIDR: config.clusterCIDR,
      nodes,
      vtepMacs,
      calicoEncapsulation: config.calicoEncapsulation,
    };
    const now = world.unixNow();
    for (const [i, n] of nodes.entries()) {
      const node: ClusterNode = {
        ...n,
        role: config.nodes[i]!.role,
        created: now,
        kubelet: new Kubelet(this.cni, n, config.tools, () => this.converge(), {
          clusterDNS: config.dns === false ? undefined : clusterDnsIP(config.serviceCIDR),
          clusterImage: (repo, host, ns) =>
            repo === 'coredns/coredns'
              ? startCoredns(this, host, ns)
              : repo === 'ingress-nginx/controller'
                ? startIngressNginx(this, host, ns)
                : undefined,
        }),
      };
      this.nodes.push(node);
    }
    for (const name of ['default', 'kube-node-lease', 'kube-public', 'kube-system'])
      this.namespaces.set(name, {
        name,
        labels: { 'kubernetes.io/metadata.name': name },
        created: now,
      });
    clusters.set(world, this);
  }

  /** Node networking (CNI config, routes or the overlay), then the built-in objects. */
  boot(): string[] {
    const errors: string[] = [];
    for (const n of this.nodes)
      errors.push(...setupNodeNetwork(this.cni, n).map((e) => `${n.name}: ${e}`));
    const cp = this.nodes.find((n) => n.role === 'control-plane') ?? this.nodes[0]!;
    // The API server's own Service: the first address of the service range, 443 → 6443.
    this.services.set(key('default', 'kubernetes'), {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }] },
      type: 'ClusterIP',
      clusterIP: formatIpv4(ipv4Add(this.config.serviceCIDR.addr, 1)),
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
      created: this.world.unixNow(),
    });
    this.endpointSlices.set(key('default', 'kubernetes'), {
      name: 'kubernetes',
      namespace: 'default',
      service: 'kubernetes',
      created: this.world.unixNow(),
      endpoints: [{ ip: cp.nodeIP, ready: true, nodeName: cp.name, pod: '' }],
      ports: [{ name: 'https', protocol: 'TCP', port: 6443 }],
    });
    // One batch: kube-proxy syncs once, when CoreDNS's objects are in.
    this.batch(() => {
      if (this.config.dns !== false)
        for (const m of corednsObjects(clusterDnsIP(this.config.serviceCIDR), cp.name)) {
          const r = this.apply(m);
          if (!r.ok) errors.push(`coredns: ${r.error}`);
        }
    });
    return [...errors, ...this.errors];
  }

  node(name: string): ClusterNode | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  nodeOfHost(host: Host): ClusterNode | undefined {
    return this.nodes.find((n) => n.host === host);
  }

  // --- the API

  apply(m: ManifestData, defaultNamespace = 'default'): ApplyResult {
    const now = this.world.unixNow();
    const ns = m.kind === 'Namespace' ? '' : (m.metadata.namespace ?? defaultNamespace);
    if (m.kind !== 'Namespace' && !this.namespaces.has(ns))
      return { ok: false, error: `namespaces "${ns}" not found` };
    const name = m.metadata.name;
    const labels = { ...(m.metadata.labels ?? {}) };
    const k = key(ns, name);
    const lower = m.kind.toLowerCase();
    const done = (action: 'created' | 'configured' | 'unchanged'): ApplyResult => {
      this.converge();
      return {
        ok: true,
        kind:
          lower === 'deployment'
            ? 'deployment.apps'
            : lower === 'networkpolicy'
              ? 'networkpolicy.networking.k8s.io'
              : lower === 'ingress'
                ? 'ingress.networking.k8s.io'
                : lower,
        name,
        action,
      };
    };
    switch (m.kind) {
      case 'Ingress':
        return done(applyIngress(this, m, ns));
      case 'Namespace': {
        if (this.namespaces.has(name)) return done('unchanged');
        this.namespaces.set(name, {
          name,
          labels: { ...labels, 'kubernetes.io/metadata.name': name },
          created: now,
        });
        return done('created');
      }
      case 'Pod': {
        const old = this.pods.get(k);
        if (old) {
          if (
            JSON.stringify(old.spec) ===
            JSON.stringify({ ...m.spec, nodeName: old.spec.nodeName ?? m.spec.nodeName })
          )
            return done('unchanged');
          return {
            ok: false,
            error: `The Pod "${name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
          };
        }
        if (m.spec.nodeName !== undefined && !this.node(m.spec.nodeName))
          return { ok: false, error: `nodes "${m.spec.nodeName}" not found` };
        this.createPod(ns, name, labels, m.spec);
        return done('created');
      }
      case 'Deployment': {
        const old = this.deployments.get(k);
        if (old && JSON.stringify(old.spec) === JSON.stringify(m.spec)) return done('unchanged');
        if (!selectorMatches(m.spec.selector, m.spec.template.metadata.labels ?? {}))
          return {
            ok: false,
            error: `The Deployment "${name}" is invalid: spec.template.metadata.labels: Invalid value: ${JSON.stringify(m.spec.template.metadata.labels ?? {})}: \`selector\` does not match template \`labels\``,
          };
        if (old) old.spec = m.spec;
        else this.deployments.set(k, { name, namespace: ns, labels, spec: m.spec, created: now });
        this.deploymentsToCheck.add(k);
        return done(old ? 'configured' : 'created');
      }
      case 'Service': {
        const old = this.services.get(k);
        if (old && JSON.stringify(old.spec) === JSON.stringify(m.spec)) return done('unchanged');
        const r = this.makeService(ns, name, labels, m.spec, old);
        if (typeof r === 'string') return { ok: false, error: r };
        this.services.set(k, r);
        this.servicesToSlice.add(k);
        return done(old ? 'configured' : 'created');
      }
      case 'NetworkPolicy': {
        const old = this.networkPolicies.get(k);
        if (old && JSON.stringify(old.spec) === JSON.stringify(m.spec)) return done('unchanged');
        this.networkPolicies.set(k, {
          name,
          namespace: ns,
          spec: m.spec,
          created: old?.created ?? now,
        });
        return done(old ? 'configured' : 'created');
      }
    }
  }

  /** Deletes one object; the error text is the API server's NotFound when there is none. */
  delete(
    kind: 'pod' | 'service' | 'deployment' | 'networkpolicy' | 'namespace',
    ns: string,
    name: string,
  ): string | undefined {
    const k = key(ns, name);
    const notFound = (res: string) => `${res} "${name}" not found`;
    switch (kind) {
      case 'pod': {
        const p = this.pods.get(k);
        if (!p) return notFound('pods');
        this.removePod(p);
        break;
      }
      case 'service': {
        if (!this.services.delete(k)) return notFound('services');
        this.endpointSlices.delete(k);
        break;
      }
      case 'deployment': {
        const d = this.deployments.get(k);
        if (!d) return notFound('deployments.apps');
        this.deployments.delete(k);
        for (const p of [...this.pods.values()])
          if (p.namespace === ns && p.owner?.startsWith(`${name}-`)) this.removePod(p);
        break;
      }
      case 'networkpolicy':
        if (!this.networkPolicies.delete(k)) return notFound('networkpolicies.networking.k8s.io');
        break;
      case 'namespace': {
        if (!this.namespaces.has(name)) return notFound('namespaces');
        for (const p of [...this.pods.values()]) if (p.namespace === name) this.removePod(p);
        for (const m of [
          this.services,
          this.deployments,
          this.endpointSlices,
          this.networkPolicies,
        ])
          for (const [kk, v] of [...m]) if (v.namespace === name) m.delete(kk);
        this.namespaces.delete(name);
        break;
      }
    }
    this.converge();
    return undefined;
  }

  scale(ns: string, name: string, replicas: number): string | undefined {
    const d = this.deployments.get(key(ns, name));
    if (!d) return `deployments.apps "${name}" not found`;
    d.spec = { ...d.spec, replicas };
    this.deploymentsToCheck.add(key(ns, name));
    this.converge();
    return undefined;
  }

  // --- lists in the API server's order (namespace, then name)

  podList(ns?: string): PodObject[] {
    return [...this.pods.values()]
      .filter((p) => ns === undefined || p.namespace === ns)
      .sort(byKey);
  }

  serviceList(ns?: string): ServiceObject[] {
    return [...this.services.values()]
      .filter((s) => ns === undefined || s.namespace === ns)
      .sort(byKey);
  }

  /** A pod is ready when every container runs (no readiness probes are modelled). */
  podReady(p: PodObject): boolean {
    return (
      p.podIP !== undefined &&
      p.containers.length > 0 &&
      p.containers.every((c) => c.state === 'running')
    );
  }

  /**
   * The kubelet's getPhase: a container never started is waiting (Pending); one that ran and
   * ended, or waits to restart after ending, is stopped. All stopped: Running while they will be
   * restarted (Always, or OnFailure after a failure), else Succeeded or Failed by exit codes.
   */
  podPhase(p: PodObject): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
    if (!p.nodeName || p.podIP === undefined) return 'Pending';
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const c of p.containers) {
      if (c.state === 'running') running++;
      else if (c.state === 'terminated') {
        stopped++;
        if (c.exit?.code === 0) succeeded++;
      } else if (c.last) stopped++;
      else waiting++;
    }
    if (waiting > 0 || p.containers.length === 0) return 'Pending';
    if (running > 0) return 'Running';
    const policy = p.spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }

  // --- controllers

  private createPod(
    ns: string,
    name: string,
    labels: Record<string, string>,
    spec: PodSpecData,
    owner?: string,
  ): PodObject {
    const pod: PodObject = {
      uid: uuid4(this.world.rng),
      name,
      namespace: ns,
      labels,
      spec,
      nodeName: spec.nodeName,
      created: this.world.unixNow(),
      owner,
      containers: [],
    };
    this.pods.set(key(ns, name), pod);
    this.indexPod(pod, true);
    this.unstarted.add(pod);
    return pod;
  }

  private removePod(p: PodObject): void {
    if (this.pods.get(key(p.namespace, p.name)) === p) this.indexPod(p, false);
    this.unstarted.delete(p);
    this.pods.delete(key(p.namespace, p.name));
    const node = p.nodeName !== undefined ? this.node(p.nodeName) : undefined;
    node?.kubelet.killPod(p);
  }

  private makeService(
    ns: string,
    name: string,
    labels: Record<string, string>,
    spec: ServiceManifest['spec'],
    old: ServiceObject | undefined,
  ): ServiceObject | string {
    const type = spec.type ?? 'ClusterIP';
    const invalid = (field: string, msg: string) =>
      `The Service "${name}" is invalid: ${field}: ${msg}`;
    let clusterIP = old?.clusterIP ?? spec.clusterIP;
    if (clusterIP !== undefined && clusterIP !== 'None') {
      const a = parseIpv4(clusterIP);
      if (a === undefined || !cidrContains(this.config.serviceCIDR, a))
        return invalid(
          'spec.clusterIPs',
          `Invalid value: []string{"${clusterIP}"}: failed to allocate IP ${clusterIP}: the provided IP (${clusterIP}) is not in the valid range. The range of valid IPs is ${formatCidr(this.config.serviceCIDR)}`,
        );
      if (!old && [...this.services.values()].some((s) => s.clusterIP === clusterIP))
        return invalid(
          'spec.clusterIPs',
          `Invalid value: []string{"${clusterIP}"}: failed to allocate IP ${clusterIP}: provided IP is already allocated`,
        );
    }
    clusterIP ??= this.allocateClusterIP();
    // Node ports in use, gathered only for a Service that needs one.
    const used = new Set<number>();
    if (type !== 'ClusterIP')
      for (const s of this.services.values())
        if (s !== old) for (const p of s.ports) if (p.nodePort !== undefined) used.add(p.nodePort);
    const ports: ServiceObject['ports'] = [];
    for (const [i, p] of spec.ports.entries()) {
      if (spec.ports.length > 1 && !p.name)
        return invalid(`spec.ports[${i}].name`, 'Required value');
      let nodePort: number | undefined;
      if (type !== 'ClusterIP') {
        nodePort = p.nodePort ?? old?.ports.find((o) => o.port === p.port)?.nodePort;
        if (nodePort !== undefined && (nodePort < 30000 || nodePort > 32767))
          return invalid(
            `spec.ports[${i}].nodePort`,
            `Invalid value: ${nodePort}: provided port is not in the valid range. The range of valid ports is 30000-32767`,
          );
        if (nodePort !== undefined && used.has(nodePort) && p.nodePort !== undefined && !old)
          return invalid(
            `spec.ports[${i}].nodePort`,
            `Invalid value: ${nodePort}: provided port is already allocated`,
          );
        nodePort ??= this.allocateNodePort(used);
        used.add(nodePort);
      }
      ports.push({
        name: p.name ?? '',
        protocol: p.protocol ?? 'TCP',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        nodePort,
      });
    }
    const local = type !== 'ClusterIP' && spec.externalTrafficPolicy === 'Local';
    const healthCheckNodePort = local
      ? (old?.healthCheckNodePort ?? this.allocateNodePort(used))
      : undefined;
    let loadBalancerIP = old?.loadBalancerIP;
    if (type === 'LoadBalancer' && loadBalancerIP === undefined)
      loadBalancerIP = spec.loadBalancerIP ?? this.allocateLoadBalancerIP();
    return {
      name,
      namespace: ns,
      labels,
      spec,
      type,
      clusterIP,
      ports,
      healthCheckNodePort,
      loadBalancerIP,
      created: old?.created ?? this.world.unixNow(),
    };
  }

  /**
   * The API server's allocator hands out dynamic addresses from above the range's static band
   * (min(max(16, size/16), 256) addresses), at random.
   */
  private allocateClusterIP(): string {
    const c = this.config.serviceCIDR;
    const size = 2 ** (32 - c.len);
    const band = Math.min(Math.max(16, Math.floor(size / 16)), 256);
    const taken = (a: string) => {
      for (const s of this.services.values()) if (s.clusterIP === a) return true;
      return false;
    };
    for (;;) {
      const a = formatIpv4(ipv4Add(c.addr, this.world.rng.int(band, size - 2)));
      if (!taken(a)) return a;
    }
  }

  private allocateNodePort(used: Set<number>): number {
    for (;;) {
      const p = this.world.rng.int(30128, 32767);
      if (!used.has(p)) return p;
    }
  }

  private allocateLoadBalancerIP(): string | undefined {
    const pool = this.config.loadBalancerPool;
    if (!pool) return undefined;
    const used = new Set([...this.services.values()].map((s) => s.loadBalancerIP));
    for (let a = pool[0]; a <= pool[1]; a = ipv4Add(a, 1))
      if (!used.has(formatIpv4(a))) return formatIpv4(a);
    return undefined;
  }

  private indexPod(p: PodObject, add: boolean): void {
    const owner = p.owner;
    if (owner !== undefined)
      for (let i = owner.indexOf('-'); i >= 0; i = owner.indexOf('-', i + 1)) {
        const k = `${p.namespace}/${owner.slice(0, i)}`;
        let set = this.podsByOwnerPrefix.get(k);
        if (!set) this.podsByOwnerPrefix.set(k, (set = new Set()));
        if (add) set.add(p);
        else set.delete(p);
        this.deploymentsToCheck.add(k);
      }
    for (const [k, v] of Object.entries(p.labels)) {
      const lk = `${p.namespace}\0${k}\0${v}`;
      let set = this.podsByLabel.get(lk);
      if (add) {
        if (!set) this.podsByLabel.set(lk, (set = new Set()));
        set.add(p);
      } else if (set) {
        set.delete(p);
        if (set.size === 0) this.podsByLabel.delete(lk);
      }
    }
    if (p.nodeName !== undefined) this.countOnNode(p.nodeName, add ? 1 : -1);
  }

  private countOnNode(name: string, delta: number): void {
    this.podsOnNode.set(name, (this.podsOnNode.get(name) ?? 0) + delta);
  }

  /**
   * Runs `f` (applies, deletes, scales) and converges as if after each change, except that the
   * kube-proxy sync and the EndpointSlices' contents wait until `f` returns, when they run once.
   * Names, addresses and every random draw come out as one-by-one calls would make them: only
   * work whose result nobody can see before the end (no packet moves while `f` runs, as nothing
   * runs the scheduler) is put off. Batches nest; the outermost one converges.
   */
  batch<T>(f: () => T): T {
    this.batching++;
    try {
      return f();
    } finally {
      this.batching--;
      if (this.batching === 0) this.converge();
    }
  }

  /** {@link apply} for each manifest in one {@link batch}, results in order. */
  applyAll(list: readonly ManifestData[], defaultNamespace = 'default'): ApplyResult[] {
    return this.batch(() => list.map((m) => this.apply(m, defaultNamespace)));
  }

  /**
   * Runs every controller until nothing changes: ReplicaSets, the scheduler, the kubelets,
   * EndpointSlices, then each node's kube-proxy.
   */
  converge(): void {
    if (this.converging) return;
    this.converging = true;
    try {
      this.reconcileDeployments();
      this.schedule();
      // The kubelets: pods bound to a node and not started (no sandbox, container or error yet).
      // Once one of those is set it stays set while the pod exists.
      for (const p of this.unstarted) {
        const started = () => !!p.sandbox || p.containers.length > 0 || !!p.sandboxError;
        if (started()) {
          this.unstarted.delete(p);
          continue;
        }
        const node = p.nodeName !== undefined ? this.node(p.nodeName) : undefined;
        if (node) {
          p.hostIP = node.nodeIP;
          node.kubelet.runPod(p);
          if (started()) this.unstarted.delete(p);
        }
      }
      this.reconcileEndpointSlices(this.batching > 0);
      if (this.batching === 0) this.syncProxies();
      for (const e of syncNetworkPolicies(this)) this.errors.push(e);
      // Announcements follow the EndpointSlices, which a batch fills in at its end.
      if (this.batching === 0) announceLoadBalancers(this);
    } finally {
      this.converging = false;
    }
  }

  /** podTemplateHash per template object (templates are replaced, never changed in place). */
  private readonly templateHashes = new WeakMap<object, string>();
  /**
   * Every Deployment in order, as if all were looked at; those not to check have nothing to do
   * (they were settled when last checked and neither their spec nor their pods changed since).
   * One marked again by a Deployment after it in the order waits for the next pass, as it would.
   */
  private reconcileDeployments(): void {
    const todo = this.deploymentsToCheck;
    if (todo.size === 0) return;
    // The usual case, one Deployment to look at, needs no walk through all of them; only when
    // that marked others is the walk taken, from where it stood.
    let from: string | undefined;
    if (todo.size === 1) {
      const [k] = todo as Iterable<string>;
      const d = this.deployments.get(k!);
      todo.delete(k!);
      if (d) {
        this.reconcileDeployment(k!, d);
        todo.delete(k!);
        from = k;
      }
    }
    if (todo.size > 0) {
      let on = from === undefined;
      for (const [k, d] of this.deployments) {
        if (!on) {
          on = k === from;
          continue;
        }
        if (!todo.has(k)) continue;
        this.reconcileDeployment(k, d);
        todo.delete(k);
      }
    }
    // Owner prefixes that name no Deployment; marks left for Deployments earlier in the order.
    for (const k of todo) if (!this.deployments.has(k)) todo.delete(k);
  }

  private reconcileDeployment(k: string, d: DeploymentObject): void {
    // The pods whose owner starts with "<name>-", in the pods map's order (k is "ns/name").
    const claimed = this.podsByOwnerPrefix.get(k);
    let hash = this.templateHashes.get(d.spec.template);
    if (hash === undefined) {
      hash = podTemplateHash(d.spec.template);
      this.templateHashes.set(d.spec.template, hash);
    }
    const rs = `${d.name}-${hash}`;
    const want = d.spec.replicas ?? 1;
    let n = 0;
    if (claimed) for (const p of claimed) if (p.owner === rs) n++;
    if (n === (claimed?.size ?? 0) && n === want) return;
    const owned = claimed ? [...claimed] : [];
    // A changed template rolls out: the old ReplicaSet's pods give way to the new one's.
    for (const p of owned) if (p.owner !== rs) this.removePod(p);
    const mine = owned.filter((p) => p.owner === rs).sort((a, b) => a.created - b.created);
    while (mine.length > want) this.removePod(mine.pop()!);
    for (let i = mine.length; i < want; i++) {
      let name: string;
      do name = `${rs}-${randomSuffix(this.world.rng)}`;
      while (this.pods.has(key(d.namespace, name)));
      const labels = { ...(d.spec.template.metadata.labels ?? {}), 'pod-template-hash': hash };
      mine.push(this.createPod(d.namespace, name, labels, d.spec.template.spec, rs));
    }
  }

  /** The scheduler: workers (the control plane is tainted), fewest pods first, then by name. */
  private schedule(): void {
    let candidates: ClusterNode[] | undefined;
    // Pods without a node have not started: they are all among `unstarted`, in the same order.
    for (const p of this.unstarted) {
      if (p.nodeName !== undefined) continue;
      if (!candidates) {
        const workers = this.nodes.filter((n) => n.role === 'worker');
        candidates = workers.length ? workers : this.nodes;
      }
      let best: ClusterNode | undefined;
      let bestLoad = Infinity;
      for (const n of candidates) {
        const load = this.podsOnNode.get(n.name) ?? 0;
        if (load < bestLoad || (load === bestLoad && n.name < best!.name)) {
          best = n;
          bestLoad = load;
        }
      }
      p.nodeName = best!.name;
      this.countOnNode(p.nodeName, 1);
    }
  }

  /**
   * One EndpointSlice per Service with a selector, listing the selected pods that have an
   * address, by name. With `namesOnly` (inside a batch) only missing slices are created, so
   * their generated names come in the same order; their contents are filled at the end.
   */
  private reconcileEndpointSlices(namesOnly = false): void {
    // Inside a batch only Services applied since the last pass can lack a slice (or a selector).
    const todo = this.servicesToSlice;
    if (namesOnly && todo.size === 0) return;
    const one = namesOnly && todo.size === 1 ? [...todo][0]! : undefined;
    const list =
      one !== undefined
        ? this.services.has(one)
          ? [[one, this.services.get(one)!] as const]
          : []
        : this.services;
    todo.clear();
    for (const [k, s] of list) {
      if (s.namespace === 'default' && s.name === 'kubernetes') continue;
      if (!s.spec.selector) {
        this.endpointSlices.delete(k);
        continue;
      }
      if (namesOnly && this.endpointSlices.has(k)) continue;
      const selector = s.spec.selector;
      const first = Object.entries(selector)[0];
      const candidates = first
        ? this.podsByLabel.get(`${s.namespace}\0${first[0]}\0${first[1]}`)
        : undefined;
      const pods = candidates
        ? [...candidates]
            .filter((p) => p.podIP !== undefined && mapSelects(selector, p.labels))
            .sort(byKey)
        : [];
      let slice = this.endpointSlices.get(k);
      if (!slice) {
        slice = {
          name: `${s.name}-${randomSuffix(this.world.rng)}`,
          namespace: s.namespace,
          service: s.name,
          created: this.world.unixNow(),
          endpoints: [],
          ports: [],
        };
        this.endpointSlices.set(k, slice);
      }
      slice.endpoints = pods.map((p) => ({
        ip: p.podIP!,
        ready: this.podReady(p),
        nodeName: p.nodeName!,
        pod: p.name,
      }));
      slice.ports = s.ports.map((p) => ({
        name: p.name,
        protocol: p.protocol,
        port: this.resolveTargetPort(p.targetPort, pods) ?? 0,
      }));
    }
  }

  /** A named targetPort is looked up among the selected pods' container ports. */
  private resolveTargetPort(t: number | string, pods: readonly PodObject[]): number | undefined {
    if (typeof t === 'number') return t;
    for (const p of pods)
      for (const c of p.spec.containers)
        for (const cp of c.ports ?? []) if (cp.name === t) return cp.containerPort;
    return undefined;
  }

  /** What kube-proxy reads from the API: Services and EndpointSlices, in its own shapes. */
  proxyView(): { services: ProxyService[]; endpoints: Map<string, ProxyEndpoint[]> } {
    const services: ProxyService[] = [];
    const endpoints = new Map<string, ProxyEndpoint[]>();
    for (const s of this.services.values()) {
      if (s.clusterIP === 'None') continue;
      const slice = this.endpointSlices.get(key(s.namespace, s.name));
      services.push({
        name: s.name,
        namespace: s.namespace,
        clusterIP: s.clusterIP,
        type: s.type,
        ports: s.ports.map((p, i) => ({
          name: p.name,
          protocol: p.protocol,
          port: p.port,
          targetPort:
            slice?.ports[i]?.port ?? (typeof p.targetPort === 'number' ? p.targetPort : 0),
          nodePort: p.nodePort,
        })),
        loadBalancerIP: s.loadBalancerIP,
        externalIPs: s.spec.externalIPs,
        externalTrafficPolicy:
          s.type === 'ClusterIP' ? undefined : (s.spec.externalTrafficPolicy ?? 'Cluster'),
        healthCheckNodePort: s.healthCheckNodePort,
        sessionAffinity: s.spec.sessionAffinity,
      });
      endpoints.set(
        key(s.namespace, s.name),
        (slice?.endpoints ?? []).map((e) => ({
          ip: formatIpv4(e.ip),
          nodeName: e.nodeName,
          ready: e.ready,
        })),
      );
    }
    return { services, endpoints };
  }

  private syncProxies(): void {
    const { services, endpoints } = this.proxyView();
    // Every node reads the same Services: the text and its parse are made once where they agree.
    const share = new KubeProxySyncShare(services, endpoints);
    for (const n of this.nodes) {
      const r = syncKubeProxy(
        n.host.rootNs.netfilter,
        {
          nodeName: n.name,
          nodeIP: formatIpv4(n.nodeIP),
          clusterCIDR: formatCidr(this.config.clusterCIDR),
        },
        services,
        endpoints,
        share,
      );
      if (!r.ok) this.errors.push(`kube-proxy on ${n.name}: ${r.error}`);
    }
  }
}
