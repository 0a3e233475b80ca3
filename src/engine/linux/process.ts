/**
 * Processes: what a command becomes while it runs. A process lives in one network namespace,
 * writes to stdout/stderr with simulated timestamps, owns timers and sockets, and exits with a code.
 */
import type { ScheduledEvent } from '../sim/scheduler';
import type { SimDuration, SimTime } from '../sim/time';
import type { Host } from './host';
import type { NetNs } from './netns';
import { ALL_CAPS, type Capability, type NsSet } from './namespaces';

export interface OutputChunk {
  readonly time: SimTime;
  readonly pid: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** Written by a background job (or the shell's job notices), not by the command itself. */
  readonly background?: boolean;
}

export type Signal = 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'SIGHUP';

/**
 * What a container runtime knows of the container a process is the init of: its name and image,
 * and for a Kubernetes pod the pod it belongs to (containerd's io.kubernetes.* labels). The
 * sandbox is a pod's pause container.
 */
export interface ContainerTag {
  readonly name: string;
  /** As the pod spec or `docker run` named it; a pod sandbox's is the runtime's own. */
  readonly image?: string;
  readonly pod?: { readonly name: string; readonly namespace: string };
  readonly sandbox?: boolean;
}

export class Process {
  readonly pid: number;
  exitCode?: number;
  /** Set when the process ended because of a signal. */
  killedBy?: Signal;
  /** Output not yet collected by whoever watches this process. */
  readonly output: OutputChunk[] = [];
  /** Where background output goes once the shell has moved on (a terminal, nohup.out, /dev/null). */
  sink?: (c: OutputChunk) => void;
  /** Optional handler: returns true when the process handled the signal itself. */
  onSignal?: (sig: Signal) => boolean;
  private readonly exitListeners: (() => void)[] = [];
  private readonly timers = new Set<ScheduledEvent>();
  private readonly cleanups: (() => void)[] = [];
  /**
   * For commands that would run until the user presses ^C (ping without -c, tcpdump, nc -l in the
   * foreground): the shell interrupts them after this much simulated time.
   */
  interactiveTimeout?: SimDuration;
  /** The command name as `ps` and `lsns` show it. */
  comm: string;
  /**
   * The nodename of the process's UTS namespace when it is not its host's: a pod's containers
   * share one named after the pod. (`ip netns exec` switches the network namespace only.)
   */
  hostname?: string;
  /** Its mount, UTS, IPC, PID, user, cgroup and time namespaces (the host's, unless unshared). */
  spaces: NsSet;
  /** Its effective capabilities (a container's are fewer). */
  caps: ReadonlySet<Capability> = ALL_CAPS;
  /** Set when the process is a container's init, as its runtime started it. */
  container?: ContainerTag;

  constructor(
    readonly host: Host,
    public ns: NetNs,
    public argv: readonly string[],
    readonly env: ReadonlyMap<string, string>,
    readonly cwd: string,
  ) {
    this.pid = host.world.allocPid();
    this.spaces = host.initSpaces;
    this.comm = argv[0] ?? '';
    host.processes.set(this.pid, this);
  }

  /** execve: the process runs another program, its command line now that program's. */
  execve(argv: readonly string[]): void {
    this.argv = argv;
    this.comm = argv[0] ?? '';
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get now(): SimTime {
    return this.host.world.sched.now;
  }

  write(text: string): void {
    this.emit('stdout', text);
  }

  writeErr(text: string): void {
    this.emit('stderr', text);
  }

  private emit(stream: 'stdout' | 'stderr', text: string): void {
    if (text === '') return;
    const chunk: OutputChunk = { time: this.now, pid: this.pid, stream, text };
    if (this.sink) this.sink(chunk);
    else this.output.push(chunk);
  }

  /** Runs `fn` after `delay` unless the process has exited by then. */
  after(delay: SimDuration, label: string, fn: () => void): ScheduledEvent {
    const ev = this.host.world.sched.schedule(delay, `${this.comm}: ${label}`, () => {
      this.timers.delete(ev);
      if (this.running) fn();
    });
    this.timers.add(ev);
    return ev;
  }

  cancel(ev: ScheduledEvent | undefined): void {
    if (!ev) return;
    this.host.world.sched.cancel(ev);
    this.timers.delete(ev);
  }

  /** Registers something to undo when the process exits (close a socket, stop a capture). */
  onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  onExit(fn: () => void): void {
    if (!this.running) fn();
    else this.exitListeners.push(fn);
  }

  exit(code: number): void {
    if (!this.running) return;
    this.exitCode = code;
    for (const t of this.timers) this.host.world.sched.cancel(t);
    this.timers.clear();
    for (const c of this.cleanups.splice(0)) c();
    this.host.processes.delete(this.pid);
    for (const l of this.exitListeners.splice(0)) l();
  }

  /** Delivers a signal: the process may handle it (ping prints statistics on SIGINT). */
  signal(sig: Signal): void {
    if (!this.running) return;
    if (sig !== 'SIGKILL' && this.onSignal?.(sig)) return;
    this.killedBy = sig;
    const codes: Record<Signal, number> = { SIGHUP: 129, SIGINT: 130, SIGKILL: 137, SIGTERM: 143 };
    this.exit(codes[sig]);
  }
}
