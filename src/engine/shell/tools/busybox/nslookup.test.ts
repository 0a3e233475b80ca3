/**
 * BusyBox nslookup, held to what Debian's busybox 1.35.0 printed in two pl- namespaces on kernel
 * 6.18: the client c (10.0.1.2/24, resolv.conf "search default.svc.cluster.local
 * svc.cluster.local cluster.local", "nameserver 10.0.1.10") and d (10.0.1.10/24) running a small
 * authoritative server in Python that logged every query. The server here answers the same way:
 * web.default.svc.cluster.local A 10.96.200.1 and no AAAA (authoritative, as everything under
 * cluster.local and in-addr.arpa), two.example with two addresses and nodata.example with none
 * (not authoritative), fail.test SERVFAIL once, NXDOMAIN for the rest.
 */
import { describe, expect, it } from 'vitest';
import { type DnsRecord, DNS_TYPE } from '../../../dns/message';
import { type DnsAnswer, type DnsZoneSource, startDnsServer } from '../../../dns/server';
import { lab, type Lab } from '../../../testing/lab';
import { runIn } from '../../../testing/runIn';
import { TOOLS } from '../index';
import { busyboxNslookup } from './nslookup';

const rr = (name: string, type: number, data: DnsRecord['data']): DnsRecord => ({
  name,
  type,
  class: 1,
  ttl: 30,
  data,
});

/** The Python server's answers, and its log of queries ("name type"). */
function zone(log: string[]): DnsZoneSource {
  let failed = false;
  return {
    answer(qname, qtype): DnsAnswer | undefined {
      const name = qname.replace(/\.$/, '').toLowerCase();
      log.push(`${name} ${qtype}`);
      const authoritative = name.endsWith('cluster.local') || name.endsWith('arpa');
      if (name === 'fail.test' && !failed) {
        failed = true;
        return undefined; // no upstream: SERVFAIL
      }
      if (name === 'web.default.svc.cluster.local')
        return {
          rcode: 'NOERROR',
          answers:
            qtype === DNS_TYPE.A
              ? [rr(name, DNS_TYPE.A, { kind: 'A', address: '10.96.200.1' })]
              : [],
          authoritative,
        };
      if (name === 'two.example')
        return {
          rcode: 'NOERROR',
          answers:
            qtype === DNS_TYPE.A
              ? ['192.0.2.1', '192.0.2.2'].map((a) =>
                  rr(name, DNS_TYPE.A, { kind: 'A', address: a }),
                )
              : [],
          authoritative,
        };
      if (name === '1.200.96.10.in-addr.arpa' && qtype === DNS_TYPE.PTR)
        return {
          rcode: 'NOERROR',
          answers: [
            rr(name, DNS_TYPE.PTR, { kind: 'PTR', target: 'web.default.svc.cluster.local' }),
          ],
          authoritative,
        };
      if (name === 'nodata.example' || name === 'fail.test')
        return { rcode: 'NOERROR', answers: [], authoritative };
      return { rcode: 'NXDOMAIN', answers: [], authoritative };
    },
  };
}

function setup(): { l: Lab; log: string[] } {
  const l = lab();
  l.setup([
    'ip netns add c',
    'ip netns add d',
    'ip link add vc netns c type veth peer name vd netns d',
    'ip -n c addr add 10.0.1.2/24 dev vc',
    'ip -n d addr add 10.0.1.10/24 dev vd',
    'ip -n c link set lo up',
    'ip -n d link set lo up',
    'ip -n c link set vc up',
    'ip -n d link set vd up',
    'mkdir -p /etc/netns/c',
  ]);
  const host = l.sh().host;
  host.fs.writeFile(
    '/etc/netns/c/resolv.conf',
    'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.0.1.10\noptions ndots:5\n',
  );
  const log: string[] = [];
  const server = startDnsServer(host, host.named.get('d')!, { source: zone(log) });
  if (typeof server === 'string') throw new Error(server);
  return { l, log };
}

const nslookup = (l: Lab, ...args: string[]) =>
  runIn(l, 'c', ['nslookup', ...args], (n) => (n === 'nslookup' ? busyboxNslookup : TOOLS[n]));

const HEADER = 'Server:\t\t10.0.1.10\nAddress:\t10.0.1.10:53\n\n';
const USAGE = `BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.

Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]

Query DNS about HOST

QUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any
`;

describe('busybox nslookup', () => {
  it('tries a dotless name under each search domain only, A then AAAA, printing replies as they come', () => {
    const { l, log } = setup();
    const r = nslookup(l, 'web');
    expect(r).toMatchObject({
      stdout:
        HEADER +
        'Name:\tweb.default.svc.cluster.local\nAddress: 10.96.200.1\n\n' +
        "** server can't find web.svc.cluster.local: NXDOMAIN\n\n" +
        "** server can't find web.cluster.local: NXDOMAIN\n\n" +
        '\n' +
        "** server can't find web.svc.cluster.local: NXDOMAIN\n\n" +
        "** server can't find web.cluster.local: NXDOMAIN\n\n",
      stderr: '',
      code: 1,
    });
    expect(log).toEqual([
      'web.default.svc.cluster.local 1',
      'web.svc.cluster.local 1',
      'web.cluster.local 1',
      'web.default.svc.cluster.local 28',
      'web.svc.cluster.local 28',
      'web.cluster.local 28',
    ]);
  });

  it('asks for a name with a dot as it is, and nothing else', () => {
    const { l, log } = setup();
    expect(nslookup(l, 'web.default')).toMatchObject({
      stdout:
        HEADER +
        "** server can't find web.default: NXDOMAIN\n\n" +
        "** server can't find web.default: NXDOMAIN\n\n",
      code: 1,
    });
    expect(log).toEqual(['web.default 1', 'web.default 28']);
    expect(nslookup(l, 'web.default.svc.cluster.local')).toMatchObject({
      stdout: `${HEADER}Name:\tweb.default.svc.cluster.local\nAddress: 10.96.200.1\n\n\n`,
      code: 0,
    });
  });

  it('marks answers that are not authoritative, empty ones too', () => {
    const { l } = setup();
    expect(nslookup(l, 'two.example')).toMatchObject({
      stdout: `${HEADER}Non-authoritative answer:\nName:\ttwo.example\nAddress: 192.0.2.1\nName:\ttwo.example\nAddress: 192.0.2.2\n\nNon-authoritative answer:\n\n`,
      code: 0,
    });
    expect(nslookup(l, 'nodata.example')).toMatchObject({
      stdout: `${HEADER}Non-authoritative answer:\n\nNon-authoritative answer:\n\n`,
      code: 0,
    });
  });

  it('turns an address into one PTR query', () => {
    const { l, log } = setup();
    expect(nslookup(l, '10.96.200.1')).toMatchObject({
      stdout: `${HEADER}1.200.96.10.in-addr.arpa\tname = web.default.svc.cluster.local\n\n`,
      code: 0,
    });
    expect(nslookup(l, '10.96.200.2')).toMatchObject({
      stdout: `${HEADER}** server can't find 2.200.96.10.in-addr.arpa: NXDOMAIN\n\n`,
      code: 1,
    });
    expect(log).toEqual(['1.200.96.10.in-addr.arpa 12', '2.200.96.10.in-addr.arpa 12']);
  });

  it('sends a query that got SERVFAIL again at once', () => {
    const { l, log } = setup();
    expect(nslookup(l, 'fail.test')).toMatchObject({
      stdout: `${HEADER}Non-authoritative answer:\n\nNon-authoritative answer:\n\n`,
      code: 0,
    });
    expect(log).toEqual(['fail.test 1', 'fail.test 28', 'fail.test 1']);
  });

  it('gives up after 5 s (a resend at 2.5 s); -timeout and -retry change both', () => {
    const { l } = setup();
    // 10.0.1.99 never answers ARP: the ICMP host unreachable is not a socket error.
    const none = ';; connection timed out; no servers could be reached\n\n';
    for (const [args, took] of [
      [['web', '10.0.1.99'], 5],
      [['-timeout=1', 'web', '10.0.1.99'], 1],
      [['-retry=1', '-t=2', 'web', '10.0.1.99'], 2],
    ] as const) {
      const r = nslookup(l, ...args);
      expect(r).toMatchObject({ stdout: none, stderr: '', code: 1 });
      expect(r.took).toBeCloseTo(took, 1);
    }
  });

  it('with a server on the command line, reads no resolv.conf: no search list', () => {
    const { l, log } = setup();
    expect(nslookup(l, 'web', '10.0.1.10')).toMatchObject({
      stdout:
        HEADER + "** server can't find web: NXDOMAIN\n\n** server can't find web: NXDOMAIN\n\n",
      code: 1,
    });
    expect(log).toEqual(['web 1', 'web 28']);
  });

  it('-type picks the queries (still through the search list); -debug times and labels them', () => {
    const { l, log } = setup();
    expect(nslookup(l, '-type=a', 'web').stdout).toBe(
      HEADER +
        'Name:\tweb.default.svc.cluster.local\nAddress: 10.96.200.1\n\n' +
        "** server can't find web.svc.cluster.local: NXDOMAIN\n\n" +
        "** server can't find web.cluster.local: NXDOMAIN\n\n",
    );
    expect(nslookup(l, '-q=a', 'web').code).toBe(1);
    expect(nslookup(l, '-type=AAAA', 'web.default.svc.cluster.local')).toMatchObject({
      stdout: `${HEADER}\n`,
      code: 0,
    });
    log.length = 0;
    nslookup(l, '-type=mx', 'web');
    expect(log).toEqual([
      'web.default.svc.cluster.local 15',
      'web.svc.cluster.local 15',
      'web.cluster.local 15',
    ]);
    expect(nslookup(l, '-debug', 'web.default.svc.cluster.local').stdout).toMatch(
      /^Server:\t\t10\.0\.1\.10\nAddress:\t10\.0\.1\.10:53\n\nQuery #0 completed in \d+ms:\nauthoritative answer:\nName:\tweb\.default\.svc\.cluster\.local\nAddress: 10\.96\.200\.1\n\nQuery #1 completed in \d+ms:\nauthoritative answer:\n\n$/,
    );
  });

  it("rejects bad arguments and unreachable servers with BusyBox's own words", () => {
    const { l } = setup();
    const err = (...args: string[]) => nslookup(l, ...args);
    expect(err()).toMatchObject({ stdout: '', stderr: USAGE, code: 1 });
    expect(err('a', 'b', 'c')).toMatchObject({ stderr: USAGE, code: 1 });
    expect(err('-zz', 'web')).toMatchObject({ stderr: USAGE, code: 1 });
    expect(err('--help')).toMatchObject({ stderr: USAGE, code: 0 });
    expect(err('-type=bogus', 'web')).toMatchObject({
      stderr: 'nslookup: invalid query type "bogus"\n',
      code: 1,
    });
    expect(err('-type', 'web').stderr).toBe('nslookup: invalid query type ""\n');
    expect(err('-t', 'web').stderr).toBe("nslookup: invalid number ''\n");
    expect(err('-port=0', 'web').stderr).toBe('nslookup: number 0 is not in 1..65535 range\n');
    expect(err('-po=x', 'web').stderr).toBe("nslookup: invalid number 'x'\n");
    expect(err('web', 'nosuch.host')).toMatchObject({
      stderr: "nslookup: bad address 'nosuch.host'\n",
      code: 1,
    });
    expect(err('web', '10.9.9.9')).toMatchObject({
      stdout: '',
      stderr: "nslookup: can't connect to remote host (10.9.9.9): Network is unreachable\n",
      code: 1,
    });
  });
});
