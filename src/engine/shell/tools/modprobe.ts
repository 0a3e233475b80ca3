/**
 * modprobe (kmod 30): loads a kernel module for the whole machine. Only modules whose effect the
 * engine models can be loaded; the modules already built into the kernel load silently.
 */
import type { KernelModule } from '../../linux/sysctl';
import type { Tool } from '../tool';

/** The reference kernel's release, as the module directory is named. */
export const KERNEL_RELEASE = '6.18.44-fc-v595';

const MODELLED: readonly KernelModule[] = ['br_netfilter', 'ipip'];
/** Present in every kernel the engine stands for (built in or always loaded): nothing to do. */
const ALWAYS = new Set([
  'bridge',
  'veth',
  'dummy',
  'nf_conntrack',
  'nf_nat',
  'ip_tables',
  'iptable_nat',
  'iptable_filter',
  'overlay',
  // What ipip pulls in: no behaviour of their own.
  'tunnel4',
  'ip_tunnel',
]);

export const modprobe: Tool = (ctx) => {
  const { proc } = ctx;
  const args = ctx.argv.slice(1);
  let quiet = false;
  const names: string[] = [];
  for (const a of args) {
    if (a === '-q' || a === '--quiet') quiet = true;
    else if (a.startsWith('-')) {
      proc.writeErr(`packet-life: modprobe ${a} is not modelled\n`);
      proc.exit(1);
      return;
    } else names.push(a);
  }
  if (names.length === 0) {
    proc.writeErr('modprobe: ERROR: missing parameters. See -h.\n');
    proc.exit(1);
    return;
  }
  // modprobe NAME [params...]: only the first word is a module.
  const name = names[0]!.replace(/-/g, '_');
  const modelled = MODELLED.find((m) => m === name);
  if (modelled) proc.host.loadModule(modelled);
  else if (!ALWAYS.has(name)) {
    if (!quiet)
      proc.writeErr(
        `modprobe: FATAL: Module ${names[0]} not found in directory /lib/modules/${KERNEL_RELEASE}\n`,
      );
    proc.exit(1);
    return;
  }
  proc.exit(0);
};
