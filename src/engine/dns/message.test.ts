import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DNS_CLASS_IN,
  DNS_TYPE,
  DnsDecodeError,
  type DnsMessage,
  type DnsRdata,
  type DnsRecord,
  EDNS_COOKIE,
  decodeMessage,
  encodeMessage,
  makeQuery,
  optRecord,
  tryDecodeMessage,
} from './message';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((h) => parseInt(h, 16)),
  );
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// Captured on Debian 12 (glibc 2.36 asking dnsmasq 2.90 for curl http://web/ with the Kubernetes
// resolv.conf): the UDP payloads of the A query and its answer, and dig 9.18's query with EDNS.
const GLIBC_A_QUERY =
  '6c56 0100 0001 0000 0000 0000 0377 6562 0764 6566 6175 6c74 0373 7663 0763 6c75 7374 6572 056c 6f63 616c 0000 0100 01';
const DNSMASQ_A_ANSWER =
  '6c56 8580 0001 0001 0000 0000 0377 6562 0764 6566 6175 6c74 0373 7663 0763 6c75 7374 6572 056c 6f63 616c 0000 0100 01c0 0c00 0100 0100 0000 0000 040a 3500 01';
const DIG_QUERY =
  '1e38 0120 0001 0000 0000 0001 0377 6562 0764 6566 6175 6c74 0373 7663 0763 6c75 7374 6572 056c 6f63 616c 0000 0100 0100 0029 04d0 0000 0000 000c 000a 0008 c771 3c45 f195 7622';

describe('DNS wire format', () => {
  it("encodes glibc's A query byte for byte", () => {
    const q = makeQuery(0x6c56, 'web.default.svc.cluster.local', DNS_TYPE.A);
    expect(toHex(encodeMessage(q))).toBe(toHex(hex(GLIBC_A_QUERY)));
  });

  it("decodes dnsmasq's compressed answer and re-encodes it identically", () => {
    const m = decodeMessage(hex(DNSMASQ_A_ANSWER));
    expect(m.id).toBe(0x6c56);
    expect(m.flags).toMatchObject({ qr: true, aa: true, rd: true, ra: true, rcode: 0 });
    expect(m.answers).toEqual([
      {
        name: 'web.default.svc.cluster.local',
        type: DNS_TYPE.A,
        class: DNS_CLASS_IN,
        ttl: 0,
        data: { kind: 'A', address: '10.53.0.1' },
      },
    ]);
    expect(toHex(encodeMessage(m))).toBe(toHex(hex(DNSMASQ_A_ANSWER)));
    // Uncompressed, as CoreDNS (miekg/dns) sends small UDP replies: the owner name in full
    // (31 bytes) instead of a two-byte pointer.
    expect(encodeMessage(m, { compress: false }).length).toBe(hex(DNSMASQ_A_ANSWER).length + 29);
  });

  it("encodes dig's query with its EDNS cookie, AD and RD set", () => {
    const cookie = [0xc7, 0x71, 0x3c, 0x45, 0xf1, 0x95, 0x76, 0x22];
    const q0 = makeQuery(0x1e38, 'web.default.svc.cluster.local', DNS_TYPE.A, [
      optRecord(1232, [{ code: EDNS_COOKIE, data: cookie }]),
    ]);
    const q: DnsMessage = { ...q0, flags: { ...q0.flags, ad: true } };
    expect(toHex(encodeMessage(q))).toBe(toHex(hex(DIG_QUERY)));
    expect(decodeMessage(hex(DIG_QUERY))).toEqual(q);
  });

  it('reports malformed input with a typed error', () => {
    expect(tryDecodeMessage(hex('1234'))).toBeInstanceOf(DnsDecodeError);
    // A pointer to itself.
    const loop = hex('0000 0000 0001 0000 0000 0000 c00c 0001 0001');
    const e = tryDecodeMessage(loop);
    expect(e).toBeInstanceOf(DnsDecodeError);
    expect((e as DnsDecodeError).reason).toBe('compression pointer loops forward');
  });

  it('writes odd label bytes with master-file escapes and reads them back', () => {
    const m = makeQuery(1, 'a\\.b.c\\\\d.\\000x', DNS_TYPE.TXT);
    expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });
});

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);
const name = fc.array(label, { minLength: 0, maxLength: 5 }).map((ls) => ls.join('.'));
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc
  .tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 255 })))
  .map((b) => b.join('.'));
const ipv6 = fc.array(u16, { minLength: 8, maxLength: 8 }).map((g) => {
  // Canonical RFC 5952 text, as the decoder produces it.
  const b = g.flatMap((x) => [x >>> 8, x & 0xff]);
  const m = decodeMessage(
    encodeMessage({
      ...makeQuery(0, '', 1),
      questions: [],
      answers: [
        { name: '', type: DNS_TYPE.AAAA, class: 1, ttl: 0, data: { kind: 'raw', bytes: b } },
      ],
    }),
  );
  return (m.answers[0]!.data as { address: string }).address;
});
const rdata: fc.Arbitrary<[number, DnsRdata]> = fc.oneof(
  ipv4.map((address): [number, DnsRdata] => [DNS_TYPE.A, { kind: 'A', address }]),
  ipv6.map((address): [number, DnsRdata] => [DNS_TYPE.AAAA, { kind: 'AAAA', address }]),
  name.map((target): [number, DnsRdata] => [DNS_TYPE.CNAME, { kind: 'CNAME', target }]),
  name.map((target): [number, DnsRdata] => [DNS_TYPE.PTR, { kind: 'PTR', target }]),
  name.map((target): [number, DnsRdata] => [DNS_TYPE.NS, { kind: 'NS', target }]),
  fc
    .tuple(u16, u16, u16, name)
    .map(([priority, weight, port, target]): [number, DnsRdata] => [
      DNS_TYPE.SRV,
      { kind: 'SRV', priority, weight, port, target },
    ]),
  fc
    .tuple(name, name, u32, u32, u32, u32, u32)
    .map(([mname, rname, serial, refresh, retry, expire, minimum]): [number, DnsRdata] => [
      DNS_TYPE.SOA,
      { kind: 'SOA', mname, rname, serial, refresh, retry, expire, minimum },
    ]),
  fc
    .array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 })
    .map((bytes): [number, DnsRdata] => [99, { kind: 'raw', bytes }]),
);
const record: fc.Arbitrary<DnsRecord> = fc
  .tuple(name, rdata, u32)
  .map(([n, [type, data], ttl]) => ({ name: n, type, class: DNS_CLASS_IN, ttl, data }));
const message: fc.Arbitrary<DnsMessage> = fc.record({
  id: u16,
  flags: fc.record({
    qr: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    z: fc.boolean(),
    ad: fc.boolean(),
    cd: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
  }),
  questions: fc.array(fc.record({ name, type: u16, class: fc.constant(DNS_CLASS_IN) }), {
    maxLength: 2,
  }),
  answers: fc.array(record, { maxLength: 4 }),
  authority: fc.array(record, { maxLength: 2 }),
  additional: fc.array(record, { maxLength: 2 }),
});

describe('DNS wire format properties', () => {
  it('decode(encode(m)) == m, however names are compressed', () => {
    fc.assert(
      fc.property(message, fc.constantFrom(true, false, 'whole-names' as const), (m, compress) => {
        expect(decodeMessage(encodeMessage(m, { compress }))).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('compression never makes a message longer', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(encodeMessage(m).length).toBeLessThanOrEqual(
          encodeMessage(m, { compress: false }).length,
        );
      }),
    );
  });

  it('the decoder throws nothing but DnsDecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const r = tryDecodeMessage(b);
        if (!(r instanceof DnsDecodeError))
          expect(r.id).toBe(b.length >= 2 ? (b[0]! << 8) | b[1]! : -1);
      }),
      { numRuns: 2000 },
    );
  });

  it('... nor on mutations of a real answer', () => {
    const base = hex(DNSMASQ_A_ANSWER);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        fc.nat(base.length),
        (edits, cut) => {
          const b = base.slice(0, cut);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          tryDecodeMessage(b);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
