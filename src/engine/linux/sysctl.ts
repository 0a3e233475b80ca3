/**
 * Network sysctls of one namespace: the globals under net.ipv4, the per-interface conf trees
 * (all, default, and one per device) and the neighbour parameters, with the kernel's defaults.
 */

/** Per-interface IPv4 settings (net.ipv4.conf.<if>.*), kernel defaults. */
export const DEV_CONF_DEFAULTS = {
  forwarding: 0,
  mc_forwarding: 0,
  accept_redirects: 1,
  secure_redirects: 1,
  send_redirects: 1,
  shared_media: 1,
  rp_filter: 0,
  accept_source_route: 0,
  accept_local: 0,
  src_valid_mark: 0,
  proxy_arp: 0,
  medium_id: 0,
  bootp_relay: 0,
  log_martians: 0,
  tag: 0,
  arp_filter: 0,
  arp_announce: 0,
  arp_ignore: 0,
  arp_accept: 0,
  arp_notify: 0,
  arp_evict_nocarrier: 1,
  proxy_arp_pvlan: 0,
  route_localnet: 0,
  disable_xfrm: 0,
  disable_policy: 0,
  drop_gratuitous_arp: 0,
  drop_unicast_in_l2_multicast: 0,
  promote_secondaries: 1,
  ignore_routes_with_linkdown: 0,
  igmpv2_unsolicited_report_interval: 10000,
  igmpv3_unsolicited_report_interval: 1000,
  force_igmp_version: 0,
  bc_forwarding: 0,
} as const;

export type DevConfKey = keyof typeof DEV_CONF_DEFAULTS;
export type DevConf = Record<DevConfKey, number>;

/** Neighbour parameters (net.ipv4.neigh.<if>.*), kernel defaults. */
export const NEIGH_PARMS_DEFAULTS = {
  mcast_solicit: 3,
  ucast_solicit: 3,
  app_solicit: 0,
  mcast_resolicit: 0,
  retrans_time_ms: 1000,
  base_reachable_time_ms: 30000,
  delay_first_probe_time: 5,
  gc_stale_time: 60,
  unres_qlen_bytes: 212992,
  proxy_qlen: 64,
  anycast_delay: 100,
  proxy_delay: 80,
  locktime: 100,
  interval_probe_time_ms: 5000,
} as const;

export type NeighParmKey = keyof typeof NEIGH_PARMS_DEFAULTS;
export type NeighParms = Record<NeighParmKey, number>;

/** Namespace-wide keys below net.ipv4 (and a few under net.core), kernel defaults. */
export const NS_GLOBAL_DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_default_ttl': '64',
  'net.ipv4.ip_local_port_range': '32768\t60999',
  'net.ipv4.ip_nonlocal_bind': '0',
  'net.ipv4.icmp_echo_ignore_all': '0',
  'net.ipv4.icmp_echo_ignore_broadcasts': '1',
  'net.ipv4.icmp_ratelimit': '1000',
  'net.ipv4.icmp_errors_use_inbound_ifaddr': '0',
  'net.ipv4.ping_group_range': '0\t2147483647',
  'net.ipv4.tcp_syn_retries': '6',
  'net.ipv4.tcp_syn_linear_timeouts': '4',
  'net.ipv4.tcp_synack_retries': '5',
  'net.ipv4.tcp_retries2': '15',
  'net.ipv4.tcp_fin_timeout': '60',
  'net.ipv4.tcp_timestamps': '1',
  'net.ipv4.tcp_sack': '1',
  'net.ipv4.tcp_window_scaling': '1',
  'net.ipv4.tcp_rmem': '4096\t131072\t33554432',
  'net.ipv4.tcp_wmem': '4096\t16384\t4194304',
  'net.core.somaxconn': '4096',
};

/** How the effective value of a per-device setting combines `all` and the device's own. */
export function effectiveConf(all: DevConf, dev: DevConf, key: DevConfKey): number {
  switch (key) {
    // IN_DEV_MAXCONF in include/linux/inetdevice.h
    case 'rp_filter':
    case 'arp_ignore':
    case 'arp_announce':
      return Math.max(all[key], dev[key]);
    // IN_DEV_ORCONF
    case 'proxy_arp':
    case 'route_localnet':
    case 'accept_local':
    case 'log_martians':
    case 'arp_filter':
    case 'arp_accept':
    case 'arp_notify':
    case 'shared_media':
    case 'send_redirects':
    case 'src_valid_mark':
    case 'drop_gratuitous_arp':
      return all[key] || dev[key] ? 1 : 0;
    // IN_DEV_ANDCONF
    case 'secure_redirects':
      return all[key] && dev[key] ? 1 : 0;
    default:
      return dev[key];
  }
}

export function newDevConf(from?: DevConf): DevConf {
  return { ...(from ?? DEV_CONF_DEFAULTS) } as DevConf;
}

export function newNeighParms(from?: NeighParms): NeighParms {
  return { ...(from ?? NEIGH_PARMS_DEFAULTS) } as NeighParms;
}

/** Modules whose presence changes behaviour the engine models. */
export type KernelModule = 'br_netfilter' | 'ipip';

/** The sysctls br_netfilter adds to every namespace, with the values a new namespace starts with. */
export const BR_NETFILTER_SYSCTLS: Record<string, string> = {
  'net.bridge.bridge-nf-call-arptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-filter-pppoe-tagged': '0',
  'net.bridge.bridge-nf-filter-vlan-tagged': '0',
  'net.bridge.bridge-nf-pass-vlan-input-dev': '0',
};
