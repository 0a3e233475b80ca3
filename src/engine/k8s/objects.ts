/**
 * The Kubernetes objects a scenario or `kubectl apply -f` may write: real API shapes (apiVersion,
 * kind, metadata, spec), cut down to the fields the network model reads. The zod schemas reject
 * unknown fields the way the API server's strict field validation does, so a typo in a manifest
 * is an error rather than a silently ignored setting.
 */
import { z } from 'zod';

const labels = z.record(z.string(), z.string());

export const ObjectMeta = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    )
    .max(253),
  namespace: z.string().optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const LabelSelector = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelectorData = z.output<typeof LabelSelector>;

const protocol = z.enum(['TCP', 'UDP', 'SCTP']);

const ContainerPort = z.strictObject({
  name: z.string().optional(),
  containerPort: z.number().int().min(1).max(65535),
  protocol: protocol.optional(),
});

const Probe = z.strictObject({
  httpGet: z
    .strictObject({ path: z.string().optional(), port: z.union([z.number(), z.string()]) })
    .optional(),
  tcpSocket: z.strictObject({ port: z.union([z.number(), z.string()]) }).optional(),
  initialDelaySeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
});

export const Container = z.strictObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z.array(ContainerPort).optional(),
  readinessProbe: Probe.optional(),
});
export type ContainerData = z.output<typeof Container>;

export const PodSpec = z.strictObject({
  containers: z.array(Container).min(1),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
});
export type PodSpecData = z.output<typeof PodSpec>;

export const Pod = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: ObjectMeta,
  spec: PodSpec,
});

export const Deployment = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    replicas: z.number().int().min(0).optional(),
    selector: LabelSelector,
    template: z.strictObject({
      metadata: z.strictObject({ labels: labels.optional(), annotations: labels.optional() }),
      spec: PodSpec,
    }),
  }),
});

const ServicePort = z.strictObject({
  name: z.string().optional(),
  protocol: protocol.optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: z.union([z.number().int().min(1).max(65535), z.string()]).optional(),
  nodePort: z.number().int().min(1).max(65535).optional(),
});

export const Service = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    selector: labels.optional(),
    ports: z.array(ServicePort).min(1),
    clusterIP: z.string().optional(),
    externalIPs: z.array(z.string()).optional(),
    loadBalancerIP: z.string().optional(),
    externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  }),
});

const PolicyPeer = z.strictObject({
  podSelector: LabelSelector.optional(),
  namespaceSelector: LabelSelector.optional(),
  ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});
const PolicyPort = z.strictObject({
  protocol: protocol.optional(),
  port: z.union([z.number().int(), z.string()]).optional(),
  endPort: z.number().int().optional(),
});

export const NetworkPolicy = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    podSelector: LabelSelector,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z
      .array(
        z.strictObject({
          from: z.array(PolicyPeer).optional(),
          ports: z.array(PolicyPort).optional(),
        }),
      )
      .optional(),
    egress: z
      .array(
        z.strictObject({
          to: z.array(PolicyPeer).optional(),
          ports: z.array(PolicyPort).optional(),
        }),
      )
      .optional(),
  }),
});

const IngressBackend = z.strictObject({
  service: z.strictObject({
    name: z.string(),
    port: z.union([
      z.strictObject({ number: z.number().int().min(1).max(65535) }),
      z.strictObject({ name: z.string() }),
    ]),
  }),
});

export const Ingress = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('Ingress'),
  metadata: ObjectMeta,
  spec: z.strictObject({
    ingressClassName: z.string().optional(),
    defaultBackend: IngressBackend.optional(),
    rules: z
      .array(
        z.strictObject({
          host: z.string().optional(),
          http: z.strictObject({
            paths: z.array(
              z.strictObject({
                path: z.string().optional(),
                pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']),
                backend: IngressBackend,
              }),
            ),
          }),
        }),
      )
      .optional(),
  }),
});

export const Namespace = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: ObjectMeta,
});

/** Every kind a manifest may hold, told apart by `kind`. */
export const Manifest = z.discriminatedUnion('kind', [
  Pod,
  Deployment,
  Service,
  NetworkPolicy,
  Namespace,
  Ingress,
]);

export type PodManifest = z.output<typeof Pod>;
export type DeploymentManifest = z.output<typeof Deployment>;
export type ServiceManifest = z.output<typeof Service>;
export type NetworkPolicyManifest = z.output<typeof NetworkPolicy>;
export type NamespaceManifest = z.output<typeof Namespace>;
export type IngressManifest = z.output<typeof Ingress>;
export type ManifestData = z.output<typeof Manifest>;

export const KINDS = [
  'Pod',
  'Deployment',
  'Service',
  'NetworkPolicy',
  'Namespace',
  'Ingress',
] as const;

/** matchLabels and matchExpressions, as metav1.LabelSelectorAsSelector reads them. */
export function selectorMatches(
  sel: LabelSelectorData,
  l: Readonly<Record<string, string>>,
): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(l[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(l[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A Service's plain `selector` map: every pair must match (an empty map selects nothing). */
export function mapSelects(
  sel: Readonly<Record<string, string>>,
  l: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(sel);
  return entries.length > 0 && entries.every(([k, v]) => l[k] === v);
}
