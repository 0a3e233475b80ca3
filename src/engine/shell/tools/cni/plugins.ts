/**
 * The CNI `bridge` plugin and `host-local` IPAM plugin as release v0.4.0 of
 * containernetworking/cni built them (the binaries "Life of a Packet in Kubernetes, Part 1"
 * downloads): skel's environment handling, the bridge's ADD/DEL (bridge, veth pair, address,
 * routes, 0a:58 MACs, ip_forward, the CNI-… masquerade chain), host-local's allocator and its
 * state under /var/lib/cni/networks/<name>/, the 0.2.0 result and error JSON. v0.4.0 predates
 * CHECK (spec 0.4.0): it answers "unknown CNI_COMMAND: CHECK", as the real binary does.
 *
 * The plugins act on the kernel model directly, as the Go code does through netlink.
 */
import {
  type Cidr,
  type Ipv4,
  formatIpv4,
  ipv4Add,
  maskOf,
  networkOf,
  parseIpv4,
} from '../../../net/ipv4';
import { macFromBytes } from '../../../net/mac';
import { Bridge } from '../../../linux/bridge';
import type { Device } from '../../../linux/device';
import { normalizePath } from '../../../linux/fs';
import type { Host } from '../../../linux/host';
import type { NetNs } from '../../../linux/netns';
import {
  type RtnlResult,
  addrAdd,
  linkAddBridge,
  linkAddVeth,
  linkDel,
  linkSetMac,
  linkSetMaster,
  linkSetMtu,
  linkSetNetns,
  linkSetUp,
  routeAdd,
} from '../../../linux/rtnl';
import type { Errno } from '../../../linux/rtnl';
import { civilFromUnix } from '../../../sim/clock';
import { IptError } from '../iptables/rule';
import { runIptables } from '../iptables';
import {
  type GoOut,
  type GoType,
  type JsonValue,
  GoError,
  goMarshal,
  goMarshalIndent,
  goQuote,
  goUnmarshal,
  parseGoJson,
} from './gojson';
import { sha512Hex } from './sha512';

// --- the emulated binaries on disk

/** What a file's content starts with when it stands for an emulated binary. */
export const BINARY_MAGIC = '\u007fELF packet-life emulated binary: ';

/** The file content for an emulated binary `id` (e.g. "cni-bridge@v0.4.0"). */
export function binaryContent(id: string): string {
  return `${BINARY_MAGIC}${id}\n`;
}

/** The emulated binary id a file's content names, if it is one. */
export function binaryIdOf(content: string): string | undefined {
  if (!content.startsWith(BINARY_MAGIC)) return undefined;
  return content.slice(BINARY_MAGIC.length).split('\n')[0]!.trim();
}

/** Whether content looks like an executable to the kernel at all (ELF or a #! script). */
export function looksExecutable(content: string): boolean {
  return content.startsWith('\u007fELF') || content.startsWith('#!');
}

// --- a plugin's process

export interface PluginIo {
  readonly host: Host;
  /** The namespace the plugin runs in: the "host" side of the veth pair. */
  readonly ns: NetNs;
  readonly env: ReadonlyMap<string, string>;
  readonly stdin: string;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A failure carried up to skel, which prints it as the error JSON. */
class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg);
  }
}

const fail = (msg: string): never => {
  throw new CniError(100, msg);
};

/** Go's syscall.Errno texts (lower case, as err.Error() prints them). */
const GO_ERRNO: Record<Errno, string> = {
  EEXIST: 'file exists',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  ESRCH: 'no such process',
  ENOENT: 'no such file or directory',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  EBUSY: 'device or resource busy',
  EOPNOTSUPP: 'operation not supported',
  ERANGE: 'numerical result out of range',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ELOOP: 'too many levels of symbolic links',
  EPERM: 'operation not permitted',
};

function must<T>(r: RtnlResult<T>, wrap: (e: string) => string): T {
  if (!r.ok) fail(wrap(GO_ERRNO[r.errno]));
  return (r as { ok: true; value: T }).value;
}

interface CmdArgs {
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  stdin: string;
}

const SUPPORTED = ['0.1.0', '0.2.0'];

/**
 * skel.PluginMain: reads the CNI_* variables, checks the config's version, dispatches, and on a
 * failure prints the error object and exits 1.
 */
/** What the plugins decode the network config into first, to check its version. */
const VERSION_CONF: GoType = {
  k: 'struct',
  name: 'struct { CNIVersion string "json:\\"cniVersion\\"" }',
  fields: { cniVersion: { k: 'string' } },
};

function pluginMain(io: PluginIo, add: (a: CmdArgs) => void, del: (a: CmdArgs) => void): number {
  try {
    const get = (k: string) => io.env.get(k) ?? '';
    const cmd = get('CNI_COMMAND');
    const required: Record<string, string[]> = {
      CNI_COMMAND: [],
      CNI_CONTAINERID: [],
      CNI_NETNS: ['ADD'],
      CNI_IFNAME: ['ADD', 'DEL'],
      CNI_ARGS: [],
      CNI_PATH: ['ADD', 'DEL'],
    };
    let missing = false;
    for (const [name, cmds] of Object.entries(required)) {
      if (get(name) === '' && (name === 'CNI_COMMAND' || cmds.includes(cmd))) {
        io.stderr(`${name} env variable missing\n`);
        missing = true;
      }
    }
    if (missing) fail('required env variables missing');
    const a: CmdArgs = {
      containerId: get('CNI_CONTAINERID'),
      netns: get('CNI_NETNS'),
      ifName: get('CNI_IFNAME'),
      args: get('CNI_ARGS'),
      path: get('CNI_PATH'),
      stdin: io.stdin,
    };
    const checkVersion = () => {
      let v: string;
      try {
        const conf = goUnmarshal<{ cniVersion?: string }>(parseGoJson(a.stdin), VERSION_CONF);
        v = conf.cniVersion || '0.1.0';
      } catch (e) {
        if (!(e instanceof GoError)) throw e;
        return fail(`decoding version from network config: ${e.message}`);
      }
      if (!SUPPORTED.includes(v))
        throw new CniError(
          1,
          'incompatible CNI versions',
          `config is ${goQuote(v)}, plugin supports [${SUPPORTED.map(goQuote).join(' ')}]`,
        );
    };
    switch (cmd) {
      case 'ADD':
        checkVersion();
        add(a);
        break;
      case 'DEL':
        checkVersion();
        del(a);
        break;
      case 'VERSION':
        io.stdout(`${goMarshal({ cniVersion: '0.2.0', supportedVersions: SUPPORTED })}\n`);
        break;
      default:
        fail(`unknown CNI_COMMAND: ${cmd}`);
    }
    return 0;
  } catch (e) {
    const err = e instanceof GoError ? new CniError(100, e.message) : e;
    if (!(err instanceof CniError)) throw err;
    io.stdout(
      goMarshalIndent({ code: err.code, msg: err.message, details: err.details || undefined }),
    );
    return 1;
  }
}

// --- configuration types (the Go structs the plugins decode stdin into)

interface Route {
  dst: Cidr & { ip: Ipv4 };
  gw?: Ipv4;
}

/** net.ParseCIDR into types.IPNet (keeping the address as written, not the network). */
function goParseCidr(s: string): (Cidr & { ip: Ipv4 }) | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,3})$/.exec(s);
  if (!m) return undefined;
  const ip = parseIpv4(m[1]!);
  const len = Number(m[2]);
  if (ip === undefined || len > 32 || (m[2]!.length > 1 && m[2]![0] === '0')) return undefined;
  return { addr: networkOf(ip, len), len, ip };
}

const stringOf = (v: JsonValue, type: string): string => {
  if (v.t !== 'string')
    throw new GoError(
      `json: cannot unmarshal ${v.t === 'number' ? 'number' : v.t} into Go value of type ${type}`,
    );
  return v.v;
};

const IPNET: GoType = {
  k: 'custom',
  name: 'types.IPNet',
  decode: (v) => {
    const s = stringOf(v, 'string');
    const c = goParseCidr(s);
    if (!c) throw new GoError(`invalid CIDR address: ${s}`);
    return c;
  },
};

const IP: GoType = {
  k: 'custom',
  name: 'net.IP',
  decode: (v) => {
    if (v.t === 'null') return undefined;
    const s = stringOf(v, 'net.IP');
    if (s === '') return undefined;
    const ip = parseIpv4(s);
    if (ip === undefined) throw new GoError(`invalid IP address: ${s}`);
    return ip;
  },
};

const ROUTE_FIELDS: GoType = { k: 'struct', name: 'types.route', fields: { dst: IPNET, gw: IP } };

const ROUTE: GoType = {
  k: 'custom',
  name: 'types.Route',
  decode: (v) => goUnmarshal<Partial<Route>>(v, ROUTE_FIELDS),
};

const DNS: GoType = {
  k: 'struct',
  name: 'types.DNS',
  fields: {
    nameservers: { k: 'slice', elem: { k: 'string' }, name: '[]string' },
    domain: { k: 'string' },
    search: { k: 'slice', elem: { k: 'string' }, name: '[]string' },
    options: { k: 'slice', elem: { k: 'string' }, name: '[]string' },
  },
};

interface DnsConf {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface BridgeConf {
  cniVersion?: string;
  name?: string;
  type?: string;
  ipam?: { type?: string };
  dns?: DnsConf;
  bridge: string;
  isGateway?: boolean;
  isDefaultGateway?: boolean;
  forceAddress?: boolean;
  ipMasq?: boolean;
  mtu?: number;
  hairpinMode?: boolean;
}

const BRIDGE_CONF: GoType = {
  k: 'struct',
  name: 'main.NetConf',
  fields: {
    cniVersion: { k: 'string' },
    name: { k: 'string' },
    type: { k: 'string' },
    ipam: {
      k: 'struct',
      name: 'struct { Type string "json:\\"type,omitempty\\"" }',
      fields: { type: { k: 'string' } },
    },
    dns: DNS,
    bridge: { k: 'string' },
    isGateway: { k: 'bool' },
    isDefaultGateway: { k: 'bool' },
    forceAddress: { k: 'bool' },
    ipMasq: { k: 'bool' },
    mtu: { k: 'int' },
    hairpinMode: { k: 'bool' },
  },
};

export interface IpamConf {
  name?: string;
  type?: string;
  rangeStart?: Ipv4;
  rangeEnd?: Ipv4;
  subnet?: Cidr & { ip: Ipv4 };
  gateway?: Ipv4;
  routes?: Partial<Route>[];
  dataDir?: string;
  resolvConf?: string;
}

const IPAM_NET: GoType = {
  k: 'struct',
  name: 'allocator.Net',
  fields: {
    name: { k: 'string' },
    ipam: {
      k: 'ptr',
      elem: {
        k: 'struct',
        name: 'allocator.IPAMConfig',
        fields: {
          type: { k: 'string' },
          rangeStart: IP,
          rangeEnd: IP,
          subnet: IPNET,
          gateway: IP,
          routes: { k: 'slice', elem: ROUTE, name: '[]types.Route' },
          dataDir: { k: 'string' },
          resolvConf: { k: 'string' },
        },
      },
    },
  },
};

/** What bridge's loadNetConf decodes into: the default bridge name. */
const BRIDGE_DEFAULTS: BridgeConf = Object.freeze({ bridge: 'cni0' });

/** bridge's loadNetConf; throws a CniError as the plugin reports it. */
export function loadBridgeConf(stdin: string): BridgeConf {
  try {
    return goUnmarshal<BridgeConf>(parseGoJson(stdin), BRIDGE_CONF, BRIDGE_DEFAULTS);
  } catch (e) {
    if (e instanceof GoError) return fail(`failed to load netconf: ${e.message}`);
    throw e;
  }
}

/** host-local's LoadIPAMConfig. */
export function loadIpamConf(stdin: string): IpamConf {
  const n = goUnmarshal<{ name?: string; ipam?: IpamConf }>(parseGoJson(stdin), IPAM_NET);
  if (!n.ipam) return fail("IPAM config missing 'ipam' key");
  return { ...n.ipam, name: n.name ?? '' };
}

// --- the result (spec 0.1.0/0.2.0)

interface IpResult {
  ip: Cidr & { ip: Ipv4 };
  gateway?: Ipv4;
  routes?: Partial<Route>[];
}

function cidrText(c: { ip: Ipv4; len: number }): string {
  return `${formatIpv4(c.ip)}/${c.len}`;
}

function resultJson(ip4: IpResult, dns: DnsConf): GoOut {
  return {
    ip4: {
      ip: cidrText(ip4.ip),
      gateway: ip4.gateway !== undefined ? formatIpv4(ip4.gateway) : undefined,
      routes: ip4.routes?.length
        ? ip4.routes.map((r) => ({
            dst: r.dst ? cidrText(r.dst) : '<nil>',
            gw: r.gw !== undefined ? formatIpv4(r.gw) : undefined,
          }))
        : undefined,
    },
    dns: {
      nameservers: dns.nameservers?.length ? dns.nameservers : undefined,
      domain: dns.domain || undefined,
      search: dns.search?.length ? dns.search : undefined,
      options: dns.options?.length ? dns.options : undefined,
    },
  };
}

const RESULT: GoType = {
  k: 'struct',
  name: 'types.Result',
  fields: {
    ip4: {
      k: 'ptr',
      elem: {
        k: 'struct',
        name: 'types.IPConfig',
        fields: {
          ip: IPNET,
          gateway: IP,
          routes: { k: 'slice', elem: ROUTE, name: '[]types.Route' },
        },
      },
    },
  },
};

/** Parses a 0.2.0 result the way invoke does (types.Result). */
function parseResult(text: string): IpResult | undefined {
  const r = goUnmarshal<{ ip4?: Partial<IpResult> }>(parseGoJson(text), RESULT);
  if (!r.ip4) return undefined;
  return { ip: r.ip4.ip ?? { addr: 0 as Ipv4, len: 0, ip: 0 as Ipv4 }, ...r.ip4 } as IpResult;
}

// --- namespaces by path

const TMPFS_MAGIC = '1021994';
const EXT4_MAGIC = 'ef53';

/**
 * ns.GetNS: a path must be a namespace file (nsfs, or a /proc/<pid>/ns/net link). Follows the
 * filesystem's symlinks (the article's `ln -sv` into /var/run/netns).
 */
export function openNetnsPath(host: Host, path: string): NetNs | string {
  let p = normalizePath(path, '/');
  for (let hops = 0; hops < 40; hops++) {
    const named = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(p);
    if (named && host.named.has(named[1]!)) return host.named.get(named[1]!)!;
    const proc = /^\/proc\/([0-9]+)\/ns\/net$/.exec(p);
    if (proc) {
      const pr = host.processes.get(Number(proc[1]));
      if (pr) return pr.ns;
      break;
    }
    // An nsfs bind mount elsewhere (Docker's /var/run/docker/netns/<id>).
    const mounted = host.fs.netnsAt(p);
    if (mounted) return mounted;
    const st = host.fs.stat(p, false);
    if (!st) break;
    if (st.kind === 'symlink') {
      const t = st.target!;
      p = normalizePath(t, p.slice(0, p.lastIndexOf('/')) || '/');
      continue;
    }
    const magic = /^\/(tmp|run|var\/run|dev\/shm)(\/|$)/.test(p) ? TMPFS_MAGIC : EXT4_MAGIC;
    return `unknown FS magic on ${goQuote(path)}: ${magic}`;
  }
  return `failed to Statfs ${goQuote(path)}: no such file or directory`;
}

// --- invoking a delegated plugin (invoke.DelegateAdd / DelegateDel)

/** The plugins this module implements, by binary id. */
export const CNI_BINARIES: Record<string, (io: PluginIo) => number> = {
  'cni-bridge@v0.4.0': (io) => bridgeMain(io),
  'cni-host-local@v0.4.0': (io) => hostLocalMain(io),
};

function delegate(io: PluginIo, a: CmdArgs, plugin: string, command: 'ADD' | 'DEL'): string {
  if (io.env.get('CNI_COMMAND') !== command) fail(`CNI_COMMAND is not ${command}`);
  if (plugin === '') fail('no plugin name provided');
  const paths = (io.env.get('CNI_PATH') ?? '').split(':');
  let full: string | undefined;
  for (const dir of paths) {
    const f = normalizePath(`${dir}/${plugin}`, '/');
    const st = io.host.fs.stat(f);
    if (st?.kind === 'file') {
      full = dir === '' ? plugin : `${dir.replace(/\/+$/, '')}/${plugin}`;
      break;
    }
  }
  if (full === undefined)
    return fail(`failed to find plugin ${goQuote(plugin)} in path [${paths.join(' ')}]`);
  const file = io.host.fs.readFile(normalizePath(full, '/'), io.ns);
  const content = file.ok ? file.data : '';
  const id = binaryIdOf(content);
  const run = id !== undefined ? CNI_BINARIES[id] : undefined;
  if (!run)
    return fail(
      `fork/exec ${full}: ${looksExecutable(content) ? 'exec format error' : 'permission denied'}`,
    );
  let out = '';
  const code = run({ ...io, stdin: a.stdin, stdout: (t) => void (out += t) });
  if (code !== 0) {
    let e: { msg?: string; details?: string };
    try {
      e = goUnmarshal(parseGoJson(out), ERROR_RESULT);
    } catch (err) {
      if (!(err instanceof GoError)) throw err;
      return fail(
        `netplugin failed but error parsing its diagnostic message ${goQuote(out)}: ${err.message}`,
      );
    }
    return fail(`${e.msg ?? ''}${e.details ? `; ${e.details}` : ''}`);
  }
  return out;
}

const ERROR_RESULT: GoType = {
  k: 'struct',
  name: 'types.Error',
  fields: { code: { k: 'int' }, msg: { k: 'string' }, details: { k: 'string' } },
};

// --- host-local

const LAST_IP_FILE = 'last_reserved_ip';
const DEFAULT_DATA_DIR = '/var/lib/cni/networks';

function goLogTime(host: Host): string {
  const c = civilFromUnix(host.world.unixNow());
  const p = (n: number) => String(n).padStart(2, '0');
  return `${c.year}/${p(c.month)}/${p(c.day)} ${p(c.hour)}:${p(c.minute)}:${p(c.second)}`;
}

/** The host-local allocator against its directory. */
class Allocator {
  private readonly start: Ipv4;
  private readonly end: Ipv4;
  private readonly dir: string;

  constructor(
    private readonly io: PluginIo,
    private readonly conf: IpamConf,
  ) {
    const s = conf.subnet;
    if (!s || s.len > 30)
      fail(
        `Network ${s ? cidrText({ ip: s.addr, len: s.len }) : '<nil>'} too small to allocate from`,
      );
    const subnet = s!;
    // networkRange starts at the address as written and ends before the broadcast address.
    const end = ((subnet.ip | ~maskOf(subnet.len)) >>> 0) - 1;
    let start = ipv4Add(subnet.ip, 1);
    let last = end as Ipv4;
    if (conf.rangeStart !== undefined) {
      this.validate(conf.rangeStart, undefined, undefined);
      start = conf.rangeStart;
    }
    if (conf.rangeEnd !== undefined) {
      this.validate(conf.rangeEnd, start, undefined);
      last = conf.rangeEnd;
    }
    this.start = start;
    this.end = last;
    this.dir = normalizePath(`${conf.dataDir || DEFAULT_DATA_DIR}/${conf.name ?? ''}`, '/');
    const err = io.host.fs.mkdirp(this.dir);
    if (err) fail(`mkdir ${this.dir}: ${err === 'ENOTDIR' ? 'not a directory' : 'file exists'}`);
  }

  private get subnet(): Cidr & { ip: Ipv4 } {
    return this.conf.subnet!;
  }

  /** validateRangeIP; returns the error text or throws it. */
  private rangeError(ip: Ipv4, start?: Ipv4, end?: Ipv4): string | undefined {
    const s = this.subnet;
    const net = `${formatIpv4(s.addr)}/${s.len}`;
    if (networkOf(ip, s.len) !== s.addr) return `${formatIpv4(ip)} not in network: ${net}`;
    if (start !== undefined && ip < start)
      return `${formatIpv4(ip)} outside of network ${net} with start ${formatIpv4(start)}`;
    if (end !== undefined && ip > end)
      return `${formatIpv4(ip)} outside of network ${net} with end ${formatIpv4(end)}`;
    return undefined;
  }

  private validate(ip: Ipv4, start?: Ipv4, end?: Ipv4): void {
    const e = this.rangeError(ip, start, end);
    if (e) fail(e);
  }

  private next(ip: Ipv4): Ipv4 {
    return ip === this.end ? this.start : ipv4Add(ip, 1);
  }

  private reserve(id: string, ip: Ipv4): boolean {
    const fs = this.io.host.fs;
    const f = `${this.dir}/${formatIpv4(ip)}`;
    if (fs.stat(f, false)) return false;
    fs.writeFile(f, id.trim());
    fs.writeFile(`${this.dir}/${LAST_IP_FILE}`, formatIpv4(ip));
    return true;
  }

  get(id: string): IpResult {
    const gw = this.conf.gateway ?? ipv4Add(this.subnet.ip, 1);
    const mk = (ip: Ipv4): IpResult => ({
      ip: { ip, addr: networkOf(ip, this.subnet.len), len: this.subnet.len },
      gateway: gw,
      routes: this.conf.routes,
    });
    let from = this.start;
    let to = this.end;
    const fs = this.io.host.fs;
    const lastPath = `${this.dir}/${LAST_IP_FILE}`;
    const last = fs.readFile(lastPath, this.io.ns);
    if (!last.ok) {
      const why = last.error === 'EISDIR' ? 'is a directory' : 'no such file or directory';
      this.io.stderr(
        `${goLogTime(this.io.host)} Error retriving last reserved ip: Failed to retrieve last reserved ip: open ${lastPath}: ${why}\n`,
      );
    } else {
      const ip = parseIpv4(last.data);
      if (ip !== undefined && !this.rangeError(ip, this.start, this.end)) {
        from = this.next(ip);
        to = ip;
      }
    }
    // Bounded: the real loop would spin forever if the last reserved address were the gateway.
    for (let cur = from, n = 0; n <= 0x1000000; cur = this.next(cur), n++) {
      if (cur === gw) continue;
      if (this.reserve(id, cur)) return mk(cur);
      if (cur === to) break;
    }
    return fail(`no IP addresses available in network: ${this.conf.name ?? ''}`);
  }

  release(id: string): void {
    const fs = this.io.host.fs;
    const walk = (dir: string) => {
      const names = fs.list(dir);
      if (!Array.isArray(names)) return;
      for (const n of names) {
        const p = `${dir}/${n}`;
        const st = fs.stat(p, false);
        if (st?.kind === 'dir') walk(p);
        else if (st?.kind === 'file') {
          const r = fs.readFile(p, this.io.ns);
          if (r.ok && r.data.trim() === id.trim()) fs.remove(p);
        }
      }
    };
    walk(this.dir);
  }
}

function hostLocalConf(a: CmdArgs): IpamConf {
  // CNI_ARGS (IP=…) is not modelled: v0.4.0's host-local would read IP= from it.
  return loadIpamConf(a.stdin);
}

export function hostLocalMain(io: PluginIo): number {
  return pluginMain(
    io,
    (a) => {
      const alloc = new Allocator(io, hostLocalConf(a));
      const ip4 = alloc.get(a.containerId);
      io.stdout(goMarshalIndent(resultJson(ip4, {})));
    },
    (a) => {
      new Allocator(io, hostLocalConf(a)).release(a.containerId);
    },
  );
}

// --- bridge

/** ip.SetHWAddrByIP: 0a:58 followed by the IPv4 address. */
export function hwaddrForIp(ip: Ipv4): ReturnType<typeof macFromBytes> {
  return macFromBytes([
    0x0a,
    0x58,
    (ip >>> 24) & 255,
    (ip >>> 16) & 255,
    (ip >>> 8) & 255,
    ip & 255,
  ]);
}

/** utils.FormatChainName: "CNI-" and the SHA-512 of name+id, cut to 28 characters. */
export function cniChainName(name: string, id: string): string {
  return `CNI-${sha512Hex(name + id)}`.slice(0, 28);
}

/** utils.FormatComment. */
export function cniComment(name: string, id: string): string {
  return `name: ${goQuote(name)} id: ${goQuote(id)}`;
}

/** go-iptables: runs iptables, turning its failure into go-iptables' error text. */
function ipt(ns: NetNs, args: string[]): { ok: boolean; err?: string; code?: number } {
  try {
    runIptables(ns.netfilter, args);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof IptError)) throw e;
    return {
      ok: false,
      code: e.code,
      err: `running [/sbin/iptables ${args.join(' ')} --wait]: exit status ${e.code}: ${e.text}`,
    };
  }
}

function appendUnique(ns: NetNs, chain: string, rule: string[]): void {
  if (ipt(ns, ['-t', 'nat', '-C', chain, ...rule]).ok) return;
  const r = ipt(ns, ['-t', 'nat', '-A', chain, ...rule]);
  if (!r.ok) fail(r.err!);
}

function setupIpMasq(ns: NetNs, net: string, chain: string, comment: string): void {
  const r = ipt(ns, ['-t', 'nat', '-N', chain]);
  if (!r.ok && r.code !== 1) fail(r.err!);
  const c = ['-m', 'comment', '--comment', comment];
  appendUnique(ns, chain, ['-d', net, '-j', 'ACCEPT', ...c]);
  appendUnique(ns, chain, ['!', '-d', '224.0.0.0/4', '-j', 'MASQUERADE', ...c]);
  appendUnique(ns, 'POSTROUTING', ['-s', net, '-j', chain, ...c]);
}

function teardownIpMasq(ns: NetNs, net: string, chain: string, comment: string): void {
  const c = ['-m', 'comment', '--comment', comment];
  for (const args of [
    ['-t', 'nat', '-D', 'POSTROUTING', '-s', net, '-j', chain, ...c],
    ['-t', 'nat', '-F', chain],
    ['-t', 'nat', '-X', chain],
  ]) {
    const r = ipt(ns, args);
    if (!r.ok) fail(r.err!);
  }
}

function ensureBridge(ns: NetNs, conf: BridgeConf): Bridge {
  const name = conf.bridge;
  const wrap = (e: string) => `failed to create bridge ${goQuote(name)}: ${e}`;
  let br: Bridge;
  const existing = ns.device(name);
  if (existing) {
    if (!(existing instanceof Bridge))
      fail(wrap(`${goQuote(name)} already exists but is not a bridge`));
    br = existing as Bridge;
  } else {
    if (!/^[^\s/:]{1,15}$/.test(name) || name === '.' || name === '..')
      fail(wrap(`could not add ${goQuote(name)}: invalid argument`));
    br = must(linkAddBridge(ns, name), (e) => wrap(`could not add ${goQuote(name)}: ${e}`));
    if (conf.mtu) {
      const r = linkSetMtu(br, conf.mtu);
      if (!r.ok) {
        linkDel(br);
        fail(wrap(`could not add ${goQuote(name)}: ${GO_ERRNO[r.errno]}`));
      }
    }
  }
  must(linkSetUp(br, true), wrap);
  return br;
}

function setupVeth(
  hostNs: NetNs,
  cns: NetNs,
  br: Bridge,
  conf: BridgeConf,
  ifName: string,
): Device {
  let pair: [Device, Device] | undefined;
  for (let i = 0; i < 10 && !pair; i++) {
    const peer = `veth${hostNs.world.rng
      .bytes(4)
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')}`;
    if (cns.device(ifName)) {
      if (cns.device(peer)) continue;
      fail(`container veth name provided (${ifName}) already exists`);
    }
    if (!/^[^\s/:]{1,15}$/.test(ifName) || ifName === '.' || ifName === '..')
      fail('failed to make veth pair: invalid argument');
    const r = linkAddVeth(cns, ifName, peer, { mtu: conf.mtu || undefined });
    if (!r.ok) fail(`failed to make veth pair: ${GO_ERRNO[r.errno]}`);
    pair = (r as { ok: true; value: [Device, Device] }).value;
  }
  if (!pair) return fail('failed to find a unique veth name');
  const [cont, hostEnd] = pair;
  linkSetUp(cont, true);
  const hostName = hostEnd.name;
  must(linkSetNetns(hostEnd, hostNs), (e) => `failed to move veth to host netns: ${e}`);
  must(linkSetUp(hostEnd, true), (e) => `failed to set ${goQuote(hostName)} up: ${e}`);
  must(
    linkSetMaster(hostEnd, br),
    (e) => `failed to connect ${goQuote(hostName)} to bridge ${br.name}: ${e}`,
  );
  br.portFlags.get(hostEnd)!.hairpin = conf.hairpinMode ?? false;
  return cont;
}

/** Go's %v of a net.IPNet value (the struct, not its String()). */
function ipnetValue(c: Cidr): string {
  const m = maskOf(c.len) >>> 0;
  return `{${formatIpv4(c.addr)} ${m.toString(16).padStart(8, '0')}}`;
}

function cmdAdd(io: PluginIo, a: CmdArgs): void {
  const host = io.host;
  const conf = loadBridgeConf(a.stdin);
  // isDefaultGateway implies isGateway (on this call's copy: loaded configs are shared).
  const n = conf.isDefaultGateway ? { ...conf, isGateway: true } : conf;
  const br = ensureBridge(io.ns, n);
  const cns = openNetnsPath(host, a.netns);
  if (typeof cns === 'string') return fail(`failed to open netns ${goQuote(a.netns)}: ${cns}`);
  setupVeth(io.ns, cns, br, n, a.ifName);
  const out = delegate(io, a, n.ipam?.type ?? '', 'ADD');
  let result: IpResult | undefined;
  try {
    result = parseResult(out);
  } catch (e) {
    if (e instanceof GoError) fail(e.message);
    throw e;
  }
  if (!result) return fail('IPAM plugin returned missing IPv4 config');
  const ip4 = result;
  if (ip4.gateway === undefined && n.isGateway) ip4.gateway = ipv4Add(ip4.ip.addr, 1);
  // Inside the container's namespace.
  const link = cns.device(a.ifName);
  if (!link) return fail(`failed to lookup ${goQuote(a.ifName)}: Link not found`);
  if (n.isDefaultGateway) {
    for (const r of ip4.routes ?? [])
      if (
        r.dst &&
        r.dst.len === 0 &&
        r.dst.addr === 0 &&
        r.gw !== undefined &&
        r.gw !== ip4.gateway
      )
        fail(
          `isDefaultGateway ineffective because IPAM sets default route via ${goQuote(formatIpv4(r.gw))}`,
        );
    ip4.routes = [
      ...(ip4.routes ?? []),
      { dst: { addr: 0 as Ipv4, len: 0, ip: 0 as Ipv4 }, gw: ip4.gateway },
    ];
  }
  must(linkSetUp(link, true), (e) => `failed to set ${goQuote(a.ifName)} UP: ${e}`);
  must(
    addrAdd(link, { addr: ip4.ip.ip, len: ip4.ip.len }),
    (e) => `failed to add IP addr to ${goQuote(a.ifName)}: ${e}`,
  );
  for (const r of ip4.routes ?? []) {
    const dst = r.dst ?? { addr: 0 as Ipv4, len: 0, ip: 0 as Ipv4 };
    const gw = r.gw ?? ip4.gateway;
    const res = routeAdd(cns, { dst: { addr: dst.ip, len: dst.len }, gateway: gw, dev: link });
    if (!res.ok && res.errno !== 'EEXIST')
      fail(
        `failed to add route '${ipnetValue(dst)} via ${gw !== undefined ? formatIpv4(gw) : '<nil>'} dev ${a.ifName}': ${GO_ERRNO[res.errno]}`,
      );
  }
  linkSetMac(link, hwaddrForIp(ip4.ip.ip));
  if (n.isGateway) {
    const gw = ip4.gateway!;
    const want = `${formatIpv4(gw)}/${ip4.ip.len}`;
    const have = br.addrs.map((x) => `${formatIpv4(x.local)}/${x.prefixLen}`);
    if (!have.includes(want)) {
      if (have.length > 0 && !n.forceAddress)
        fail(`${goQuote(br.name)} already has an IP address different from ${want}`);
      for (const x of [...br.addrs]) {
        linkSetUp(br, false);
        io.ns.removeAddr(br, x);
        linkSetUp(br, true);
      }
      must(
        addrAdd(br, { addr: gw, len: ip4.ip.len }),
        (e) => `could not add IP address to ${goQuote(br.name)}: ${e}`,
      );
    }
    linkSetMac(br, hwaddrForIp(gw));
    host.fs.writeFile('/proc/sys/net/ipv4/ip_forward', '1', { ns: io.ns });
  }
  if (n.ipMasq) {
    const net = `${formatIpv4(ip4.ip.addr)}/${ip4.ip.len}`;
    setupIpMasq(
      io.ns,
      net,
      cniChainName(n.name ?? '', a.containerId),
      cniComment(n.name ?? '', a.containerId),
    );
  }
  io.stdout(goMarshalIndent(resultJson(ip4, n.dns ?? {})));
}

function cmdDel(io: PluginIo, a: CmdArgs): void {
  const host = io.host;
  const n = loadBridgeConf(a.stdin);
  delegate(io, a, n.ipam?.type ?? '', 'DEL');
  if (a.netns === '') return;
  const cns = openNetnsPath(host, a.netns);
  if (typeof cns === 'string') return fail(cns);
  const link = cns.device(a.ifName);
  if (!link) return fail(`failed to lookup ${goQuote(a.ifName)}: Link not found`);
  const addr = link.addrs[0];
  if (!addr) return fail(`failed to get IP addresses for ${goQuote(a.ifName)}: <nil>`);
  must(linkDel(link), (e) => `failed to delete ${goQuote(a.ifName)}: ${e}`);
  if (n.ipMasq)
    teardownIpMasq(
      io.ns,
      `${formatIpv4(addr.local)}/${addr.prefixLen}`,
      cniChainName(n.name ?? '', a.containerId),
      cniComment(n.name ?? '', a.containerId),
    );
}

export function bridgeMain(io: PluginIo): number {
  return pluginMain(
    io,
    (a) => cmdAdd(io, a),
    (a) => cmdDel(io, a),
  );
}
