/**
 * Evaluates a parsed filter against a packet, seen through a Probe: a concrete frame, or (for
 * the "expression rejects all packets" check) a made-up packet of which only the class and the
 * compared fields are fixed.
 */
import type { Arith, Dir, FilterNode, Layer, RelOp } from './filterAst';

export type NetClass = 'ip' | 'ip6' | 'arp' | 'rarp' | 'other';

/** A BPF load beyond the packet: the program returns 0, so the frame is dropped outright. */
export class OutOfBounds extends Error {}

/** What a filter can ask of a packet. */
export interface Probe {
  readonly ethertype: number;
  readonly net: NetClass;
  /** IPv4 protocol / IPv6 next header. */
  readonly proto: number | undefined;
  readonly ethSrc: string;
  readonly ethDst: string;
  /** IPv4 source and destination, or ARP/RARP sender and target protocol addresses. */
  readonly src: number | undefined;
  readonly dst: number | undefined;
  readonly sport: number | undefined;
  readonly dport: number | undefined;
  /** Masked address tests (a made-up packet leaves these open). */
  inNet(field: 'src' | 'dst', addr: number, mask: number): boolean;
  portInRange(field: 'sport' | 'dport', lo: number, hi: number): boolean;
  host6(field: 'src' | 'dst', addr: string): boolean;
  relation(node: Extract<FilterNode, { t: 'rel' }>): boolean;
}

export function evaluate(node: FilterNode, p: Probe): boolean {
  switch (node.t) {
    case 'true':
      return true;
    case 'and':
      return evaluate(node.a, p) && evaluate(node.b, p);
    case 'or':
      return evaluate(node.a, p) || evaluate(node.b, p);
    case 'not':
      return !evaluate(node.a, p);
    case 'ethertype':
      return p.ethertype === node.type;
    case 'ipproto':
      return (
        ((node.v4 && p.net === 'ip') || (node.v6 && p.net === 'ip6')) && p.proto === node.proto
      );
    case 'host':
      return (
        p.net === node.family && byDir(node.dir, (f) => addressMatches(p, f, node.addr, node.mask))
      );
    case 'host6':
      return p.net === 'ip6' && byDir(node.dir, (f) => p.host6(f, node.addr));
    case 'port':
      return portMatches(p, node);
    case 'ether':
      return byDir(node.dir, (f) => (f === 'src' ? p.ethSrc : p.ethDst) === node.mac);
    case 'rel':
      return p.relation(node);
  }
}

function byDir(dir: Dir, test: (field: 'src' | 'dst') => boolean): boolean {
  switch (dir) {
    case 'src':
      return test('src');
    case 'dst':
      return test('dst');
    case 'or':
      return test('src') || test('dst');
    case 'and':
      return test('src') && test('dst');
  }
}

function addressMatches(p: Probe, field: 'src' | 'dst', addr: number, mask: number): boolean {
  if (mask === 0xffffffff) return p[field] === addr;
  return p.inNet(field, addr, mask);
}

const TRANSPORTS = [6, 17, 132];

function portMatches(p: Probe, node: Extract<FilterNode, { t: 'port' }>): boolean {
  if (p.net !== 'ip' && p.net !== 'ip6') return false;
  const protos = node.protos.length === 0 ? TRANSPORTS : node.protos;
  if (p.proto === undefined || !protos.includes(p.proto)) return false;
  return byDir(node.dir, (f) => {
    const field = f === 'src' ? 'sport' : 'dport';
    if (node.lo === node.hi) return p[field] === node.lo;
    return p.portInRange(field, node.lo, node.hi);
  });
}

/** What a load of `layer` requires of the packet (gencode.c ANDs it into the relation). */
export function layerApplies(layer: Layer, net: NetClass, proto: number | undefined): boolean {
  switch (layer) {
    case 'link':
      return true;
    case 'ip':
    case 'arp':
    case 'rarp':
    case 'ip6':
      return net === layer;
    case 'icmp6':
      return net === 'ip6' && proto === 58;
    default:
      return net === 'ip' && proto === LAYER_PROTOCOLS[layer];
  }
}

const LAYER_PROTOCOLS: Readonly<Record<string, number>> = {
  tcp: 6, udp: 17, sctp: 132, icmp: 1, igmp: 2, igrp: 9, pim: 103, vrrp: 112, carp: 112, ah: 51, esp: 50,
}; // prettier-ignore

export function loadsIn(a: Arith): Extract<Arith, { t: 'load' }>[] {
  switch (a.t) {
    case 'load':
      return [a, ...loadsIn(a.offset)];
    case 'neg':
      return loadsIn(a.a);
    case 'bin':
      return [...loadsIn(a.a), ...loadsIn(a.b)];
    default:
      return [];
  }
}

export function usesLength(a: Arith): boolean {
  switch (a.t) {
    case 'len':
      return true;
    case 'load':
      return usesLength(a.offset);
    case 'neg':
      return usesLength(a.a);
    case 'bin':
      return usesLength(a.a) || usesLength(a.b);
    default:
      return false;
  }
}

/** Unsigned 32-bit arithmetic as the BPF machine does it; `load` reads packet bytes. */
export function computeArith(
  a: Arith,
  load: (layer: Layer, offset: number, size: number) => number,
  len: number,
): number {
  const rec = (x: Arith): number => computeArith(x, load, len);
  switch (a.t) {
    case 'num':
      return a.v >>> 0;
    case 'len':
      return len >>> 0;
    case 'load':
      return load(a.layer, rec(a.offset), a.size);
    case 'neg':
      return -rec(a.a) >>> 0;
    case 'bin':
      return binary(a.op, rec(a.a), rec(a.b));
  }
}

function binary(op: Extract<Arith, { t: 'bin' }>['op'], x: number, y: number): number {
  switch (op) {
    case '+':
      return (x + y) >>> 0;
    case '-':
      return (x - y) >>> 0;
    case '*':
      return Math.imul(x, y) >>> 0;
    case '/':
      if (y === 0) throw new OutOfBounds();
      return Math.floor(x / y) >>> 0;
    case '%':
      if (y === 0) throw new OutOfBounds();
      return (x % y) >>> 0;
    case '&':
      return (x & y) >>> 0;
    case '|':
      return (x | y) >>> 0;
    case '^':
      return (x ^ y) >>> 0;
    case '<<':
      return y > 31 ? 0 : (x << y) >>> 0;
    case '>>':
      return y > 31 ? 0 : x >>> y;
  }
}

/** BPF compares unsigned. */
export function compare(op: RelOp, x: number, y: number): boolean {
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}
