/**
 * A device's link-layer multicast list (dev->mc), as `ip maddr` and `bridge fdb show` print it.
 * Nothing here carries traffic: the engine models no IPv6 or IGMP. The list follows what the
 * kernel's protocols join, checked with `bridge fdb show` on Linux 6.x:
 * - IPv6 joins all-nodes (33:33:00:00:00:01) when the device registers; it leaves every group
 *   when the device goes down, and rejoins once the device is up with carrier again;
 * - IPv4 joins all-hosts (01:00:5e:00:00:01) whenever the device comes up;
 * - a bridge with multicast snooping joins the multicast router discovery groups
 *   (224.0.0.106 and ff02::6a) when it opens;
 * - once the link-local address exists, IPv6 joins its solicited-node group.
 */
import type { Mac } from '../net/mac';
import type { Device } from './device';

const IPV6_ALL_NODES = '33:33:00:00:00:01' as Mac;
const IPV4_ALL_HOSTS = '01:00:5e:00:00:01' as Mac;
const MRD_GROUPS = ['01:00:5e:00:00:6a', '33:33:00:00:00:6a'] as Mac[];

/** 33:33:ff + the low 24 bits of the interface identifier (the MAC's last three bytes). */
function solicitedNode(mac: Mac): Mac {
  return `33:33:ff:${mac.slice(9)}` as Mac;
}

export function linkMulticast(dev: Device): Mac[] {
  if (dev.kind === 'loopback') return [];
  if (!dev.adminUp) return dev.wentDown ? [] : [IPV6_ALL_NODES];
  const snooping = dev.kind === 'bridge' ? MRD_GROUPS : [];
  const ipv6Ready = dev.hadCarrier && !dev.noarp;
  const out: Mac[] = [];
  // Joined at registration and never left: IPv6's group stays first in the list.
  if (!dev.wentDown) out.push(IPV6_ALL_NODES, ...snooping, IPV4_ALL_HOSTS);
  else {
    out.push(...snooping, IPV4_ALL_HOSTS);
    if (ipv6Ready) out.push(IPV6_ALL_NODES);
  }
  if (ipv6Ready && dev.llMac) out.push(solicitedNode(dev.llMac));
  return out;
}
