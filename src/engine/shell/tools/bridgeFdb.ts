/**
 * `bridge fdb show`, in the kernel's dump order: devices in list order; for a bridge port, the
 * bridge's entries behind it (newest first, as the kernel's hash list keeps them) and then the
 * port's own multicast list (`self`); for a bridge, its multicast list and then its own
 * addresses. Learned entries end in a space where the state word would go.
 */
import { Bridge, type FdbEntry } from '../../linux/bridge';
import type { Device } from '../../linux/device';
import { linkMulticast } from '../../linux/mcast';
import type { NetNs } from '../../linux/netns';
import { VxlanDevice } from '../../linux/vxlan';
import { formatIpv4 } from '../../net/ipv4';

export interface FdbShowOptions {
  /** `br BR`: only the bridge and its ports. */
  readonly br?: Device;
  /** `dev DEV` / `brport DEV`: only this device, printed without `dev DEV`. */
  readonly only?: Device;
  /** `dynamic`: learned entries only. */
  readonly dynamicOnly: boolean;
  /** `-s`: seconds since the entry was used / updated. */
  readonly stats: boolean;
}

function state(e: FdbEntry): string {
  if (e.local) return 'permanent';
  return e.userState ?? '';
}

export function fdbLines(ns: NetNs, o: FdbShowOptions): string[] {
  const out: string[] = [];
  const now = ns.world.sched.now;
  const age = (t: number) => Math.floor((now - t) / 1e9);
  for (const d of ns.devices) {
    if (d.kind === 'loopback') continue;
    if (o.only && d !== o.only) continue;
    if (o.br && d !== o.br && d.master !== o.br) continue;
    const where = o.only ? '' : ` dev ${d.name}`;
    const masterLine = (br: Bridge, e: FdbEntry) => {
      const used = o.stats ? ` used ${age(e.used)}/${age(e.updated)}` : '';
      return `${e.mac}${where}${used} master ${br.name} ${state(e)}`;
    };
    const entriesBehind = (br: Bridge) =>
      br
        .liveFdb()
        .filter((e) => e.port === d && (!o.dynamicOnly || (!e.local && !e.userState)))
        .reverse();
    if (d.master instanceof Bridge) {
      for (const e of entriesBehind(d.master)) out.push(masterLine(d.master, e));
    }
    if (d instanceof VxlanDevice) {
      // vxlan_fdb_dump replaces the default dump: its remotes, no address lists.
      if (!o.dynamicOnly)
        for (const e of d.fdb)
          out.push(`${e.mac}${where} dst ${formatIpv4(e.dst)} self ${e.state}`);
      continue;
    }
    if (!o.dynamicOnly)
      for (const m of [...d.ucList, ...linkMulticast(d)]) out.push(`${m}${where} self permanent`);
    if (d instanceof Bridge) for (const e of entriesBehind(d)) out.push(masterLine(d, e));
  }
  return out;
}
