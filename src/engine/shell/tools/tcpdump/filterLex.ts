/**
 * The tokens of a pcap filter expression, as libpcap 1.10's scanner.l cuts them: the longest
 * match wins and, on a tie, the rule listed first (keywords, then MAC addresses, numbers, dotted
 * addresses, IPv6 addresses, names). Lexical errors ride on a token and are reported when the
 * parser reaches it, as bison only lexes one token ahead.
 */

export type Token =
  | { readonly k: 'kw'; readonly v: string }
  | { readonly k: 'op'; readonly v: string }
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'hid'; readonly v: string }
  | { readonly k: 'hid6'; readonly v: string }
  | { readonly k: 'eid'; readonly v: string }
  | { readonly k: 'id'; readonly v: string }
  | { readonly k: 'error'; readonly v: string }
  | { readonly k: 'eof' };

/** Words scanner.l turns into keywords (aliases folded to one spelling). */
const KEYWORDS: Readonly<Record<string, string>> = {
  dst: 'dst', src: 'src',
  link: 'link', ether: 'link', ppp: 'link', slip: 'link', fddi: 'link', tr: 'link', wlan: 'link',
  arp: 'arp', rarp: 'rarp', ip: 'ip', sctp: 'sctp', tcp: 'tcp', udp: 'udp', icmp: 'icmp',
  igmp: 'igmp', igrp: 'igrp', pim: 'pim', vrrp: 'vrrp', carp: 'carp', radio: 'radio',
  ip6: 'ip6', icmp6: 'icmp6', ah: 'ah', esp: 'esp',
  atalk: 'atalk', aarp: 'aarp', decnet: 'decnet', lat: 'lat', sca: 'sca', moprc: 'moprc',
  mopdl: 'mopdl', iso: 'iso', esis: 'esis', 'es-is': 'esis', isis: 'isis', 'is-is': 'isis',
  l1: 'l1', l2: 'l2', iih: 'iih', lsp: 'lsp', snp: 'snp', csnp: 'csnp', psnp: 'psnp',
  clnp: 'clnp', stp: 'stp', ipx: 'ipx', netbeui: 'netbeui',
  host: 'host', net: 'net', mask: 'mask', port: 'port', portrange: 'portrange', proto: 'proto',
  protochain: 'protochain', gateway: 'gateway',
  type: 'type', subtype: 'subtype', direction: 'dir', dir: 'dir',
  address1: 'addr1', addr1: 'addr1', address2: 'addr2', addr2: 'addr2',
  address3: 'addr3', addr3: 'addr3', address4: 'addr4', addr4: 'addr4', ra: 'ra', ta: 'ta',
  less: 'less', greater: 'greater', byte: 'byte', broadcast: 'broadcast', multicast: 'multicast',
  and: 'and', or: 'or', not: 'not', len: 'len', length: 'len',
  inbound: 'inbound', outbound: 'outbound', ifindex: 'ifindex', vlan: 'vlan', mpls: 'mpls',
  pppoed: 'pppoed', pppoes: 'pppoes', geneve: 'geneve',
  lane: 'lane', llc: 'llc', metac: 'metac', bcc: 'bcc', oam: 'oam', oamf4: 'oamf4',
  oamf4ec: 'oamf4ec', oamf4sc: 'oamf4sc', sc: 'sc', ilmic: 'ilmic', vpi: 'vpi', vci: 'vci',
  connectmsg: 'connectmsg', metaconnect: 'metaconnect',
  on: 'ifname', ifname: 'ifname', rset: 'rset', ruleset: 'rset', rnr: 'rnr', rulenum: 'rnr',
  srnr: 'srnr', subrulenum: 'srnr', reason: 'reason', action: 'action',
  fisu: 'fisu', lssu: 'lssu', lsu: 'lssu', msu: 'msu', hfisu: 'hfisu', hlssu: 'hlssu',
  hmsu: 'hmsu', sio: 'sio', opc: 'opc', dpc: 'dpc', sls: 'sls', hsio: 'hsio', hopc: 'hopc',
  hdpc: 'hdpc', hsls: 'hsls',
}; // prettier-ignore

/** Names scanner.l turns into numbers: header offsets and field values. */
const NAMED_NUMBERS: Readonly<Record<string, number>> = {
  icmptype: 0, icmpcode: 1, 'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4,
  'icmp-redirect': 5, 'icmp-echo': 8, 'icmp-routeradvert': 9, 'icmp-routersolicit': 10,
  'icmp-timxceed': 11, 'icmp-paramprob': 12, 'icmp-tstamp': 13, 'icmp-tstampreply': 14,
  'icmp-ireq': 15, 'icmp-ireqreply': 16, 'icmp-maskreq': 17, 'icmp-maskreply': 18,
  icmp6type: 0, icmp6code: 1, 'icmp6-echo': 128, 'icmp6-echoreply': 129,
  'icmp6-destinationunreach': 1, 'icmp6-packettoobig': 2, 'icmp6-timeexceeded': 3,
  'icmp6-parameterproblem': 4, 'icmp6-neighborsolicit': 135, 'icmp6-neighboradvert': 136,
  'icmp6-routersolicit': 133, 'icmp6-routeradvert': 134, 'icmp6-redirect': 137,
  tcpflags: 13, 'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08,
  'tcp-ack': 0x10, 'tcp-urg': 0x20, 'tcp-ece': 0x40, 'tcp-cwr': 0x80,
}; // prettier-ignore

const TWO_CHAR_OPS = ['&&', '||', '>=', '<=', '!=', '==', '<<', '>>'];
const ONE_CHAR_OPS = '+-*/%:[]!<>()&|^=';

const N = '(?:0[xX][0-9A-Fa-f]+|[0-9]+)';
const B = '[0-9A-Fa-f][0-9A-Fa-f]?';
const B2 = '[0-9A-Fa-f]{4}';
/** Candidate rules in scanner.l order (after keywords, which win any tie with a name). */
const RULES: readonly { readonly kind: 'eid' | 'num' | 'hid' | 'hid6' | 'bogus' | 'id'; readonly re: RegExp }[] = [
  { kind: 'eid', re: new RegExp(`(?:${B}:${B}:${B}:${B}:${B}:${B}|${B}-${B}-${B}-${B}-${B}-${B}|${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}|${B2}\\.${B2}\\.${B2}|${B2}${B2}${B2})`, 'y') },
  { kind: 'num', re: new RegExp(N, 'y') },
  { kind: 'hid', re: new RegExp(`${N}\\.${N}(?:\\.${N}(?:\\.${N})?)?`, 'y') },
  { kind: 'hid6', re: /[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}/y },
  { kind: 'bogus', re: new RegExp(`${B}:+(?:${B}:+)+`, 'y') },
  { kind: 'id', re: /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y },
]; // prettier-ignore

export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/[ \r\n\t]/.test(text[i]!)) {
      i++;
      continue;
    }
    const [token, len] = nextToken(text, i);
    tokens.push(token);
    i += len;
  }
  tokens.push({ k: 'eof' });
  return tokens;
}

function nextToken(text: string, i: number): [Token, number] {
  const two = text.slice(i, i + 2);
  const best = longestRule(text, i);
  if (TWO_CHAR_OPS.includes(two) && best.len <= 2) return [operator(two), 2];
  if (best.len === 0) {
    const c = text[i]!;
    if (ONE_CHAR_OPS.includes(c)) return [operator(c), 1];
    if (c === '\\') return escapedName(text, i);
    return [{ k: 'error', v: 'syntax' }, 1];
  }
  return [best.token, best.len];
}

function operator(op: string): Token {
  if (op === '&&') return { k: 'kw', v: 'and' };
  if (op === '||') return { k: 'kw', v: 'or' };
  if (op === '!') return { k: 'kw', v: 'not' };
  return { k: 'op', v: op === '==' ? '=' : op };
}

/** "\name": a name that would otherwise be a keyword (e.g. `ip proto \tcp`). */
function escapedName(text: string, i: number): [Token, number] {
  const m = /[^ !()\n\t]+/y;
  m.lastIndex = i + 1;
  const found = m.exec(text);
  if (found === null) return [{ k: 'error', v: 'syntax' }, 1];
  return [{ k: 'id', v: found[0] }, found[0].length + 1];
}

function longestRule(text: string, i: number): { token: Token; len: number } {
  let best: { token: Token; len: number } = { token: { k: 'eof' }, len: 0 };
  for (const rule of RULES) {
    rule.re.lastIndex = i;
    const m = rule.re.exec(text);
    if (m === null || m[0].length <= best.len) continue;
    const token = ruleToken(rule.kind, m[0]);
    if (token !== undefined) best = { token, len: m[0].length };
  }
  return best;
}

function ruleToken(kind: (typeof RULES)[number]['kind'], s: string): Token | undefined {
  switch (kind) {
    case 'eid':
      return { k: 'eid', v: s };
    case 'num':
      return numberToken(s);
    case 'hid':
      return { k: 'hid', v: s };
    case 'hid6':
      return ipv6Token(s);
    case 'bogus':
      return { k: 'error', v: `bogus ethernet address ${s}` };
    case 'id':
      return nameToken(s);
  }
}

function nameToken(s: string): Token {
  const kw = KEYWORDS[s];
  if (kw !== undefined) return { k: 'kw', v: kw };
  const n = NAMED_NUMBERS[s];
  if (n !== undefined) return { k: 'num', v: n };
  return { k: 'id', v: s };
}

/** scanner.l's stou: 0x hex, leading-zero octal, else decimal; 32 bits at most. */
function numberToken(s: string): Token {
  let value: bigint;
  if (/^0[xX]/.test(s)) value = BigInt(s);
  else if (s.length > 1 && s.startsWith('0')) {
    if (/[89]/.test(s)) return { k: 'error', v: `number ${s} contains non-octal digit` };
    value = BigInt(`0o${s.slice(1)}`);
  } else value = BigInt(s);
  if (value > 0xffffffffn) return { k: 'error', v: `number ${s} overflows 32 bits` };
  return { k: 'num', v: Number(value) };
}

/** Only shapes an IPv6 address can have count (8 groups, or fewer with one "::"). */
function ipv6Token(s: string): Token | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (groups.some((g) => g === '')) return undefined;
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return undefined;
  return { k: 'hid6', v: s };
}
