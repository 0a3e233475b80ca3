/** A parsed pcap filter: what a compiled BPF program tests, as a tree the evaluator walks. */

/** Which address a primitive looks at: `src`, `dst`, `src or dst` (the default), `src and dst`. */
export type Dir = 'src' | 'dst' | 'or' | 'and';

/** Protocol layers a `proto[offset]` load can address. */
export type Layer =
  'link' | 'ip' | 'arp' | 'rarp' | 'ip6' | 'icmp6' | 'tcp' | 'udp' | 'sctp' | IpProtoLayer;
export type IpProtoLayer = 'icmp' | 'igmp' | 'igrp' | 'pim' | 'vrrp' | 'carp' | 'ah' | 'esp';

export type Arith =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'load'; readonly layer: Layer; readonly offset: Arith; readonly size: 1 | 2 | 4 }
  | { readonly t: 'len' }
  | { readonly t: 'neg'; readonly a: Arith }
  | { readonly t: 'bin'; readonly op: ArithOp; readonly a: Arith; readonly b: Arith };

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';
export type RelOp = '>' | '>=' | '=' | '!=' | '<' | '<=';

export type FilterNode =
  | { readonly t: 'true' }
  | { readonly t: 'and' | 'or'; readonly a: FilterNode; readonly b: FilterNode }
  | { readonly t: 'not'; readonly a: FilterNode }
  /** The frame's ethertype (0x0800 IPv4, 0x0806 ARP, 0x8035 RARP, 0x86dd IPv6, …). */
  | { readonly t: 'ethertype'; readonly type: number }
  /** The IP protocol (IPv4 protocol field and/or IPv6 next header). */
  | { readonly t: 'ipproto'; readonly v4: boolean; readonly v6: boolean; readonly proto: number }
  /** An IPv4 address (ARP and RARP: sender/target protocol address) under a mask. */
  | {
      readonly t: 'host';
      readonly family: 'ip' | 'arp' | 'rarp';
      readonly dir: Dir;
      readonly addr: number;
      readonly mask: number;
    }
  /** An IPv6 address: never true here, the model carries no IPv6. */
  | { readonly t: 'host6'; readonly dir: Dir; readonly addr: string }
  /** TCP/UDP/SCTP ports in [lo, hi]; `protos` empty means any of the three. */
  | {
      readonly t: 'port';
      readonly protos: readonly number[];
      readonly dir: Dir;
      readonly lo: number;
      readonly hi: number;
    }
  | { readonly t: 'ether'; readonly dir: Dir; readonly mac: string }
  | { readonly t: 'rel'; readonly op: RelOp; readonly a: Arith; readonly b: Arith };
