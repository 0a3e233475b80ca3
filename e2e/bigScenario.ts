/** A generated scenario for the speed figures: many nodes, many pods, some traffic. */

/** A synthetic cluster: `nodes` hosts on one network, each with a bridge and `pods` namespaces. */
export function bigScenario(nodes = 10, pods = 20): unknown {
  const hosts = Array.from({ length: nodes }, (_, h) => ({
    name: `node${h + 1}`,
    description: 'a generated node',
    ipForward: true,
    interfaces: [{ name: 'eth0', network: 'lan', address: `192.168.0.${h + 10}/24` }],
  }));
  const setup: { run: string; on: string }[] = [];
  for (let h = 0; h < nodes; h++) {
    const on = `node${h + 1}`;
    const net = `10.244.${h}`;
    setup.push(
      { on, run: 'ip link add cni0 type bridge' },
      { on, run: `ip addr add ${net}.1/24 dev cni0` },
      { on, run: 'ip link set cni0 up' },
    );
    for (let p = 0; p < pods; p++) {
      const ns = `pod${p + 1}`;
      const host = `veth${h}x${p}`;
      setup.push(
        { on, run: `ip netns add ${ns}` },
        { on, run: `ip link add ${host} type veth peer name eth0 netns ${ns}` },
        { on, run: `ip link set ${host} master cni0` },
        { on, run: `ip link set ${host} up` },
        { on, run: `ip netns exec ${ns} ip addr add ${net}.${p + 10}/24 dev eth0` },
        { on, run: `ip netns exec ${ns} ip link set eth0 up` },
        { on, run: `ip netns exec ${ns} ip route add default via ${net}.1` },
      );
    }
  }
  const pings = Array.from({ length: nodes }, (_, h) => ({
    on: `node${h + 1}`,
    run: `ip netns exec pod1 ping -c 2 10.244.${h}.${10 + pods - 1}`,
  }));
  return {
    version: 1,
    id: 'perf-200-pods',
    title: `Generated: ${nodes} nodes, ${nodes * pods} pods`,
    summary: 'A synthetic topology for measuring the canvas and the animation.',
    source: { article: 'packet-life benchmark' },
    networks: [{ name: 'lan' }],
    hosts,
    setup,
    steps: [
      {
        title: 'Pods ping each other on every node',
        narrative: 'Generated traffic.',
        commands: pings,
      },
    ],
  };
}
