/** ipset v7.17: the command over the namespace's ip sets (linux/ipset.ts holds the semantics). */
import { runIpset } from '../../linux/ipset';
import type { Tool } from '../tool';

export const ipset: Tool = (ctx) => {
  const { proc } = ctx;
  const r = runIpset(proc.ns, ctx.argv.slice(1), ctx.stdin, (path) => {
    const f = proc.host.fs.readFile(path.startsWith('/') ? path : `${proc.cwd}/${path}`, proc.ns);
    return f.ok ? f.data : undefined;
  });
  if (r.stdout) proc.write(r.stdout);
  if (r.stderr) proc.writeErr(r.stderr);
  proc.exit(r.code);
};
