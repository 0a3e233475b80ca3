/**
 * kubectl 1.30 against the simulated cluster: get, exec, apply -f, delete, scale. It works on the
 * cluster's nodes (as if admin.conf were the kubeconfig); elsewhere it has no server to talk to.
 * The API calls themselves are not modelled as traffic: the commands act on the cluster at once.
 */
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { normalizePath } from '../../../linux/fs';
import { Process } from '../../../linux/process';
import { type Cluster, clusterOf } from '../../../k8s/cluster';
import { imageTools, runTool } from '../../../k8s/images';
import { ingressesOf } from '../../../k8s/ingress';
import { KINDS, Manifest } from '../../../k8s/objects';
import type { Tool, ToolContext } from '../../tool';
import { JsonPathError, jsonPath } from './jsonpath';
import {
  type Json,
  deploymentRow,
  endpointsRow,
  humanAge,
  KUBE_VERSION,
  nodeJson,
  nodeRow,
  podJson,
  podRow,
  policyRow,
  serviceJson,
  serviceRow,
  sliceJson,
  sliceRow,
  table,
} from './print';
import { TOOLS } from '../index';

/** kubectl's help, cut to the commands this model has (their descriptions are kubectl's own). */
const KUBECTL_HELP = `kubectl controls the Kubernetes cluster manager.

 Find more information at: https://kubernetes.io/docs/reference/kubectl/

Basic Commands (Beginner):
  create          Create a resource from a file or from stdin

Basic Commands (Intermediate):
  get             Display one or many resources
  delete          Delete resources by file names, stdin, resources and names, or by resources and label selector

Deploy Commands:
  scale           Set a new size for a deployment, replica set, or replication controller

Troubleshooting and Debugging Commands:
  logs            Print the logs for a container in a pod
  exec            Execute a command in a container

Advanced Commands:
  apply           Apply a configuration to a resource by file name or stdin

Other Commands:
  version         Print the client and server version information

Usage:
  kubectl [flags] [options]

(packet-life models the commands above; kubectl's other commands say they are not modelled.)
`;

/** Off the cluster's nodes there is no kubeconfig, so kubectl tries its default server. */
const NO_SERVER =
  'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n';

const COMMANDS = ['get', 'apply', 'create', 'delete', 'scale', 'logs', 'exec', 'version'];

/** Levenshtein distance, for cobra's "Did you mean this?" (suggested within 2 edits or by prefix). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length]![b.length]!;
}

/** Real kubectl commands the model does not have: they say so instead of pretending. */
const UNMODELLED = [
  'describe',
  'edit',
  'patch',
  'label',
  'annotate',
  'rollout',
  'top',
  'cp',
  'attach',
  'run',
  'expose',
  'autoscale',
  'cluster-info',
  'config',
  'api-resources',
  'api-versions',
  'explain',
  'debug',
  'wait',
  'proxy',
  'port-forward',
  'auth',
  'certificate',
  'drain',
  'cordon',
  'uncordon',
  'taint',
  'set',
  'replace',
  'diff',
  'kustomize',
  'plugin',
  'events',
  'completion',
  'alpha',
];

function unknownCommand(sub: string): string {
  if (UNMODELLED.includes(sub))
    return `error: packet-life does not model "kubectl ${sub}"; it has ${COMMANDS.join(', ')}\n`;
  const near = COMMANDS.filter(
    (c) => distance(sub.toLowerCase(), c) <= 2 || c.startsWith(sub.toLowerCase()),
  );
  return `error: unknown command "${sub}" for "kubectl"${near.length ? `\n\nDid you mean this?\n${near.map((c) => `\t${c}\n`).join('')}` : ''}\nRun 'kubectl --help' for usage.\n`;
}

class KubectlExit extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
  }
}

const die = (text: string, code = 1): never => {
  throw new KubectlExit(code, text);
};

type Resource =
  | 'ingresses'
  | 'pods'
  | 'services'
  | 'nodes'
  | 'endpointslices'
  | 'endpoints'
  | 'deployments'
  | 'namespaces'
  | 'networkpolicies';

const RESOURCES: Record<string, Resource> = {
  ingress: 'ingresses',
  ingresses: 'ingresses',
  ing: 'ingresses',
  'ingresses.networking.k8s.io': 'ingresses',
  pod: 'pods',
  pods: 'pods',
  po: 'pods',
  service: 'services',
  services: 'services',
  svc: 'services',
  node: 'nodes',
  nodes: 'nodes',
  no: 'nodes',
  endpointslice: 'endpointslices',
  endpointslices: 'endpointslices',
  'endpointslices.discovery.k8s.io': 'endpointslices',
  endpoints: 'endpoints',
  ep: 'endpoints',
  deployment: 'deployments',
  deployments: 'deployments',
  deploy: 'deployments',
  'deployments.apps': 'deployments',
  namespace: 'namespaces',
  namespaces: 'namespaces',
  ns: 'namespaces',
  networkpolicy: 'networkpolicies',
  networkpolicies: 'networkpolicies',
  netpol: 'networkpolicies',
};

const NAMESPACED: Record<Resource, boolean> = {
  ingresses: true,
  pods: true,
  services: true,
  nodes: false,
  endpointslices: true,
  endpoints: true,
  deployments: true,
  namespaces: false,
  networkpolicies: true,
};

/** The API's resource.group names, as NotFound errors print them. */
const QUALIFIED: Record<Resource, string> = {
  ingresses: 'ingresses.networking.k8s.io',
  pods: 'pods',
  services: 'services',
  nodes: 'nodes',
  endpointslices: 'endpointslices.discovery.k8s.io',
  endpoints: 'endpoints',
  deployments: 'deployments.apps',
  namespaces: 'namespaces',
  networkpolicies: 'networkpolicies.networking.k8s.io',
};

interface Flags {
  namespace?: string;
  allNamespaces: boolean;
  output?: string;
  selector?: string;
  filenames: string[];
  container?: string;
  replicas?: number;
  tail?: number;
  showLabels: boolean;
  /** --no-headers: table rows only. */
  noHeaders: boolean;
  /** logs -p / --previous: the previous instance's output. */
  previous: boolean;
  /** -t / --tty: the command gets a terminal. */
  tty: boolean;
  rest: string[];
  afterDash: string[];
}

/** Flags of `kubectl SUB`; errors point at `kubectl SUB --help`, as cobra's do. */
function parseFlags(args: readonly string[], sub: string): Flags {
  const help = `See 'kubectl ${sub} --help' for usage.\n`;
  const f: Flags = {
    allNamespaces: false,
    filenames: [],
    showLabels: false,
    noHeaders: false,
    previous: false,
    tty: false,
    rest: [],
    afterDash: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      f.afterDash = args.slice(i + 1);
      break;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      if (/^-[a-zA-Z]./.test(a) && !a.startsWith('--')) return a.slice(2);
      const v = args[++i];
      if (v === undefined)
        die(
          `error: flag needs an argument: ${JSON.stringify(a.replace(/^-+/, '')).replace(/"/g, "'")} in ${a}\n${help}`,
        );
      return v!;
    };
    const short = /^-([a-zA-Z])/.exec(a)?.[1];
    if (name === '--namespace' || short === 'n') f.namespace = value();
    else if (name === '--all-namespaces' || a === '-A') f.allNamespaces = true;
    else if (name === '--output' || short === 'o') f.output = value();
    else if (name === '--selector' || short === 'l') f.selector = value();
    else if (name === '--filename' || short === 'f') f.filenames.push(value());
    else if (name === '--container' || short === 'c') f.container = value();
    else if (name === '--replicas') {
      const v = value();
      if (!/^\d+$/.test(v))
        die(
          `error: invalid argument "${v}" for "--replicas" flag: strconv.ParseInt: parsing "${v}": invalid syntax\n${help}`,
        );
      f.replicas = Number(v);
    } else if (name === '--tail') {
      const v = value();
      if (!/^-?\d+$/.test(v))
        die(
          `error: invalid argument "${v}" for "--tail" flag: strconv.ParseInt: parsing "${v}": invalid syntax\n${help}`,
        );
      f.tail = Number(v);
    } else if (name === '--show-labels') f.showLabels = true;
    else if (name === '--no-headers') f.noHeaders = true;
    else if (a === '-p' || name === '--previous') f.previous = true;
    else if (a === '-t' || a === '-it' || a === '-ti' || a === '--tty') f.tty = true;
    else if (a === '-i' || a === '--stdin' || a === '-q' || a === '--quiet') continue;
    else if (a.startsWith('-') && a !== '-') die(`error: unknown flag: ${name}\n${help}`);
    else f.rest.push(a);
  }
  return f;
}

function labelSelector(sel: string | undefined): (l: Record<string, string>) => boolean {
  if (!sel) return () => true;
  const terms = sel.split(',').map((t) => {
    const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(t.trim());
    if (m)
      return (l: Record<string, string>) => (m[2] === '!=' ? l[m[1]!] !== m[3] : l[m[1]!] === m[3]);
    const neg = t.trim().startsWith('!');
    const k = t.trim().replace(/^!/, '');
    return (l: Record<string, string>) => k in l !== neg;
  });
  return (l) => terms.every((t) => t(l));
}

function get(c: Cluster, ctx: ToolContext, f: Flags): string {
  const [what, ...names] = f.rest;
  if (what === undefined)
    die(
      `You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples\n`,
    );
  let kind = what!;
  let named = names;
  if (kind.includes('/')) {
    named = [kind.slice(kind.indexOf('/') + 1), ...names];
    kind = kind.slice(0, kind.indexOf('/'));
  }
  const res = RESOURCES[kind];
  if (!res) return die(`error: the server doesn't have a resource type "${kind}"\n`);
  const ns = f.allNamespaces ? undefined : (f.namespace ?? 'default');
  if (ns !== undefined && NAMESPACED[res] && !c.namespaces.has(ns) && named.length === 0) {
    ctx.proc.writeErr(`No resources found in ${ns} namespace.\n`);
    return '';
  }
  const now = c.world.unixNow();
  const match = labelSelector(f.selector);
  const inNs = <T extends { namespace: string }>(x: T) =>
    ns === undefined || !NAMESPACED[res] || x.namespace === ns;
  type Item = {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    row: (wide: boolean) => string[];
    json: () => Json;
  };
  let items: Item[] = [];
  switch (res) {
    case 'pods':
      items = c
        .podList()
        .map((p) => ({ ...p, row: (w) => podRow(c, p, now, w), json: () => podJson(c, p) }));
      break;
    case 'services':
      items = c
        .serviceList()
        .map((s) => ({ ...s, row: (w) => serviceRow(s, now, w), json: () => serviceJson(s) }));
      break;
    case 'nodes':
      items = c.nodes.map((n) => ({
        name: n.name,
        namespace: '',
        labels: {},
        row: (w) => nodeRow(n, now, w),
        json: () => nodeJson(n),
      }));
      break;
    case 'endpointslices':
      items = [...c.endpointSlices.values()].map((e) => ({
        ...e,
        labels: { 'kubernetes.io/service-name': e.service },
        row: () => sliceRow(e, now),
        json: () => sliceJson(e),
      }));
      break;
    case 'endpoints':
      items = [...c.endpointSlices.values()].map((e) => ({
        ...e,
        name: e.service,
        labels: {},
        row: () => endpointsRow(e, now),
        json: () => sliceJson(e),
      }));
      break;
    case 'deployments':
      items = [...c.deployments.values()].map((d) => ({
        ...d,
        row: () => deploymentRow(c, d, now),
        json: () => ({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: d.name, namespace: d.namespace },
          spec: JSON.parse(JSON.stringify(d.spec)) as Json,
        }),
      }));
      break;
    case 'namespaces':
      items = [...c.namespaces.values()].map((n) => ({
        name: n.name,
        namespace: '',
        labels: n.labels,
        row: () => [n.name, 'Active', humanAge(now - n.created)],
        json: () => ({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: n.name, labels: n.labels },
        }),
      }));
      break;
    case 'ingresses': {
      // ADDRESS: the ingress controller's LoadBalancer address, once it has published it.
      const lb = c
        .serviceList()
        .find(
          (x) =>
            x.type === 'LoadBalancer' &&
            x.loadBalancerIP &&
            x.labels['app.kubernetes.io/name'] === 'ingress-nginx',
        );
      items = [...ingressesOf(c).values()].map((g) => ({
        ...g,
        labels: {},
        row: () => [
          g.name,
          g.spec.ingressClassName ?? '<none>',
          (g.spec.rules ?? []).map((r) => r.host ?? '*').join(',') || '*',
          lb?.loadBalancerIP ?? '',
          '80',
          humanAge(now - g.created),
        ],
        json: () => ({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: g.name, namespace: g.namespace },
          spec: JSON.parse(JSON.stringify(g.spec)) as Json,
        }),
      }));
      break;
    }
    case 'networkpolicies':
      items = [...c.networkPolicies.values()].map((p) => ({
        ...p,
        labels: {},
        row: () => policyRow(p, now),
        json: () => ({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: p.name, namespace: p.namespace },
          spec: JSON.parse(JSON.stringify(p.spec)) as Json,
        }),
      }));
      break;
  }
  items = items.filter(inNs).filter((x) => match(x.labels));
  items.sort((a, b) =>
    a.namespace < b.namespace
      ? -1
      : a.namespace > b.namespace
        ? 1
        : a.name < b.name
          ? -1
          : a.name > b.name
            ? 1
            : 0,
  );
  let errors = '';
  if (named.length) {
    const found: Item[] = [];
    for (const n of named) {
      const it = items.find((x) => x.name === n);
      if (it) found.push(it);
      else errors += `Error from server (NotFound): ${QUALIFIED[res]} "${n}" not found\n`;
    }
    items = found;
  }
  const out = f.output;
  let text = '';
  if (out === 'name')
    text = items
      .map(
        (x) =>
          `${res === 'deployments' ? 'deployment.apps' : res.replace(/s$/, '').replace(/ie$/, 'y').replace(/icie$/, 'icy')}/${x.name}\n`,
      )
      .join('');
  else if (
    out === 'json' ||
    out === 'yaml' ||
    out?.startsWith('jsonpath=') ||
    out?.startsWith('jsonpath-as-json=')
  ) {
    const single = named.length === 1 && items.length === 1;
    const obj: Json = single
      ? items[0]!.json()
      : {
          apiVersion: 'v1',
          items: items.map((x) => x.json()),
          kind: 'List',
          metadata: { resourceVersion: '' },
        };
    if (out === 'json') text = `${JSON.stringify(obj, null, 4)}\n`;
    else if (out === 'yaml') text = toYaml(obj);
    else {
      const tpl = out.slice(out.indexOf('=') + 1);
      try {
        text = jsonPath(tpl, obj);
      } catch (e) {
        if (!(e instanceof JsonPathError)) throw e;
        die(`error: error parsing jsonpath ${tpl}, ${e.message}\n`);
      }
    }
  } else if (out === undefined || out === 'wide') {
    if (items.length === 0 && !named.length) {
      ctx.proc.writeErr(
        ns !== undefined && NAMESPACED[res]
          ? `No resources found in ${ns} namespace.\n`
          : 'No resources found\n',
      );
      return '';
    }
    if (items.length) {
      const wide = out === 'wide';
      const header = headerFor(res, wide);
      const all = ns === undefined && NAMESPACED[res];
      const rows = [all ? ['NAMESPACE', ...header] : header];
      if (f.showLabels) rows[0]!.push('LABELS');
      for (const it of items) {
        const r = it.row(wide);
        if (f.showLabels)
          r.push(
            Object.entries(it.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(',') || '<none>',
          );
        rows.push(all ? [it.namespace, ...r] : r);
      }
      // Without headers the columns are as wide as the rows alone need (tabwriter).
      text = table(f.noHeaders ? rows.slice(1) : rows);
    }
  } else
    die(
      `error: unable to match a printer suitable for the output format "${out}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml\n`,
    );
  if (errors) {
    ctx.proc.write(text);
    die(errors);
  }
  return text;
}

function headerFor(res: Resource, wide: boolean): string[] {
  switch (res) {
    case 'pods':
      return [
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
        ...(wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : []),
      ];
    case 'services':
      return [
        'NAME',
        'TYPE',
        'CLUSTER-IP',
        'EXTERNAL-IP',
        'PORT(S)',
        'AGE',
        ...(wide ? ['SELECTOR'] : []),
      ];
    case 'nodes':
      return [
        'NAME',
        'STATUS',
        'ROLES',
        'AGE',
        'VERSION',
        ...(wide
          ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']
          : []),
      ];
    case 'endpointslices':
      return ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'];
    case 'endpoints':
      return ['NAME', 'ENDPOINTS', 'AGE'];
    case 'deployments':
      return ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
    case 'namespaces':
      return ['NAME', 'STATUS', 'AGE'];
    case 'ingresses':
      return ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'];
    case 'networkpolicies':
      return ['NAME', 'POD-SELECTOR', 'AGE'];
  }
}

function toYaml(v: Json, indent = ''): string {
  if (v === null || typeof v !== 'object') return `${yamlScalar(v)}\n`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]\n';
    return v
      .map((x) => {
        const body = toYaml(x, `${indent}  `);
        return x !== null &&
          typeof x === 'object' &&
          !(Array.isArray(x) && x.length === 0) &&
          Object.keys(x).length
          ? `${indent}- ${body.slice(indent.length + 2)}`
          : `${indent}- ${body}`;
      })
      .join('');
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}\n';
  return keys
    .map((k) => {
      const x = v[k]!;
      if (
        x !== null &&
        typeof x === 'object' &&
        (Array.isArray(x) ? x.length : Object.keys(x).length)
      )
        return `${indent}${k}:\n${toYaml(x, Array.isArray(x) ? indent : `${indent}  `)}`;
      return `${indent}${k}: ${toYaml(x, indent)}`;
    })
    .join('');
}

function yamlScalar(v: string | number | boolean | null): string {
  if (typeof v !== 'string') return String(v);
  if (
    v === '' ||
    /^[\d.]+$/.test(v) ||
    /[:#{}[\],&*!|>'"%@`]/.test(v) ||
    /^(true|false|null|yes|no)$/i.test(v)
  )
    return `"${v}"`;
  return v;
}

function readManifests(ctx: ToolContext, file: string): { docs: unknown[]; source: string } {
  let text: string;
  if (file === '-') text = ctx.stdin;
  else {
    const path = normalizePath(file, ctx.proc.cwd);
    const r = ctx.proc.host.fs.readFile(path, ctx.proc.ns);
    if (!r.ok) return die(`error: the path "${file}" does not exist\n`);
    text = r.data;
  }
  const docs: unknown[] = [];
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length)
      return die(
        `error: error parsing ${file}: error converting YAML to JSON: yaml: ${d.errors[0]!.message.split('\n')[0]}\n`,
      );
    const v: unknown = d.toJS();
    if (v === null || v === undefined) continue;
    const list = v as { kind?: string; items?: unknown[] };
    if (list.kind === 'List' && Array.isArray(list.items)) docs.push(...list.items);
    else docs.push(v);
  }
  if (!docs.length) die('error: no objects passed to apply\n');
  return { docs, source: file };
}

/** The API server's complaint about a manifest zod rejected, in its words where it can. */
function validationError(doc: unknown, err: z.ZodError, source: string): string {
  const o = doc as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown } };
  const kind = typeof o.kind === 'string' ? o.kind : '';
  const version = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  if (!kind)
    return `error: error validating "${source}": error validating data: kind not set; if you choose to ignore these errors, turn validation off with --validate=false\n`;
  if (!(KINDS as readonly string[]).includes(kind))
    return `error: resource mapping not found for name: "${String(o.metadata?.name ?? '')}" namespace: "" from "${source}": no matches for kind "${kind}" in version "${version}"\nensure CRDs are installed first\n`;
  const issue = err.issues.find((i) => i.code === 'unrecognized_keys') ?? err.issues[0]!;
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys')
    return `Error from server (BadRequest): error when creating "${source}": ${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: unknown field "${path ? `${path}.` : ''}${issue.keys[0]}"\n`;
  if (issue.code === 'invalid_value' && path === 'apiVersion')
    return `error: resource mapping not found for name: "${String(o.metadata?.name ?? '')}" namespace: "" from "${source}": no matches for kind "${kind}" in version "${version}"\nensure CRDs are installed first\n`;
  return `The ${kind} "${String(o.metadata?.name ?? '')}" is invalid: ${path}: ${issue.code === 'invalid_type' && issue.input === undefined ? 'Required value' : `Invalid value: ${issue.message}`}\n`;
}

function apply(c: Cluster, ctx: ToolContext, f: Flags): string {
  if (!f.filenames.length) die(`error: must specify one of -f and -k\n\n`);
  let out = '';
  let failed = '';
  for (const file of f.filenames) {
    const { docs, source } = readManifests(ctx, file);
    for (const d of docs) {
      const parsed = Manifest.safeParse(d);
      if (!parsed.success) {
        failed += validationError(d, parsed.error, source);
        continue;
      }
      const r = c.apply(parsed.data, f.namespace ?? 'default');
      if (!r.ok)
        failed += `Error from server (BadRequest): error when creating "${source}": ${r.error}\n`;
      else out += `${r.kind}/${r.name} ${r.action}\n`;
    }
  }
  ctx.proc.write(out);
  if (failed) die(failed);
  return '';
}

function del(c: Cluster, ctx: ToolContext, f: Flags): string {
  const ns = f.namespace ?? 'default';
  const targets: { res: Resource; name: string; ns: string }[] = [];
  if (f.filenames.length) {
    for (const file of f.filenames)
      for (const d of readManifests(ctx, file).docs) {
        const p = Manifest.safeParse(d);
        if (!p.success) die(validationError(d, p.error, file));
        const m = p.data!;
        targets.push({
          res: RESOURCES[m.kind.toLowerCase()]!,
          name: m.metadata.name,
          ns: m.metadata.namespace ?? ns,
        });
      }
  } else {
    let [kind, ...names] = f.rest;
    if (kind?.includes('/')) {
      names = [kind.slice(kind.indexOf('/') + 1), ...names];
      kind = kind.slice(0, kind.indexOf('/'));
    }
    if (kind === undefined)
      die(
        `error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n`,
      );
    const res = RESOURCES[kind!];
    if (!res) die(`error: the server doesn't have a resource type "${kind}"\n`);
    if (!names.length) die(`error: resource(s) were provided, but no name was specified\n`);
    for (const n of names) targets.push({ res: res!, name: n, ns });
  }
  let errors = '';
  const kindOf: Partial<
    Record<Resource, 'pod' | 'service' | 'deployment' | 'networkpolicy' | 'namespace'>
  > = {
    pods: 'pod',
    services: 'service',
    deployments: 'deployment',
    networkpolicies: 'networkpolicy',
    namespaces: 'namespace',
  };
  for (const t of targets) {
    const k = kindOf[t.res];
    if (!k) {
      errors += `Error from server (MethodNotAllowed): the server does not allow this method on the requested resource\n`;
      continue;
    }
    const err = c.delete(k, t.ns, t.name);
    if (err) errors += `Error from server (NotFound): ${err}\n`;
    else
      ctx.proc.write(
        `${k === 'deployment' ? 'deployment.apps' : k === 'networkpolicy' ? 'networkpolicy.networking.k8s.io' : k} "${t.name}" deleted\n`,
      );
  }
  if (errors) die(errors);
  return '';
}

function scale(c: Cluster, f: Flags): string {
  let [kind, name] = f.rest;
  if (kind?.includes('/')) {
    name = kind.slice(kind.indexOf('/') + 1);
    kind = kind.slice(0, kind.indexOf('/'));
  }
  if (f.replicas === undefined) die(`error: required flag(s) "replicas" not set\n`);
  if (!kind || RESOURCES[kind] !== 'deployments')
    die(`error: the server doesn't have a resource type "${kind ?? ''}"\n`);
  if (!name) die(`error: resource(s) were provided, but no name was specified\n`);
  const err = c.scale(f.namespace ?? 'default', name!, f.replicas!);
  if (err) die(`Error from server (NotFound): ${err}\n`);
  return `deployment.apps/${name} scaled\n`;
}

/** kubectl logs: what the container wrote, as the runtime kept it (`-l` for several pods). */
function logs(c: Cluster, ctx: ToolContext, f: Flags): string {
  const ns = f.namespace ?? 'default';
  const tailOf = (text: string, n: number | undefined) => {
    if (n === undefined || n < 0) return text;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return n === 0
      ? ''
      : lines
          .slice(-n)
          .map((l) => `${l}\n`)
          .join('');
  };
  if (f.selector !== undefined) {
    const match = labelSelector(f.selector);
    const pods = c.podList(ns).filter((p) => match(p.labels));
    if (!pods.length) {
      ctx.proc.writeErr(`No resources found in ${ns} namespace.\n`);
      return '';
    }
    // With a selector kubectl shows the last 10 lines of each pod unless told otherwise.
    return pods
      .map((p) => {
        const st = p.containers.find((x) => x.name === (f.container ?? p.spec.containers[0]!.name));
        return tailOf(st?.logs.join('') ?? '', f.tail ?? 10);
      })
      .join('');
  }
  let podName = f.rest[0];
  if (podName?.startsWith('pod/')) podName = podName.slice(4);
  if (!podName)
    return die(
      `error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n`,
    );
  const pod = c.pods.get(`${ns}/${podName}`);
  if (!pod) return die(`Error from server (NotFound): pods "${podName}" not found\n`);
  const names = pod.spec.containers.map((x) => x.name);
  const cname = f.container ?? f.rest[1] ?? names[0]!;
  if (!names.includes(cname))
    return die(`error: container ${cname} is not valid for pod ${podName}\n`);
  if (f.container === undefined && f.rest[1] === undefined && names.length > 1)
    ctx.proc.writeErr(`Defaulted container "${cname}" out of: ${names.join(', ')}\n`);
  const st = pod.containers.find((x) => x.name === cname);
  if (f.previous) {
    if (!st?.last)
      return die(
        `Error from server (BadRequest): previous terminated container "${cname}" in pod "${podName}" not found\n`,
      );
    return tailOf(st.last.logs.join(''), f.tail);
  }
  // A container that has run (even silently) has logs to show, crash loop or not.
  if (!st || (st.state === 'waiting' && st.startedAt === undefined && st.logs.length === 0))
    return die(
      `Error from server (BadRequest): container "${cname}" in pod "${podName}" is waiting to start: ${st?.reason ?? 'ContainerCreating'}\n`,
    );
  return tailOf(st.logs.join(''), f.tail);
}

/** kubectl exec: the command runs in the pod's namespace on its node, its output streamed back. */
function exec(c: Cluster, ctx: ToolContext, f: Flags): void {
  const ns = f.namespace ?? 'default';
  let podName = f.rest[0];
  if (podName?.startsWith('pod/')) podName = podName.slice(4);
  if (!podName) die(`error: pod, type/name or --filename must be specified\n`);
  if (!f.afterDash.length) die(`error: you must specify at least one command for the container\n`);
  const pod = c.pods.get(`${ns}/${podName}`);
  if (!pod) return die(`Error from server (NotFound): pods "${podName}" not found\n`);
  const names = pod.spec.containers.map((x) => x.name);
  const cname = f.container ?? names[0]!;
  if (!names.includes(cname)) die(`error: container ${cname} not found in pod ${podName}\n`);
  if (f.container === undefined && names.length > 1)
    ctx.proc.writeErr(`Defaulted container "${cname}" out of: ${names.join(', ')}\n`);
  const status = pod.containers.find((x) => x.name === cname);
  const node = pod.nodeName !== undefined ? c.node(pod.nodeName) : undefined;
  const podNs = pod.spec.hostNetwork ? node?.host.rootNs : pod.sandbox?.ns;
  if (!node || !podNs || status?.state !== 'running')
    die(`error: unable to upgrade connection: container not found ("${cname}")\n`);
  const argv = f.afterDash;
  const image = pod.spec.containers.find((x) => x.name === cname)!.image;
  const inImage = imageTools(image, (n) => TOOLS[n]);
  const tool = inImage(argv[0]!);
  if (!tool)
    die(
      `error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "${ctx.proc.host.world.rng.hex(32)}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown\n`,
    );
  const child = new Process(
    node!.host,
    podNs!,
    argv,
    new Map([
      ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ['HOSTNAME', pod.spec.hostNetwork ? node!.name : podName!],
    ]),
    '/',
  );
  if (!pod.spec.hostNetwork) child.hostname = podName;
  // runc exec enters every namespace of the container's first process.
  if (status?.proc) {
    child.spaces = status.proc.spaces;
    child.caps = status.proc.caps;
  }
  child.sink = (chunk) =>
    chunk.stream === 'stdout' ? ctx.proc.write(chunk.text) : ctx.proc.writeErr(chunk.text);
  ctx.proc.onSignal = (sig) => {
    child.signal(sig);
    return child.running;
  };
  child.onExit(() => {
    const code = child.exitCode ?? 0;
    if (code !== 0) ctx.proc.writeErr(`command terminated with exit code ${code}\n`);
    ctx.proc.exit(code);
  });
  runTool(child, argv, inImage, ctx.stdin, f.tty);
  if (child.running && child.interactiveTimeout !== undefined)
    ctx.proc.interactiveTimeout = child.interactiveTimeout;
}

export const kubectl: Tool = (ctx) => {
  const proc = ctx.proc;
  const c = clusterOf(proc.host.world);
  const node = c?.nodeOfHost(proc.host);
  try {
    const [sub, ...args] = ctx.argv.slice(1);
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      proc.write(KUBECTL_HELP);
      proc.exit(0);
      return;
    }
    if (sub === 'version') {
      proc.write(
        `Client Version: ${KUBE_VERSION}\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n`,
      );
      if (!args.includes('--client')) {
        if (!c || !node) die(NO_SERVER);
        proc.write(`Server Version: ${KUBE_VERSION}\n`);
      }
      proc.exit(0);
      return;
    }
    if (!c || !node) die(NO_SERVER);
    // cobra finds the command before it parses the command's flags.
    if (!COMMANDS.includes(sub)) die(unknownCommand(sub));
    const f = parseFlags(args, sub);
    switch (sub) {
      case 'get':
        proc.write(get(c!, ctx, f));
        break;
      case 'apply':
        apply(c!, ctx, f);
        break;
      case 'create':
        apply(c!, ctx, f);
        break;
      case 'delete':
        del(c!, ctx, f);
        break;
      case 'scale':
        proc.write(scale(c!, f));
        break;
      case 'logs':
        proc.write(logs(c!, ctx, f));
        break;
      case 'exec':
        exec(c!, ctx, f);
        return;
      default:
        die(unknownCommand(sub));
    }
    proc.exit(0);
  } catch (e) {
    if (!(e instanceof KubectlExit)) throw e;
    proc.writeErr(e.text);
    proc.exit(e.code);
  }
};
