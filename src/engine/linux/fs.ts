/**
 * A host's small filesystem: an in-memory tree for the paths walkthroughs use (/tmp, /etc, the
 * web roots), with /proc/sys and /var/run/netns backed by the kernel model of the reading process.
 */
import type { Host } from './host';
import type { NetNs } from './netns';
import { listSysctls, procPathToKey, readSysctl, writeSysctl } from './procsys';

export type FsError =
  'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'EACCES' | 'EINVAL' | 'ENOTEMPTY';

type Node =
  | { kind: 'dir'; entries: Map<string, Node>; mtime: number }
  | { kind: 'file'; data: string; mtime: number }
  | { kind: 'symlink'; target: string; mtime: number };

/** A part of a path that normalising changes: "//", "/./", "/../", or one of them at the end. */
const NOT_NORMAL = /\/\.{0,2}(?:\/|$)/;

/** Normalises an absolute path: collapses //, resolves . and .. */
export function normalizePath(path: string, cwd = '/'): string {
  // Most paths arrive normalised already: absolute, no empty, "." or ".." part, no final "/".
  if (path.length > 1 && path.charCodeAt(0) === 47 && !NOT_NORMAL.test(path)) return path;
  const abs = path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`;
  const out: string[] = [];
  for (const part of abs.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export class Vfs {
  private root: Node = { kind: 'dir', entries: new Map(), mtime: 0 };
  private readonly sandboxFiles = new WeakMap<NetNs, Map<string, string>>();
  /** nsfs bind mounts outside /var/run/netns (Docker's /var/run/docker/netns/<id>), by node. */
  private readonly nsMounts = new WeakMap<Node, NetNs>();

  constructor(private readonly host: Host) {
    for (const d of ['/tmp', '/etc', '/root', '/var/run/netns', '/var/lib', '/proc/sys', '/srv'])
      this.mkdirp(d);
    // IPv6 is not modelled, so localhost resolves to 127.0.0.1 only (as on the conformance machine).
    this.writeFile('/etc/hosts', '127.0.0.1\tlocalhost\n');
    this.writeFile('/etc/hostname', `${host.name}\n`);
  }

  private now(): number {
    return this.host.world.sched.now;
  }

  private lookup(path: string, followLast = true, depth = 0): Node | undefined {
    if (depth > 8) return undefined;
    const norm = normalizePath(path);
    let node: Node = this.root;
    // Each name of the path in turn: norm.slice(at, end), the parent directory norm.slice(0, at - 1).
    for (let at = 1; at < norm.length;) {
      let end = norm.indexOf('/', at);
      if (end < 0) end = norm.length;
      if (node.kind !== 'dir') return undefined;
      const next = node.entries.get(norm.slice(at, end));
      if (!next) return undefined;
      const last = end === norm.length;
      if (next.kind === 'symlink' && (followLast || !last)) {
        const rest = last ? '' : norm.slice(end + 1);
        const base = next.target.startsWith('/')
          ? next.target
          : `${norm.slice(0, at - 1)}/${next.target}`;
        return this.lookup(rest ? `${base}/${rest}` : base, followLast, depth + 1);
      }
      node = next;
      at = end + 1;
    }
    return node;
  }

  private parentOf(path: string): { dir: Node | undefined; name: string } {
    const norm = normalizePath(path);
    const i = norm.lastIndexOf('/');
    return { dir: this.lookup(norm.slice(0, i) || '/'), name: norm.slice(i + 1) };
  }

  mkdirp(path: string): FsError | undefined {
    let node: Node = this.root;
    for (const part of normalizePath(path).split('/').filter(Boolean)) {
      if (node.kind !== 'dir') return 'ENOTDIR';
      let next = node.entries.get(part);
      if (!next) {
        next = { kind: 'dir', entries: new Map(), mtime: this.now() };
        node.entries.set(part, next);
      }
      if (next.kind === 'symlink') {
        const t = this.lookup(next.target);
        if (!t) return 'ENOENT';
        next = t;
      }
      node = next;
    }
    return node.kind === 'dir' ? undefined : 'EEXIST';
  }

  mkdir(path: string): FsError | undefined {
    const { dir, name } = this.parentOf(path);
    if (!dir) return 'ENOENT';
    if (dir.kind !== 'dir') return 'ENOTDIR';
    if (dir.entries.has(name)) return 'EEXIST';
    dir.entries.set(name, { kind: 'dir', entries: new Map(), mtime: this.now() });
    return undefined;
  }

  /** Reads a file as the process in `ns` would. */
  readFile(path: string, ns: NetNs): { ok: true; data: string } | { ok: false; error: FsError } {
    const norm = normalizePath(path);
    const key = procPathToKey(norm);
    if (key !== undefined && norm.startsWith('/proc/sys/')) {
      const v = readSysctl(ns, key);
      if (v !== undefined) return { ok: true, data: `${v}\n` };
      return { ok: false, error: this.procSysIsDir(ns, key) ? 'EISDIR' : 'ENOENT' };
    }
    const own = this.sandboxFiles.get(ns)?.get(norm);
    if (own !== undefined) return { ok: true, data: own };
    const node = this.lookup(norm);
    if (!node) return { ok: false, error: 'ENOENT' };
    if (node.kind === 'dir') return { ok: false, error: 'EISDIR' };
    if (node.kind === 'file') return { ok: true, data: node.data };
    return { ok: false, error: 'ENOENT' };
  }

  /**
   * Files a pod's containers see in place of the host's (the kubelet bind-mounts the pod's own
   * /etc/resolv.conf, /etc/hosts and /etc/hostname into each container). Containers here share
   * the host's tree otherwise, so these are keyed by the pod's network namespace.
   */
  setSandboxFile(ns: NetNs, path: string, data: string): void {
    let m = this.sandboxFiles.get(ns);
    if (!m) this.sandboxFiles.set(ns, (m = new Map()));
    m.set(normalizePath(path), data);
  }

  private procSysIsDir(ns: NetNs, key: string): boolean {
    return listSysctls(ns).some((k) => k.startsWith(`${key}.`));
  }

  writeFile(
    path: string,
    data: string,
    opts: { append?: boolean; ns?: NetNs } = {},
  ): FsError | undefined {
    const norm = normalizePath(path);
    // The null device takes anything and keeps nothing (the tree has no device nodes).
    if (norm === '/dev/null') return undefined;
    if (norm.startsWith('/proc/')) {
      const key = procPathToKey(norm);
      if (!opts.ns || key === undefined) return 'EACCES';
      const err = writeSysctl(opts.ns, key, data);
      if (err === 'ENOENT') return this.procSysIsDir(opts.ns, key) ? 'EISDIR' : 'ENOENT';
      return err;
    }
    const existing = this.lookup(norm);
    if (existing) {
      if (existing.kind === 'dir') return 'EISDIR';
      if (existing.kind === 'file') {
        existing.data = opts.append ? existing.data + data : data;
        existing.mtime = this.now();
        return undefined;
      }
    }
    const { dir, name } = this.parentOf(norm);
    if (!dir) return 'ENOENT';
    if (dir.kind !== 'dir') return 'ENOTDIR';
    dir.entries.set(name, { kind: 'file', data, mtime: this.now() });
    return undefined;
  }

  symlink(target: string, path: string): FsError | undefined {
    const { dir, name } = this.parentOf(path);
    if (!dir) return 'ENOENT';
    if (dir.kind !== 'dir') return 'ENOTDIR';
    if (dir.entries.has(name)) return 'EEXIST';
    dir.entries.set(name, { kind: 'symlink', target, mtime: this.now() });
    // A link in /var/run/netns to a namespace file is what `ip netns` then lists and opens.
    const ns = this.netnsAt(path);
    if (ns && this.inNetnsDir(path) && !this.host.named.has(name)) this.host.named.set(name, ns);
    return undefined;
  }

  /** Bind-mounts a namespace file at `path` (an empty file whose open yields the namespace). */
  bindNetns(path: string, ns: NetNs): FsError | undefined {
    const err = this.writeFile(path, '');
    if (err) return err;
    const node = this.lookup(path);
    if (node) this.nsMounts.set(node, ns);
    return undefined;
  }

  /** The namespace a path (after symlinks) is a mount of, if any. */
  netnsAt(path: string): NetNs | undefined {
    const node = this.lookup(path);
    return node ? this.nsMounts.get(node) : undefined;
  }

  private inNetnsDir(path: string): boolean {
    const norm = normalizePath(path);
    return norm.slice(0, norm.lastIndexOf('/')) === '/var/run/netns';
  }

  remove(path: string, opts: { recursive?: boolean } = {}): FsError | undefined {
    const { dir, name } = this.parentOf(path);
    if (!dir || dir.kind !== 'dir') return 'ENOENT';
    const node = dir.entries.get(name);
    if (!node) return 'ENOENT';
    if (node.kind === 'dir' && node.entries.size > 0 && !opts.recursive) return 'ENOTEMPTY';
    if (node.kind === 'dir' && !opts.recursive) return 'EISDIR';
    dir.entries.delete(name);
    if (node.kind === 'symlink' && this.inNetnsDir(path)) this.host.named.delete(name);
    return undefined;
  }

  /** Directory entries, sorted by name. */
  list(path: string, ns?: NetNs): string[] | FsError {
    const norm = normalizePath(path);
    if (norm === '/proc/sys' || norm.startsWith('/proc/sys/')) {
      if (!ns) return 'ENOENT';
      const prefix = norm === '/proc/sys' ? '' : `${procPathToKey(norm)}.`;
      const names = new Set<string>();
      for (const k of listSysctls(ns))
        if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('.')[0]!);
      return names.size ? [...names].sort() : 'ENOENT';
    }
    const node = this.lookup(norm);
    if (!node) return 'ENOENT';
    if (node.kind !== 'dir') return 'ENOTDIR';
    return [...node.entries.keys()].sort();
  }

  stat(
    path: string,
    follow = true,
  ):
    { kind: 'dir' | 'file' | 'symlink'; mtime: number; size: number; target?: string } | undefined {
    const node = this.lookup(path, follow);
    if (!node) return undefined;
    return {
      kind: node.kind,
      mtime: node.mtime,
      size:
        node.kind === 'file' ? node.data.length : node.kind === 'dir' ? 4096 : node.target.length,
      target: node.kind === 'symlink' ? node.target : undefined,
    };
  }

  exists(path: string): boolean {
    return this.lookup(path) !== undefined;
  }
}
