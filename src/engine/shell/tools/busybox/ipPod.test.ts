/**
 * BusyBox's ip in the pods of BusyBox-based images (busybox, alpine, curlimages/curl), through
 * `kubectl exec`: the formats ip.test.ts holds to Debian's busybox 1.35.0 (what it printed in a
 * pl- namespace set up as a pod: 10.244.1.5/24 on eth0, default via 10.244.1.1, its peer on the
 * node side at another index), here with this pod's addresses, MAC and indexes; and the refusals
 * an unprivileged container gets. Nodes and nicolaka/netshoot keep iproute2.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestData } from '../../../k8s/objects';
import { testbed } from '../../../k8s/testbed';
import { Shell } from '../../session';

const pod = (name: string, image: string): ManifestData =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name, image, command: ['sleep', '3600'] }] },
  }) as ManifestData;

function bed() {
  const { world, cluster } = testbed({
    nodes: 2,
    objects: [
      pod('bb', 'busybox'),
      pod('al', 'alpine'),
      pod('cu', 'curlimages/curl'),
      pod('nt', 'nicolaka/netshoot'),
    ],
  });
  const cp = new Shell(world, world.host('kind-control-plane')!);
  // Past duplicate address detection for the pods' link-local addresses.
  cp.run('sleep 5');
  return {
    world,
    cluster,
    cp,
    exec: (pod: string, cmd: string) => cp.run(`kubectl exec ${pod} -- ${cmd}`),
  };
}

const denied = (text: string, code: number) => ({
  exitCode: code,
  stdout: '',
  stderr: `${text}\ncommand terminated with exit code ${code}\n`,
});

describe('ip in BusyBox-based images', () => {
  it("prints BusyBox's formats: no state, the node-side peer as @ifN with M-DOWN, src after two spaces", () => {
    const { exec } = bed();
    // The pod's eth0 is index 3; its peer is index 4 on the node, and nothing in the pod is.
    expect(exec('bb', 'ip addr')).toMatchObject({
      exitCode: 0,
      stdout: `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
    inet6 ::1/128 scope host 
       valid_lft forever preferred_lft forever
3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
    link/ether 0a:58:0a:f4:01:02 brd ff:ff:ff:ff:ff:ff
    inet 10.244.1.2/24 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 fe80::5870:f1ff:fe15:c58/64 scope link 
       valid_lft forever preferred_lft forever
`,
    });
    expect(exec('bb', 'ip route')).toMatchObject({
      exitCode: 0,
      stdout:
        'default via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 scope link  src 10.244.1.2 \n',
    });
    expect(exec('bb', 'ip route get 10.244.2.3')).toMatchObject({
      exitCode: 0,
      stdout: '10.244.2.3 via 10.244.1.1 dev eth0  src 10.244.1.2 \n',
    });
    expect(exec('al', 'ip link')).toMatchObject({
      exitCode: 0,
      stdout: `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
3: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue qlen 1000
    link/ether 0a:58:0a:f4:01:03 brd ff:ff:ff:ff:ff:ff
`,
    });
    expect(exec('cu', 'ip -o -4 addr')).toMatchObject({
      exitCode: 0,
      stdout: `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
3: eth0    inet 10.244.1.4/24 scope global eth0\\       valid_lft forever preferred_lft forever
`,
    });
    expect(exec('bb', 'ip addr show nosuch')).toMatchObject(
      denied("ip: can't find device 'nosuch'", 1),
    );
  });

  it('refuses every change as BusyBox reports it without CAP_NET_ADMIN, and changes nothing', () => {
    const { exec, cluster } = bed();
    const rtnl = 'ip: RTNETLINK answers: Operation not permitted';
    for (const cmd of [
      'ip addr add 10.9.9.9/32 dev eth0',
      'ip addr del 10.244.1.2/24 dev eth0',
      'ip route add 10.8.0.0/24 dev eth0',
      'ip route del default',
      'ip link add v0 type veth peer name v1',
      'ip link set eth0 master lo',
      'ip rule add table 100',
    ])
      expect(exec('bb', cmd), cmd).toMatchObject(denied(rtnl, 2));
    expect(exec('bb', 'ip link set eth0 down')).toMatchObject(
      denied('ip: SIOCSIFFLAGS: Operation not permitted', 2),
    );
    expect(exec('bb', 'ip link set eth0 mtu 1400')).toMatchObject(
      denied('ip: SIOCSIFMTU: Operation not permitted', 2),
    );
    const flush = "ip: can't send flush request: Operation not permitted";
    for (const cmd of ['ip addr flush dev eth0', 'ip route flush dev eth0'])
      expect(exec('bb', cmd), cmd).toMatchObject(denied(flush, 1));
    // The arguments are checked first; an up link set up needs no change at all.
    expect(exec('bb', 'ip link set nosuch up')).toMatchObject(
      denied('ip: SIOCGIFFLAGS: No such device', 2),
    );
    expect(exec('bb', 'ip addr add 10.9.9.9/32 dev nosuch')).toMatchObject(
      denied("ip: can't find device 'nosuch'", 1),
    );
    expect(exec('bb', 'ip neigh add 10.244.1.9 lladdr 00:11:22:33:44:55 dev eth0')).toMatchObject(
      denied("ip: invalid argument 'add' to 'ip'", 1),
    );
    expect(exec('bb', 'ip link set eth0 up')).toMatchObject({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    // /proc/sys is read-only in the container: the cache flush says so, and exits 0.
    expect(exec('bb', 'ip route flush cache')).toMatchObject({
      exitCode: 0,
      stdout: '',
      stderr: "ip: can't open '/proc/sys/net/ipv4/route/flush': Read-only file system\n",
    });
    const eth0 = cluster.pods.get('default/bb')!.sandbox!.ns.device('eth0')!;
    expect(eth0.adminUp).toBe(true);
    expect(eth0.mtu).toBe(1500);
    expect(eth0.addrs).toHaveLength(1);
  });

  it('leaves iproute2 to the nodes and to nicolaka/netshoot', () => {
    const { world, exec } = bed();
    const node = new Shell(world, world.host('kind-worker')!);
    expect(node.run('ip route').stdout).toContain(
      '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 \n',
    );
    expect(node.run('ip link show cni0').stdout).toMatch(
      /^\d+: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n/,
    );
    expect(exec('nt', 'ip addr show eth0')).toMatchObject({
      exitCode: 0,
      stdout: expect.stringMatching(
        /^3: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n {4}link\/ether \S+ brd ff:ff:ff:ff:ff:ff link-netnsid 0\n/,
      ),
    });
    expect(exec('nt', 'ip route').stdout).toContain(' proto kernel scope link src ');
    expect(exec('nt', 'ip link set eth0 down')).toMatchObject(
      denied('RTNETLINK answers: Operation not permitted', 2),
    );
  });
});
