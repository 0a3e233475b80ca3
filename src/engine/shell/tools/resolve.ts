/** Name resolution as getaddrinfo does it here: dotted quads, then /etc/hosts (files). */
import { type Ipv4, parseIpv4 } from '../../net/ipv4';
import type { Process } from '../../linux/process';

/** IPv4 addresses for `name`, in /etc/hosts order; undefined when it cannot be resolved. */
export function resolveHost(proc: Process, name: string): Ipv4[] | undefined {
  const lit = parseIpv4(name);
  if (lit !== undefined) return [lit];
  const hosts = proc.host.fs.readFile('/etc/hosts', proc.ns);
  if (!hosts.ok) return undefined;
  const out: Ipv4[] = [];
  for (const line of hosts.data.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length < 2) continue;
    const addr = parseIpv4(fields[0]!);
    if (addr === undefined) continue;
    if (fields.slice(1).some((f) => f.toLowerCase() === name.toLowerCase())) out.push(addr);
  }
  return out.length ? out : undefined;
}
