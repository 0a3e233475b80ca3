/**
 * A pod's containers run without CAP_NET_ADMIN, so they can look at their network but not
 * change it. The messages are what iproute2 6.1, iptables 1.8.9 (nf_tables) and conntrack 1.4.7
 * printed on kernel 6.18 for a root shell in a pl- namespace whose bounding set had lost
 * cap_net_admin (setpriv), with their exit codes; sysctl's with /proc/sys bound read-only too.
 */
import { describe, expect, it } from 'vitest';
import { Shell } from '../shell/session';
import type { ManifestData } from './objects';
import { testbed } from './testbed';

function bed() {
  const { world, cluster } = testbed({
    nodes: 2,
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'nt' },
        spec: {
          containers: [{ name: 'nt', image: 'nicolaka/netshoot', command: ['sleep', '3600'] }],
        },
      } as ManifestData,
    ],
  });
  const cp = new Shell(world, world.host('kind-control-plane')!);
  return { world, cluster, cp, exec: (cmd: string) => cp.run(`kubectl exec nt -- ${cmd}`) };
}

const denied = (text: string, code: number) => ({
  exitCode: code,
  stderr: `${text}\ncommand terminated with exit code ${code}\n`,
});

describe('an unprivileged container and its network', () => {
  it('may read its addresses and routes, and ping, but not change them', () => {
    const { exec, cluster } = bed();
    expect(exec('ip -br addr show eth0').exitCode).toBe(0);
    expect(exec('ip route').exitCode).toBe(0);
    expect(exec('ping -c 1 127.0.0.1').exitCode).toBe(0);
    const rtnl = 'RTNETLINK answers: Operation not permitted';
    for (const cmd of [
      'ip link set eth0 down',
      'ip addr add 10.9.9.9/32 dev eth0',
      'ip addr del 10.244.1.2/24 dev eth0',
      'ip route add 10.8.0.0/24 dev eth0',
      'ip neigh add 10.244.1.9 lladdr 00:11:22:33:44:55 dev eth0',
      'ip link add v0 type veth peer name v1',
    ])
      expect(exec(cmd)).toMatchObject(denied(rtnl, 2));
    // The names are looked up first (a dump is allowed): a missing device is said so.
    expect(exec('ip link set nosuch up')).toMatchObject(denied('Cannot find device "nosuch"', 1));
    expect(exec('ip route flush dev eth0')).toMatchObject(
      denied('Failed to send flush request: Operation not permitted', 2),
    );
    expect(exec('ip addr flush dev eth0')).toMatchObject(
      denied('Failed to send flush request: Operation not permitted', 255),
    );
    // Nothing changed.
    const pod = cluster.pods.get('default/nt')!;
    const eth0 = pod.sandbox!.ns.device('eth0')!;
    expect(eth0.adminUp).toBe(true);
    expect(eth0.addrs).toHaveLength(1);
  });

  it('gets nothing from iptables or conntrack but their version', () => {
    const { exec } = bed();
    const nft = (prog: string) =>
      denied(
        `${prog} v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)`,
        4,
      );
    expect(exec('iptables -S')).toMatchObject(nft('iptables'));
    expect(exec('iptables -t nat -L -n')).toMatchObject(nft('iptables'));
    expect(exec('iptables-save')).toMatchObject(nft('iptables-save'));
    expect(exec('iptables -V')).toMatchObject({
      exitCode: 0,
      stdout: 'iptables v1.8.9 (nf_tables)\n',
    });
    expect(exec('conntrack -L')).toMatchObject(
      denied(
        'conntrack v1.4.7 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this',
        1,
      ),
    );
  });

  it('finds /proc/sys read-only, as runc mounts it', () => {
    const { exec } = bed();
    expect(exec('sysctl net.ipv4.ip_forward')).toMatchObject({
      exitCode: 0,
      stdout: 'net.ipv4.ip_forward = 1\n',
    });
    expect(exec('sysctl -w net.ipv4.ip_forward=0')).toMatchObject(
      denied('sysctl: permission denied on key "net.ipv4.ip_forward"', 1),
    );
    expect(exec('sysctl net.ipv4.ip_forward').stdout).toBe('net.ipv4.ip_forward = 1\n');
  });

  it('leaves the node itself alone: root there changes what it likes', () => {
    const { world } = bed();
    const node = new Shell(world, world.host('kind-worker')!);
    expect(node.run('ip route add 10.8.0.0/24 dev eth0').exitCode).toBe(0);
    expect(node.run('iptables -S').exitCode).toBe(0);
  });
});
