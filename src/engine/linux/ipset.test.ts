/**
 * ip sets and the iptables set match, against what ipset v7.17 and iptables 1.8.9 (nf_tables)
 * printed on kernel 6.18 (Debian 12) in pl-np- namespaces joined by a veth pair, with
 * python3 -m http.server on 10.77.0.2:80 and curl 7.88.1 from 10.77.0.1. The initval of each set
 * is random there (and from the world's rng here), so headers are compared without it; the kernel
 * lists a hash in hash order, the model in insertion order.
 */
import { describe, expect, it } from 'vitest';
import { VETH_PAIR, lab } from '../testing/lab';

const X = 'ip netns exec a ';
const noInitval = (s: string) => s.replace(/initval 0x[0-9a-f]{8}/g, 'initval 0xI');

function run(l: ReturnType<typeof lab>, line: string) {
  const r = l.run(X + line);
  return { code: r.exitCode, out: r.stdout, err: r.stderr };
}

describe('ipset commands', () => {
  it('creates, adds, tests, deletes and lists hash:ip as 7.17 does', () => {
    const l = lab();
    l.setup(['ip netns add a']);
    expect(run(l, 'ipset version')).toEqual({
      code: 0,
      out: 'ipset v7.17, protocol version: 7\n',
      err: '',
    });
    expect(run(l, 'ipset create foo hash:ip').code).toBe(0);
    expect(run(l, 'ipset create foo hash:ip')).toEqual({
      code: 1,
      out: '',
      err: 'ipset v7.17: Set cannot be created: set with the same name already exists\n',
    });
    expect(run(l, 'ipset create -exist foo hash:ip').code).toBe(0);
    expect(run(l, 'ipset add foo 10.0.0.1').code).toBe(0);
    expect(run(l, 'ipset add foo 10.0.0.1')).toEqual({
      code: 1,
      out: '',
      err: "ipset v7.17: Element cannot be added to the set: it's already added\n",
    });
    expect(run(l, 'ipset add -exist foo 10.0.0.1').code).toBe(0);
    expect(run(l, 'ipset add foo 10.0.0.300').err).toBe(
      'ipset v7.17: Syntax error: cannot parse 10.0.0.300: resolving to IPv4 address failed\n',
    );
    // A CIDR adds address by address and stops at the first one already there.
    expect(run(l, 'ipset add foo 10.0.0.0/30').err).toBe(
      "ipset v7.17: Element cannot be added to the set: it's already added\n",
    );
    expect(run(l, 'ipset test foo 10.0.0.1')).toEqual({
      code: 0,
      out: '',
      err: 'Warning: 10.0.0.1 is in set foo.\n',
    });
    expect(run(l, 'ipset test foo 10.0.0.9')).toEqual({
      code: 1,
      out: '',
      err: '10.0.0.9 is NOT in set foo.\n',
    });
    expect(run(l, 'ipset del foo 10.0.0.2').err).toBe(
      "ipset v7.17: Element cannot be deleted from the set: it's not added\n",
    );
    expect(noInitval(run(l, 'ipset list foo').out)).toBe(
      'Name: foo\nType: hash:ip\nRevision: 6\n' +
        'Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xI\n' +
        'Size in memory: 296\nReferences: 0\nNumber of entries: 2\nMembers:\n10.0.0.1\n10.0.0.0\n',
    );
  });

  it('keeps hash:net prefixes with timeout and nomatch; the most specific prefix decides', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      `${X}ipset create bar hash:net timeout 0`,
      `${X}ipset add bar 10.1.0.0/16 timeout 0`,
      `${X}ipset add bar 10.1.2.0/24 timeout 0 nomatch`,
      `${X}ipset add bar 10.2.3.4`,
    ]);
    expect(run(l, 'ipset test bar 10.1.5.5').err).toBe('Warning: 10.1.5.5 is in set bar.\n');
    expect(run(l, 'ipset test bar 10.1.2.5')).toEqual({
      code: 1,
      out: '',
      err: '10.1.2.5 is NOT in set bar.\n',
    });
    expect(noInitval(run(l, 'ipset list bar').out)).toBe(
      'Name: bar\nType: hash:net\nRevision: 7\n' +
        'Header: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xI\n' +
        'Size in memory: 648\nReferences: 0\nNumber of entries: 3\nMembers:\n' +
        '10.1.0.0/16 timeout 0\n10.1.2.0/24 timeout 0 nomatch\n10.2.3.4 timeout 0\n',
    );
    expect(noInitval(run(l, 'ipset save').out)).toBe(
      'create bar hash:net family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xI\n' +
        'add bar 10.1.0.0/16 timeout 0\nadd bar 10.1.2.0/24 timeout 0 nomatch\nadd bar 10.2.3.4 timeout 0\n',
    );
    expect(run(l, 'ipset create n hash:net').code).toBe(0);
    expect(run(l, 'ipset add n 10.0.0.0/33').err).toBe(
      "ipset v7.17: Syntax error: '33' is out of range 0-32\n",
    );
    expect(run(l, 'ipset add n 10.0.0.0/0').err).toBe(
      'ipset v7.17: The value of the CIDR parameter of the IP address is invalid\n',
    );
    expect(run(l, 'ipset add n 10.0.0.5/24').code).toBe(0);
    expect(run(l, 'ipset list n').out).toContain(
      'Size in memory: 504\nReferences: 0\nNumber of entries: 1\nMembers:\n10.0.0.0/24\n',
    );
    expect(run(l, 'ipset list -n').out).toBe('bar\nn\n');
    expect(run(l, 'ipset del n 10.0.0.0/24').code).toBe(0);
    expect(run(l, 'ipset test n 10.0.0.0/24').err).toBe('10.0.0.0/24 is NOT in set n.\n');
  });

  it('stores hash:ip,port with the protocol, tcp by default', () => {
    const l = lab();
    l.setup(['ip netns add a', `${X}ipset create ipp hash:ip,port`]);
    expect(run(l, 'ipset add ipp 10.0.0.1,tcp:80').code).toBe(0);
    expect(run(l, 'ipset add ipp 10.0.0.1,80').err).toBe(
      "ipset v7.17: Element cannot be added to the set: it's already added\n",
    );
    expect(run(l, 'ipset add ipp 10.0.0.2,udp:53').code).toBe(0);
    expect(run(l, 'ipset list ipp').out).toContain(
      'Size in memory: 312\nReferences: 0\nNumber of entries: 2\nMembers:\n10.0.0.1,tcp:80\n10.0.0.2,udp:53\n',
    );
    expect(run(l, 'ipset add ipp 1.2.3.4').err).toBe(
      'ipset v7.17: Syntax error: Second element is missing from 1.2.3.4.\n',
    );
    expect(run(l, 'ipset add ipp 1.2.3.4,foo:80').err).toBe(
      "ipset v7.17: Syntax error: cannot parse 'foo' as a protocol\n",
    );
    expect(run(l, 'ipset add ipp 1.2.3.4,tcp:99999').err).toBe(
      "ipset v7.17: Syntax error: '99999' is out of range 0-65535\nSyntax error: 'tcp' is invalid as number\ncannot parse '99999' as a tcp port\n",
    );
  });

  it('reports usage and lookup errors with their exit codes', () => {
    const l = lab();
    l.setup(['ip netns add a', `${X}ipset create foo hash:ip`, `${X}ipset create b hash:ip`]);
    const usage = (msg: string) => ({
      code: 2,
      out: '',
      err: `ipset v7.17: ${msg}\nTry \`ipset help' for more information.\n`,
    });
    expect(run(l, 'ipset')).toEqual(usage('No command specified.'));
    expect(run(l, 'ipset frob')).toEqual(usage('No command specified: unknown argument frob'));
    expect(run(l, 'ipset create')).toEqual(usage('Missing mandatory argument to command create'));
    expect(run(l, 'ipset add foo')).toEqual(
      usage('Missing second mandatory argument to command add'),
    );
    expect(run(l, 'ipset add foo 1.2.3.4 bogus')).toEqual(usage("Unknown argument: `bogus'"));
    expect(run(l, 'ipset add foo 1.2.3.4 nomatch')).toEqual(usage("Unknown argument: `nomatch'"));
    const missing = 'ipset v7.17: The set with the given name does not exist\n';
    for (const c of ['list nosuch', 'add nosuch 1.2.3.4', 'destroy nosuch', 'flush nosuch'])
      expect(run(l, `ipset ${c}`)).toEqual({ code: 1, out: '', err: missing });
    expect(run(l, 'ipset -exist destroy nosuch').code).toBe(0);
    expect(run(l, 'ipset create baz hash:foo').err).toBe(
      "ipset v7.17: Syntax error: typename 'hash:foo' is unknown\n",
    );
    expect(run(l, 'ipset add foo 1.2.3.4 timeout 5').err).toBe(
      'ipset v7.17: Timeout cannot be used: set was created without timeout support\n',
    );
    expect(run(l, 'ipset add foo 1.2.3.4,80').err).toBe(
      'ipset v7.17: Syntax error: Elem separator in 1.2.3.4,80, but settype hash:ip supports none.\n',
    );
    expect(run(l, 'ipset rename foo b').err).toBe(
      'ipset v7.17: Set cannot be renamed: a set with the new name already exists\n',
    );
    expect(run(l, 'ipset swap foo nosuch').err).toBe(
      'ipset v7.17: Sets cannot be swapped: the second set does not exist\n',
    );
    expect(run(l, 'ipset create n hash:net').code).toBe(0);
    expect(run(l, 'ipset swap foo n').err).toBe(
      'ipset v7.17: The sets cannot be swapped: their type does not match\n',
    );
    expect(run(l, 'ipset create n hash:ip -exist').err).toBe(
      'ipset v7.17: Set cannot be created: set with the same name already exists\n',
    );
    expect(run(l, 'ipset -h').out).toMatch(/^ipset v7\.17\n\nUsage: ipset \[options\] COMMAND\n/);
  });

  it('swaps contents and headers, keeps names; -t lists headers only', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      `${X}ipset create foo hash:ip`,
      `${X}ipset create tm hash:ip timeout 0`,
      `${X}ipset add tm 10.9.9.9 timeout 0`,
      `${X}ipset swap foo tm`,
    ]);
    expect(noInitval(run(l, 'ipset list foo').out)).toBe(
      'Name: foo\nType: hash:ip\nRevision: 6\n' +
        'Header: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xI\n' +
        'Size in memory: 280\nReferences: 0\nNumber of entries: 1\nMembers:\n10.9.9.9 timeout 0\n',
    );
    expect(run(l, 'ipset flush foo').code).toBe(0);
    expect(noInitval(run(l, 'ipset -t list foo').out)).toBe(
      'Name: foo\nType: hash:ip\nRevision: 6\n' +
        'Header: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xI\n' +
        'Size in memory: 216\nReferences: 0\nNumber of entries: 0\n',
    );
  });

  it('restores line by line: what came before a failure stays, the failing batch is lost', () => {
    const l = lab();
    l.setup(['ip netns add a']);
    l.sh().host.fs.writeFile(
      '/tmp/t1',
      'create t1 hash:ip timeout 0\nadd t1 1.1.1.1 timeout 0\nadd t1 1.1.1.1 timeout 0\n',
    );
    expect(run(l, 'ipset restore -f /tmp/t1')).toEqual({
      code: 1,
      out: '',
      err: "ipset v7.17: Error in line 3: Element cannot be added to the set: it's already added\n",
    });
    expect(run(l, 'ipset list -n').out).toBe('t1\n');
    l.sh().host.fs.writeFile(
      '/tmp/t2',
      'create t2 hash:ip timeout 0\nadd t2 1.1.1.1 timeout 0\nadd t2 1.1.1.1 timeout 0\nbogus\n',
    );
    expect(run(l, 'ipset restore -exist -f /tmp/t2')).toEqual({
      code: 2,
      out: '',
      err: "ipset v7.17: No command specified: unknown argument bogus\nTry `ipset help' for more information.\n",
    });
    expect(run(l, 'ipset list t2').out).toContain('Number of entries: 0\nMembers:\n');
    // kube-router's pattern: fill a temporary set, swap it in, throw it away.
    l.sh().host.fs.writeFile(
      '/tmp/t3',
      'create TMP-X hash:ip timeout 0\nflush TMP-X\nadd TMP-X 2.2.2.2 timeout 0\ncreate KUBE-DST-X hash:ip timeout 0\nswap TMP-X KUBE-DST-X\nflush TMP-X\ndestroy TMP-X\n',
    );
    expect(run(l, 'ipset restore -exist -f /tmp/t3').code).toBe(0);
    expect(noInitval(run(l, 'ipset save KUBE-DST-X').out)).toBe(
      'create KUBE-DST-X hash:ip family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xI\nadd KUBE-DST-X 2.2.2.2 timeout 0\n',
    );
  });
});

describe('the iptables set match', () => {
  it('needs the set, counts as a reference, and prints as iptables 1.8.9 does', () => {
    const l = lab();
    l.setup([
      'ip netns add a',
      `${X}ipset create bar hash:net timeout 0`,
      `${X}ipset create ipp hash:ip,port`,
    ]);
    expect(run(l, 'iptables -A INPUT -m set --match-set nosuch src -j DROP')).toEqual({
      code: 2,
      out: '',
      err: "iptables v1.8.9 (nf_tables): Set nosuch doesn't exist.\n\nTry `iptables -h' or 'iptables --help' for more information.\n",
    });
    const usage = (msg: string) =>
      `iptables v1.8.9 (nf_tables): ${msg}\nTry \`iptables -h' or 'iptables --help' for more information.\n`;
    expect(run(l, 'iptables -A INPUT -m set --match-set bar foo -j DROP')).toEqual({
      code: 2,
      out: '',
      err: usage("You must spefify (the comma separated list of) 'src' or 'dst'."),
    });
    expect(run(l, 'iptables -A INPUT -m set --match-set bar -j DROP').err).toBe(
      usage('--match-set requires two args.'),
    );
    expect(run(l, 'iptables -C INPUT -m set --match-set bar src -j DROP')).toEqual({
      code: 1,
      out: '',
      err: 'iptables: Bad rule (does a matching rule exist in that chain?).\n',
    });
    l.sh().host.fs.writeFile(
      '/tmp/r',
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set nosuch src -j DROP\nCOMMIT\n',
    );
    expect(run(l, 'iptables-restore /tmp/r')).toEqual({
      code: 2,
      out: '',
      err: "iptables-restore v1.8.9 (nf_tables): Set nosuch doesn't exist.\n\nError occurred at line: 3\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
    });
    l.setup([
      `${X}iptables -A INPUT -m set --match-set bar src -j ACCEPT`,
      `${X}iptables -A INPUT -m set ! --match-set bar src,dst -j DROP`,
      `${X}iptables -A INPUT -m set --match-set ipp dst,dst -j ACCEPT`,
      `${X}iptables -A INPUT -m comment --comment "pod's \\"x\\"" -j ACCEPT`,
      `${X}iptables -A INPUT -p sctp -m multiport --dports 30000:32767 -j RETURN`,
      `${X}iptables -A INPUT -m mark ! --mark 0x10000/0x10000 -j NFLOG --nflog-group 100 -m limit --limit 10/minute --limit-burst 10`,
      `${X}iptables -A INPUT -m physdev --physdev-is-bridged -j ACCEPT`,
      `${X}iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT`,
      `${X}iptables -A INPUT -j MARK --set-mark 0/0x10000`,
    ]);
    expect(run(l, 'iptables -S').out).toBe(
      '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n' +
        '-A INPUT -m set --match-set bar src -j ACCEPT\n' +
        '-A INPUT -m set ! --match-set bar src,dst -j DROP\n' +
        '-A INPUT -m set --match-set ipp dst,dst -j ACCEPT\n' +
        '-A INPUT -m comment --comment "pod\\\'s \\"x\\"" -j ACCEPT\n' +
        '-A INPUT -p sctp -m multiport --dports 30000:32767 -j RETURN\n' +
        '-A INPUT -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100\n' +
        '-A INPUT -m physdev --physdev-is-bridged -j ACCEPT\n' +
        '-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT\n' +
        '-A INPUT -j MARK --set-xmark 0x0/0x10000\n',
    );
    expect(run(l, 'iptables -L INPUT -n -v').out).toBe(
      'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n' +
        ' pkts bytes target     prot opt in     out     source               destination         \n' +
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            match-set bar src\n' +
        '    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! match-set bar src,dst\n' +
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            match-set ipp dst,dst\n' +
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* pod\'s "x" */\n' +
        '    0     0 RETURN     132  --  *      *       0.0.0.0/0            0.0.0.0/0            multiport dports 30000:32767\n' +
        '    0     0 NFLOG      0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x10000/0x10000 limit: avg 10/min burst 10 nflog-group 100\n' +
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PHYSDEV match --physdev-is-bridged\n' +
        '    0     0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8\n' +
        '    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xfffeffff\n',
    );
    expect(run(l, 'ipset list bar').out).toContain('References: 2\n');
    expect(run(l, 'ipset destroy bar')).toEqual({
      code: 1,
      out: '',
      err: 'ipset v7.17: Set cannot be destroyed: it is in use by a kernel component\n',
    });
    expect(run(l, 'ipset rename bar baz').err).toBe(
      'ipset v7.17: Set cannot be renamed: it is in use by another system\n',
    );
    expect(run(l, 'iptables -F').code).toBe(0);
    expect(run(l, 'ipset destroy bar').code).toBe(0);
    expect(run(l, 'ipset destroy').code).toBe(0);
    expect(run(l, 'ipset list').out).toBe('');
  });

  it('lets traffic through by source net, not for a nomatch entry, and by ip,port dst,dst', () => {
    const l = lab();
    l.setup([
      ...VETH_PAIR,
      'ip netns exec b python3 -m http.server 80 &',
      'ip netns exec b ipset create allow hash:net timeout 0',
      'ip netns exec b iptables -A INPUT -p tcp -m set --match-set allow src -m tcp --dport 80 -j ACCEPT',
      'ip netns exec b iptables -A INPUT -p tcp --dport 80 -j REJECT',
    ]);
    const curl = () => l.run('ip netns exec a curl -sS -o /dev/null http://10.0.0.12/');
    const refused =
      "curl: (7) Failed to connect to 10.0.0.12 port 80 after 0 ms: Couldn't connect to server\n";
    let r = curl();
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([7, '', refused]);
    l.setup(['ip netns exec b ipset add allow 10.0.0.0/24 timeout 0']);
    r = curl();
    expect([r.exitCode, r.stdout]).toEqual([0, '']);
    l.setup(['ip netns exec b ipset add allow 10.0.0.11 timeout 0 nomatch']);
    r = curl();
    expect([r.exitCode, r.stderr]).toEqual([7, refused]);
    expect(l.run('ip netns exec b ipset list allow').stdout).toContain(
      'Size in memory: 584\nReferences: 1\nNumber of entries: 2\n',
    );
    l.setup([
      'ip netns exec b iptables -F',
      'ip netns exec b ipset create pp hash:ip,port',
      'ip netns exec b ipset add pp 10.0.0.12,tcp:80',
      'ip netns exec b iptables -A INPUT -p tcp -m set ! --match-set pp dst,dst -j DROP',
    ]);
    r = curl();
    expect([r.exitCode, r.stdout]).toEqual([0, '']);
    l.setup(['ip netns exec b ipset del pp 10.0.0.12,tcp:80']);
    r = l.run('ip netns exec a curl -m 2 -sS -o /dev/null http://10.0.0.12/');
    // The lab printed 2009 ms (scheduling); the simulation's timer fires at 2001.
    expect(r.exitCode).toBe(28);
    expect(r.stderr).toMatch(/^curl: \(28\) Connection timed out after 200\d milliseconds\n$/);
  });
});
