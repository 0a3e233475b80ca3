/**
 * The real lab: hosts as network + mount namespaces held by a sleeping process, networks as
 * bridges in namespaces of their own, commands run through nsenter in a pseudo-terminal, and
 * tcpdump per interface. Only namespaces it created are touched; every wait is bounded; every
 * process it started is stopped at cleanup: by PID, by the namespaces it runs in (the hosts'
 * and those their `ip netns` named), or by the PL_LAB mark in its environment.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from './plan';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface RunResult {
  readonly output: string;
  readonly exit: number;
  readonly timedOut: boolean;
}

export interface TimedLine {
  /** Epoch seconds, as tcpdump -tt printed them. */
  readonly t: number;
  /** The frame as tcpdump printed it, continuation lines (-v) joined with newlines. */
  readonly line: string;
}

export interface LinkInfo {
  readonly mac: string;
  /** IFF_UP: tcpdump can only listen on an interface that is up. */
  readonly up: boolean;
}

function killQuietly(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

export interface Capture {
  readonly place: string;
  /** Stops tcpdump and returns every frame it printed. */
  stop(): TimedLine[];
}

export class RealLab {
  readonly prefix: string;
  private readonly work: string;
  private readonly hostPid = new Map<string, number>();
  private readonly hostCwd = new Map<string, string>();
  private readonly children: ChildProcess[] = [];
  private readonly networks: string[] = [];
  /**
   * The network namespaces the hosts' own `ip netns` has named ("net:[inode]"), every one seen:
   * a server a scenario started in one (`ip netns exec NS nohup … &`) is stopped at cleanup even
   * after the name is gone.
   */
  private readonly namedNets = new Set<string>();
  private readonly env: Record<string, string> = {};

  constructor() {
    this.prefix = `pl-k${process.pid}`;
    this.work = mkdtempSync(`/var/tmp/${this.prefix}-`);
  }

  /**
   * What every process the lab starts runs with: PATH, the names commands assigned, and a mark
   * (PL_LAB=<prefix>) its descendants inherit, by which cleanup finds whatever is left of them.
   */
  private childEnv(): Record<string, string | undefined> {
    return { ...process.env, PATH, ...this.env, PL_LAB: this.prefix };
  }

  private sh(args: string[], timeoutMs = 10_000, input?: string): RunResult {
    const r = spawnSync(args[0]!, args.slice(1), {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: this.childEnv(),
      input,
    });
    return {
      output: (r.stdout ?? '') + (r.stderr ?? ''),
      exit: r.status ?? 124,
      timedOut: r.error !== undefined || r.signal !== null,
    };
  }

  private must(args: string[]): void {
    const r = this.sh(args);
    if (r.exit !== 0) throw new Error(`lab: ${args.join(' ')} failed: ${r.output.trim()}`);
  }

  startNetwork(name: string): void {
    const ns = `${this.prefix}-net-${name}`;
    this.must(['ip', 'netns', 'add', ns]);
    this.networks.push(ns);
    this.must(['ip', '-n', ns, 'link', 'add', 'sw', 'type', 'bridge']);
    this.must(['ip', '-n', ns, 'link', 'set', 'sw', 'up']);
  }

  startHost(h: LabHost, hostsFile: string): void {
    const dir = join(this.work, h.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hosts'), hostsFile);
    // Names resolve from the scenario's /etc/hosts only: no query may leave for the machine's
    // resolver (python's http.server looks its own name up when it starts).
    writeFileSync(join(dir, 'nsswitch.conf'), 'hosts: files\nnetworks: files\n');
    writeFileSync(join(dir, 'resolv.conf'), '# packet-life lab: no DNS\n');
    const script = [
      'mount --bind "$0/hosts" /etc/hosts',
      'mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf',
      'mount --bind "$0/resolv.conf" /etc/resolv.conf',
      `hostname ${h.name}`,
      'mkdir -p /run/netns && mount -t tmpfs pl-netns /run/netns',
      'for d in /root /tmp /srv; do mkdir -p "$d" && mount -t tmpfs pl-fs "$d"; done',
      'ip link set lo up',
      'echo $$ > "$0/pid"',
      'exec sleep infinity',
    ].join('\n');
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--net',
        '--uts',
        '--propagation',
        'private',
        '--fork',
        '--',
        'bash',
        '-c',
        script,
        dir,
      ],
      { stdio: 'ignore', detached: true, env: this.childEnv() },
    );
    this.children.push(child);
    const pidFile = join(dir, 'pid');
    for (let i = 0; i < 50 && !existsSync(pidFile); i++) sleep(100);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!pid) throw new Error(`lab: host ${h.name} did not start`);
    this.hostPid.set(h.name, pid);
    this.hostCwd.set(h.name, h.cwd);
  }

  plug(
    host: string,
    network: string,
    port: string,
    nic: { name: string; mac: string; ifindex: number; peerIfindex?: number },
  ): void {
    const ns = `${this.prefix}-net-${network}`;
    const pid = this.hostPid.get(host)!;
    const idx = nic.peerIfindex !== undefined ? ['index', String(nic.peerIfindex)] : [];
    this.must([
      'ip',
      '-n',
      ns,
      'link',
      'add',
      port,
      ...idx,
      'type',
      'veth',
      'peer',
      'name',
      nic.name,
      'index',
      String(nic.ifindex),
      'address',
      nic.mac,
      'netns',
      `/proc/${pid}/ns/net`,
    ]);
    this.must(['ip', '-n', ns, 'link', 'set', port, 'master', 'sw']);
    this.must(['ip', '-n', ns, 'link', 'set', port, 'up']);
  }

  private enter(host: string): string[] {
    return ['nsenter', '-t', String(this.hostPid.get(host)!), '-m', '-n', '-u', '--'];
  }

  private cd(host: string): string {
    const cwd = this.hostCwd.get(host)!;
    return `mkdir -p ${cwd} && cd ${cwd}`;
  }

  /** A command line at the host's prompt, in a terminal (script(1)), with its exit status. */
  on(host: string, line: string, timeoutMs: number): RunResult {
    const r = this.sh(
      [...this.enter(host), 'script', '-q', '-e', '-c', `${this.cd(host)} && ${line}`, '/dev/null'],
      timeoutMs,
    );
    this.noteNamedNamespaces();
    return r;
  }

  /** Records the inodes of the namespaces named under each host's /run/netns. */
  private noteNamedNamespaces(): void {
    for (const pid of this.hostPid.values()) {
      const dir = `/proc/${pid}/root/run/netns`;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        try {
          this.namedNets.add(`net:[${statSync(join(dir, n)).ino}]`);
        } catch {
          /* removed meanwhile */
        }
      }
    }
  }

  /** A background job in a terminal of its own; returns what it printed in its first 200 ms. */
  background(host: string, line: string): RunResult {
    const log = join(this.work, `bg-${this.children.length}.log`);
    const child = spawn(
      'setsid',
      [...this.enter(host), 'script', '-q', '-c', `${this.cd(host)} && ${line}`, log],
      { stdio: 'ignore', detached: true, env: this.childEnv() },
    );
    this.children.push(child);
    sleep(200);
    return { output: existsSync(log) ? readFileSync(log, 'utf8') : '', exit: 0, timedOut: false };
  }

  /** NAME=value evaluated on the host and kept for later commands (exported to them). */
  assign(host: string, name: string, line: string): RunResult {
    const r = this.sh([
      ...this.enter(host),
      'bash',
      '-c',
      `${this.cd(host)} && ${line} && printf %s "$${name}"`,
    ]);
    if (r.exit === 0) this.env[name] = r.output;
    return { output: '', exit: r.exit, timedOut: r.timedOut };
  }

  /**
   * Starts tcpdump on each interface, all at once, and waits (bounded) until each listens.
   * Returns the captures that started; an interface that is down is simply not captured.
   */
  captureAll(
    places: readonly { host: string; netns: string; dev: string; key: string }[],
  ): Capture[] {
    const started = places.map((p) => {
      const base = join(this.work, `cap-${this.children.length}`);
      const inner = p.netns === 'root' ? '' : `ip netns exec ${p.netns} `;
      const cmd = `exec ${inner}tcpdump --immediate-mode -nn -e -v -tt -l -i ${p.dev} 'not ip6 and not igmp' > ${base}.out 2> ${base}.err`;
      const child = spawn(
        this.enter(p.host)[0]!,
        [...this.enter(p.host).slice(1), 'bash', '-c', cmd],
        {
          stdio: 'ignore',
          env: this.childEnv(),
        },
      );
      this.children.push(child);
      return { place: p, base, child, state: 'waiting' as 'waiting' | 'listening' | 'failed' };
    });
    // tcpdump says "listening on" once capturing, or exits at once (the device went down).
    for (let i = 0; i < 80 && started.some((s) => s.state === 'waiting'); i++) {
      for (const s of started) {
        if (s.state !== 'waiting') continue;
        const err = existsSync(`${s.base}.err`) ? readFileSync(`${s.base}.err`, 'utf8') : '';
        if (/listening on/.test(err)) s.state = 'listening';
        else if (/tcpdump: .*(not up|No such device|ERROR|error)/.test(err)) s.state = 'failed';
      }
      if (started.some((s) => s.state === 'waiting')) sleep(25);
    }
    const out: Capture[] = [];
    for (const s of started) {
      if (s.state !== 'listening') {
        killQuietly(s.child);
        continue;
      }
      const { child, base } = s;
      out.push({
        place: s.place.key,
        stop: () => {
          if (child.pid !== undefined && child.exitCode === null) {
            try {
              process.kill(child.pid, 'SIGINT');
            } catch {
              /* already gone */
            }
          }
          for (let i = 0; i < 40 && child.exitCode === null && child.signalCode === null; i++)
            sleep(50);
          const text = existsSync(`${base}.out`) ? readFileSync(`${base}.out`, 'utf8') : '';
          const lines: { t: number; line: string }[] = [];
          // -tt lines start with epoch seconds; later lines (-v continuations) belong to the last one.
          for (const l of text.split('\n')) {
            const m = /^(\d+\.\d+) (.*)$/.exec(l);
            if (m) lines.push({ t: Number(m[1]), line: m[2]! });
            else if (l.length && lines.length) lines[lines.length - 1]!.line += `\n${l}`;
          }
          return lines;
        },
      });
    }
    return out;
  }

  /**
   * Every interface of the given namespaces of a host, with its MAC and whether it is up, read
   * with one `ip -o link` per namespace in a single process.
   */
  links(host: string, namespaces: readonly string[]): Map<string, Map<string, LinkInfo>> {
    const script = namespaces
      .map(
        (ns) =>
          `echo "@@ ${ns}"; ${ns === 'root' ? '' : `ip netns exec ${ns} `}ip -o link 2>/dev/null`,
      )
      .join('; ');
    const r = this.sh([...this.enter(host), 'bash', '-c', script]);
    const out = new Map<string, Map<string, LinkInfo>>();
    let current: Map<string, LinkInfo> | undefined;
    for (const l of r.output.split('\n')) {
      const head = /^@@ (\S+)$/.exec(l);
      if (head) {
        current = new Map();
        out.set(head[1]!, current);
        continue;
      }
      const m = /^\d+: ([^:@]+)(?:@[^:]+)?: <([^>]*)>.* link\/\w+ ([0-9a-f:]{17})/.exec(l);
      if (m && current) current.set(m[1]!, { mac: m[3]!, up: m[2]!.split(',').includes('UP') });
    }
    return out;
  }

  /** Interface names and MACs in one namespace of a host. */
  macs(host: string, netns: string): Map<string, string> {
    const links = this.links(host, [netns]).get(netns) ?? new Map<string, LinkInfo>();
    return new Map([...links].map(([dev, l]) => [dev, l.mac]));
  }

  /** Stops every process in our namespaces, then removes the namespaces and the work dir. */
  cleanup(): void {
    this.noteNamedNamespaces();
    const ours = new Set<string>(this.namedNets);
    for (const pid of this.hostPid.values()) {
      try {
        ours.add(readlinkSync(`/proc/${pid}/ns/net`));
        ours.add(readlinkSync(`/proc/${pid}/ns/mnt`));
      } catch {
        /* gone */
      }
    }
    // Processes whose namespaces are ours (servers started inside, tcpdumps, jobs), or that
    // carry the lab's mark (descendants of its commands wherever they ended up).
    const mark = `\0PL_LAB=${this.prefix}\0`;
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        const net = readlinkSync(`/proc/${d}/ns/net`);
        const mnt = readlinkSync(`/proc/${d}/ns/mnt`);
        const marked = `\0${readFileSync(`/proc/${d}/environ`, 'latin1')}`.includes(mark);
        if (ours.has(net) || ours.has(mnt) || marked) process.kill(Number(d), 'SIGKILL');
      } catch {
        /* raced */
      }
    }
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const ns of this.networks) this.sh(['ip', 'netns', 'del', ns]);
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** Whether this machine can run the lab: Linux, root, and the tools. */
export function labReadiness(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  if (process.getuid?.() !== 0)
    return { ok: false, why: 'not root (network namespaces need CAP_SYS_ADMIN)' };
  const need = [
    'ip',
    'unshare',
    'nsenter',
    'script',
    'setsid',
    'tcpdump',
    'python3',
    'curl',
    'iptables',
    'conntrack',
    'ping',
    'timeout',
  ];
  const missing = need.filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`], { env: { PATH } }).status !== 0,
  );
  if (missing.length) return { ok: false, why: `missing tools: ${missing.join(', ')}` };
  const probe = spawnSync('unshare', ['--net', '--', 'true']);
  if (probe.status !== 0) return { ok: false, why: 'cannot create network namespaces here' };
  return { ok: true };
}

/** Installs the tools with apt when possible (root on Debian). */
export function installTools(): string | undefined {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get'))
    return 'cannot install tools (not root on Debian)';
  const pkgs = [
    'iproute2',
    'iptables',
    'tcpdump',
    'conntrack',
    'iputils-ping',
    'curl',
    'python3',
    'util-linux',
    'netcat-openbsd',
  ];
  const r = spawnSync(
    'sh',
    [
      '-c',
      `apt-get install -y -qq ${pkgs.join(' ')} >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq ${pkgs.join(' ')} >/dev/null 2>&1)`,
    ],
    { timeout: 600_000 },
  );
  return r.status === 0 ? undefined : 'apt-get install failed';
}
