/** Small file utilities: cat, ls, mkdir, rm, ln, head, tail, wc, grep, touch, hostname, sleep, nohup. */
import { normalizePath } from '../../linux/fs';
import { seconds } from '../../sim/time';
import { fsErrorText } from '../session';
import type { Tool, ToolContext } from '../tool';

function abs(ctx: ToolContext, p: string): string {
  return normalizePath(p, ctx.proc.cwd);
}

export const cat: Tool = (ctx) => {
  const { proc } = ctx;
  const files = ctx.argv.slice(1).filter((a) => a !== '-' || true);
  if (files.length === 0) {
    proc.write(ctx.stdin);
    proc.exit(0);
    return;
  }
  let code = 0;
  for (const f of files) {
    if (f === '-') {
      proc.write(ctx.stdin);
      continue;
    }
    const r = proc.host.fs.readFile(abs(ctx, f), proc.ns);
    if (!r.ok) {
      proc.writeErr(`cat: ${f}: ${fsErrorText(r.error)}\n`);
      code = 1;
    } else proc.write(r.data);
  }
  proc.exit(code);
};

export const ls: Tool = (ctx) => {
  const { proc } = ctx;
  const flags = ctx.argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  const paths = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  const long = flags.includes('l');
  const targets = paths.length ? paths : ['.'];
  let code = 0;
  for (const t of targets) {
    const p = abs(ctx, t);
    const st = proc.host.fs.stat(p, !long);
    if (!st) {
      proc.writeErr(`ls: cannot access '${t}': No such file or directory\n`);
      code = 2;
      continue;
    }
    if (targets.length > 1) proc.write(`${t}:\n`);
    const names = st.kind === 'dir' ? proc.host.fs.list(p, proc.ns) : [t];
    if (!Array.isArray(names)) continue;
    if (!long) {
      if (names.length) proc.write(`${names.join('\n')}\n`);
      continue;
    }
    proc.write(`total ${names.length * 4}\n`);
    for (const n of names) {
      const full = st.kind === 'dir' ? `${p}/${n}` : p;
      const s = proc.host.fs.stat(full, false);
      if (!s) continue;
      const mode =
        s.kind === 'dir' ? 'drwxr-xr-x' : s.kind === 'symlink' ? 'lrwxrwxrwx' : '-rw-r--r--';
      const tail = s.kind === 'symlink' ? ` -> ${s.target}` : '';
      proc.write(
        `${mode} 1 root root ${String(s.size).padStart(5)} ${formatLsDate(proc.host.world.sched.now)} ${n}${tail}\n`,
      );
    }
  }
  proc.exit(code);
};

function formatLsDate(_t: number): string {
  return 'Jan  1 00:00';
}

export const mkdir: Tool = (ctx) => {
  const { proc } = ctx;
  const parents = ctx.argv.includes('-p');
  const paths = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  if (paths.length === 0) {
    proc.writeErr("mkdir: missing operand\nTry 'mkdir --help' for more information.\n");
    proc.exit(1);
    return;
  }
  let code = 0;
  for (const p of paths) {
    const err = parents ? proc.host.fs.mkdirp(abs(ctx, p)) : proc.host.fs.mkdir(abs(ctx, p));
    if (err) {
      proc.writeErr(`mkdir: cannot create directory '${p}': ${fsErrorText(err)}\n`);
      code = 1;
    }
  }
  proc.exit(code);
};

export const rm: Tool = (ctx) => {
  const { proc } = ctx;
  const flags = ctx.argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  const force = flags.includes('f');
  const recursive = flags.includes('r') || flags.includes('R');
  const paths = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  let code = 0;
  for (const p of paths) {
    const err = proc.host.fs.remove(abs(ctx, p), { recursive });
    if (err === 'ENOENT' && force) continue;
    if (err) {
      proc.writeErr(
        `rm: cannot remove '${p}': ${err === 'EISDIR' ? 'Is a directory' : fsErrorText(err)}\n`,
      );
      code = 1;
    }
  }
  proc.exit(code);
};

export const ln: Tool = (ctx) => {
  const { proc } = ctx;
  const flags = ctx.argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  const paths = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  if (!flags.includes('s')) {
    proc.writeErr('ln: packet-life models symbolic links only (use ln -s)\n');
    proc.exit(1);
    return;
  }
  const [target, link] = paths;
  if (target === undefined || link === undefined) {
    proc.writeErr("ln: missing file operand\nTry 'ln --help' for more information.\n");
    proc.exit(1);
    return;
  }
  const err = proc.host.fs.symlink(target, abs(ctx, link));
  if (err) {
    proc.writeErr(`ln: failed to create symbolic link '${link}': ${fsErrorText(err)}\n`);
    proc.exit(1);
    return;
  }
  if (flags.includes('v')) proc.write(`'${link}' -> '${target}'\n`);
  proc.exit(0);
};

function readInput(ctx: ToolContext, files: string[]): { text: string; error?: string } {
  if (files.length === 0) return { text: ctx.stdin };
  let text = '';
  for (const f of files) {
    const r = ctx.proc.host.fs.readFile(abs(ctx, f), ctx.proc.ns);
    if (!r.ok) return { text, error: `${f}: ${fsErrorText(r.error)}` };
    text += r.data;
  }
  return { text };
}

function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

function countArg(ctx: ToolContext, def: number): { n: number; files: string[] } {
  let n = def;
  const files: string[] = [];
  const args = ctx.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') n = Number(args[++i]);
    else if (/^-[0-9]+$/.test(a)) n = Number(a.slice(1));
    else if (/^-n[0-9]+$/.test(a)) n = Number(a.slice(2));
    else files.push(a);
  }
  return { n, files };
}

export const head: Tool = (ctx) => {
  const { n, files } = countArg(ctx, 10);
  const { text, error } = readInput(ctx, files);
  if (error) {
    ctx.proc.writeErr(
      `head: cannot open '${error.split(':')[0]}' for reading: No such file or directory\n`,
    );
    ctx.proc.exit(1);
    return;
  }
  const l = lines(text).slice(0, n);
  ctx.proc.write(l.length ? `${l.join('\n')}\n` : '');
  ctx.proc.exit(0);
};

export const tail: Tool = (ctx) => {
  const { n, files } = countArg(ctx, 10);
  const { text, error } = readInput(ctx, files);
  if (error) {
    ctx.proc.writeErr(
      `tail: cannot open '${error.split(':')[0]}' for reading: No such file or directory\n`,
    );
    ctx.proc.exit(1);
    return;
  }
  const l = lines(text).slice(-n);
  ctx.proc.write(l.length ? `${l.join('\n')}\n` : '');
  ctx.proc.exit(0);
};

export const wc: Tool = (ctx) => {
  const flags = ctx.argv
    .slice(1)
    .filter((a) => a.startsWith('-'))
    .join('');
  const files = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  const { text } = readInput(ctx, files);
  const nl = (text.match(/\n/g) ?? []).length;
  const words = text.split(/\s+/).filter(Boolean).length;
  if (flags.includes('l')) ctx.proc.write(`${nl}\n`);
  else if (flags.includes('w')) ctx.proc.write(`${words}\n`);
  else if (flags.includes('c')) ctx.proc.write(`${text.length}\n`);
  else
    ctx.proc.write(
      `${String(nl).padStart(7)} ${String(words).padStart(7)} ${String(text.length).padStart(7)}\n`,
    );
  ctx.proc.exit(0);
};

/** grep with -v -i -c -q -w -E -F -o and -n, on stdin or files. */
export const grep: Tool = (ctx) => {
  const { proc } = ctx;
  let invert = false;
  let icase = false;
  let count = false;
  let quiet = false;
  let word = false;
  let fixed = false;
  let onlyMatching = false;
  let numbers = false;
  let pattern: string | undefined;
  const files: string[] = [];
  const args = ctx.argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-e') pattern = args[++i];
    else if (a.startsWith('-') && a.length > 1 && pattern === undefined) {
      for (const f of a.slice(1)) {
        if (f === 'v') invert = true;
        else if (f === 'i') icase = true;
        else if (f === 'c') count = true;
        else if (f === 'q') quiet = true;
        else if (f === 'w') word = true;
        else if (f === 'F') fixed = true;
        else if (f === 'E') continue;
        else if (f === 'o') onlyMatching = true;
        else if (f === 'n') numbers = true;
        else {
          proc.writeErr(
            `grep: invalid option -- '${f}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n`,
          );
          proc.exit(2);
          return;
        }
      }
    } else if (pattern === undefined) pattern = a;
    else files.push(a);
  }
  if (pattern === undefined) {
    proc.writeErr(
      "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
    );
    proc.exit(2);
    return;
  }
  let src = fixed ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : basicToExtended(pattern);
  if (word) src = `\\b(?:${src})\\b`;
  let re: RegExp;
  try {
    re = new RegExp(src, icase ? 'gi' : 'g');
  } catch {
    proc.writeErr('grep: Unmatched ( or \\(\n');
    proc.exit(2);
    return;
  }
  const { text, error } = readInput(ctx, files);
  if (error) {
    proc.writeErr(`grep: ${error}\n`);
    proc.exit(2);
    return;
  }
  let matched = 0;
  lines(text).forEach((line, idx) => {
    re.lastIndex = 0;
    const hit = re.test(line);
    if (hit === invert) return;
    matched++;
    if (quiet || count) return;
    if (onlyMatching && !invert) {
      re.lastIndex = 0;
      for (const m of line.matchAll(re)) proc.write(`${m[0]}\n`);
      return;
    }
    proc.write(`${numbers ? `${idx + 1}:` : ''}${line}\n`);
  });
  if (count) proc.write(`${matched}\n`);
  proc.exit(matched > 0 ? 0 : 1);
};

/** GNU grep's basic regular expressions: \| \( \) are operators; bare | ( ) are literals. */
function basicToExtended(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      const n = p[i + 1]!;
      if ('|(){}+?'.includes(n)) out += n;
      else out += `\\${n}`;
      i++;
    } else if ('|(){}+?'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

export const touch: Tool = (ctx) => {
  for (const f of ctx.argv.slice(1).filter((a) => !a.startsWith('-'))) {
    const p = abs(ctx, f);
    if (!ctx.proc.host.fs.exists(p)) ctx.proc.host.fs.writeFile(p, '');
  }
  ctx.proc.exit(0);
};

export const hostname: Tool = (ctx) => {
  ctx.proc.write(`${ctx.proc.hostname ?? ctx.proc.host.name}\n`);
  ctx.proc.exit(0);
};

export const sleep: Tool = (ctx) => {
  const { proc } = ctx;
  const arg = ctx.argv[1];
  if (arg === undefined) {
    proc.writeErr("sleep: missing operand\nTry 'sleep --help' for more information.\n");
    proc.exit(1);
    return;
  }
  // GNU sleep takes "inf"/"infinity": no timer at all (containers use `sleep infinity`).
  if (/^inf(inity)?$/i.test(arg)) return;
  const m = /^([0-9]*\.?[0-9]+)([smhd]?)$/.exec(arg);
  if (!m) {
    proc.writeErr(
      `sleep: invalid time interval '${arg}'\nTry 'sleep --help' for more information.\n`,
    );
    proc.exit(1);
    return;
  }
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  proc.after(seconds(Number(m[1]) * mult), 'sleep', () => proc.exit(0));
};

/** nohup: ignores SIGHUP and, when stdout is a terminal, appends output to ./nohup.out. */
export const nohup: Tool = (ctx) => {
  const { proc } = ctx;
  const rest = ctx.argv.slice(1);
  if (rest.length === 0) {
    proc.writeErr("nohup: missing operand\nTry 'nohup --help' for more information.\n");
    proc.exit(125);
    return;
  }
  if (!ctx.hasCommand(rest[0]!)) {
    proc.writeErr(`nohup: failed to run command '${rest[0]}': No such file or directory\n`);
    proc.exit(127);
    return;
  }
  if (ctx.stdoutIsTty) {
    proc.writeErr("nohup: ignoring input and appending output to 'nohup.out'\n");
    const path = normalizePath('nohup.out', proc.cwd);
    const fs = proc.host.fs;
    if (!fs.exists(path)) fs.writeFile(path, '');
    // From here on both streams go to nohup.out, as nohup dup2()s them.
    proc.sink = (c) => {
      fs.writeFile(path, c.text, { append: true });
    };
  }
  const prev = proc.onSignal;
  proc.onSignal = (sig) => (sig === 'SIGHUP' ? true : (prev?.(sig) ?? false));
  ctx.exec(rest, { stdoutIsTty: ctx.stdoutIsTty ? false : ctx.stdoutIsTty });
};
