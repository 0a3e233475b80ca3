/**
 * tcpdump 4.99's one-line DNS summary (print-domain.c, ns_print): a query as
 * `id[op][+][%] [Nau] TYPE? name. (len)`, a response as
 * `id[op][ rcode][*][-][|][$] [Nq] an/ns/ar rr, rr (len)`, where each answer shows its owner name
 * only with -v. SOA data is shown only with -v, as tcpdump does; -vv adds the question to
 * responses and the authority (ns:) and additional (ar:) sections, OPT as
 * `. OPT UDPsize=1232 [COOKIE hex]` (checked with tcpdump 4.99 against dig and CoreDNS-shaped
 * replies).
 */
import { DNS_CLASS_IN, type DnsRecord, fqdn, tryDecodeMessage, typeName } from './message';

const OPCODES = [
  '',
  ' inv_q',
  ' stat',
  ' op3',
  ' notify',
  ' update',
  ' op6',
  ' op7',
  ' op8',
  ' updateA',
  ' updateD',
  ' updateDA',
  ' updateM',
  ' updateMA',
  ' zoneInit',
  ' zoneRef',
];

const RCODES = [
  '',
  ' FormErr',
  ' ServFail',
  ' NXDomain',
  ' NotImp',
  ' Refused',
  ' YXDomain',
  ' YXRRSet',
  ' NXRRSet',
  ' NotAuth',
  ' NotZone',
  ' Resp11',
  ' Resp12',
  ' Resp13',
  ' Resp14',
  ' NoChange',
];

/** tcpdump's type names where they differ from the mnemonic (ns_type2str): unknown is Type<n>. */
function tdType(t: number): string {
  const n = typeName(t);
  return n.startsWith('TYPE') ? `Type${t}` : n;
}

const EDNS_OPTION_NAMES: Record<number, string> = {
  3: 'NSID',
  8: 'ECS',
  9: 'EXPIRE',
  10: 'COOKIE',
  11: 'KEEPALIVE',
  12: 'PADDING',
};

function rr(r: DnsRecord, verbose: number): string {
  if (r.data.kind === 'OPT') {
    // ns_rprint for T_OPT: the root name, the requester's payload size, then the options.
    let s = ` ${fqdn(r.name)} OPT UDPsize=${r.class}`;
    if (r.ttl & 0x8000) s += ' DO';
    for (const o of r.data.options) {
      const hex = o.data.map((b) => b.toString(16).padStart(2, '0')).join('');
      s += ` [${EDNS_OPTION_NAMES[o.code] ?? `Opt${o.code}`}${hex ? ` ${hex}` : ''}]`;
    }
    return s;
  }
  let s = verbose > 0 ? ` ${fqdn(r.name)}` : '';
  s += ` ${tdType(r.type)}`;
  if (r.class !== DNS_CLASS_IN && r.type !== 41) s += ` (Class ${r.class})`;
  const d = r.data;
  switch (d.kind) {
    case 'A':
    case 'AAAA':
      return `${s} ${d.address}`;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return `${s} ${fqdn(d.target)}`;
    case 'SRV':
      return `${s} ${fqdn(d.target)}:${d.port} ${d.priority} ${d.weight}`;
    case 'SOA':
      if (verbose === 0) return s;
      return `${s} ${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    default:
      return s;
  }
}

/** The text after "a.p > b.q: " for a DNS datagram on port 53; undefined when it is not DNS. */
export function tcpdumpDns(bytes: Uint8Array, verbose: number): string | undefined {
  const m = tryDecodeMessage(bytes);
  if (m instanceof Error) return undefined;
  const f = m.flags;
  let s = `${m.id}${OPCODES[f.opcode]}`;
  if (f.qr) {
    s += `${RCODES[f.rcode]}${f.aa ? '*' : ''}${f.ra ? '' : '-'}${f.tc ? '|' : ''}${f.ad ? '$' : ''}`;
    if (m.questions.length !== 1) s += ` [${m.questions.length}q]`;
    // -vv: the question too, and after the answers the authority and additional sections.
    if (verbose > 1)
      s += m.questions
        .map(
          (q) =>
            ` q: ${tdType(q.type)}?${q.class !== DNS_CLASS_IN ? ` (Class ${q.class})` : ''} ${fqdn(q.name)}`,
        )
        .join(',');
    s += ` ${m.answers.length}/${m.authority.length}/${m.additional.length}`;
    s += m.answers.map((r) => rr(r, verbose)).join(',');
    s += moreSections(m.authority, m.additional, verbose);
  } else {
    s += `${f.rd ? '+' : ''}${f.cd ? '%' : ''}`;
    if (m.questions.length !== 1) s += ` [${m.questions.length}q]`;
    if (m.answers.length) s += ` [${m.answers.length}a]`;
    if (m.authority.length) s += ` [${m.authority.length}n]`;
    if (m.additional.length) s += ` [${m.additional.length}au]`;
    const q = m.questions[0];
    if (q) {
      s += ` ${tdType(q.type)}?`;
      if (q.class !== DNS_CLASS_IN) s += ` (Class ${q.class})`;
      s += ` ${fqdn(q.name)}`;
    }
    s += moreSections(m.authority, m.additional, verbose);
  }
  return `${s} (${bytes.length})`;
}

function moreSections(ns: readonly DnsRecord[], ar: readonly DnsRecord[], verbose: number): string {
  if (verbose < 2) return '';
  let s = '';
  if (ns.length) s += ` ns:${ns.map((r) => rr(r, verbose)).join(',')}`;
  if (ar.length) s += ` ar:${ar.map((r) => rr(r, verbose)).join(',')}`;
  return s;
}
