/**
 * A machine: its initial network namespace, the namespaces created on it (and the names under
 * /var/run/netns), its processes and its small filesystem.
 */
import type { World } from '../sim/world';
import { Vfs } from './fs';
import { NetNs } from './netns';
import { FIRST_DYNAMIC_INODE, type NsSet, initNsSet } from './namespaces';
import type { Process } from './process';
import type { KernelModule } from './sysctl';

export interface HostOptions {
  readonly name: string;
  /** A simulated stand-in for a machine outside the lab (the internet, a public DNS server). */
  readonly external?: boolean;
  /** net.ipv4.ip_forward of the initial namespace at boot. */
  readonly ipForward?: boolean;
  /** Kernel modules loaded at boot beyond the defaults (`br_netfilter` on Kubernetes nodes). */
  readonly modules?: readonly KernelModule[];
}

export class Host {
  readonly name: string;
  readonly external: boolean;
  readonly rootNs: NetNs;
  /** Every namespace alive on this host, in creation order (root first). */
  readonly namespaces: NetNs[] = [];
  /** /var/run/netns/<name> entries: what `ip netns` manages. */
  readonly named = new Map<string, NetNs>();
  readonly processes = new Map<number, Process>();
  readonly fs: Vfs;
  readonly modules = new Set<KernelModule>();
  /** The namespaces of every type but net that the host's own processes live in. */
  readonly initSpaces: NsSet = initNsSet();
  private nextNsInode = FIRST_DYNAMIC_INODE;

  constructor(
    readonly world: World,
    opts: HostOptions,
  ) {
    this.name = opts.name;
    this.external = opts.external ?? false;
    for (const m of opts.modules ?? []) this.modules.add(m);
    this.rootNs = new NetNs(this, 'root', true);
    this.namespaces.push(this.rootNs);
    if (opts.ipForward) setForwarding(this.rootNs, true);
    this.rootNs.lo.adminUp = true;
    this.rootNs.deviceStateChanged(this.rootNs.lo);
    this.fs = new Vfs(this);
  }

  /** The inode number of a namespace being created, of any type (one counter per kernel). */
  allocNsInode(): number {
    return this.nextNsInode++;
  }

  /** modprobe: a module's per-namespace state appears in every namespace, existing ones too. */
  loadModule(m: KernelModule): void {
    if (this.modules.has(m)) return;
    this.modules.add(m);
    for (const ns of this.namespaces) ns.moduleLoaded(m);
  }

  /** Creates a namespace; it copies the initial namespace's IPv4 conf (devconf_inherit_init_net=0). */
  createNetns(label: string): NetNs {
    const ns = new NetNs(this, label, false, this.rootNs);
    this.namespaces.push(ns);
    return ns;
  }

  /** Whether any process still lives in the namespace (keeping it alive without a name). */
  nsInUse(ns: NetNs): boolean {
    for (const p of this.processes.values()) if (p.ns === ns) return true;
    for (const n of this.named.values()) if (n === ns) return true;
    return ns.isInit;
  }

  /** The namespace's name under /var/run/netns, if it has one. */
  nameOf(ns: NetNs): string | undefined {
    for (const [name, n] of this.named) if (n === ns) return name;
    return undefined;
  }
}

/**
 * Writing net.ipv4.ip_forward (or conf.all.forwarding): devinet.c's inet_forward_change sets
 * forwarding on every device and in conf.default, and turns conf.all.accept_redirects off.
 */
export function setForwarding(ns: NetNs, on: boolean): void {
  const v = on ? 1 : 0;
  ns.confAll.forwarding = v;
  ns.confAll.accept_redirects = on ? 0 : 1;
  ns.confDefault.forwarding = v;
  for (const d of ns.devices) d.conf.forwarding = v;
}
