import { describe, expect, it } from 'vitest';
import { formatIpv4 } from '../../net/ipv4';
import { lab } from '../../testing/lab';
import { parseResolvConf, searchNames, hostsSources, getaddrinfo, type GaiResult } from './resolve';
import { Process } from '../../linux/process';

describe('resolv.conf as res_init reads it', () => {
  it('has glibc defaults: 127.0.0.1, ndots 1, timeout 5, attempts 2, the domain of the hostname', () => {
    const c = parseResolvConf(undefined, 'node1.example.org');
    expect(c.nameservers.map(formatIpv4)).toEqual(['127.0.0.1']);
    expect(c).toMatchObject({ ndots: 1, timeout: 5, attempts: 2, search: ['example.org'] });
    expect(parseResolvConf('', 'node1').search).toEqual([]);
  });

  it('keeps three nameservers, the last search/domain line, and caps the options', () => {
    const c = parseResolvConf(
      'nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n' +
        'domain a.example\nsearch b.example c.example.\n' +
        '# comment\noptions ndots:20 timeout:0 attempts:9 rotate\n',
    );
    expect(c.nameservers.map(formatIpv4)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(c.search).toEqual(['b.example', 'c.example']);
    expect(c).toMatchObject({ ndots: 15, timeout: 1, attempts: 5 });
  });
});

describe('the search list (res_search)', () => {
  const k8s = parseResolvConf(
    'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
  );
  const names = (n: string, c = k8s) => searchNames(n, c).map((x) => x.name);

  it('fewer dots than ndots: the search list first, the name as given last', () => {
    expect(names('web')).toEqual([
      'web.default.svc.cluster.local',
      'web.svc.cluster.local',
      'web.cluster.local',
      'web',
    ]);
    // Four dots are still fewer than five: even the full name is searched first.
    expect(names('web.default.svc.cluster.local')[0]).toBe(
      'web.default.svc.cluster.local.default.svc.cluster.local',
    );
  });

  it('ndots or more: as given first; a trailing dot: only as given', () => {
    const one = parseResolvConf('search corp.example\nnameserver 10.0.0.1\n');
    expect(names('www.example.com', one)).toEqual([
      'www.example.com',
      'www.example.com.corp.example',
    ]);
    expect(names('web.default.svc.cluster.local.')).toEqual(['web.default.svc.cluster.local']);
  });
});

describe('getaddrinfo', () => {
  it('answers literals and /etc/hosts synchronously, and reads nsswitch.conf', () => {
    const l = lab();
    const host = l.sh().host;
    const proc = new Process(host, host.rootNs, ['t'], new Map(), '/');
    let r: GaiResult | undefined;
    getaddrinfo(proc, '10.1.2.3', {}, (x) => (r = x));
    expect(r).toEqual({ ok: true, addrs: [0x0a010203], canonical: '10.1.2.3' });
    host.fs.writeFile('/etc/hosts', '127.0.0.1\tlocalhost\n10.0.0.7\tdb db.local\n');
    r = undefined;
    getaddrinfo(proc, 'db.local', {}, (x) => (r = x));
    expect(r).toEqual({ ok: true, addrs: [0x0a000007], canonical: 'db' });
    expect(hostsSources(proc)).toEqual(['files', 'dns']);
    host.fs.writeFile('/etc/nsswitch.conf', 'passwd: files\nhosts:  dns files # mdns4\n');
    expect(hostsSources(proc)).toEqual(['dns', 'files']);
    proc.exit(0);
  });
});
