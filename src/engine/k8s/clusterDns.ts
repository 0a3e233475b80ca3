/**
 * Cluster DNS as kubeadm sets it up: CoreDNS pods (Deployment kube-system/coredns) behind the
 * Service kube-system/kube-dns at the tenth address of the service range, answering from the
 * cluster's Services and EndpointSlices through the kubernetes plugin and forwarding the rest to
 * the node's resolvers; and each pod's /etc/resolv.conf and /etc/hosts as the kubelet writes
 * them (dnsPolicy ClusterFirst).
 */
import { type Ipv4, formatIpv4, ipv4Add, parseIpv4 } from '../net/ipv4';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { corednsKubernetesSource, type KubeDnsService } from '../dns/coredns';
import { startDnsServer } from '../dns/server';
import type { Cluster } from './cluster';
import type { StartResult } from './images';
import type { ManifestData } from './objects';

export const CLUSTER_DOMAIN = 'cluster.local';
export const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.1';

/** The kube-dns ClusterIP: the range's tenth address (kubeadm's default, 10.96.0.10). */
export function clusterDnsIP(serviceCIDR: { addr: Ipv4 }): Ipv4 {
  return ipv4Add(serviceCIDR.addr, 10);
}

/** The objects kubeadm's CoreDNS addon creates (the parts the network model reads). */
export function corednsObjects(dnsIP: Ipv4, nodeName: string): ManifestData[] {
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // kind's first node is the control plane, and CoreDNS tolerates its taint: both
            // replicas start there before any worker joins.
            nodeName,
            containers: [
              {
                name: 'coredns',
                image: COREDNS_IMAGE,
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: 'kube-system',
        labels: {
          ...labels,
          'kubernetes.io/cluster-service': 'true',
          'kubernetes.io/name': 'CoreDNS',
        },
      },
      spec: {
        selector: labels,
        clusterIP: formatIpv4(dnsIP),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
  ];
}

/** What the kubernetes plugin reads: Services with their ready endpoints. */
function dnsView(c: Cluster): KubeDnsService[] {
  return c.serviceList().map((s) => {
    const slice = c.endpointSlices.get(`${s.namespace}/${s.name}`);
    return {
      name: s.name,
      namespace: s.namespace,
      clusterIP: s.clusterIP,
      ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
      endpoints: (slice?.endpoints ?? [])
        .filter((e) => e.ready)
        .map((e) => ({ ip: formatIpv4(e.ip) })),
    };
  });
}

/** The node's resolvers (CoreDNS's `forward . /etc/resolv.conf`). */
function nodeResolvers(host: Host): Ipv4[] {
  const r = host.fs.readFile('/etc/resolv.conf', host.rootNs);
  if (!r.ok) return [];
  const out: Ipv4[] = [];
  for (const line of r.data.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const a = m ? parseIpv4(m[1]!) : undefined;
    if (a !== undefined) out.push(a);
  }
  return out;
}

/** Starts the coredns container's server in its pod's namespace. */
export function startCoredns(c: Cluster, host: Host, ns: NetNs): StartResult {
  const source = {
    // The plugin watches the API; answering from the current objects is the same thing.
    answer: (qname: string, qtype: number) =>
      corednsKubernetesSource(dnsView(c)).answer(qname, qtype),
  };
  const server = startDnsServer(host, ns, { source, forward: nodeResolvers(host) });
  if (typeof server === 'string')
    return {
      ok: false,
      reason: 'RunContainerError',
      message: `listen udp :53: bind: address already in use`,
    };
  return { ok: true, proc: server.proc };
}

/** The pod's own /etc files (dnsPolicy ClusterFirst), as the kubelet writes and mounts them. */
export function writePodFiles(
  host: Host,
  ns: NetNs,
  podName: string,
  podNamespace: string,
  ip: Ipv4,
  dnsIP: Ipv4 | undefined,
): void {
  if (dnsIP !== undefined)
    host.fs.setSandboxFile(
      ns,
      '/etc/resolv.conf',
      `search ${podNamespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}\nnameserver ${formatIpv4(dnsIP)}\noptions ndots:5\n`,
    );
  host.fs.setSandboxFile(
    ns,
    '/etc/hosts',
    `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${formatIpv4(ip)}\t${podName}\n`,
  );
  host.fs.setSandboxFile(ns, '/etc/hostname', `${podName}\n`);
}
