/**
 * How kubectl 1.30 prints objects: its tables (tabwriter, minimum width 6, padding 3), ages as
 * duration.HumanDuration writes them, and each object's API JSON for -o json/yaml/jsonpath.
 */
import { formatIpv4 } from '../../../net/ipv4';
import type {
  Cluster,
  ClusterNode,
  DeploymentObject,
  EndpointSliceObject,
  NetworkPolicyObject,
  PodObject,
  ServiceObject,
} from '../../../k8s/cluster';
import { civilFromUnix } from '../../../sim/clock';
import type { ContainerExit } from '../../../k8s/kubelet';

export const KUBE_VERSION = 'v1.30.0';

/** Go's tabwriter as kubectl configures it: cells padded to the widest + 3, at least 6. */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const n = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, i) =>
    Math.max(6, ...rows.map((r) => (i < r.length - 1 ? (r[i] ?? '').length + 3 : 0))),
  );
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n')
    .join('');
}

/** duration.HumanDuration. */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/**
 * kubectl's STATUS: the phase, overridden by the first container that waits or has ended (its
 * reason); "Completed" beside a container still running reads NotReady (or Running once ready).
 */
export function podStatus(c: Cluster, p: PodObject): string {
  if (p.sandboxError) return 'ContainerCreating';
  const waiting = p.containers.find((x) => x.state !== 'running');
  const reason = waiting?.reason ?? c.podPhase(p);
  if (reason === 'Completed' && p.containers.some((x) => x.state === 'running'))
    return c.podReady(p) ? 'Running' : 'NotReady';
  return reason;
}

/** RESTARTS: the sum, and how long ago the latest previous instance ended (lastState). */
export function podRestarts(p: PodObject, now: number): string {
  const n = p.containers.reduce((a, c) => a + c.restarts, 0);
  const ends = p.containers.flatMap((c) => (c.last ? [c.last.finishedAt] : []));
  if (n === 0 || ends.length === 0) return String(n);
  return `${n} (${humanAge(now - Math.max(...ends))} ago)`;
}

export function podRow(c: Cluster, p: PodObject, now: number, wide: boolean): string[] {
  const ready = p.containers.filter((x) => x.state === 'running').length;
  const row = [
    p.name,
    `${ready}/${p.spec.containers.length}`,
    podStatus(c, p),
    podRestarts(p, now),
    humanAge(now - p.created),
  ];
  if (wide)
    row.push(
      p.podIP !== undefined ? formatIpv4(p.podIP) : '<none>',
      p.nodeName ?? '<none>',
      '<none>',
      '<none>',
    );
  return row;
}

export function servicePorts(s: ServiceObject): string {
  return s.ports
    .map((p) => `${p.port}${p.nodePort !== undefined ? `:${p.nodePort}` : ''}/${p.protocol}`)
    .join(',');
}

export function serviceRow(s: ServiceObject, now: number, wide: boolean): string[] {
  const ext =
    s.type === 'LoadBalancer'
      ? (s.loadBalancerIP ?? '<pending>')
      : s.spec.externalIPs?.length
        ? s.spec.externalIPs.join(',')
        : '<none>';
  const row = [s.name, s.type, s.clusterIP, ext, servicePorts(s), humanAge(now - s.created)];
  if (wide)
    row.push(
      s.spec.selector
        ? Object.entries(s.spec.selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '<none>',
    );
  return row;
}

export function nodeRow(n: ClusterNode, now: number, wide: boolean): string[] {
  const row = [
    n.name,
    'Ready',
    n.role === 'control-plane' ? 'control-plane' : '<none>',
    humanAge(now - n.created),
    KUBE_VERSION,
  ];
  if (wide)
    row.push(
      formatIpv4(n.nodeIP),
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0-27-amd64',
      'containerd://1.7.15',
    );
  return row;
}

export function sliceRow(e: EndpointSliceObject, now: number): string[] {
  const ready = e.endpoints.filter((x) => x.ready);
  const addrs = ready.map((x) => formatIpv4(x.ip));
  const shown =
    addrs.length === 0
      ? '<unset>'
      : addrs.length > 3
        ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
        : addrs.join(',');
  const ports = e.ports.length ? e.ports.map((p) => String(p.port)).join(',') : '<unset>';
  return [e.name, 'IPv4', ports, shown, humanAge(now - e.created)];
}

export function endpointsRow(e: EndpointSliceObject, now: number): string[] {
  const all = e.endpoints
    .filter((x) => x.ready)
    .flatMap((x) => e.ports.map((p) => `${formatIpv4(x.ip)}:${p.port}`));
  const shown =
    all.length === 0
      ? '<none>'
      : all.length > 3
        ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`
        : all.join(',');
  return [e.service, shown, humanAge(now - e.created)];
}

export function deploymentRow(c: Cluster, d: DeploymentObject, now: number): string[] {
  const pods = c.podList(d.namespace).filter((p) => p.owner?.startsWith(`${d.name}-`));
  const ready = pods.filter((p) => c.podReady(p)).length;
  const want = d.spec.replicas ?? 1;
  return [
    d.name,
    `${ready}/${want}`,
    String(pods.length),
    String(ready),
    humanAge(now - d.created),
  ];
}

export function policyRow(p: NetworkPolicyObject, now: number): string[] {
  const sel = Object.entries(p.spec.podSelector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [p.name, sel || '<none>', humanAge(now - p.created)];
}

/** RFC 3339 in UTC, as metav1.Time marshals. */
export function rfc3339(unix: number): string {
  const c = civilFromUnix(Math.floor(unix));
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${c.year}-${p2(c.month)}-${p2(c.day)}T${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)}Z`;
}

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function podJson(c: Cluster, p: PodObject): Json {
  const ready = c.podReady(p);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      creationTimestamp: rfc3339(p.created),
      labels: p.labels,
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      ...(p.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: p.owner }] }
        : {}),
    },
    spec: JSON.parse(JSON.stringify({ ...p.spec, nodeName: p.nodeName })) as Json,
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: p.containers.map((x) => ({
        containerID: `containerd://${x.id}`,
        lastState: (x.last ? terminatedJson(x.last) : {}) as Json,
        name: x.name,
        ready: x.state === 'running',
        restartCount: x.restarts,
        started: x.state === 'running',
        state: (x.state === 'running'
          ? { running: { startedAt: rfc3339(x.startedAt ?? p.created) } }
          : x.state === 'terminated' && x.exit
            ? terminatedJson(x.exit)
            : {
                waiting: {
                  reason: x.reason ?? 'ContainerCreating',
                  ...(x.message ? { message: x.message } : {}),
                },
              }) as Json,
      })),
      ...(p.hostIP !== undefined ? { hostIP: formatIpv4(p.hostIP) } : {}),
      phase: c.podPhase(p),
      ...(p.podIP !== undefined
        ? { podIP: formatIpv4(p.podIP), podIPs: [{ ip: formatIpv4(p.podIP) }] }
        : {}),
      startTime: rfc3339(p.created),
    },
  };
}

function terminatedJson(e: ContainerExit): Json {
  return {
    terminated: {
      containerID: `containerd://${e.id}`,
      exitCode: e.code,
      finishedAt: rfc3339(e.finishedAt),
      reason: e.reason,
      startedAt: rfc3339(e.startedAt),
    },
  };
}

export function serviceJson(s: ServiceObject): Json {
  const spec: { [k: string]: Json } = {
    clusterIP: s.clusterIP,
    clusterIPs: [s.clusterIP],
    ports: s.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
      port: p.port,
      protocol: p.protocol,
      targetPort: p.targetPort,
    })),
    sessionAffinity: s.spec.sessionAffinity ?? 'None',
    type: s.type,
  };
  if (s.spec.selector) spec.selector = s.spec.selector;
  if (s.type !== 'ClusterIP')
    spec.externalTrafficPolicy = s.spec.externalTrafficPolicy ?? 'Cluster';
  if (s.healthCheckNodePort !== undefined) spec.healthCheckNodePort = s.healthCheckNodePort;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      creationTimestamp: rfc3339(s.created),
      labels: s.labels,
      name: s.name,
      namespace: s.namespace,
    },
    spec,
    status: {
      loadBalancer: s.loadBalancerIP ? { ingress: [{ ip: s.loadBalancerIP, ipMode: 'VIP' }] } : {},
    },
  };
}

export function nodeJson(n: ClusterNode): Json {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      creationTimestamp: rfc3339(n.created),
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...(n.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
      },
      name: n.name,
    },
    spec: {
      podCIDR: `${formatIpv4(n.podCIDR.addr)}/${n.podCIDR.len}`,
      podCIDRs: [`${formatIpv4(n.podCIDR.addr)}/${n.podCIDR.len}`],
    },
    status: {
      addresses: [
        { address: formatIpv4(n.nodeIP), type: 'InternalIP' },
        { address: n.name, type: 'Hostname' },
      ],
      nodeInfo: {
        containerRuntimeVersion: 'containerd://1.7.15',
        kubeletVersion: KUBE_VERSION,
        kubeProxyVersion: KUBE_VERSION,
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

export function sliceJson(e: EndpointSliceObject): Json {
  return {
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: e.endpoints.map((x) => ({
      addresses: [formatIpv4(x.ip)],
      conditions: { ready: x.ready, serving: x.ready, terminating: false },
      nodeName: x.nodeName,
      ...(x.pod ? { targetRef: { kind: 'Pod', name: x.pod, namespace: e.namespace } } : {}),
    })),
    kind: 'EndpointSlice',
    metadata: {
      creationTimestamp: rfc3339(e.created),
      labels: { 'kubernetes.io/service-name': e.service },
      name: e.name,
      namespace: e.namespace,
    },
    ports: e.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
  };
}
