/** tcpdump 4.99's DNS lines, as it printed them in the pl-dns- lab (-nn, -v and -vv). */
import { describe, expect, it } from 'vitest';
import { tcpdumpDns } from './print';
import {
  DNS_CLASS_IN,
  DNS_TYPE,
  type DnsFlags,
  type DnsMessage,
  type DnsRecord,
  EDNS_COOKIE,
  NO_FLAGS,
  encodeMessage,
  makeQuery,
  optRecord,
} from './message';

const NAME = 'web.default.svc.cluster.local';
const A: DnsRecord = {
  name: NAME,
  type: DNS_TYPE.A,
  class: DNS_CLASS_IN,
  ttl: 30,
  data: { kind: 'A', address: '10.53.0.1' },
};
const SOA: DnsRecord = {
  name: 'cluster.local',
  type: DNS_TYPE.SOA,
  class: DNS_CLASS_IN,
  ttl: 30,
  data: {
    kind: 'SOA',
    mname: 'ns.dns.cluster.local',
    rname: 'hostmaster.cluster.local',
    serial: 1700000000,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 30,
  },
};
const reply = (
  q: DnsMessage,
  r: Partial<DnsMessage>,
  flags: Partial<DnsFlags> = {},
): DnsMessage => ({
  ...q,
  flags: { ...q.flags, qr: true, aa: true, ad: false, ...flags },
  answers: r.answers ?? [],
  authority: r.authority ?? [],
  additional: r.additional ?? [],
});
const line = (m: DnsMessage, v: number, compress = false) =>
  tcpdumpDns(encodeMessage(m, { compress }), v);

describe('tcpdump DNS lines', () => {
  const cookie = [0x95, 0x16, 0x5e, 0xde, 0xa6, 0xf7, 0x5e, 0x0a];
  const dig: DnsMessage = {
    ...makeQuery(39762, NAME, DNS_TYPE.A, [optRecord(1232, [{ code: EDNS_COOKIE, data: cookie }])]),
    flags: { ...NO_FLAGS, rd: true, ad: true },
  };

  it("prints dig's query: [1au] always, the OPT record with -vv", () => {
    expect(line(dig, 1)).toBe(`39762+ [1au] A? ${NAME}. (70)`);
    expect(line(dig, 2)).toBe(
      `39762+ [1au] A? ${NAME}. ar: . OPT UDPsize=1232 [COOKIE 95165edea6f75e0a] (70)`,
    );
  });

  it('prints answers with their owner only from -v on, and -vv adds q:, ns: and ar:', () => {
    const r = reply(dig, { answers: [A], additional: [optRecord(1232)] });
    const noRa = { ...r, flags: { ...r.flags, ra: false } };
    expect(line(noRa, 0)).toBe('39762*- 1/0/1 A 10.53.0.1 (103)');
    expect(line(noRa, 1)).toBe(`39762*- 1/0/1 ${NAME}. A 10.53.0.1 (103)`);
    expect(line(noRa, 2)).toBe(
      `39762*- q: A? ${NAME}. 1/0/1 ${NAME}. A 10.53.0.1 ar: . OPT UDPsize=1232 (103)`,
    );
    const q6 = makeQuery(1281, NAME, DNS_TYPE.AAAA);
    const nodata = reply(q6, { authority: [SOA] });
    expect(line(nodata, 1)).toBe('1281*- 0/1/0 (140)');
    expect(line(nodata, 2)).toBe(
      `1281*- q: AAAA? ${NAME}. 0/1/0 ns: cluster.local. SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30 (140)`,
    );
    const nx = reply(
      makeQuery(5884, `nosuch.default.svc.cluster.local`, DNS_TYPE.A),
      { authority: [SOA] },
      { rcode: 3 },
    );
    expect(line(nx, 1)).toBe('5884 NXDomain*- 0/1/0 (143)');
  });

  it("prints dnsmasq's compressed answer with RA", () => {
    const q = makeQuery(27734, NAME, DNS_TYPE.A);
    const r = reply(q, { answers: [{ ...A, ttl: 0 }] }, { ra: true });
    expect(line(r, 0, true)).toBe('27734* 1/0/0 A 10.53.0.1 (63)');
    expect(line(r, 1, true)).toBe(`27734* 1/0/0 ${NAME}. A 10.53.0.1 (63)`);
    expect(line(q, 1)).toBe(`27734+ A? ${NAME}. (47)`);
  });

  it('is not DNS when the bytes do not decode', () => {
    expect(tcpdumpDns(Uint8Array.from([1, 2, 3]), 1)).toBeUndefined();
  });
});
