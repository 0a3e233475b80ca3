/**
 * What a container's image runs, as the kubelet's runtime starts it: the image's own entrypoint
 * (nginx, http-echo, pause) or the pod spec's `command`/`args`, run as an emulated program in the
 * pod's network namespace. Images the model does not know fail to pull, as a registry miss would.
 */
import { IPV4_ANY, formatIpv4 } from '../net/ipv4';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { Process } from '../linux/process';
import { type TcpConnection, tcpListen } from '../linux/tcp';
import { seconds } from '../sim/time';
import type { Tool, ToolContext } from '../shell/tool';
import { startNginx } from '../shell/tools/nginx';
import { busyboxPing } from '../shell/tools/busybox/ping';
import { busyboxNslookup } from '../shell/tools/busybox/nslookup';
import { busyboxIp } from '../shell/tools/busybox/ip';
import { formatHead, header, readRequests } from '../shell/tools/http';
import { civilFromUnix, httpDate } from '../sim/clock';
import type { ContainerData } from './objects';

/** Looks a program up by name, as $PATH in the image would (the emulated commands). */
export type ToolLookup = (name: string) => Tool | undefined;

/** Images whose program needs the cluster itself (CoreDNS reads the API); undefined: not one. */
export type ClusterImage = (repo: string, host: Host, ns: NetNs) => StartResult | undefined;

/** The repository part of an image reference: registry and tag stripped. */
export function imageRepo(ref: string): string {
  let r = ref.replace(/@sha256:[0-9a-f]+$/, '');
  const colon = r.lastIndexOf(':');
  if (colon > r.lastIndexOf('/')) r = r.slice(0, colon);
  r = r.replace(/^(docker\.io|registry\.k8s\.io|k8s\.gcr\.io|gcr\.io|quay\.io)\//, '');
  return r.replace(/^library\//, '');
}

/**
 * The emulated commands BusyBox 1.36 has applets for. ping, nslookup and ip are BusyBox's own
 * (BUSYBOX_APPLETS); its nc prints as the emulated netcat does.
 */
const BUSYBOX: readonly string[] = [
  'cat',
  'grep',
  'head',
  'hostname',
  'ip',
  'ln',
  'ls',
  'mkdir',
  'modprobe',
  'nc',
  'nohup',
  'nslookup',
  'ping',
  'rm',
  'sh',
  'sleep',
  'sysctl',
  'tail',
  'touch',
  'wc',
];

/** Applets that behave and print unlike the tools of the same name the model has for hosts. */
const BUSYBOX_APPLETS: Readonly<Record<string, Tool>> = {
  ping: busyboxPing,
  nslookup: busyboxNslookup,
  ip: busyboxIp,
};

/**
 * The emulated commands a Debian bookworm-slim image has (coreutils, grep, hostname, libc-bin's
 * getent, util-linux's lsns): no iproute2, iputils, procps or kmod.
 */
const DEBIAN_SLIM: readonly string[] = [
  'bash',
  'cat',
  'getent',
  'grep',
  'head',
  'hostname',
  'ln',
  'ls',
  'lsns',
  'mkdir',
  'nohup',
  'rm',
  'sh',
  'sleep',
  'tail',
  'touch',
  'wc',
];

/**
 * Images the model can run: the entrypoint each has when the pod gives no command, and which of
 * the emulated commands its filesystem holds (all of them when not listed). http-echo is built
 * FROM scratch and CoreDNS on distroless: nothing but their own binary. nginx is Debian slim with
 * nginx and curl. Alpine adds musl's getent to BusyBox; curlimages/curl is Alpine with curl.
 */
const IMAGES: Record<
  string,
  {
    entrypoint?: readonly string[];
    commands?: readonly string[];
    /** Programs of its own under a name the hosts' tools also use. */
    own?: Readonly<Record<string, Tool>>;
  }
> = {
  nginx: { commands: [...DEBIAN_SLIM, 'curl', 'nginx'] },
  'hashicorp/http-echo': { commands: [] },
  pause: { commands: [] },
  busybox: { entrypoint: ['sh'], commands: BUSYBOX, own: BUSYBOX_APPLETS },
  alpine: { entrypoint: ['sh'], commands: [...BUSYBOX, 'getent'], own: BUSYBOX_APPLETS },
  'curlimages/curl': {
    entrypoint: ['curl'],
    commands: [...BUSYBOX, 'getent', 'curl'],
    own: BUSYBOX_APPLETS,
  },
  'nicolaka/netshoot': { entrypoint: ['zsh'] },
  python: { entrypoint: ['python3'] },
  'coredns/coredns': { commands: [] },
  'ingress-nginx/controller': {},
};

/** The emulated commands found in an image's $PATH: `tools`, less what the image lacks. */
export function imageTools(ref: string, tools: ToolLookup): ToolLookup {
  const image = IMAGES[imageRepo(ref)];
  const commands = image?.commands;
  const own = image?.own ?? {};
  if (!commands) return tools;
  return (name) =>
    Object.hasOwn(own, name) ? own[name] : commands.includes(name) ? tools(name) : undefined;
}

export function knownImage(ref: string): boolean {
  return imageRepo(ref) in IMAGES;
}

export type StartResult =
  | { ok: true; proc: Process }
  | { ok: false; reason: 'ErrImagePull' | 'RunContainerError'; message: string };

/**
 * Starts one container's main process in `ns`. Its exit is the container's exit; the caller
 * decides what the restart policy makes of it.
 */
export function startContainer(
  host: Host,
  ns: NetNs,
  c: ContainerData,
  tools: ToolLookup,
  clusterImage?: ClusterImage,
  /** The pod's hostname (its UTS namespace), undefined on the host network. */
  hostname?: string,
): StartResult {
  const r = startImage(host, ns, c, tools, clusterImage, hostname);
  if (r.ok && hostname !== undefined) r.proc.hostname = hostname;
  return r;
}

function startImage(
  host: Host,
  ns: NetNs,
  c: ContainerData,
  tools: ToolLookup,
  clusterImage: ClusterImage | undefined,
  hostname: string | undefined,
): StartResult {
  const repo = imageRepo(c.image);
  const special = clusterImage?.(repo, host, ns);
  if (special) return special;
  const image = IMAGES[repo];
  if (!image)
    return {
      ok: false,
      reason: 'ErrImagePull',
      message: `failed to pull and unpack image "${c.image}": the packet-life registry has no image ${repo}`,
    };
  if (!c.command && repo === 'nginx') {
    // The image's CMD: nginx -g 'daemon off;'.
    const cmd = ['nginx', '-g', 'daemon off;'];
    const anchor = new Process(host, ns, cmd, new Map(), '/');
    const err = startNginx(anchor, ns, 80, cmd);
    anchor.exit(err ? 1 : 0);
    const master = [...host.processes.values()]
      .reverse()
      .find((p) => p.ns === ns && p.comm.startsWith('nginx: master'));
    if (err || !master) return { ok: false, reason: 'RunContainerError', message: err ?? 'nginx' };
    return { ok: true, proc: master };
  }
  if (!c.command && repo === 'hashicorp/http-echo') return startHttpEcho(host, ns, c.args ?? []);
  if (!c.command && repo === 'pause')
    return { ok: true, proc: new Process(host, ns, ['/pause'], new Map(), '/') };
  const argv = [...(c.command ?? image.entrypoint ?? []), ...(c.args ?? [])];
  const inImage = imageTools(c.image, tools);
  const tool = argv[0] !== undefined ? inImage(argv[0]) : undefined;
  if (!tool)
    return {
      ok: false,
      reason: 'RunContainerError',
      message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0] ?? ''}": executable file not found in $PATH: unknown`,
    };
  const proc = new Process(
    host,
    ns,
    argv,
    new Map([['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']]),
    '/',
  );
  proc.hostname = hostname;
  runTool(proc, argv, inImage);
  return { ok: true, proc };
}

/** Runs an emulated program in an existing process: argv, stdin, and a terminal or not. */
export function runTool(
  proc: Process,
  argv: readonly string[],
  tools: ToolLookup,
  stdin = '',
  tty = false,
): void {
  const ctx = (args: readonly string[]): ToolContext => ({
    argv: args,
    proc,
    stdin,
    env: proc.env,
    stdoutIsTty: tty,
    jobs: {
      signalPid: (pid, sig) => {
        const p = proc.host.processes.get(pid);
        if (!p) return false;
        p.signal(sig);
        return true;
      },
    },
    hasCommand: (name) => tools(name) !== undefined,
    exec: (next) => {
      const t = tools(next[0] ?? '');
      if (!t) {
        proc.writeErr(`exec of "${next[0] ?? ''}" failed: No such file or directory\n`);
        proc.exit(255);
        return;
      }
      proc.execve(next);
      t(ctx(next));
    },
  });
  const tool = tools(argv[0] ?? '');
  if (!tool) {
    proc.writeErr(`${argv[0] ?? ''}: not found\n`);
    proc.exit(127);
    return;
  }
  tool(ctx(argv));
}

/**
 * hashicorp/http-echo 1.0: answers every request with `-text` and a newline, on `-listen`
 * (default :5678). Learners use it to see which backend a Service picked.
 */
function startHttpEcho(host: Host, ns: NetNs, args: readonly string[]): StartResult {
  let text: string | undefined;
  let port = 5678;
  for (const a of args) {
    const m = /^--?([a-z]+)=(.*)$/.exec(a);
    if (m?.[1] === 'text') text = m[2];
    if (m?.[1] === 'listen') port = Number(m[2]!.slice(m[2]!.lastIndexOf(':') + 1));
  }
  const proc = new Process(host, ns, ['/http-echo', ...args], new Map(), '/');
  if (text === undefined) {
    proc.writeErr('Missing -text option!\n');
    proc.exit(127);
    return { ok: true, proc };
  }
  const body = `${text}\n`;
  const l = tcpListen(ns, IPV4_ANY, port, (conn) => serveEcho(proc, conn, body));
  if (typeof l === 'string') {
    proc.writeErr(`listen tcp :${port}: bind: address already in use\n`);
    proc.exit(1);
    return { ok: true, proc };
  }
  proc.onCleanup(() => l.close());
  proc.write(`${goLogDate(host.world.unixNow())} [INFO] server is listening on :${port}\n`);
  return { ok: true, proc };
}

/** Go's log.LstdFlags prefix: "2006/01/02 15:04:05". */
function goLogDate(unix: number): string {
  const c = civilFromUnix(Math.floor(unix));
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${c.year}/${p2(c.month)}/${p2(c.day)} ${p2(c.hour)}:${p2(c.minute)}:${p2(c.second)}`;
}

function serveEcho(proc: Process, conn: TcpConnection, body: string) {
  return readRequests(conn, (req, close) => {
    conn.send(
      formatHead({
        version: 'HTTP/1.1',
        status: 200,
        reason: 'OK',
        headers: [
          ['X-App-Name', 'http-echo'],
          ['X-App-Version', '1.0.0'],
          ['Date', httpDate(proc.host.world.unixNow())],
          ['Content-Length', String(body.length)],
          ['Content-Type', 'text/plain; charset=utf-8'],
        ],
      }) + (req.method === 'HEAD' ? '' : body),
    );
    // http-echo's access log (Host header, peer, request, status, size, user agent); the real
    // one ends with the handling time, which the model does not measure.
    proc.write(
      `${goLogDate(proc.host.world.unixNow())} ${header(req.headers, 'host') ?? ''} ${formatIpv4(conn.remoteIp)}:${conn.remotePort} "${req.method} ${req.target} ${req.version}" 200 ${body.length} "${header(req.headers, 'user-agent') ?? ''}"\n`,
    );
    if (close) conn.close();
    else proc.after(seconds(90), 'idle', () => conn.close());
  });
}
