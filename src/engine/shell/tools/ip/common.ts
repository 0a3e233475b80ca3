/** Shared plumbing for the `ip` tool: options, output buffers, errors, name lookups. */
import type { Device } from '../../../linux/device';
import type { Host } from '../../../linux/host';
import type { NetNs } from '../../../linux/netns';
import { ERRNO_TEXT, type RtnlError } from '../../../linux/rtnl';

export interface IpOptions {
  family: 'all' | 'inet' | 'inet6';
  brief: boolean;
  details: boolean;
  stats: number;
  oneline: boolean;
  json: boolean;
}

/** Thrown to stop the command with iproute2's message and exit code. */
export class IpExit extends Error {
  constructor(
    readonly code: number,
    readonly stderr: string,
  ) {
    super(stderr);
  }
}

export class IpCtx {
  readonly out: string[] = [];
  constructor(
    readonly host: Host,
    public ns: NetNs,
    readonly opts: IpOptions,
    /** Whether the calling process has CAP_NET_ADMIN. */
    readonly netAdmin = true,
  ) {}

  /**
   * rtnetlink_rcv_msg: every request but a dump needs CAP_NET_ADMIN. Called where iproute2
   * sends its change, after looking names up (those are dumps, and allowed). Checked: without
   * the capability, ip link/addr/route/neigh changes all print this and exit 2.
   */
  admin(): void {
    if (!this.netAdmin) throw new IpExit(2, 'RTNETLINK answers: Operation not permitted\n');
  }

  /** A flush with something to delete, without CAP_NET_ADMIN (exit codes as each ip command). */
  flushAdmin(code: number): void {
    if (!this.netAdmin)
      throw new IpExit(code, 'Failed to send flush request: Operation not permitted\n');
  }

  print(line: string): void {
    this.out.push(line);
  }

  /** Warnings iproute2 prints to stderr while going on (text with its own newlines). */
  readonly err: string[] = [];
  printErr(text: string): void {
    this.err.push(text);
  }

  /** Finds a device by name or fails with `Cannot find device "X"`. */
  dev(name: string): Device {
    const d = this.ns.device(name);
    if (!d) throw new IpExit(1, `Cannot find device "${name}"\n`);
    return d;
  }
}

/** iproute2's matches(): `arg` is a non-empty prefix of `word`. */
export function matches(arg: string | undefined, word: string): boolean {
  return arg !== undefined && arg.length > 0 && word.startsWith(arg);
}

/** How iproute2 reports a failed netlink request. */
export function rtnlFailure(e: RtnlError, code = 2): IpExit {
  if (e.extack) return new IpExit(code, `Error: ${e.extack}.\n`);
  return new IpExit(code, `RTNETLINK answers: ${ERRNO_TEXT[e.errno]}\n`);
}

export function invalidArg(value: string, what: string): IpExit {
  return new IpExit(1, `Error: argument "${value}" is wrong: ${what}\n`);
}

export function duplicateArg(key: string, value: string): IpExit {
  return new IpExit(1, `Error: either "${key}" is duplicate, or "${value}" is a garbage.\n`);
}

export function needArg(): IpExit {
  return new IpExit(1, `Command line is not complete. Try option "help"\n`);
}

/** Looks up a named namespace the way `ip netns` / `ip -n` do (/var/run/netns/NAME). */
export function openNetns(host: Host, name: string): NetNs {
  const ns = host.named.get(name);
  if (!ns)
    throw new IpExit(255, `Cannot open network namespace "${name}": No such file or directory\n`);
  return ns;
}
