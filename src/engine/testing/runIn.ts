/** Test helper: one emulated program run directly in a named namespace, outside any shell. */
import { Process } from '../linux/process';
import { runTool } from '../k8s/images';
import type { ToolLookup } from '../k8s/images';
import { after, seconds } from '../sim/time';
import type { Lab } from './lab';

export interface ProgramRun {
  readonly stdout: string;
  readonly stderr: string;
  /** undefined: still running when the wait ended. */
  readonly code: number | undefined;
  /** Simulated seconds from start to exit (or to the end of the wait). */
  readonly took: number;
}

/**
 * Runs `argv` in namespace `ns` of the lab's first host, with `tools` as its $PATH, for up to
 * `wait` simulated seconds; `interruptAt` sends SIGINT (^C) that many seconds in instead.
 */
export function runIn(
  l: Lab,
  ns: string,
  argv: readonly string[],
  tools: ToolLookup,
  opts: { wait?: number; interruptAt?: number } = {},
): ProgramRun {
  const host = l.sh().host;
  const netns = host.named.get(ns);
  if (!netns) throw new Error(`no namespace ${ns}`);
  const proc = new Process(host, netns, argv, new Map(), '/');
  let stdout = '';
  let stderr = '';
  proc.sink = (c) => (c.stream === 'stdout' ? (stdout += c.text) : (stderr += c.text));
  const sched = l.world.sched;
  const start = sched.now;
  runTool(proc, argv, tools);
  const until = after(start, seconds(opts.interruptAt ?? opts.wait ?? 60));
  sched.run(() => !proc.running, { maxEvents: 1_000_000, until });
  if (proc.running && opts.interruptAt !== undefined) {
    sched.advanceTo(until);
    proc.signal('SIGINT');
  }
  const end = proc.running ? until : sched.now;
  return {
    stdout,
    stderr,
    code: proc.running ? undefined : proc.exitCode,
    took: (end - start) / 1e9,
  };
}
