/**
 * Scenario format v1: one walkthrough as data. The zod schema is the single source of truth;
 * scenarios/scenario.schema.json is generated from it for editors.
 */
import { z } from 'zod';
import { Manifest } from '../engine/k8s/objects';

export const SCENARIO_VERSION = 1;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "_" or "-"');

const cidrText = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}\/([0-9]|[12][0-9]|3[0-2])$/,
    'an IPv4 address with a prefix length, like 10.0.0.11/24',
  );

const macText = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address like 02:42:ac:11:00:02');

export const Interface = z
  .strictObject({
    name: name.meta({ description: 'Interface name in the host, e.g. eth0.' }),
    network: name.meta({
      description: 'The physical network (see `networks`) this NIC is plugged into.',
    }),
    address: cidrText.optional().meta({ description: 'IPv4 address with prefix length.' }),
    mac: macText
      .optional()
      .meta({ description: 'Fixed MAC; otherwise one is drawn from the seeded generator.' }),
    mtu: z.number().int().min(68).max(65535).optional(),
    ifindex: z
      .number()
      .int()
      .min(2)
      .optional()
      .meta({ description: "Fixed interface index (the real machine's numbering)." }),
    broadcast: z
      .boolean()
      .optional()
      .meta({ description: 'Configure the broadcast address too (`brd +`), as Docker does.' }),
    attach: z.enum(['physical', 'veth']).optional().meta({
      description:
        '`veth` when the machine is itself a container (a kind node): eth0 is one end of a veth pair whose other end is on the real host.',
    }),
  })
  .meta({ title: 'Interface', description: "A host's network card." });

export const Host = z
  .strictObject({
    name: name.meta({ description: 'Host name, used by `on` in commands.' }),
    description: z.string().optional().meta({ description: 'What this machine stands for.' }),
    external: z
      .boolean()
      .optional()
      .meta({ description: 'A simulated stand-in for a machine outside the lab (the internet).' }),
    ipForward: z.boolean().optional().meta({
      description:
        'net.ipv4.ip_forward at boot (a plain Linux host: false; Docker hosts and Kubernetes nodes: true).',
    }),
    modules: z
      .array(z.enum(['br_netfilter']))
      .default([])
      .meta({
        description:
          'Kernel modules loaded at boot. br_netfilter (Docker hosts, Kubernetes nodes) sends bridged IPv4 through iptables.',
      }),
    docker: z
      .union([
        z.literal(true),
        z.strictObject({
          bip: cidrText
            .optional()
            .meta({ description: "docker0's address (default 172.17.0.1/16)." }),
          images: z
            .array(z.enum(['nginx', 'busybox', 'kubernetes/pause']))
            .optional()
            .meta({ description: 'Images already pulled (default: all three).' }),
        }),
      ])
      .optional()
      .meta({
        description:
          "Docker 20.10 runs here: docker0, forwarding, br_netfilter and the daemon's iptables rules at boot, and the `docker` command.",
      }),
    interfaces: z.array(Interface).default([]),
    routes: z.array(z.string()).default([]).meta({
      description: 'Routes at boot, in `ip route add` syntax without the `ip route add`.',
    }),
    files: z
      .record(z.string(), z.string())
      .default({})
      .meta({ description: 'Files on the host (path → content), e.g. /etc/hosts.' }),
    setup: z.array(z.string()).default([]).meta({
      description: 'Commands run silently at boot (services, firewall rules the article assumed).',
    }),
    cwd: z
      .string()
      .optional()
      .meta({ description: "Directory the learner's shell starts in (default /root)." }),
  })
  .meta({ title: 'Host' });

export const Network = z
  .strictObject({
    name,
    description: z.string().optional(),
  })
  .meta({ title: 'Network', description: 'A physical L2 segment (a switch) joining host NICs.' });

const ipText = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/,
    'an IPv4 address, like 172.18.255.200',
  );

export const ClusterNode = z
  .strictObject({
    host: name.meta({
      description: 'The host (see `hosts`) that is this node; its name is the node name.',
    }),
    podCIDR: cidrText.meta({ description: "The node's slice of the pod network (spec.podCIDR)." }),
    role: z
      .enum(['control-plane', 'worker'])
      .default('worker')
      .meta({ description: 'Pods are scheduled onto workers; the control plane is tainted.' }),
    dev: z.string().optional().meta({
      description: "The NIC holding the node IP (default: the host's first with an address).",
    }),
  })
  .meta({ title: 'ClusterNode' });

export const Cluster = z
  .strictObject({
    cni: z.enum(['bridge', 'flannel', 'calico']).default('bridge').meta({
      description:
        "`bridge`: the bridge plugin and host-local on each node, with routes to the other nodes' pod CIDRs via their node IPs. `flannel`: the same bridge, with the other nodes reached through the VXLAN device flannel.1. `calico`: /32 pod addresses behind cali… veths that answer ARP for 169.254.1.1 by proxy, one host route per pod, other nodes' blocks through tunl0 (IP-in-IP) or straight (see `calicoEncapsulation`).",
    }),
    calicoEncapsulation: z
      .enum(['IPIP', 'None'])
      .default('IPIP')
      .meta({ description: 'Calico only: IP-in-IP between nodes, or plain routes (`None`).' }),
    clusterCIDR: cidrText.default('10.244.0.0/16').meta({ description: 'The pod network.' }),
    serviceCIDR: cidrText
      .default('10.96.0.0/12')
      .meta({ description: 'Where ClusterIPs come from.' }),
    loadBalancerPool: z.tuple([ipText, ipText]).optional().meta({
      description: 'First and last address a MetalLB-style controller gives LoadBalancer Services.',
    }),
    nodes: z.array(ClusterNode).min(1),
    objects: z.array(Manifest).default([]).meta({
      description:
        'Kubernetes objects (Pod, Deployment, Service, NetworkPolicy, Namespace) present at the start, as `kubectl apply` would take them.',
    }),
  })
  .meta({
    title: 'Cluster',
    description:
      'A Kubernetes cluster over some of the hosts: kubelet, the CNI plugin and kube-proxy on each node.',
  });

const stringOrList = z.union([z.string(), z.array(z.string())]);

export const OutputExpect = z
  .strictObject({
    exitCode: z
      .number()
      .int()
      .optional()
      .meta({ description: 'The exit status the command must end with.' }),
    stdoutContains: stringOrList.optional(),
    stdoutNotContains: stringOrList.optional(),
    stdoutMatches: z
      .string()
      .optional()
      .meta({ description: 'A regular expression (JavaScript syntax) stdout must match.' }),
    stdoutEquals: z.string().optional(),
    stderrContains: stringOrList.optional(),
    stderrEquals: z.string().optional(),
    stderrMatches: z.string().optional(),
  })
  .meta({ title: 'OutputExpect' });

const Place = z.strictObject({
  host: name,
  netns: z
    .string()
    .optional()
    .meta({ description: "Namespace name; omit for the host's root namespace." }),
  dev: z.string().optional(),
});

export const TrafficExpect = z
  .union([
    z.strictObject({
      capture: Place.extend({
        contains: stringOrList
          .optional()
          .meta({ description: 'Lines (tcpdump -nn -e format, no timestamp) that must appear.' }),
        notContains: stringOrList.optional(),
        count: z
          .number()
          .int()
          .min(0)
          .optional()
          .meta({ description: 'Exact number of frames the interface carried.' }),
      }).meta({ description: 'What tcpdump -nn -e -i DEV would have printed.' }),
    }),
    z.strictObject({
      delivered: Place.extend({
        protocol: z.enum(['icmp', 'tcp', 'udp', 'arp']).optional(),
      }).meta({ description: 'Some packet reached a socket (or ARP was answered) in this place.' }),
    }),
    z.strictObject({
      dropped: Place.extend({
        reason: z.string().optional().meta({
          description: 'Kernel-style drop reason, e.g. NEIGH_FAILED, IP_INADDRERRORS, NO_SOCKET.',
        }),
      }).meta({ description: 'Some packet was dropped in this place.' }),
    }),
    z.strictObject({
      notDelivered: Place.extend({ protocol: z.enum(['icmp', 'tcp', 'udp', 'arp']).optional() }),
    }),
  ])
  .meta({ title: 'TrafficExpect' });

export const Command = z
  .strictObject({
    run: z.string().min(1).meta({ description: 'The command line, as typed at a bash prompt.' }),
    on: name
      .optional()
      .meta({ description: "Host to run it on (defaults to the step's, then the first host)." }),
    expect: OutputExpect.optional(),
    traffic: z
      .array(TrafficExpect)
      .optional()
      .meta({ description: "What this command's packets must do." }),
    kernel: z
      .strictObject({
        race: z.string().min(1).meta({
          description:
            'Why the frames seen during this command differ from run to run on a real kernel (two timers racing): the conformance suite then reports their differences as notes, and still compares exit status and output.',
        }),
      })
      .optional(),
  })
  .meta({ title: 'Command' });

export const Focus = z
  .strictObject({
    hosts: z.array(name).optional(),
    netns: z.array(z.string()).optional(),
    devices: z.array(z.string()).optional(),
  })
  .meta({ description: 'What the canvas should bring into view for this step.' });

export const Step = z
  .strictObject({
    title: z.string().min(1),
    narrative: z.string().min(1).meta({ description: 'Markdown, in our own words. No raw HTML.' }),
    on: name.optional().meta({ description: "Default host for this step's commands." }),
    commands: z.array(z.union([z.string(), Command])).default([]),
    traffic: z
      .array(TrafficExpect)
      .optional()
      .meta({ description: 'What the packets of the whole step must do.' }),
    focus: Focus.optional(),
    kernel: z
      .strictObject({
        skip: z
          .string()
          .min(1)
          .meta({ description: 'Why this step cannot be replayed on a real kernel.' }),
      })
      .optional(),
  })
  .meta({ title: 'Step' });

export const Source = z.strictObject({
  article: z.string().min(1),
  section: z.string().optional(),
  url: z.string().url().optional(),
  author: z.string().optional(),
});

export const Scenario = z
  .strictObject({
    $schema: z.string().optional(),
    version: z
      .literal(SCENARIO_VERSION)
      .meta({ description: 'Format version; older files are migrated when loaded.' }),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    title: z.string().min(1),
    summary: z.string().min(1).meta({ description: 'One line for the gallery.' }),
    source: Source,
    seed: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Seed for MACs, ports and sequence numbers (default 1).' }),
    epoch: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Unix time at the start, for dates programs print.' }),
    networks: z.array(Network).default([]),
    hosts: z.array(Host).min(1),
    cluster: Cluster.optional(),
    setup: z
      .array(z.union([z.string(), Command]))
      .default([])
      .meta({ description: 'Commands run before step 1 (start mid-way).' }),
    steps: z.array(Step).min(1),
    kernel: z
      .strictObject({ skip: z.string().min(1) })
      .optional()
      .meta({ description: 'Why the whole scenario cannot be replayed on a real kernel.' }),
  })
  .meta({
    title: 'packet-life scenario',
    description: "One walkthrough of a packet's life, replayed by the packet-life engine.",
  });

export type ScenarioInput = z.input<typeof Scenario>;
export type ScenarioData = z.output<typeof Scenario>;
export type ClusterData = z.output<typeof Cluster>;
export type StepData = z.output<typeof Step>;
export type CommandData = z.output<typeof Command>;
export type TrafficExpectData = z.output<typeof TrafficExpect>;
export type OutputExpectData = z.output<typeof OutputExpect>;
