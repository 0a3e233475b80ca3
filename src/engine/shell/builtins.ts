/** Shell builtins: the commands bash runs itself (cd, export, echo, kill, jobs, wait, …). */
import { normalizePath } from '../linux/fs';
import { seconds, after } from '../sim/time';
import type { Shell, Sink } from './session';

export interface BuiltinIo {
  readonly stdout: Sink;
  readonly stderr: Sink;
  readonly stdin: string;
}

export type Builtin = (sh: Shell, argv: readonly string[], io: BuiltinIo) => number;

function write(io: BuiltinIo, cmd: string, text: string): number {
  const err = io.stdout(text);
  if (err) {
    io.stderr(`bash: ${cmd}: write error: ${err}\n`);
    return 1;
  }
  return 0;
}

/** echo with bash's -n and -e handling. */
const echo: Builtin = (_sh, argv, io) => {
  let i = 1;
  let newline = true;
  let escapes = false;
  while (i < argv.length && /^-[neE]+$/.test(argv[i]!)) {
    for (const f of argv[i]!.slice(1)) {
      if (f === 'n') newline = false;
      if (f === 'e') escapes = true;
      if (f === 'E') escapes = false;
    }
    i++;
  }
  let text = argv.slice(i).join(' ');
  if (escapes) text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  return write(io, 'echo', newline ? `${text}\n` : text);
};

/** printf FORMAT [ARGS]: %s, %d and the usual escapes; the format repeats for extra args. */
const printf: Builtin = (_sh, argv, io) => {
  if (argv.length < 2) {
    io.stderr('bash: printf: usage: printf [-v var] format [arguments]\n');
    return 2;
  }
  const fmt = argv[1]!.replace(/\\n/g, '\n').replace(/\\t/g, '\t');
  const args = argv.slice(2);
  let out = '';
  let k = 0;
  do {
    out += fmt.replace(/%([sdq%])/g, (_m, c: string) => {
      if (c === '%') return '%';
      const a = args[k++] ?? '';
      return c === 'd' ? String(parseInt(a, 10) || 0) : a;
    });
  } while (k < args.length);
  return write(io, 'printf', out);
};

const cd: Builtin = (sh, argv, io) => {
  const target = argv[1] ?? sh.vars.get('HOME') ?? '/root';
  const path = normalizePath(target, sh.cwd);
  const st = sh.host.fs.stat(path);
  if (!st) {
    io.stderr(`bash: cd: ${target}: No such file or directory\n`);
    return 1;
  }
  if (st.kind !== 'dir') {
    io.stderr(`bash: cd: ${target}: Not a directory\n`);
    return 1;
  }
  sh.cwd = path;
  sh.vars.set('PWD', path);
  return 0;
};

const pwd: Builtin = (sh, _argv, io) => write(io, 'pwd', `${sh.cwd}\n`);

const exportB: Builtin = (sh, argv) => {
  for (const a of argv.slice(1)) {
    const eq = a.indexOf('=');
    if (eq > 0) {
      sh.vars.set(a.slice(0, eq), a.slice(eq + 1));
      sh.exported.add(a.slice(0, eq));
    } else sh.exported.add(a);
  }
  return 0;
};

const unset: Builtin = (sh, argv) => {
  for (const a of argv.slice(1)) {
    sh.vars.delete(a);
    sh.exported.delete(a);
  }
  return 0;
};

const jobs: Builtin = (sh, _argv, io) => {
  for (const j of sh.jobs) {
    if (j.reported) continue;
    const state = j.proc.running ? 'Running' : 'Done';
    io.stdout(`[${j.id}]+  ${state.padEnd(24)}${j.text}\n`);
  }
  return 0;
};

const kill: Builtin = (sh, argv, io) => {
  let sig: 'SIGTERM' | 'SIGKILL' | 'SIGINT' | 'SIGHUP' = 'SIGTERM';
  const targets: string[] = [];
  for (const a of argv.slice(1)) {
    if (a === '-9' || a === '-KILL' || a === '-SIGKILL') sig = 'SIGKILL';
    else if (a === '-2' || a === '-INT' || a === '-SIGINT') sig = 'SIGINT';
    else if (a === '-15' || a === '-TERM' || a === '-SIGTERM') sig = 'SIGTERM';
    else if (a === '-1' || a === '-HUP' || a === '-SIGHUP') sig = 'SIGHUP';
    else targets.push(a);
  }
  if (targets.length === 0) {
    io.stderr(
      'kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n',
    );
    return 2;
  }
  let code = 0;
  for (const t of targets) {
    let pid: number | undefined;
    if (t.startsWith('%')) {
      const id =
        t === '%' || t === '%%' || t === '%+'
          ? sh.jobs[sh.jobs.length - 1]?.id
          : Number(t.slice(1));
      pid = sh.jobs.find((j) => j.id === id && !j.reported)?.proc.pid;
      if (pid === undefined) {
        io.stderr(`bash: kill: ${t}: no such job\n`);
        code = 1;
        continue;
      }
    } else if (/^[0-9]+$/.test(t)) pid = Number(t);
    else {
      io.stderr(`bash: kill: ${t}: arguments must be process or job IDs\n`);
      code = 1;
      continue;
    }
    if (!sh.signalPid(pid, sig)) {
      io.stderr(`bash: kill: (${pid}) - No such process\n`);
      code = 1;
    }
  }
  return code;
};

/** wait: lets simulated time run until background jobs end (bounded). */
const wait: Builtin = (sh) => {
  const sched = sh.world.sched;
  const live = () => sh.jobs.some((j) => j.proc.running);
  sched.run(() => !live(), { maxEvents: 1_000_000, until: after(sched.now, seconds(300)) });
  return 0;
};

const trueB: Builtin = () => 0;
const falseB: Builtin = () => 1;

const history: Builtin = (sh, _argv, io) => {
  sh.history.forEach((h, i) => io.stdout(`${String(i + 1).padStart(5)}  ${h}\n`));
  return 0;
};

const typeB: Builtin = (sh, argv, io) => {
  let code = 0;
  for (const a of argv.slice(1)) {
    if (BUILTINS[a]) io.stdout(`${a} is a shell builtin\n`);
    else if (sh.lookup(a)) io.stdout(`${a} is /usr/bin/${a}\n`);
    else {
      io.stderr(`bash: type: ${a}: not found\n`);
      code = 1;
    }
  }
  return code;
};

const exit: Builtin = (_sh, _argv, io) => {
  io.stderr('packet-life: this shell stays open (close the terminal panel instead)\n');
  return 0;
};

export const BUILTINS: Record<string, Builtin> = {
  echo,
  printf,
  cd,
  pwd,
  export: exportB,
  unset,
  jobs,
  kill,
  wait,
  true: trueB,
  false: falseB,
  ':': trueB,
  history,
  type: typeB,
  exit,
};
