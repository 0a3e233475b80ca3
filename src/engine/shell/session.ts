/**
 * An interactive shell on one host: variables, the current directory, background jobs, and the
 * execution of parsed command lines against the world, advancing simulated time while commands
 * run. Each `run` returns what a terminal would have shown, plus where its traffic is in the trace.
 */
import { normalizePath } from '../linux/fs';
import type { Host } from '../linux/host';
import type { NetNs } from '../linux/netns';
import { type OutputChunk, Process, type Signal } from '../linux/process';
import type { RunOutcome } from '../sim/scheduler';
import { type SimDuration, type SimTime, after, ms, seconds } from '../sim/time';
import type { World } from '../sim/world';
import type { AndOr, Pipeline, Redirect, SimpleCommand, Word } from './ast';
import { ShellSyntaxError, parseScript } from './parse';
import type { JobControl, Tool, ToolContext } from './tool';
import { TOOLS } from './tools';
import { BUILTINS, type Builtin } from './builtins';
import { binaryAt, execFailure } from './exec';

export interface CommandResult {
  readonly command: string;
  readonly exitCode: number;
  /** Everything the terminal showed, in time order (background jobs included). */
  readonly output: readonly OutputChunk[];
  readonly stdout: string;
  readonly stderr: string;
  /** The slice of the world's trace and capture log this command produced. */
  readonly traceFrom: number;
  readonly traceTo: number;
  readonly captureFrom: number;
  readonly captureTo: number;
  readonly startTime: SimTime;
  readonly endTime: SimTime;
  /** Set when the shell had to stop the command (budget, or the user's ^C). */
  readonly note?: string;
}

export interface ShellOptions {
  /** Budget per command line: events processed. */
  readonly maxEvents?: number;
  /** Budget per command line: simulated time a foreground command may run. */
  readonly maxTime?: SimDuration;
}

export interface Job {
  readonly id: number;
  readonly proc: Process;
  readonly text: string;
  reported: boolean;
}

/** Where a stream goes while a command runs; returns an error text when the write failed. */
export type Sink = (text: string) => string | undefined | void;

const DEV_NULL = '/dev/null';
/** A storm must not fill memory: beyond this many events a command's trace stops recording. */
const TRACE_LIMIT_PER_COMMAND = 100_000;

export class Shell implements JobControl {
  readonly vars = new Map<string, string>();
  readonly exported = new Set<string>(['PATH', 'HOME']);
  cwd = '/root';
  lastExit = 0;
  lastBgPid?: number;
  readonly jobs: Job[] = [];
  private nextJobId = 1;
  readonly history: string[] = [];
  /** Terminal output produced outside any command (background jobs), waiting to be shown. */
  private pending: OutputChunk[] = [];
  private chunkSeq = 0;
  readonly maxEvents: number;
  readonly maxTime: SimDuration;
  private budgetNote?: string;
  private eventsThisLine = 0;

  constructor(
    readonly world: World,
    readonly host: Host,
    opts: ShellOptions = {},
  ) {
    this.vars.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    this.vars.set('HOME', '/root');
    this.maxEvents = opts.maxEvents ?? 500_000;
    this.maxTime = opts.maxTime ?? seconds(600);
  }

  get ns(): NetNs {
    return this.host.rootNs;
  }

  // --- public API

  /** Runs one command line (or a script of several lines) to completion. */
  run(line: string): CommandResult {
    const world = this.world;
    const traceFrom = world.trace.length;
    const captureFrom = world.captures.length;
    const startTime = world.sched.now;
    const out: OutputChunk[] = [...this.takePending()];
    this.budgetNote = undefined;
    this.eventsThisLine = 0;
    world.trace.limitFrom(traceFrom, TRACE_LIMIT_PER_COMMAND);
    if (line.trim()) this.history.push(line);
    const terminal = (stream: 'stdout' | 'stderr') => (text: string) => {
      out.push(this.chunk(stream, text));
    };
    let code = 0;
    try {
      const script = parseScript(line);
      for (const item of script.items) {
        if (this.budgetNote) break;
        code = this.runAndOr(item, terminal('stdout'), terminal('stderr'));
      }
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      out.push(this.chunk('stderr', `bash: ${e.message}\n`));
      code = 2;
    }
    this.lastExit = code;
    this.settle();
    out.push(...this.takePending());
    out.push(...this.doneNotices());
    out.sort((a, b) => a.time - b.time || seqOf(a) - seqOf(b));
    return {
      command: line,
      exitCode: code,
      output: out,
      stdout: out
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.text)
        .join(''),
      stderr: out
        .filter((c) => c.stream === 'stderr')
        .map((c) => c.text)
        .join(''),
      traceFrom,
      traceTo: world.trace.length,
      captureFrom,
      captureTo: world.captures.length,
      startTime,
      endTime: world.sched.now,
      note: this.budgetNote,
    };
  }

  /** Lets simulated time pass with nothing typed (the `sleep` of a watching learner). */
  wait(d: SimDuration): CommandResult {
    return this.run(`sleep ${d / 1e9}`);
  }

  signalPid(pid: number, sig: Signal): boolean {
    const p = this.host.processes.get(pid);
    if (!p) return false;
    p.signal(sig);
    return true;
  }

  // --- internals

  private chunk(stream: 'stdout' | 'stderr', text: string): OutputChunk & { seq: number } {
    return { time: this.world.sched.now, pid: 0, stream, text, seq: this.chunkSeq++ };
  }

  private takePending(): OutputChunk[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }

  /** After a command: let traffic in flight land (at most 200 ms of simulated time). */
  private settle(): void {
    const sched = this.world.sched;
    sched.run(() => !sched.hasForegroundWork(), {
      maxEvents: 200_000,
      until: after(sched.now, ms(200)),
    });
  }

  private doneNotices(): OutputChunk[] {
    const out: OutputChunk[] = [];
    for (const j of this.jobs) {
      if (j.reported || j.proc.running) continue;
      j.reported = true;
      const status = j.proc.killedBy
        ? { SIGINT: 'Interrupt', SIGTERM: 'Terminated', SIGKILL: 'Killed', SIGHUP: 'Hangup' }[
            j.proc.killedBy
          ]
        : j.proc.exitCode === 0
          ? 'Done'
          : `Exit ${j.proc.exitCode}`;
      out.push({
        ...this.chunk('stderr', `[${j.id}]+  ${status.padEnd(24)}${j.text}\n`),
        background: true,
      });
    }
    const live = this.jobs.filter((j) => !j.reported);
    this.jobs.length = 0;
    this.jobs.push(...live);
    if (this.jobs.length === 0) this.nextJobId = 1;
    return out;
  }

  private runAndOr(item: AndOr, stdout: Sink, stderr: Sink): number {
    if (item.background) return this.runBackground(item, stderr);
    let code = this.runPipeline(item.first, stdout, stderr, false);
    for (const r of item.rest) {
      if (this.budgetNote) break;
      if ((r.op === '&&' && code === 0) || (r.op === '||' && code !== 0))
        code = this.runPipeline(r.pipeline, stdout, stderr, false);
    }
    return code;
  }

  private runBackground(item: AndOr, stderr: Sink): number {
    const pipelines = [item.first, ...item.rest.map((r) => r.pipeline)];
    const last = pipelines[pipelines.length - 1]!;
    if (last.commands.length > 1) {
      stderr('bash: packet-life runs only a single command at the end of a background job\n');
      return 1;
    }
    if (pipelines.length > 1) {
      // `cd dir && server &` runs in a subshell: the leading commands run first (they are
      // quick), in a copy of the shell's state, then the last one becomes the job.
      const saved = { cwd: this.cwd, vars: new Map(this.vars) };
      let code = this.runPipeline(item.first, () => undefined, stderr, true);
      let go = code === 0;
      for (let k = 0; k < item.rest.length - 1; k++) {
        const r = item.rest[k]!;
        if ((r.op === '&&' && code === 0) || (r.op === '||' && code !== 0))
          code = this.runPipeline(r.pipeline, () => undefined, stderr, true);
        go = code === 0;
      }
      const lastOp = item.rest[item.rest.length - 1]!.op;
      if ((lastOp === '&&' && go) || (lastOp === '||' && !go)) {
        const r = this.startBackgroundJob(last.commands[0]!, item.text, stderr);
        this.cwd = saved.cwd;
        this.vars.clear();
        for (const [k, v] of saved.vars) this.vars.set(k, v);
        return r;
      }
      this.cwd = saved.cwd;
      return code;
    }
    return this.startBackgroundJob(last.commands[0]!, item.first.text, stderr);
  }

  private startBackgroundJob(cmd: SimpleCommand, text: string, stderr: Sink): number {
    const toTerminal = (stream: 'stdout' | 'stderr') => (text: string) => {
      this.pending.push({ ...this.chunk(stream, text), background: true });
    };
    const started = this.startCommand(cmd, '', toTerminal('stdout'), toTerminal('stderr'), true);
    if (!started) return this.lastExit;
    const job: Job = { id: this.nextJobId++, proc: started, text, reported: false };
    this.jobs.push(job);
    this.lastBgPid = started.pid;
    stderr(`[${job.id}] ${started.pid}\n`);
    return 0;
  }

  private runPipeline(p: Pipeline, stdout: Sink, stderr: Sink, _bg: boolean): number {
    let input = '';
    let code = 0;
    for (let i = 0; i < p.commands.length; i++) {
      const last = i === p.commands.length - 1;
      let captured = '';
      const sink: Sink = last ? stdout : (t) => void (captured += t);
      code = this.runSimple(p.commands[i]!, input, sink, stderr, last && sink === stdout);
      input = captured;
      if (this.budgetNote) break;
    }
    // $? is the pipeline's status as soon as it ends, for the next command on the same line.
    this.lastExit = p.negate ? (code === 0 ? 1 : 0) : code;
    return this.lastExit;
  }

  /** Runs a simple command in the foreground and returns its exit code. */
  private runSimple(
    cmd: SimpleCommand,
    stdin: string,
    stdout: Sink,
    stderr: Sink,
    tty: boolean,
  ): number {
    const proc = this.startCommand(cmd, stdin, stdout, stderr, false, tty);
    if (!proc) return this.lastExit;
    this.waitFor(proc, stderr);
    return proc.exitCode ?? 130;
  }

  /** Drives the world until `proc` exits, interrupting it the way a user or a budget would. */
  private waitFor(proc: Process, stderr: Sink): void {
    const sched = this.world.sched;
    const deadline = after(sched.now, this.maxTime);
    const interruptAt =
      proc.interactiveTimeout !== undefined ? after(sched.now, proc.interactiveTimeout) : undefined;
    while (proc.running) {
      const until = interruptAt !== undefined && interruptAt < deadline ? interruptAt : deadline;
      const left = this.maxEvents - this.eventsThisLine;
      const before = sched.eventsRun;
      const outcome: RunOutcome = sched.run(() => !proc.running, {
        maxEvents: Math.max(left, 0),
        until,
      });
      this.eventsThisLine += sched.eventsRun - before;
      if (!proc.running) break;
      if (outcome.kind === 'event-budget') {
        this.budgetNote = `stopped after ${this.eventsThisLine} simulated events (most frequent: ${outcome.busiest}): a loop or a storm?`;
        stderr(`packet-life: ${this.budgetNote}\n`);
        proc.signal('SIGKILL');
        break;
      }
      // Nothing more will happen before the deadline: time passes, then ^C.
      sched.advanceTo(until);
      if (interruptAt !== undefined && until === interruptAt) {
        stderr('^C\n');
        proc.signal('SIGINT');
        sched.run(() => !proc.running, { maxEvents: 1000, until: sched.now });
        if (proc.running) proc.signal('SIGKILL');
        break;
      }
      this.budgetNote = `stopped after ${this.maxTime / 1e9} s of simulated time`;
      stderr(`^C\npacket-life: ${this.budgetNote}\n`);
      proc.signal('SIGINT');
      if (proc.running) proc.signal('SIGKILL');
      break;
    }
  }

  /** Expands, redirects and starts a command; undefined when it finished without a process. */
  private startCommand(
    cmd: SimpleCommand,
    stdin: string,
    stdout: Sink,
    stderr: Sink,
    background: boolean,
    tty = true,
  ): Process | undefined {
    let argv: string[];
    const assigns = new Map<string, string>();
    try {
      for (const a of cmd.assigns) assigns.set(a.name, this.expandWord(a.value, stderr).join(' '));
      argv = cmd.words.flatMap((w) => this.expandWord(w, stderr));
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        stderr(`bash: ${e.message}\n`);
        this.lastExit = 1;
        return undefined;
      }
      throw e;
    }
    // Redirections.
    let input = stdin;
    let out: Sink = stdout;
    let err: Sink = stderr;
    let outIsTty = tty;
    let outFile: string | undefined;
    for (const r of cmd.redirects) {
      const res = this.applyRedirect(r, { input, out, err }, stderr);
      if (!res) {
        this.lastExit = 1;
        return undefined;
      }
      input = res.input;
      if (res.out !== out) {
        outIsTty = false;
        outFile = res.outFile ?? outFile;
      }
      out = res.out;
      err = res.err;
    }
    if (argv.length === 0) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      this.lastExit = 0;
      return undefined;
    }
    const env = new Map<string, string>();
    for (const k of this.exported) {
      const v = this.vars.get(k);
      if (v !== undefined) env.set(k, v);
    }
    for (const [k, v] of assigns) env.set(k, v);
    const name = argv[0]!;
    const builtin: Builtin | undefined = BUILTINS[name];
    if (builtin) {
      const code = builtin(this, argv, { stdout: out, stderr: err, stdin: input });
      this.lastExit = code;
      return undefined;
    }
    const proc = new Process(this.host, this.ns, argv, env, this.cwd);
    proc.sink = (c) => {
      (c.stream === 'stdout' ? out : err)(c.text);
    };
    const ctx = this.makeContext(proc, argv, input, env, outIsTty, outFile);
    const tool = this.lookup(name);
    if (!tool) {
      const failure = name.includes('/')
        ? execFailure(this.host, normalizePath(name, this.cwd))
        : { text: 'command not found', code: 127 };
      proc.writeErr(`bash: ${name}: ${failure.text}\n`);
      proc.exit(failure.code);
      this.lastExit = failure.code;
      return background ? undefined : proc;
    }
    tool(ctx);
    return proc;
  }

  lookup(name: string): Tool | undefined {
    const base = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
    if (name.includes('/')) {
      const path = normalizePath(name, this.cwd);
      const binary = binaryAt(this.host, path);
      if (binary) return binary;
      if (/^\/(usr\/)?(s?bin)\//.test(path) && TOOLS[base]) return TOOLS[base];
      return undefined;
    }
    return TOOLS[base];
  }

  private makeContext(
    proc: Process,
    argv: readonly string[],
    stdin: string,
    env: ReadonlyMap<string, string>,
    tty: boolean,
    outFile?: string,
  ): ToolContext {
    const ctx: ToolContext = {
      argv,
      proc,
      stdin,
      env,
      stdoutIsTty: tty,
      jobs: this,
      hasCommand: (name) => this.lookup(name) !== undefined || BUILTINS[name] !== undefined,
      exec: (next, opts) => {
        const tool = this.lookup(next[0] ?? '');
        if (!tool) {
          proc.writeErr(`exec of "${next[0]}" failed: No such file or directory\n`);
          proc.exit(255);
          return;
        }
        proc.execve(next);
        tool(this.makeContext(proc, next, stdin, env, opts?.stdoutIsTty ?? tty, outFile));
      },
    };
    return ctx;
  }

  /** Applies one redirection; returns the new streams or undefined after printing bash's error. */
  private applyRedirect(
    r: Redirect,
    cur: { input: string; out: Sink; err: Sink },
    stderr: Sink,
  ): { input: string; out: Sink; err: Sink; outFile?: string } | undefined {
    const fs = this.host.fs;
    if (r.heredoc) {
      const body = r.heredoc.quoted ? r.heredoc.body : this.expandHeredoc(r.heredoc.body, stderr);
      return { ...cur, input: body };
    }
    const target = r.target ? this.expandWord(r.target, stderr).join(' ') : '';
    if (r.op === '<<<') return { ...cur, input: `${target}\n` };
    if (r.op === '>&' || r.op === '<&') {
      if (target === '1' && r.fd === 2) return { ...cur, err: cur.out };
      if (target === '2' && r.fd === 1) return { ...cur, out: cur.err };
      if (target === '-')
        return { ...cur, ...(r.fd === 1 ? { out: () => undefined } : { err: () => undefined }) };
      if (/^[0-9]+$/.test(target)) {
        stderr(`bash: ${target}: Bad file descriptor\n`);
        return undefined;
      }
    }
    const path = normalizePath(target, this.cwd);
    if (r.op === '<' || r.op === '<&') {
      if (path === DEV_NULL) return { ...cur, input: '' };
      const data = fs.readFile(path, this.ns);
      if (!data.ok) {
        stderr(`bash: ${target}: ${fsErrorText(data.error)}\n`);
        return undefined;
      }
      return { ...cur, input: data.data };
    }
    const append = r.op === '>>' || r.op === '&>>';
    let sink: Sink;
    if (path === DEV_NULL) sink = () => undefined;
    else {
      const isProc = path.startsWith('/proc/');
      if (!isProc) {
        const err = append
          ? fs.exists(path)
            ? undefined
            : fs.writeFile(path, '')
          : fs.writeFile(path, '');
        if (err) {
          stderr(`bash: ${target}: ${fsErrorText(err)}\n`);
          return undefined;
        }
      } else {
        const probe = fs.readFile(path, this.ns);
        if (!probe.ok) {
          stderr(`bash: ${target}: ${fsErrorText(probe.error)}\n`);
          return undefined;
        }
      }
      sink = (text) => {
        const e = fs.writeFile(path, text, { append: isProc ? false : true, ns: this.ns });
        return e ? fsErrorText(e) : undefined;
      };
    }
    if (r.op === '&>' || r.op === '&>>') return { ...cur, out: sink, err: sink, outFile: path };
    if (r.fd === 2) return { ...cur, err: sink };
    return { ...cur, out: sink, outFile: path };
  }

  private expandHeredoc(body: string, stderr: Sink): string {
    // Variables and command substitutions expand in an unquoted heredoc.
    return body.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*|[?$!])|\$\(([^)]*)\)|`([^`]*)`/g,
      (_m, a, b, c, d) => {
        if (a || b) return this.varValue(a ?? b);
        return this.commandSubstitution(c ?? d ?? '', stderr);
      },
    );
  }

  varValue(name: string): string {
    switch (name) {
      case '?':
        return String(this.lastExit);
      case '$':
        return '1';
      case '!':
        return this.lastBgPid !== undefined ? String(this.lastBgPid) : '';
      case '#':
        return '0';
      case '0':
        return 'bash';
      default:
        return this.vars.get(name) ?? '';
    }
  }

  private commandSubstitution(source: string, stderr: Sink): string {
    let captured = '';
    const saved = new Map(this.vars);
    const savedCwd = this.cwd;
    const script = parseScript(source);
    for (const item of script.items) {
      if (item.background) {
        this.runAndOr(item, (t) => void (captured += t), stderr);
        continue;
      }
      this.runAndOr(item, (t) => void (captured += t), stderr);
    }
    // A subshell: variable changes do not leak out.
    this.vars.clear();
    for (const [k, v] of saved) this.vars.set(k, v);
    this.cwd = savedCwd;
    return captured.replace(/\n+$/, '');
  }

  /** Word expansion: parameters, command substitution, then field splitting of unquoted results. */
  expandWord(w: Word, stderr: Sink): string[] {
    const fields: string[] = [];
    let cur = '';
    let have = false;
    const split = (text: string) => {
      const parts = text.split(/[ \t\n]+/);
      parts.forEach((p, idx) => {
        if (idx > 0) {
          if (have || cur) fields.push(cur);
          cur = '';
          have = false;
        }
        if (p) {
          cur += p;
          have = true;
        }
      });
    };
    for (const p of w.parts) {
      if (p.kind === 'lit') {
        cur += p.text;
        have = have || p.quoted || p.text.length > 0;
        continue;
      }
      const value =
        p.kind === 'var' ? this.varValue(p.name) : this.commandSubstitution(p.source, stderr);
      if (p.quoted) {
        cur += value;
        have = true;
      } else split(value);
    }
    if (have || cur) fields.push(cur);
    // Tilde expansion at the start of an unquoted word.
    return fields.map((f, i) =>
      i === 0 &&
      w.parts[0]?.kind === 'lit' &&
      !w.parts[0].quoted &&
      (f === '~' || f.startsWith('~/'))
        ? `/root${f.slice(1)}`
        : f,
    );
  }
}

function seqOf(c: OutputChunk): number {
  return (c as OutputChunk & { seq?: number }).seq ?? 0;
}

export function fsErrorText(e: string): string {
  switch (e) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EEXIST':
      return 'File exists';
    case 'EACCES':
      return 'Permission denied';
    case 'EINVAL':
      return 'Invalid argument';
    case 'ENOTEMPTY':
      return 'Directory not empty';
    default:
      return e;
  }
}
