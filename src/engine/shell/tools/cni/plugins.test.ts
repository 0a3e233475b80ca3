import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lab } from '../../../testing/lab';
import { GoError, goUnmarshalText, parseGoJson } from './gojson';
import { binaryContent, bridgeMain, cniChainName, hostLocalMain, type PluginIo } from './plugins';
import { sha512Hex } from './sha512';

const CONF = `{
"cniVersion": "0.2.0",
"name": "demo_br",
"type": "bridge",
"bridge": "cni_net0",
"isGateway": true,
"ipMasq": true,
"ipam": {
"type": "host-local",
"subnet": "10.0.10.0/24",
"routes": [
{ "dst": "0.0.0.0/0" },
{ "dst": "1.1.1.1/32", "gw":"10.0.10.1"}
]
}
}
`;

const RESULT = `{
    "ip4": {
        "ip": "10.0.10.2/24",
        "gateway": "10.0.10.1",
        "routes": [
            {
                "dst": "0.0.0.0/0"
            },
            {
                "dst": "1.1.1.1/32",
                "gw": "10.0.10.1"
            }
        ]
    },
    "dns": {}
}`;

function cniLab(conf = CONF) {
  const l = lab();
  const fs = l.world.host('h')!.fs;
  fs.mkdirp('/root/cni');
  fs.writeFile('/root/cni/bridge', binaryContent('cni-bridge@v0.4.0'));
  fs.writeFile('/root/cni/host-local', binaryContent('cni-host-local@v0.4.0'));
  fs.writeFile('/tmp/00-demo.conf', conf);
  l.setup(['cd /root/cni', 'ip netns add pause_demo']);
  return l;
}

const env = (cmd: string, id = 'pause_demo', ns = `/var/run/netns/${id}`) =>
  `CNI_CONTAINERID=${id} CNI_IFNAME=eth10 CNI_COMMAND=${cmd} CNI_NETNS=${ns} CNI_PATH=\`pwd\``;
const ADD = `${env('ADD')} ./bridge </tmp/00-demo.conf`;
const DEL = `${env('DEL')} ./bridge </tmp/00-demo.conf`;
const CHAIN = 'CNI-14bb1d0447711a662b7021e7';

describe('the CNI bridge plugin (v0.4.0) as the article runs it', () => {
  it('ADD prints the 0.2.0 result, after host-local logs the missing last_reserved_ip', () => {
    const l = cniLab();
    const r = l.run(ADD);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(RESULT);
    expect(r.stderr).toBe(
      '2024/01/15 10:00:00 Error retriving last reserved ip: Failed to retrieve last reserved ip: open /var/lib/cni/networks/demo_br/last_reserved_ip: no such file or directory\n',
    );
    // The log line comes first: host-local runs before the bridge prints.
    expect(r.output[0]!.stream).toBe('stderr');
  });

  it('ADD configures the container end: address, the two routes, MAC 0a:58 + IP', () => {
    const l = cniLab();
    l.run(ADD);
    const addr = l.run('ip netns exec pause_demo ip addr show eth10').stdout;
    expect(addr).toContain('link/ether 0a:58:0a:00:0a:02');
    expect(addr).toContain('inet 10.0.10.2/24 scope global eth10');
    expect(l.run('ip netns exec pause_demo ip route').stdout).toBe(
      'default via 10.0.10.1 dev eth10 \n1.1.1.1 via 10.0.10.1 dev eth10 \n10.0.10.0/24 dev eth10 proto kernel scope link src 10.0.10.2 \n',
    );
  });

  it('ADD creates cni_net0 with the gateway address, 0a:58:0a:00:0a:01, a vethXXXXXXXX port and ip_forward', () => {
    const l = cniLab();
    l.run(ADD);
    const br = l.run('ip addr show cni_net0').stdout;
    expect(br).toContain('link/ether 0a:58:0a:00:0a:01');
    expect(br).toContain('inet 10.0.10.1/24 scope global cni_net0');
    expect(l.run('ip link show master cni_net0').stdout).toMatch(
      /veth[0-9a-f]{8}@if\d+: .* master cni_net0/,
    );
    expect(l.run('sysctl net.ipv4.ip_forward').stdout).toBe('net.ipv4.ip_forward = 1\n');
  });

  it('ipMasq installs the CNI-… chain with the name/id comment', () => {
    const l = cniLab();
    l.run(ADD);
    const c = '-m comment --comment "name: \\"demo_br\\" id: \\"pause_demo\\""';
    expect(l.run('iptables -t nat -S').stdout).toContain(
      [
        `-N ${CHAIN}`,
        `-A POSTROUTING -s 10.0.10.0/24 ${c} -j ${CHAIN}`,
        `-A ${CHAIN} -d 10.0.10.0/24 ${c} -j ACCEPT`,
        `-A ${CHAIN} ! -d 224.0.0.0/4 ${c} -j MASQUERADE`,
      ].join('\n'),
    );
  });

  it('host-local keeps one file per address and last_reserved_ip; a second ADD takes .3 quietly', () => {
    const l = cniLab();
    l.run(ADD);
    expect(l.run('cat /var/lib/cni/networks/demo_br/10.0.10.2').stdout).toBe('pause_demo');
    expect(l.run('cat /var/lib/cni/networks/demo_br/last_reserved_ip').stdout).toBe('10.0.10.2');
    l.setup(['ip netns add second']);
    const r = l.run(`${env('ADD', 'second')} ./bridge </tmp/00-demo.conf`);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('"ip": "10.0.10.3/24"');
    expect(l.run('ls /var/lib/cni/networks/demo_br').stdout).toBe(
      '10.0.10.2\n10.0.10.3\nlast_reserved_ip\n',
    );
  });

  it('DEL releases the address, deletes the veth pair and the masquerade chain', () => {
    const l = cniLab();
    l.run(ADD);
    const r = l.run(DEL);
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(l.run('ls /var/lib/cni/networks/demo_br').stdout).toBe('last_reserved_ip\n');
    expect(l.run('ip netns exec pause_demo ip link show eth10').exitCode).not.toBe(0);
    expect(l.run('ip link show master cni_net0').stdout).toBe('');
    expect(l.run('iptables -t nat -S').stdout).not.toContain('CNI-');
    // The bridge and its address stay, as the real plugin leaves them.
    expect(l.run('ip addr show cni_net0').stdout).toContain('10.0.10.1/24');
  });

  it('CHECK and unknown commands: v0.4.0 predates CHECK', () => {
    const l = cniLab();
    expect(l.run(`${env('CHECK')} ./bridge </tmp/00-demo.conf`)).toMatchObject({
      exitCode: 1,
      stdout: '{\n    "code": 100,\n    "msg": "unknown CNI_COMMAND: CHECK"\n}',
    });
    expect(l.run('CNI_COMMAND=VERSION ./bridge </dev/null')).toMatchObject({
      exitCode: 0,
      stdout: '{"cniVersion":"0.2.0","supportedVersions":["0.1.0","0.2.0"]}\n',
    });
  });

  it('reports missing variables on stderr and the error object on stdout', () => {
    const l = cniLab();
    const r = l.run('CNI_COMMAND=ADD ./bridge </tmp/00-demo.conf');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      'CNI_NETNS env variable missing\nCNI_IFNAME env variable missing\nCNI_PATH env variable missing\n',
    );
    expect(r.stdout).toBe('{\n    "code": 100,\n    "msg": "required env variables missing"\n}');
  });

  it('fails on a namespace that does not exist, after creating the bridge', () => {
    const l = cniLab();
    const r = l.run(`${env('ADD', 'nope')} ./bridge </tmp/00-demo.conf`);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      code: 100,
      msg: 'failed to open netns "/var/run/netns/nope": failed to Statfs "/var/run/netns/nope": no such file or directory',
    });
    expect(l.run('ip link show cni_net0').exitCode).toBe(0);
  });

  it('reports address exhaustion from host-local', () => {
    const l = cniLab(CONF.replace('10.0.10.0/24', '10.0.10.0/30'));
    expect(l.run(ADD).exitCode).toBe(0);
    l.setup(['ip netns add b']);
    const r = l.run(`${env('ADD', 'b')} ./bridge </tmp/00-demo.conf`);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      code: 100,
      msg: 'no IP addresses available in network: demo_br',
    });
  });

  it('rejects other spec versions with code 1', () => {
    const l = cniLab(CONF.replace('0.2.0', '0.3.1'));
    const r = l.run(ADD);
    expect(JSON.parse(r.stdout)).toEqual({
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "0.3.1", plugin supports ["0.1.0" "0.2.0"]',
    });
  });

  it('finds host-local through CNI_PATH only', () => {
    const l = cniLab();
    const r = l.run(`${env('ADD')} CNI_PATH=/opt/cni/bin ./bridge </tmp/00-demo.conf`);
    expect(JSON.parse(r.stdout).msg).toBe(
      'failed to find plugin "host-local" in path [/opt/cni/bin]',
    );
  });
});

describe('CNI_NETNS as Docker names it', () => {
  it("opens a SandboxKey directly and through the article's symlink", () => {
    const l = cniLab();
    const host = l.world.host('h')!;
    const ns = host.createNetns('sandbox');
    host.fs.mkdirp('/var/run/docker/netns');
    host.fs.bindNetns('/var/run/docker/netns/0297681f79b5', ns);
    const r = l.run(
      `${env('ADD', 'c1', '/var/run/docker/netns/0297681f79b5')} ./bridge </tmp/00-demo.conf`,
    );
    expect(r.exitCode).toBe(0);
    expect(ns.device('eth10')?.addrs[0]?.prefixLen).toBe(24);
    const r2 = l.run(`${env('ADD', 'c2', '/tmp/00-demo.conf')} ./bridge </tmp/00-demo.conf`);
    expect(JSON.parse(r2.stdout).msg).toBe(
      'failed to open netns "/tmp/00-demo.conf": unknown FS magic on "/tmp/00-demo.conf": 1021994',
    );
  });
});

describe('running files by path', () => {
  it('fails like bash for missing, non-executable, directory and foreign binaries', () => {
    const l = cniLab();
    expect(l.run('./nothere')).toMatchObject({
      exitCode: 127,
      stderr: 'bash: ./nothere: No such file or directory\n',
    });
    expect(l.run('/tmp/00-demo.conf')).toMatchObject({
      exitCode: 126,
      stderr: 'bash: /tmp/00-demo.conf: Permission denied\n',
    });
    expect(l.run('/root')).toMatchObject({
      exitCode: 126,
      stderr: 'bash: /root: Is a directory\n',
    });
    l.world.host('h')!.fs.writeFile('/root/cni/flannel', binaryContent('cni-flannel@v0.4.0'));
    expect(l.run('./flannel')).toMatchObject({
      exitCode: 126,
      stderr: 'bash: ./flannel: cannot execute binary file: Exec format error\n',
    });
  });

  it('runs an emulated binary through ip netns exec too', () => {
    const l = cniLab();
    expect(l.run('ip netns exec pause_demo /root/cni/bridge </dev/null')).toMatchObject({
      exitCode: 1,
      stderr: 'CNI_COMMAND env variable missing\n',
    });
  });
});

describe('CNI config parsing (Go encoding/json semantics)', () => {
  const io = (stdin: string, cmd = 'ADD'): { code: number; out: string } => {
    const l = cniLab();
    let out = '';
    const host = l.world.host('h')!;
    const p: PluginIo = {
      host,
      ns: host.rootNs,
      env: new Map([
        ['CNI_COMMAND', cmd],
        ['CNI_CONTAINERID', 'x'],
        ['CNI_NETNS', '/var/run/netns/pause_demo'],
        ['CNI_IFNAME', 'eth0'],
        ['CNI_PATH', '/root/cni'],
      ]),
      stdin,
      stdout: (t) => void (out += t),
      stderr: () => undefined,
    };
    return { code: (cmd === 'IPAM' ? hostLocalMain : bridgeMain)(p), out };
  };

  it('gives Go’s messages for syntax and type errors', () => {
    expect(JSON.parse(io('{"cniVersion": "0.2.0",}').out).msg).toBe(
      "decoding version from network config: invalid character '}' looking for beginning of object key string",
    );
    expect(JSON.parse(io('').out).msg).toBe(
      'decoding version from network config: unexpected end of JSON input',
    );
    expect(JSON.parse(io('{"cniVersion":"0.2.0","isGateway":"yes"}').out).msg).toBe(
      'failed to load netconf: json: cannot unmarshal string into Go value of type bool',
    );
  });

  it('never throws on arbitrary input, and failures are CNI error objects', () => {
    const arbConf = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          cniVersion: fc.constantFrom('0.2.0', '0.1.0', '1.0.0', 3),
          name: fc.oneof(fc.string(), fc.integer()),
          bridge: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('br0')),
          isGateway: fc.oneof(fc.boolean(), fc.string()),
          ipMasq: fc.boolean(),
          mtu: fc.oneof(fc.integer({ min: -10, max: 70000 }), fc.double()),
          ipam: fc.record({
            type: fc.constantFrom('host-local', 'dhcp', ''),
            subnet: fc.oneof(
              fc.constantFrom('10.0.10.0/24', '10.1.0.0/30', '10.0.0.1/32', 'x', '300.1.1.1/8'),
              fc.integer(),
            ),
            routes: fc.array(
              fc.record({
                dst: fc.constantFrom('0.0.0.0/0', '1.1.1.1/32', 'bad'),
                gw: fc.string(),
              }),
              { maxLength: 3 },
            ),
          }),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(arbConf, fc.constantFrom('ADD', 'DEL', 'IPAM'), (stdin, cmd) => {
        const r = io(stdin, cmd === 'IPAM' ? 'IPAM' : cmd);
        if (r.code !== 0) {
          const e = JSON.parse(r.out) as { code: number; msg: string };
          expect(typeof e.code).toBe('number');
          expect(typeof e.msg).toBe('string');
        } else if (cmd !== 'DEL') expect(JSON.parse(r.out)).toHaveProperty('ip4');
      }),
      { numRuns: 150 },
    );
  });

  it('parses what JSON.parse accepts and rejects what it rejects', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        let ok = true;
        try {
          JSON.parse(s);
        } catch {
          ok = false;
        }
        let goOk = true;
        try {
          parseGoJson(s);
        } catch (e) {
          expect(e).toBeInstanceOf(GoError);
          goOk = false;
        }
        expect(goOk).toBe(ok);
      }),
    );
  });

  it('matches keys case-insensitively and leaves fields alone on null', () => {
    const t = { k: 'struct', name: 'x', fields: { isGateway: { k: 'bool' } } } as const;
    expect(goUnmarshalText('{"ISGATEWAY": true}', t)).toEqual({ isGateway: true });
    expect(goUnmarshalText('{"isGateway": null}', t, { isGateway: true })).toEqual({
      isGateway: true,
    });
  });

  it('hashes chain names with SHA-512 like the Go plugin', () => {
    expect(sha512Hex('abc').slice(0, 16)).toBe('ddaf35a193617aba');
    expect(cniChainName('demo_br', 'pause_demo')).toBe(CHAIN);
  });
});
