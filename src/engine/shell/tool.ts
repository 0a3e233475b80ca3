/** The interface every emulated command implements, and a few helpers tools share. */
import type { Process } from '../linux/process';
import type { NetNs } from '../linux/netns';
import type { Host } from '../linux/host';
import type { World } from '../sim/world';

/** What a running command sees: its argv, process, stdin and a way to exec another command. */
export interface ToolContext {
  readonly argv: readonly string[];
  readonly proc: Process;
  readonly stdin: string;
  readonly env: ReadonlyMap<string, string>;
  readonly stdoutIsTty: boolean;
  /** Replaces this command with another in the same process (as execvp does). */
  exec(argv: readonly string[], opts?: { stdoutIsTty?: boolean }): void;
  /** Looks up a command by name; undefined when there is none. */
  hasCommand(name: string): boolean;
  /** The shell's job table, for tools like `kill`. */
  readonly jobs: JobControl;
}

export interface JobControl {
  signalPid(pid: number, sig: 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'SIGHUP'): boolean;
}

/** A command implementation. It must call ctx.proc.exit(code) now or later. */
export type Tool = (ctx: ToolContext) => void;

export function hostOf(ctx: ToolContext): Host {
  return ctx.proc.host;
}

export function nsOf(ctx: ToolContext): NetNs {
  return ctx.proc.ns;
}

export function worldOf(ctx: ToolContext): World {
  return ctx.proc.host.world;
}

/** Writes lines (each ending with a newline) to stdout and exits. */
export function finish(ctx: ToolContext, code: number, out = '', err = ''): void {
  if (out) ctx.proc.write(out);
  if (err) ctx.proc.writeErr(err);
  ctx.proc.exit(code);
}
