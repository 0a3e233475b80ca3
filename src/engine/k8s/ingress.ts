/**
 * Traffic from outside through a LoadBalancer address: MetalLB in layer-2 mode and the
 * ingress-nginx controller.
 *
 * - MetalLB's speaker on one node answers ARP for each LoadBalancer address from a raw packet
 *   socket, with that node's MAC (the kernel itself would stay silent: the address is on no
 *   interface). kube-proxy's rules then DNAT what arrives. With externalTrafficPolicy Local
 *   only a node running a ready endpoint may announce; otherwise MetalLB picks one node.
 *   Not modelled: the memberlist election (the first eligible node by name announces),
 *   gratuitous ARP on failover, BGP mode.
 * - ingress-nginx (controller v1.10) as a reverse proxy in its pod: it matches the request's
 *   Host and path against the Ingress rules (longest Prefix or Exact path wins), picks one of
 *   the backend Service's ready endpoints round robin (it proxies to pod addresses, not to the
 *   ClusterIP), adds the X-Forwarded-* headers and relays the answer, logging each request in
 *   its default log format. Not modelled: TLS, annotations, keep-alive to upstreams (each
 *   request opens its own connection), retries.
 */
import { type Ipv4, IPV4_ANY, formatIpv4, parseIpv4 } from '../net/ipv4';
import type { Device } from '../linux/device';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { Process } from '../linux/process';
import { type TcpConnection, tcpConnect, tcpListen } from '../linux/tcp';
import { httpDate, logDate } from '../sim/clock';
import { formatHead, header, parseResponseHead, readRequests } from '../shell/tools/http';
import type { Cluster } from './cluster';
import type { StartResult } from './images';
import type { IngressManifest } from './objects';

export interface IngressObject {
  readonly name: string;
  readonly namespace: string;
  readonly spec: IngressManifest['spec'];
  readonly created: number;
}

const ingresses = new WeakMap<Cluster, Map<string, IngressObject>>();

export function ingressesOf(c: Cluster): Map<string, IngressObject> {
  let m = ingresses.get(c);
  if (!m) ingresses.set(c, (m = new Map()));
  return m;
}

/** Stores an Ingress; the action kubectl reports. */
export function applyIngress(
  c: Cluster,
  m: IngressManifest,
  namespace: string,
): 'created' | 'configured' | 'unchanged' {
  const all = ingressesOf(c);
  const k = `${namespace}/${m.metadata.name}`;
  const old = all.get(k);
  if (old && JSON.stringify(old.spec) === JSON.stringify(m.spec)) return 'unchanged';
  all.set(k, {
    name: m.metadata.name,
    namespace,
    spec: m.spec,
    created: old?.created ?? c.world.unixNow(),
  });
  return old ? 'configured' : 'created';
}

// --- MetalLB layer 2

/**
 * Which node announces each LoadBalancer address, recomputed after every change: for Local
 * Services the first node (by name) with a ready endpoint, otherwise the first node.
 */
export function announceLoadBalancers(c: Cluster): void {
  for (const n of c.nodes) n.host.rootNs.arpAnnounced.clear();
  const nodes = [...c.nodes].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const s of c.services.values()) {
    if (s.type !== 'LoadBalancer' || !s.loadBalancerIP) continue;
    const vip = parseIpv4(s.loadBalancerIP);
    if (vip === undefined) continue;
    const slice = c.endpointSlices.get(`${s.namespace}/${s.name}`);
    const local = s.spec.externalTrafficPolicy === 'Local';
    const node = nodes.find(
      (n) => !local || slice?.endpoints.some((e) => e.ready && e.nodeName === n.name),
    );
    if (!node) continue;
    const dev = node.host.rootNs.device(node.dev);
    if (dev) node.host.rootNs.arpAnnounced.set(vip, dev as Device);
  }
}

// --- ingress-nginx

interface Route {
  readonly ingress: IngressObject;
  readonly service: string;
  readonly port: number | string;
}

/** The Ingress rule for a request: host, then the longest matching path. */
function route(c: Cluster, host: string, path: string): Route | undefined {
  let best: (Route & { len: number }) | undefined;
  for (const ing of ingressesOf(c).values()) {
    for (const rule of ing.spec.rules ?? []) {
      if (rule.host !== undefined && rule.host !== host) continue;
      for (const p of rule.http.paths) {
        const want = p.path ?? '/';
        const ok =
          p.pathType === 'Exact'
            ? path === want
            : want === '/' ||
              path === want.replace(/\/$/, '') ||
              path.startsWith(`${want.replace(/\/$/, '')}/`);
        if (!ok) continue;
        const len = want.length + (rule.host !== undefined ? 10_000 : 0);
        if (!best || len > best.len) {
          const port =
            'number' in p.backend.service.port
              ? p.backend.service.port.number
              : p.backend.service.port.name;
          best = { ingress: ing, service: p.backend.service.name, port, len };
        }
      }
    }
  }
  return best;
}

const NGINX_404 = `<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
const NGINX_502 = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
const NGINX_503 = `<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

/** The controller container: nginx listening on 80 in its pod, proxying by the Ingress rules. */
export function startIngressNginx(c: Cluster, host: Host, ns: NetNs): StartResult {
  const proc = new Process(host, ns, ['/nginx-ingress-controller'], new Map(), '/');
  const turn = new Map<string, number>();
  const l = tcpListen(ns, IPV4_ANY, 80, (conn) => serve(c, proc, ns, conn, turn));
  if (typeof l === 'string') {
    proc.exit(1);
    return {
      ok: false,
      reason: 'RunContainerError',
      message: 'bind() to 0.0.0.0:80 failed (98: Address already in use)',
    };
  }
  proc.onCleanup(() => l.close());
  proc.write(
    `-------------------------------------------------------------------------------\nNGINX Ingress controller\n  Release:       v1.10.1\n  Build:         4fb5aac1dd3669daa3a14d9de3e3cdb371b4c518\n  Repository:    https://github.com/kubernetes/ingress-nginx\n  nginx version: nginx/1.25.3\n\n-------------------------------------------------------------------------------\n\n`,
  );
  return { ok: true, proc };
}

function serve(
  c: Cluster,
  proc: Process,
  ns: NetNs,
  conn: TcpConnection,
  turn: Map<string, number>,
) {
  const reply = (status: number, reason: string, body: string, close: boolean) => {
    conn.send(
      formatHead({
        version: 'HTTP/1.1',
        status,
        reason,
        headers: [
          ['Date', httpDateOf(proc)],
          ['Content-Type', 'text/html'],
          ['Content-Length', String(body.length)],
          ['Connection', close ? 'close' : 'keep-alive'],
        ],
      }) + body,
    );
    if (close) conn.close();
  };
  return readRequests(conn, (req, close) => {
    const started = proc.now;
    const hostHeader = (header(req.headers, 'host') ?? '').replace(/:\d+$/, '');
    const path = req.target.split('?')[0]!;
    const client = formatIpv4(conn.remoteIp);
    const log = (
      status: number,
      bytes: number,
      upstream: string,
      name: string,
      upstreamStatus: string,
    ) => {
      const secs = ((proc.now - started) / 1e9).toFixed(3);
      proc.write(
        `${client} - - [${logDate(proc.host.world.unixNow()).replace(' ', ':')} +0000] "${req.method} ${req.target} ${req.version}" ${status} ${bytes} "-" "${header(req.headers, 'user-agent') ?? '-'}" ${requestLength(req)} ${secs} [${name}] [] ${upstream} ${upstream === '-' ? '-' : bytes} ${upstream === '-' ? '-' : secs} ${upstreamStatus} ${proc.host.world.rng.hex(16)}\n`,
      );
    };
    const r = route(c, hostHeader, path);
    if (!r) {
      reply(404, 'Not Found', NGINX_404, close);
      log(404, NGINX_404.length, '-', 'upstream-default-backend', '-');
      return;
    }
    const svc = c.services.get(`${r.ingress.namespace}/${r.service}`);
    const slice = c.endpointSlices.get(`${r.ingress.namespace}/${r.service}`);
    const pi = svc?.ports.findIndex((p) => p.port === r.port || p.name === r.port) ?? -1;
    const eps = (slice?.endpoints ?? []).filter((e) => e.ready);
    const upstreamName = `${r.ingress.namespace}-${r.service}-${r.port}`;
    if (!svc || pi < 0 || eps.length === 0) {
      reply(503, 'Service Temporarily Unavailable', NGINX_503, close);
      log(503, NGINX_503.length, '-', upstreamName, '-');
      return;
    }
    const i = turn.get(upstreamName) ?? 0;
    turn.set(upstreamName, i + 1);
    const ep = eps[i % eps.length]!;
    const port = slice!.ports[pi]?.port ?? 0;
    const upstream = `${formatIpv4(ep.ip)}:${port}`;
    const badGateway = () => {
      reply(502, 'Bad Gateway', NGINX_502, close);
      log(502, 0, upstream, upstreamName, '502');
    };
    let got = '';
    const relay = () => {
      const head = parseResponseHead(got);
      if (!head || head === 'bad') return false;
      const length = Number(header(head.head.headers, 'content-length') ?? 'NaN');
      const body = got.slice(head.bodyStart);
      if (Number.isFinite(length) && body.length < length) return false;
      const headers = head.head.headers.filter(([k]) => k.toLowerCase() !== 'connection');
      headers.push(['Connection', close ? 'close' : 'keep-alive']);
      conn.send(formatHead({ ...head.head, headers }) + body);
      log(head.head.status, body.length, upstream, upstreamName, String(head.head.status));
      if (close) conn.close();
      return true;
    };
    let done = false;
    const up = tcpConnect(ns, ep.ip as Ipv4, port, {
      onConnected: (u) =>
        u.send(
          `${req.method} ${req.target} HTTP/1.1\r\nHost: ${header(req.headers, 'host') ?? ''}\r\nX-Request-ID: ${proc.host.world.rng.hex(16)}\r\nX-Real-IP: ${client}\r\nX-Forwarded-For: ${client}\r\nX-Forwarded-Host: ${hostHeader}\r\nX-Forwarded-Port: 80\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Scheme: http\r\nX-Scheme: http\r\nUser-Agent: ${header(req.headers, 'user-agent') ?? ''}\r\nAccept: ${header(req.headers, 'accept') ?? '*/*'}\r\nConnection: close\r\n\r\n`,
        ),
      onData: (_u, d) => {
        got += d;
        if (!done && relay()) done = true;
      },
      onEof: (u) => {
        if (!done) {
          done = relay();
          if (!done) {
            badGateway();
            done = true;
          }
        }
        u.close();
      },
      onError: () => {
        if (done) return;
        done = true;
        badGateway();
      },
    });
    if (typeof up === 'string') {
      badGateway();
    }
  });
}

function requestLength(req: {
  method: string;
  target: string;
  version: string;
  headers: readonly [string, string][];
}): number {
  let n = `${req.method} ${req.target} ${req.version}\r\n`.length + 2;
  for (const [k, v] of req.headers) n += `${k}: ${v}\r\n`.length;
  return n;
}

function httpDateOf(proc: Process): string {
  return httpDate(proc.host.world.unixNow());
}

/** For tests: the address a node's speaker answers for, if any. */
export function announcedBy(c: Cluster, vip: string): string | undefined {
  const a = parseIpv4(vip);
  return c.nodes.find((n) => a !== undefined && n.host.rootNs.arpAnnounced.has(a))?.name;
}
