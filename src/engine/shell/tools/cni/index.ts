/** The CNI plugins as emulated binaries: files whose content names them run as these tools. */
import type { Tool } from '../../tool';
import { CNI_BINARIES, type PluginIo } from './plugins';

function asTool(run: (io: PluginIo) => number): Tool {
  return (ctx) => {
    const io: PluginIo = {
      host: ctx.proc.host,
      ns: ctx.proc.ns,
      env: ctx.env,
      stdin: ctx.stdin,
      stdout: (t) => ctx.proc.write(t),
      stderr: (t) => ctx.proc.writeErr(t),
    };
    ctx.proc.exit(run(io));
  };
}

/** Emulated binaries by id (what follows the magic in the file). */
export const CNI_TOOLS: Record<string, Tool> = Object.fromEntries(
  Object.entries(CNI_BINARIES).map(([id, run]) => [id, asTool(run)]),
);
