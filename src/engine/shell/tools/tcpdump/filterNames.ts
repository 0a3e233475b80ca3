/**
 * The name databases libpcap consults while compiling a filter, as a Debian 12 host has them
 * (/etc/services, /etc/protocols, /etc/hosts, /etc/networks; /etc/ethers is absent).
 * Hosts are not looked up in the simulated DNS: tcpdump resolves names once, at compile time,
 * from the machine it runs on.
 */

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** Service name → port and the transports /etc/services lists it for. */
const SERVICES: Readonly<
  Record<string, { readonly port: number; readonly tcp: boolean; readonly udp: boolean }>
> = {
  'ftp-data': { port: 20, tcp: true, udp: false },
  ftp: { port: 21, tcp: true, udp: false },
  ssh: { port: 22, tcp: true, udp: false },
  telnet: { port: 23, tcp: true, udp: false },
  smtp: { port: 25, tcp: true, udp: false },
  mail: { port: 25, tcp: true, udp: false },
  domain: { port: 53, tcp: true, udp: true },
  bootps: { port: 67, tcp: false, udp: true },
  bootpc: { port: 68, tcp: false, udp: true },
  tftp: { port: 69, tcp: false, udp: true },
  http: { port: 80, tcp: true, udp: false },
  www: { port: 80, tcp: true, udp: false },
  kerberos: { port: 88, tcp: true, udp: true },
  pop3: { port: 110, tcp: true, udp: false },
  ntp: { port: 123, tcp: false, udp: true },
  'netbios-ns': { port: 137, tcp: false, udp: true },
  imap2: { port: 143, tcp: true, udp: false },
  imap: { port: 143, tcp: true, udp: false },
  snmp: { port: 161, tcp: true, udp: true },
  'snmp-trap': { port: 162, tcp: true, udp: true },
  ldap: { port: 389, tcp: true, udp: true },
  https: { port: 443, tcp: true, udp: true },
  'microsoft-ds': { port: 445, tcp: true, udp: false },
  isakmp: { port: 500, tcp: false, udp: true },
  syslog: { port: 514, tcp: false, udp: true },
  rsync: { port: 873, tcp: true, udp: false },
  openvpn: { port: 1194, tcp: true, udp: true },
  mysql: { port: 3306, tcp: true, udp: false },
  postgresql: { port: 5432, tcp: true, udp: false },
  postgres: { port: 5432, tcp: true, udp: false },
  redis: { port: 6379, tcp: true, udp: false },
  'http-alt': { port: 8080, tcp: true, udp: false },
  webcache: { port: 8080, tcp: true, udp: false },
};

export interface ServicePort {
  readonly port: number;
  /** The one transport the name is listed for, or undefined when listed for both. */
  readonly only?: number;
}

export function lookupService(name: string): ServicePort | undefined {
  const s = SERVICES[name];
  if (s === undefined) return undefined;
  if (s.tcp && !s.udp) return { port: s.port, only: IPPROTO_TCP };
  if (s.udp && !s.tcp) return { port: s.port, only: IPPROTO_UDP };
  return { port: s.port };
}

/** /etc/protocols (note: "ipip" is 94; IP-in-IP as Linux sends it is "ipencap", 4). */
const PROTOCOLS: Readonly<Record<string, number>> = {
  ip: 0, IP: 0, icmp: 1, ICMP: 1, igmp: 2, IGMP: 2, ipencap: 4, 'IP-ENCAP': 4, tcp: 6, TCP: 6,
  udp: 17, UDP: 17, ipv6: 41, IPv6: 41, gre: 47, GRE: 47, esp: 50, 'IPSEC-ESP': 50, ah: 51,
  'IPSEC-AH': 51, 'ipv6-icmp': 58, 'IPv6-ICMP': 58, ospf: 89, OSPFIGP: 89, ipip: 94, IPIP: 94,
  pim: 103, PIM: 103, vrrp: 112, VRRP: 112, sctp: 132, SCTP: 132,
}; // prettier-ignore

export function lookupProtocol(name: string): number | undefined {
  return PROTOCOLS[name];
}

/** Ethertype names libpcap knows for `ether proto \name`. */
const ETHERTYPES: Readonly<Record<string, number>> = {
  ip: 0x0800, ip6: 0x86dd, arp: 0x0806, rarp: 0x8035, atalk: 0x809b, aarp: 0x80f3,
  sca: 0x6007, lat: 0x6004, decnet: 0x6003, mopdl: 0x6001, moprc: 0x6002, loopback: 0x9000,
}; // prettier-ignore

export function lookupEthertype(name: string): number | undefined {
  return ETHERTYPES[name];
}

/** /etc/hosts: the only names that resolve without a resolver. */
export function lookupHost(
  name: string,
): { readonly v4: readonly number[]; readonly v6: readonly string[] } | undefined {
  if (name === 'localhost') return { v4: [0x7f000001], v6: ['::1'] };
  if (name === 'ip6-localhost' || name === 'ip6-loopback') return { v4: [], v6: ['::1'] };
  return undefined;
}

/** /etc/networks. */
export function lookupNetwork(name: string): number | undefined {
  // getnetbyname gives the number right-justified (169.254 → 0xa9fe); libpcap shifts it up.
  return name === 'link-local' ? 0xa9fe : undefined;
}
