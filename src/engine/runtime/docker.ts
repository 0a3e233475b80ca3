/**
 * A small model of a Docker 20.10 host (docker.io on Debian 12): the default `bridge` network
 * (docker0), the iptables rules dockerd writes, containers with their network sandboxes (a
 * namespace bind-mounted at /var/run/docker/netns/<12 hex>), veth pairs into docker0, published
 * ports (DNAT, filter ACCEPT, hairpin MASQUERADE and docker-proxy) and three images.
 *
 * Everything is built from the kernel model's own primitives (namespaces, veth, bridge, routes,
 * netfilter), so packets to and from containers travel the same paths as any other.
 */
import { CONTAINER_CAPS, CONTAINER_READONLY_PATHS, unshareNs } from '../linux/namespaces';
import { startNginx } from '../shell/tools/nginx';
import { runIptables } from '../shell/tools/iptables';
import type { Bridge } from '../linux/bridge';
import type { Host } from '../linux/host';
import { setForwarding } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { Process } from '../linux/process';
import {
  addrAdd,
  linkAddBridge,
  linkAddVeth,
  linkDel,
  linkSetMac,
  linkSetMaster,
  linkSetName,
  linkSetNetns,
  linkSetUp,
  netnsDestroy,
  routeAdd,
} from '../linux/rtnl';
import type { Veth } from '../linux/device';
import { type TcpConnection, tcpConnect, tcpListen } from '../linux/tcp';
import {
  type Cidr,
  type Ipv4,
  IPV4_ANY,
  broadcastOf,
  cidr,
  formatIpv4,
  ipv4Add,
  networkOf,
} from '../net/ipv4';
import { type Mac, macFromBytes } from '../net/mac';
import { seconds } from '../sim/time';

export const DOCKER_VERSION = '20.10.24+dfsg1';

/** The images the simulated host knows, with what `docker run` starts from them. */
export const IMAGES = {
  nginx: {
    path: '/docker-entrypoint.sh',
    args: ['nginx', '-g', 'daemon off;'],
    exposed: [80],
  },
  busybox: { path: 'sh', args: [], exposed: [] },
  'kubernetes/pause': { path: '/pause', args: [], exposed: [] },
} as const;

export type ImageName = keyof typeof IMAGES;

export const IMAGE_NAMES = Object.keys(IMAGES) as ImageName[];

/**
 * What `docker run` printed on the article's machine when kubernetes/pause was not there yet
 * (layers and digest as the article shows them).
 */
const PAUSE_PULL = `latest: Pulling from kubernetes/pause
4f4fb700ef54: Pull complete
b9c8ec465f6b: Pull complete
Digest: sha256:b31bfb4d0213f254d361e0079deaaebefa4f82ba7aa76ef82e90b4935ad5b105
Status: Downloaded newer image for kubernetes/pause:latest
`;

export interface DockerOptions {
  /** docker0's address (daemon.json "bip"); default 172.17.0.1/16. */
  readonly bip?: Cidr;
  /** Images already in the local store (default: all). */
  readonly images?: readonly ImageName[];
}

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
}

export interface Sandbox {
  /** 64 hex; the first 12 name the namespace file. */
  readonly id: string;
  readonly key: string;
  readonly ns: NetNs;
}

export interface Container {
  readonly id: string;
  readonly name: string;
  /** As the user wrote it (`docker ps` shows this). */
  readonly imageRef: string;
  readonly image: ImageName;
  readonly path: string;
  readonly args: readonly string[];
  readonly autoRemove: boolean;
  /** "default", "none" or "container:<name or id>" as given. */
  readonly networkMode: string;
  readonly ports: readonly PortMapping[];
  /** Unix seconds. */
  readonly created: number;
  startedAt: number;
  finishedAt?: number;
  state: 'running' | 'exited';
  exitCode: number;
  /** The exit status `docker stop` leads to. */
  stopCode?: number;
  /** The container's own network sandbox (bridge and none modes). */
  sandbox?: Sandbox;
  /** The namespace its processes live in (its own sandbox's, or the one it joined). */
  ns: NetNs;
  endpointId?: string;
  ip?: Ipv4;
  mac?: Mac;
  hostVeth?: Veth;
  init?: Process;
  proxies: Process[];
  readonly logs: string[];
}

export type RunResult =
  { ok: true; container: Container; pullLog: string } | { ok: false; stderr: string; code: number };

export interface RunSpec {
  readonly image: string;
  readonly name?: string;
  readonly autoRemove?: boolean;
  /** "bridge"/"default" (or undefined), "none", "container:X". */
  readonly network?: string;
  readonly ports?: readonly PortMapping[];
  /** Command after the image, replacing the image's CMD. */
  readonly cmd?: readonly string[];
}

const engines = new WeakMap<Host, DockerEngine>();

/** The Docker daemon running on `host`, if it has one. */
export function dockerOf(host: Host): DockerEngine | undefined {
  return engines.get(host);
}

/** Starts dockerd on a host: docker0, forwarding, br_netfilter and the daemon's iptables rules. */
export function bootDocker(host: Host, opts: DockerOptions = {}): DockerEngine {
  const existing = engines.get(host);
  if (existing) return existing;
  const e = new DockerEngine(host, opts);
  engines.set(host, e);
  return e;
}

/** Splits an image reference into its repository (Docker Hub short form) and tag. */
export function parseImageRef(ref: string): { repo: string; tag: string } {
  let r = ref;
  let tag = 'latest';
  const at = r.lastIndexOf(':');
  if (at > r.lastIndexOf('/')) {
    tag = r.slice(at + 1);
    r = r.slice(0, at);
  }
  r = r.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  r = r.replace(/^library\//, '');
  return { repo: r, tag };
}

export class DockerEngine {
  readonly bridge: Bridge;
  readonly subnet: Cidr;
  readonly gateway: Ipv4;
  readonly containers: Container[] = [];
  readonly images = new Set<ImageName>();
  /** dockerd switched forwarding on itself, so it set the FORWARD policy to DROP. */
  readonly forwardPolicyDrop: boolean;

  constructor(
    readonly host: Host,
    opts: DockerOptions,
  ) {
    const bip = opts.bip ?? { addr: 0xac110001 as Ipv4, len: 16 };
    this.gateway = bip.addr;
    this.subnet = cidr(networkOf(bip.addr, bip.len), bip.len);
    for (const i of opts.images ?? IMAGE_NAMES) this.images.add(i);
    const ns = host.rootNs;
    // setupIPForwarding: only when forwarding was off does dockerd set FORWARD to DROP.
    this.forwardPolicyDrop = !ns.ipForward;
    if (!ns.ipForward) setForwarding(ns, true);
    // setupBridgeNetFiltering: modprobe br_netfilter, bridge-nf-call-iptables=1.
    host.loadModule('br_netfilter');
    ns.globals.set('net.bridge.bridge-nf-call-iptables', '1');
    const world = host.world;
    const mac = macFromBytes([0x02, 0x42, ...world.rng.bytes(4)]);
    const r = linkAddBridge(ns, 'docker0', mac);
    if (!r.ok) throw new Error(`docker0: ${r.errno}`);
    this.bridge = r.value;
    // libnetwork creates docker0 with IFLA_TXQLEN 0 (netlink.LinkAttrs zero value).
    this.bridge.txqueuelen = 0;
    addrAdd(this.bridge, bip, { broadcast: broadcastOf(bip.addr, bip.len) });
    linkSetUp(this.bridge, true);
    this.writeDaemonRules();
  }

  /** Runs one iptables command line (words separated by single spaces, no quoting). */
  private ipt(line: string): void {
    runIptables(this.host.rootNs.netfilter, line.split(' '));
  }

  /** The rules dockerd 20.10 installs at start for the default bridge network. */
  private writeDaemonRules(): void {
    const br = this.bridge.name;
    const sub = `${formatIpv4(this.subnet.addr)}/${this.subnet.len}`;
    if (this.forwardPolicyDrop) this.ipt(`-P FORWARD DROP`);
    this.ipt(`-t nat -N DOCKER`);
    this.ipt(`-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER`);
    this.ipt(`-t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER`);
    this.ipt(`-t nat -A POSTROUTING -s ${sub} ! -o ${br} -j MASQUERADE`);
    this.ipt(`-t nat -A DOCKER -i ${br} -j RETURN`);
    for (const c of [
      'DOCKER',
      'DOCKER-ISOLATION-STAGE-1',
      'DOCKER-ISOLATION-STAGE-2',
      'DOCKER-USER',
    ])
      this.ipt(`-N ${c}`);
    this.ipt(`-A FORWARD -j DOCKER-USER`);
    this.ipt(`-A FORWARD -j DOCKER-ISOLATION-STAGE-1`);
    this.ipt(`-A FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    this.ipt(`-A FORWARD -o ${br} -j DOCKER`);
    this.ipt(`-A FORWARD -i ${br} ! -o ${br} -j ACCEPT`);
    this.ipt(`-A FORWARD -i ${br} -o ${br} -j ACCEPT`);
    this.ipt(`-A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`);
    this.ipt(`-A DOCKER-ISOLATION-STAGE-1 -j RETURN`);
    this.ipt(`-A DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`);
    this.ipt(`-A DOCKER-ISOLATION-STAGE-2 -j RETURN`);
    this.ipt(`-A DOCKER-USER -j RETURN`);
  }

  /** The per-port rules (`-A` to add, `-D` to remove), in the order dockerd writes them. */
  private portRules(op: '-A' | '-D', ip: Ipv4, p: PortMapping): void {
    const br = this.bridge.name;
    const a = formatIpv4(ip);
    const hp = String(p.hostPort);
    const cp = String(p.containerPort);
    this.ipt(
      `-t nat ${op} POSTROUTING -s ${a}/32 -d ${a}/32 -p tcp -m tcp --dport ${cp} -j MASQUERADE`,
    );
    this.ipt(
      `-t nat ${op} DOCKER ! -i ${br} -p tcp -m tcp --dport ${hp} -j DNAT --to-destination ${a}:${cp}`,
    );
    this.ipt(`${op} DOCKER -d ${a}/32 ! -i ${br} -o ${br} -p tcp -m tcp --dport ${cp} -j ACCEPT`);
  }

  /** A container by name, full id or unique id prefix. */
  find(ref: string): Container | undefined {
    const r = ref.replace(/^\//, '');
    const byName = this.containers.find((c) => c.name === r);
    if (byName) return byName;
    const byId = this.containers.filter((c) => c.id.startsWith(ref));
    return ref.length > 0 && byId.length === 1 ? byId[0] : undefined;
  }

  private now(): number {
    return this.host.world.unixNow();
  }

  run(spec: RunSpec, caller: Process): RunResult {
    const { repo, tag } = parseImageRef(spec.image);
    const shown = spec.image.includes(':') ? spec.image : `${spec.image}:latest`;
    const image = (IMAGE_NAMES as string[]).includes(repo) ? (repo as ImageName) : undefined;
    let pullLog = '';
    if (!image || tag !== 'latest' || !this.images.has(image)) {
      pullLog = `Unable to find image '${shown}' locally\n`;
      if (!image)
        return {
          ok: false,
          code: 125,
          stderr: `${pullLog}docker: Error response from daemon: pull access denied for ${repo}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\nSee 'docker run --help'.\n`,
        };
      if (tag !== 'latest')
        return {
          ok: false,
          code: 125,
          stderr: `${pullLog}docker: Error response from daemon: manifest for ${repo}:${tag} not found: manifest unknown: manifest unknown.\nSee 'docker run --help'.\n`,
        };
      if (image !== 'kubernetes/pause')
        return {
          ok: false,
          code: 125,
          stderr: `${pullLog}docker: packet-life has no registry transcript for ${repo}; list it in the host's docker.images.\nSee 'docker run --help'.\n`,
        };
      pullLog += PAUSE_PULL;
      this.images.add(image);
    }
    const world = this.host.world;
    const id = world.rng.hex(32);
    const name = spec.name ?? generatedName(world.rng.int(0, 1 << 30));
    const clash = this.containers.find((c) => c.name === name);
    if (clash)
      return {
        ok: false,
        code: 125,
        stderr: `${pullLog}docker: Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.\n`,
      };
    const mode = spec.network ?? 'default';
    let joined: Container | undefined;
    if (mode.startsWith('container:')) {
      joined = this.find(mode.slice('container:'.length));
      if (!joined)
        return {
          ok: false,
          code: 125,
          stderr: `${pullLog}docker: Error response from daemon: No such container: ${mode.slice('container:'.length)}.\nSee 'docker run --help'.\n`,
        };
      if (joined.state !== 'running')
        return {
          ok: false,
          code: 126,
          stderr: `${pullLog}docker: Error response from daemon: cannot join network of a non running container: ${joined.id}.\nSee 'docker run --help'.\n`,
        };
    } else if (!['default', 'bridge', 'none'].includes(mode)) {
      return {
        ok: false,
        code: 125,
        stderr: `${pullLog}docker: Error response from daemon: network ${mode} not found.\nSee 'docker run --help'.\n`,
      };
    }
    if (joined && spec.ports?.length)
      return {
        ok: false,
        code: 125,
        stderr: `${pullLog}docker: conflicting options: port publishing and the container type network mode.\nSee 'docker run --help'.\n`,
      };
    const def = IMAGES[image];
    const cmd = spec.cmd && spec.cmd.length ? spec.cmd : undefined;
    const path = cmd ? (image === 'nginx' ? def.path : cmd[0]!) : def.path;
    const args = cmd ? (image === 'nginx' ? cmd : cmd.slice(1)) : [...def.args];
    const t = this.now();
    const c: Container = {
      id,
      name,
      imageRef: spec.image,
      image,
      path,
      args,
      autoRemove: spec.autoRemove ?? false,
      networkMode: mode,
      ports: spec.ports ?? [],
      created: t,
      startedAt: t,
      state: 'running',
      exitCode: 0,
      ns: joined ? joined.ns : this.host.rootNs,
      proxies: [],
      logs: [],
    };
    if (!joined) {
      c.sandbox = this.createSandbox(c);
      c.ns = c.sandbox.ns;
      if (mode !== 'none') {
        const err = this.joinBridge(c);
        if (err) {
          this.teardownNetwork(c);
          return { ok: false, code: 125, stderr: `${pullLog}${err}See 'docker run --help'.\n` };
        }
      }
    }
    this.containers.push(c);
    const started = this.startInit(c, caller);
    if (typeof started === 'string') {
      this.teardownNetwork(c);
      this.containers.splice(this.containers.indexOf(c), 1);
      return { ok: false, code: 127, stderr: `${pullLog}${started}` };
    }
    return { ok: true, container: c, pullLog };
  }

  /** libnetwork's sandbox: a namespace with lo up, bind-mounted at /var/run/docker/netns/<id>. */
  private createSandbox(c: Container): Sandbox {
    const id = this.host.world.rng.hex(32);
    const key = `/var/run/docker/netns/${id.slice(0, 12)}`;
    const ns = this.host.createNetns(c.name);
    linkSetUp(ns.lo, true);
    this.host.fs.mkdirp('/var/run/docker/netns');
    this.host.fs.bindNetns(key, ns);
    return { id, key, ns };
  }

  private allocIp(): Ipv4 | undefined {
    const used = new Set(this.containers.map((c) => c.ip).filter((a) => a !== undefined));
    const size = 2 ** (32 - this.subnet.len);
    for (let i = 1; i < size - 1; i++) {
      const a = ipv4Add(this.subnet.addr, i);
      if (a !== this.gateway && !used.has(a)) return a;
    }
    return undefined;
  }

  /** The bridge driver's endpoint: a veth pair, host end in docker0, eth0 in the sandbox. */
  private joinBridge(c: Container): string | undefined {
    const ip = this.allocIp();
    if (ip === undefined)
      return "docker: Error response from daemon: no available IPv4 addresses on this network's address pools: bridge.\n";
    const world = this.host.world;
    const root = this.host.rootNs;
    const ns = c.sandbox!.ns;
    for (const p of c.ports) {
      const proxy = this.startProxy(c, ip, p);
      if (typeof proxy === 'string') return proxy;
      c.proxies.push(proxy);
    }
    const hostName = `veth${world.rng.hex(4).slice(0, 7)}`;
    const tmpName = `veth${world.rng.hex(4).slice(0, 7)}`;
    const r = linkAddVeth(root, hostName, tmpName);
    if (!r.ok)
      return `docker: Error response from daemon: failed to create endpoint ${c.name} on network bridge: ${r.errno}.\n`;
    const [hostEnd, peer] = r.value;
    // Docker creates the pair with txqueuelen 0 on both ends.
    hostEnd.txqueuelen = 0;
    peer.txqueuelen = 0;
    linkSetMaster(hostEnd, this.bridge);
    linkSetUp(hostEnd, true);
    linkSetNetns(peer, ns);
    linkSetName(peer, 'eth0');
    const b = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
    const mac = macFromBytes([0x02, 0x42, ...b]);
    linkSetMac(peer, mac);
    addrAdd(
      peer,
      { addr: ip, len: this.subnet.len },
      { broadcast: broadcastOf(ip, this.subnet.len) },
    );
    linkSetUp(peer, true);
    routeAdd(ns, { dst: { addr: IPV4_ANY, len: 0 }, gateway: this.gateway, dev: peer });
    c.ip = ip;
    c.mac = mac;
    c.hostVeth = hostEnd;
    c.endpointId = world.rng.hex(32);
    for (const p of c.ports) this.portRules('-A', ip, p);
    return undefined;
  }

  /** docker-proxy: listens on the host port and relays to the container (for host-local clients). */
  private startProxy(c: Container, ip: Ipv4, p: PortMapping): Process | string {
    const root = this.host.rootNs;
    const proc = new Process(
      this.host,
      root,
      [
        '/usr/bin/docker-proxy',
        '-proto',
        'tcp',
        '-host-ip',
        '0.0.0.0',
        '-host-port',
        String(p.hostPort),
        '-container-ip',
        formatIpv4(ip),
        '-container-port',
        String(p.containerPort),
      ],
      new Map(),
      '/',
    );
    const l = tcpListen(root, IPV4_ANY, p.hostPort, (client) =>
      relay(root, client, ip, p.containerPort),
    );
    if (typeof l === 'string') {
      proc.exit(1);
      return `docker: Error response from daemon: driver failed programming external connectivity on endpoint ${c.name} (${this.host.world.rng.hex(32)}): Error starting userland proxy: listen tcp4 0.0.0.0:${p.hostPort}: bind: address already in use.\n`;
    }
    proc.onCleanup(() => l.close());
    return proc;
  }

  /** Starts the image's process as the container's init; an error text when it cannot run. */
  private startInit(c: Container, caller: Process): Process | string {
    const host = this.host;
    let init: Process;
    if (c.image === 'nginx') {
      const err = startNginx(caller, c.ns, 80, ['nginx', '-g', 'daemon off;']);
      const master = [...host.processes.values()]
        .reverse()
        .find((p) => p.ns === c.ns && p.comm.startsWith('nginx: master'));
      if (err || !master) {
        c.logs.push(err ?? '');
        init = new Process(host, c.ns, ['nginx'], new Map(), '/');
        c.init = init;
        init.onExit(() => this.exited(c));
        init.exit(1);
        return init;
      }
      init = master;
      init.sink = (chunk) => void c.logs.push(chunk.text);
    } else if (c.image === 'kubernetes/pause') {
      init = new Process(host, c.ns, ['/pause'], new Map(), '/');
    } else {
      const argv = [c.path, ...c.args];
      if (!['sh', 'sleep', 'true', 'false'].includes(c.path))
        return `docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${c.path}": executable file not found in $PATH: unknown.\n`;
      init = new Process(host, c.ns, argv, new Map(), '/');
      if (c.path === 'sleep') {
        const n = Number(c.args[0] ?? 'x');
        if (Number.isFinite(n)) init.after(seconds(n), 'sleep', () => init.exit(0));
        else {
          c.logs.push(`sleep: invalid number '${c.args[0] ?? ''}'\n`);
          init.after(seconds(0), 'exit', () => init.exit(1));
        }
      } else {
        // sh without a terminal reads EOF and exits at once, as do true and false.
        const code = c.path === 'false' ? 1 : 0;
        init.after(seconds(0), 'exit', () => init.exit(code));
      }
    }
    c.init = init;
    // runc gives each container its own mount, UTS, IPC and PID namespaces, and a cgroup one
    // (Docker's default on cgroup v2); a shared network namespace (--net=container:) is the
    // only one joined. Every process the image started (nginx's workers too) lives in them.
    const spaces = unshareNs(host, host.initSpaces, ['mnt', 'uts', 'ipc', 'pid', 'cgroup'], {
      readOnly: CONTAINER_READONLY_PATHS,
    });
    for (const p of host.processes.values())
      if (p.ns === c.ns && p.spaces === host.initSpaces && p.running) {
        p.spaces = spaces;
        p.caps = CONTAINER_CAPS;
      }
    init.spaces = spaces;
    init.caps = CONTAINER_CAPS;
    init.container = { name: c.name, image: c.imageRef };
    init.onExit(() => this.exited(c));
    return init;
  }

  /** The init process ended: the container stops, its network goes, --rm removes it. */
  private exited(c: Container): void {
    if (c.state === 'exited') return;
    c.state = 'exited';
    c.exitCode = c.stopCode ?? c.init?.exitCode ?? 0;
    c.finishedAt = this.now();
    this.teardownNetwork(c);
    // A container that joined another's namespace was the last to hold it.
    if (
      !c.ns.isInit &&
      !c.sandbox &&
      !this.host.nsInUse(c.ns) &&
      this.host.namespaces.includes(c.ns)
    )
      netnsDestroy(this.host, c.ns);
    if (c.autoRemove) {
      const i = this.containers.indexOf(c);
      if (i >= 0) this.containers.splice(i, 1);
    }
  }

  private teardownNetwork(c: Container): void {
    for (const p of c.proxies.splice(0)) p.exit(0);
    if (c.ip !== undefined) for (const p of c.ports) this.portRules('-D', c.ip, p);
    if (c.hostVeth) linkDel(c.hostVeth);
    c.hostVeth = undefined;
    c.ip = undefined;
    c.mac = undefined;
    const sb = c.sandbox;
    if (!sb) return;
    this.host.fs.remove(sb.key);
    // A link made by hand in /var/run/netns now dangles; ip netns no longer opens it.
    for (const [n, ns] of [...this.host.named]) if (ns === sb.ns) this.host.named.delete(n);
    if (!this.host.nsInUse(sb.ns)) netnsDestroy(this.host, sb.ns);
    c.sandbox = undefined;
  }

  /**
   * docker stop: SIGTERM to init. nginx and pause exit 0 on it; busybox's sh as PID 1 ignores it
   * and is killed after the 10 s grace period (137).
   */
  stop(c: Container): void {
    if (c.state !== 'running') return;
    c.stopCode = c.image === 'busybox' ? 137 : 0;
    c.init?.signal(c.image === 'busybox' ? 'SIGKILL' : 'SIGTERM');
    this.exited(c);
  }

  remove(c: Container): void {
    const i = this.containers.indexOf(c);
    if (i >= 0) this.containers.splice(i, 1);
  }
}

/** Relays one client connection to the container, as docker-proxy does. */
function relay(ns: NetNs, client: TcpConnection, ip: Ipv4, port: number) {
  let pending = '';
  let clientEof = false;
  let backendUp = false;
  const backend = tcpConnect(ns, ip, port, {
    onConnected: (b) => {
      backendUp = true;
      if (pending) b.send(pending);
      pending = '';
      if (clientEof) b.close();
    },
    onData: (_b, d) => client.send(d),
    onEof: () => client.close(),
    onError: () => client.close(),
  });
  if (typeof backend === 'string') client.close();
  return {
    onData: (_c: TcpConnection, d: string) => {
      if (typeof backend === 'string') return;
      if (backendUp) backend.send(d);
      else pending += d;
    },
    onEof: () => {
      clientEof = true;
      if (typeof backend !== 'string' && backendUp) backend.close();
    },
  };
}

const ADJECTIVES = [
  'admiring',
  'brave',
  'clever',
  'dazzling',
  'eager',
  'focused',
  'gallant',
  'happy',
  'jolly',
  'keen',
  'loving',
  'modest',
  'nifty',
  'optimistic',
  'pensive',
  'quirky',
];
const SURNAMES = [
  'babbage',
  'curie',
  'darwin',
  'einstein',
  'feynman',
  'galileo',
  'hopper',
  'kepler',
  'lovelace',
  'mccarthy',
  'noether',
  'pasteur',
  'ritchie',
  'shannon',
  'thompson',
  'turing',
];

/** A generated name like Docker's (adjective_surname) for containers run without --name. */
function generatedName(n: number): string {
  return `${ADJECTIVES[n % ADJECTIVES.length]!}_${SURNAMES[Math.floor(n / 16) % SURNAMES.length]!}`;
}
