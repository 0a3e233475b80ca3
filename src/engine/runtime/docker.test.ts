import { describe, expect, it } from 'vitest';
import { lab } from '../testing/lab';
import { bootDocker, dockerOf } from './docker';
import { parseCidr } from '../net/ipv4';

/** controlplane (172.17.0.23) running Docker with docker0 at 172.18.0.1/24, and node01 (.24). */
function dockerLab(opts: { ipForward?: boolean } = {}) {
  const l = lab({
    hosts: [
      {
        name: 'controlplane',
        ipForward: opts.ipForward ?? true,
        nic: { network: 'lab', address: '172.17.0.23/24' },
      },
      { name: 'node01', nic: { network: 'lab', address: '172.17.0.24/24' } },
    ],
  });
  bootDocker(l.world.host('controlplane')!, { bip: parseCidr('172.18.0.1/24')! });
  return l;
}

const strip = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

// dockerd 20.10 (docker.io on Debian 12) with iptables 1.8.9 (nf_tables): the daemon's rules
// for the default bridge, then one container published with -p 8080:80.
const FILTER_AT_BOOT = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
`;

const NAT_PUBLISHED = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
`;

describe('dockerd at boot', () => {
  it('writes the 20.10 rules, and FORWARD DROP when it had to switch forwarding on', () => {
    const l = lab({ hosts: [{ name: 'h' }] });
    bootDocker(l.world.host('h')!);
    expect(strip(l.run('iptables-save -t filter').stdout)).toBe(FILTER_AT_BOOT);
    expect(l.run('sysctl net.ipv4.ip_forward').stdout).toBe('net.ipv4.ip_forward = 1\n');
    expect(l.run('sysctl net.bridge.bridge-nf-call-iptables').stdout).toBe(
      'net.bridge.bridge-nf-call-iptables = 1\n',
    );
    l.run('docker run -d --name web -p 8080:80 nginx');
    expect(strip(l.run('iptables-save -t nat').stdout)).toBe(NAT_PUBLISHED);
    expect(l.run('iptables -S DOCKER').stdout).toBe(
      '-N DOCKER\n-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n',
    );
    // Stopping the container takes its rules, its veth and its namespace away.
    l.run('docker stop web');
    expect(l.run('iptables -t nat -S DOCKER').stdout).toBe(
      '-N DOCKER\n-A DOCKER -i docker0 -j RETURN\n',
    );
    expect(l.run('iptables -S DOCKER').stdout).toBe('-N DOCKER\n');
    expect(l.run('ip link show master docker0').stdout).toBe('');
    expect(l.world.host('h')!.namespaces).toHaveLength(1);
  });

  it('leaves FORWARD at ACCEPT on a machine that already forwarded', () => {
    const l = dockerLab();
    expect(l.run('iptables -S FORWARD').stdout).toMatch(/^-P FORWARD ACCEPT\n/);
  });

  it('docker0 has no carrier until a container attaches', () => {
    const l = dockerLab();
    expect(l.run('ip link show docker0').stdout).toMatch(
      /^3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default \n {4}link\/ether 02:42:/,
    );
    l.run('docker run -d --name web nginx');
    expect(l.run('ip link show docker0').stdout).toContain(
      'docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
    );
  });
});

// What the kernel did (6.x, iptables 1.8.9 nf_tables), replayed in pl-d-* namespaces with the
// same addresses and rules: the container served by python3 -m http.server on port 80.
describe('DNAT to a container, as the kernel does it', () => {
  it('node01 reaches nginx through the host address once PREROUTING DNATs port 80', () => {
    const l = dockerLab();
    l.setup(['docker run -d --name web --rm nginx'], 'controlplane');
    // kernel: host -> container directly: 200.
    expect(l.run('curl -s 172.18.0.2', 'controlplane').exitCode).toBe(0);
    // kernel: before the rule, nothing listens on the host's port 80: curl exit 7.
    expect(l.run('curl -s 172.17.0.23', 'node01').exitCode).toBe(7);
    l.setup(
      ['iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 172.18.0.2:80'],
      'controlplane',
    );
    const r = l.run('curl -s 172.17.0.23', 'node01');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Welcome to nginx!');
    // kernel: tcp 6 119 TIME_WAIT src=172.17.0.24 dst=172.17.0.23 sport=39464 dport=80
    //         src=172.18.0.2 dst=172.17.0.24 sport=80 dport=39464 [ASSURED] mark=0 use=1
    expect(l.run('conntrack -L -p tcp --dport 80', 'controlplane').stdout).toMatch(
      /^tcp {6}6 1[0-2][0-9] TIME_WAIT src=172\.17\.0\.24 dst=172\.17\.0\.23 sport=(\d+) dport=80 src=172\.18\.0\.2 dst=172\.17\.0\.24 sport=80 dport=\1 \[ASSURED\] mark=0 use=1\n/m,
    );
    // kernel: the host's own connection to 172.17.0.23:80 meets nat OUTPUT, not PREROUTING: exit 7.
    expect(l.run('curl -s 172.17.0.23', 'controlplane').exitCode).toBe(7);
  });

  it('with FORWARD DROP the article rule alone is dropped in FORWARD; -p adds the ACCEPT', () => {
    const l = dockerLab({ ipForward: false });
    l.setup(
      [
        'docker run -d --name web --rm nginx',
        'iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80',
      ],
      'controlplane',
    );
    // kernel: curl -m 3 timed out (exit 28), FORWARD policy counters went up.
    const r = l.run('curl -s -m 3 172.17.0.23', 'node01');
    expect(r.exitCode).toBe(28);
    expect(l.run('iptables -L FORWARD -v -n', 'controlplane').stdout).toMatch(
      /^Chain FORWARD \(policy DROP [1-9]\d* packets/,
    );
    // kernel: with the published port's rules, the same path is accepted.
    l.setup(['docker run -d --name web2 -p 8080:80 nginx'], 'controlplane');
    expect(l.run('curl -s -m 3 172.17.0.23:8080', 'node01').exitCode).toBe(0);
  });

  it('the host reaching its own address on a published port is DNATed in OUTPUT, not masqueraded', () => {
    const l = dockerLab();
    l.setup(['docker run -d --name web -p 8080:80 nginx'], 'controlplane');
    expect(l.run('curl -s 172.17.0.23:8080', 'controlplane').exitCode).toBe(0);
    // kernel: src=172.17.0.23 dst=172.17.0.23 sport=47288 dport=8080
    //         src=172.18.0.2 dst=172.17.0.23 sport=80 dport=47288 [ASSURED]
    expect(l.run('conntrack -L -p tcp --dport 8080', 'controlplane').stdout).toMatch(
      /src=172\.17\.0\.23 dst=172\.17\.0\.23 sport=(\d+) dport=8080 src=172\.18\.0\.2 dst=172\.17\.0\.23 sport=80 dport=\1 \[ASSURED\]/,
    );
  });

  it('127.0.0.1 and the container itself are served by docker-proxy (no DNAT for them)', () => {
    const l = dockerLab();
    l.setup(['docker run -d --name web -p 8080:80 nginx'], 'controlplane');
    // kernel (without a proxy): both were refused, since OUTPUT skips 127/8 and PREROUTING
    // returns for docker0; dockerd's docker-proxy is what answers them on a Docker host.
    expect(l.run('curl -s 127.0.0.1:8080', 'controlplane').stdout).toContain('Welcome to nginx!');
    const docker = dockerOf(l.world.host('controlplane')!)!;
    expect(
      [...l.world.host('controlplane')!.processes.values()].some(
        (p) => p.comm === '/usr/bin/docker-proxy',
      ),
    ).toBe(true);
    docker.stop(docker.find('web')!);
    expect(l.run('curl -s 127.0.0.1:8080', 'controlplane').exitCode).toBe(7);
  });
});
