/** sysctl (procps-ng 4.0.2): read and write /proc/sys keys of the namespace it runs in. */
import { listSysctls, readSysctl, writeSysctl } from '../../linux/procsys';
import { isReadOnly } from '../../linux/namespaces';
import type { Tool } from '../tool';

const USAGE = `
Usage:
 sysctl [options] [variable[=value] ...]

Options:
  -a, --all            display all variables
  -A                   alias of -a
  -X                   alias of -a
      --deprecated     include deprecated parameters to listing
  -b, --binary         print value without new line
  -e, --ignore         ignore unknown variables errors
  -N, --names          print variable names without values
  -n, --values         print only values of the given variable(s)
  -p, --load[=<file>]  read values from file
  -f                   alias of -p
      --system         read values from all system directories
  -r, --pattern <expression>
                       select setting that match expression
  -q, --quiet          do not echo variable set
  -w, --write          enable writing a value to variable
  -o                   does nothing
  -x                   does nothing
  -d                   alias of -h

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see sysctl(8).
`;

export const sysctl: Tool = (ctx) => {
  const proc = ctx.proc;
  const ns = proc.ns;
  let valuesOnly = false;
  let namesOnly = false;
  let quiet = false;
  let ignore = false;
  let all = false;
  let write = false;
  let pattern: RegExp | undefined;
  const items: string[] = [];
  // getopt: short flags may be bundled (-qw); -r takes the rest of its word or the next one.
  const args: string[] = [];
  for (const a of ctx.argv.slice(1)) {
    if (/^-[a-zA-Z]{2,}$/.test(a) && !a.startsWith('-r'))
      args.push(...[...a.slice(1)].map((f) => `-${f}`));
    else if (/^-r./.test(a)) args.push('-r', a.slice(2));
    else args.push(a);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n' || a === '--values') valuesOnly = true;
    else if (a === '-N' || a === '--names') namesOnly = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a === '-e' || a === '--ignore') ignore = true;
    else if (a === '-a' || a === '-A' || a === '-X' || a === '--all') all = true;
    else if (a === '-w' || a === '--write') write = true;
    else if (a === '-r' || a === '--pattern') pattern = new RegExp(args[++i] ?? '');
    else if (a === '-h' || a === '--help' || a === '-d') {
      proc.write(USAGE);
      proc.exit(0);
      return;
    } else if (a === '-V' || a === '--version') {
      proc.write('sysctl from procps-ng 4.0.2\n');
      proc.exit(0);
      return;
    } else if (a.startsWith('-') && a.length > 1) {
      proc.writeErr(`sysctl: invalid option -- '${a.slice(1, 2)}'\n${USAGE}`);
      proc.exit(1);
      return;
    } else items.push(a);
  }
  const show = (key: string, value: string) => {
    if (namesOnly) proc.write(`${key}\n`);
    else if (valuesOnly) proc.write(`${value}\n`);
    else proc.write(`${key} = ${value}\n`);
  };
  if (all || (items.length === 0 && pattern)) {
    for (const k of listSysctls(ns)) {
      if (pattern && !pattern.test(k)) continue;
      show(k, readSysctl(ns, k) ?? '');
    }
    proc.exit(0);
    return;
  }
  if (items.length === 0) {
    proc.writeErr(USAGE);
    proc.exit(1);
    return;
  }
  let code = 0;
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = (eq >= 0 ? item.slice(0, eq) : item).replace(/\//g, '.').trim();
    if (eq >= 0) {
      const value = item.slice(eq + 1).trim();
      // A container's /proc/sys is mounted read-only: procps says "permission denied" (checked
      // with a read-only bind of /proc/sys and no CAP_NET_ADMIN, as in a container; exit 1).
      if (
        readSysctl(ns, key) !== undefined &&
        isReadOnly(proc.spaces.mnt, `/proc/sys/${key.replace(/\./g, '/')}`)
      ) {
        proc.writeErr(`sysctl: permission denied on key "${key}"\n`);
        code = 1;
        continue;
      }
      const err = writeSysctl(ns, key, value);
      if (err === 'ENOENT') {
        if (!ignore) {
          proc.writeErr(
            `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`,
          );
          code = 255;
        }
        continue;
      }
      if (err === 'EINVAL') {
        proc.writeErr(`sysctl: setting key "${key}": Invalid argument\n`);
        code = 255;
        continue;
      }
      if (!quiet) show(key, readSysctl(ns, key) ?? value);
      continue;
    }
    if (write) {
      proc.writeErr(`sysctl: "${key}" must be of the form name=value\n`);
      code = 255;
      continue;
    }
    const v = readSysctl(ns, key);
    if (v === undefined) {
      if (!ignore) {
        proc.writeErr(
          `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`,
        );
        code = 255;
      }
      continue;
    }
    show(key, v);
  }
  proc.exit(code);
};
