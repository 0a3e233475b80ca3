/**
 * `packet-life export-sh`: a bash script that rebuilds a scenario on a real Linux machine. Each
 * simulated host becomes a network namespace with a mount namespace of its own (so its
 * /var/run/netns, /root, /tmp and /srv are private and the article's commands run unchanged);
 * each physical network becomes a bridge in a namespace of its own. Nothing is created outside
 * those namespaces, and everything is removed on exit.
 */
import type { LabCommand, LabHost, LabPlan } from './plan';

/** Quotes a string for bash inside single quotes. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const PRELUDE = `set -u
PL=\${PL_PREFIX:-pl-$$}
if [ "$(id -u)" != 0 ]; then echo "packet-life: run this as root (it creates network namespaces)" >&2; exit 1; fi
for t in ip unshare nsenter script setsid timeout; do
  command -v "$t" >/dev/null || { echo "packet-life: needs $t (apt-get install iproute2 util-linux coreutils)" >&2; exit 1; }
done
WORK=$(mktemp -d "/var/tmp/$PL.XXXXXX")
declare -A HOST_PID=() HOST_CWD=()
BG_PIDS=()

# Removes everything this script made: processes inside our namespaces, then the namespaces.
cleanup() {
  local pid ns
  for pid in "\${BG_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; done
  for pid in "\${HOST_PID[@]}"; do
    for ns in /proc/[0-9]*/ns/net; do
      [ "$(readlink "$ns" 2>/dev/null)" = "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" ] || continue
      p=\${ns#/proc/}; p=\${p%%/*}; [ "$p" != "$pid" ] && kill -KILL "$p" 2>/dev/null
    done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PL-"); do ip netns del "$ns"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A host: its own network and mount namespaces, held open by a sleeping process.
start_host() {
  local name=$1 cwd=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  [ -f "$dir/hosts" ] || printf '127.0.0.1\\tlocalhost\\n' > "$dir/hosts"
  # Names come from the scenario's /etc/hosts only: nothing is sent to this machine's resolver.
  printf 'hosts: files\\nnetworks: files\\n' > "$dir/nsswitch.conf"
  printf '# packet-life: no DNS\\n' > "$dir/resolv.conf"
  unshare --mount --net --uts --propagation private --fork -- bash -c '
    mount --bind "$0/hosts" /etc/hosts
    mount --bind "$0/nsswitch.conf" /etc/nsswitch.conf
    mount --bind "$0/resolv.conf" /etc/resolv.conf
    hostname "$1"
    mkdir -p /run/netns && mount -t tmpfs pl-netns /run/netns
    for d in /root /tmp /srv; do mkdir -p "$d" && mount -t tmpfs pl-fs "$d"; done
    ip link set lo up
    echo $$ > "$0/pid"
    exec sleep infinity' "$dir" "$name" &
  disown
  for _ in $(seq 50); do [ -s "$dir/pid" ] && break; sleep 0.1; done
  HOST_PID[$name]=$(cat "$dir/pid")
  HOST_CWD[$name]=$cwd
}

# Runs a command line on a host, as typed at its prompt (in a terminal, like the simulation).
on() {
  local host=$1 line=$2
  PATH=/usr/sbin:/usr/bin:/sbin:/bin nsenter -t "\${HOST_PID[$host]}" -m -n -u -- \\
    script -q -e -c "mkdir -p \${HOST_CWD[$host]} && cd \${HOST_CWD[$host]} && $line" /dev/null
}

# Starts a background job (a line that ended with &) in a terminal of its own.
bg() {
  local host=$1 line=$2
  PATH=/usr/sbin:/usr/bin:/sbin:/bin setsid nsenter -t "\${HOST_PID[$host]}" -m -n -u -- \\
    script -q -c "mkdir -p \${HOST_CWD[$host]} && cd \${HOST_CWD[$host]} && $line" "$WORK/bg-\${#BG_PIDS[@]}.log" </dev/null >/dev/null 2>&1 &
  BG_PIDS+=($!)
  disown
  sleep 0.5
  cat "$WORK/bg-$((\${#BG_PIDS[@]} - 1)).log" 2>/dev/null
}

# NAME=value typed at a host's prompt: evaluate it there, keep it for the following commands.
assign() {
  local host=$1 name=$2 line=$3
  export "$name=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin nsenter -t "\${HOST_PID[$host]}" -m -n -u -- bash -c "cd \${HOST_CWD[$host]} && $line && printf %s \\"\\$$name\\"")"
}

# A physical network: a bridge in a namespace of its own.
start_network() {
  ip netns add "$PL-net-$1"
  ip -n "$PL-net-$1" link add sw type bridge
  ip -n "$PL-net-$1" link set sw up
}

# Plugs a host NIC into a network: a veth from the network's bridge into the host.
plug() {
  local host=$1 net=$2 nic=$3 mac=$4 index=$5 peer=$6 port=$7
  local peeridx=""; [ -n "$peer" ] && peeridx="index $peer"
  ip -n "$PL-net-$net" link add "$port" $peeridx type veth peer name "$nic" index "$index" address "$mac" netns "/proc/\${HOST_PID[$host]}/ns/net"
  ip -n "$PL-net-$net" link set "$port" master sw
  ip -n "$PL-net-$net" link set "$port" up
}
`;

function hostBoot(h: LabHost, portOf: (h: LabHost, nic: string) => string): string[] {
  const out: string[] = [];
  if (h.files['/etc/hosts'] !== undefined)
    out.push(
      `mkdir -p "$WORK/${h.name}" && printf '%s' ${sq(h.files['/etc/hosts'])} > "$WORK/${h.name}/hosts"`,
    );
  out.push(`start_host ${sq(h.name)} ${sq(h.cwd)}`);
  for (const n of h.nics) {
    out.push(
      `plug ${sq(h.name)} ${sq(n.network)} ${sq(n.name)} ${n.mac} ${n.ifindex} ${sq(n.peerIfindex !== undefined ? String(n.peerIfindex) : '')} ${portOf(h, n.name)}`,
    );
  }
  const boot: string[] = [];
  if (h.ipForward) boot.push('sysctl -qw net.ipv4.ip_forward=1');
  if (!h.brNetfilter) boot.push(brNetfilterOff());
  for (const n of h.nics) {
    if (n.mtu !== undefined) boot.push(`ip link set ${n.name} mtu ${n.mtu}`);
    if (n.txqueuelen !== 1000) boot.push(`ip link set ${n.name} txqueuelen ${n.txqueuelen}`);
    boot.push(`ip link set ${n.name} up`);
    if (n.address)
      boot.push(`ip addr add ${n.address}${n.broadcast ? ' brd +' : ''} dev ${n.name}`);
  }
  for (const r of h.routes) boot.push(`ip route add ${r}`);
  for (const [path, content] of Object.entries(h.files)) {
    if (path === '/etc/hosts') continue;
    boot.push(
      `mkdir -p ${sq(path.slice(0, path.lastIndexOf('/')) || '/')} && printf '%s' ${sq(content)} > ${sq(path)}`,
    );
  }
  if (boot.length) out.push(`on ${sq(h.name)} ${sq(boot.join(' && '))} >/dev/null`);
  return out;
}

export function commandLine(c: LabCommand): string {
  if (c.assignment) return `assign ${sq(c.host)} ${c.assignment} ${sq(c.run)}`;
  if (c.background) return `bg ${sq(c.host)} ${sq(c.run.replace(/&\s*$/, '').trim())}`;
  const line =
    c.interruptAfterMs !== undefined
      ? `timeout --preserve-status -s INT ${(c.interruptAfterMs / 1000).toFixed(1)} ${c.run}`
      : c.run;
  return `on ${sq(c.host)} ${sq(line)}`;
}

/**
 * Makes a host (or, with `netns`, one of its namespaces) without br_netfilter behave so on a
 * kernel that has it: every new namespace starts with bridge-nf-call-* = 1 there.
 */
export function brNetfilterOff(netns?: string): string {
  const inner = netns ? `ip netns exec ${netns} ` : '';
  return `{ [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || ${inner}sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0; }`;
}

/** The fix-ups that make the real namespaces start like the simulated ones. */
export function fixups(plan: LabPlan, c: LabCommand): string[] {
  const host = plan.hosts.find((h) => h.name === c.host);
  const out: string[] = [];
  for (const n of c.newNetns) {
    // A namespace copies init_net's forwarding; the simulated host is init_net for its namespaces.
    if (n.ipForward)
      out.push(
        `on ${sq(c.host)} ${sq(`ip netns exec ${n.name} sysctl -qw net.ipv4.ip_forward=1`)} >/dev/null  # inherits the host's forwarding`,
      );
    if (host && !host.brNetfilter)
      out.push(`on ${sq(c.host)} ${sq(brNetfilterOff(n.name))} >/dev/null  # no br_netfilter here`);
  }
  return out;
}

export function portName(plan: LabPlan, h: LabHost, nic: string): string {
  const i = plan.hosts.indexOf(h);
  const j = h.nics.findIndex((n) => n.name === nic);
  return `h${i}n${j}`;
}

export function renderScript(plan: LabPlan): string {
  // A walkthrough that needs what only the simulation has (Docker images, CNI binaries) is not
  // run at all: its commands would reach this machine's own daemons, outside the namespaces.
  if (plan.skip)
    return `${[
      '#!/usr/bin/env bash',
      `# ${plan.title} (${plan.scenario}), exported by packet-life.`,
      `# This walkthrough cannot be replayed on a plain kernel: ${plan.skip}`,
      '# Its commands, host by host, for reading:',
      // Every line commented, heredoc bodies included.
      ...plan.commands.flatMap((c) => `${c.host}# ${c.run}`.split('\n').map((l) => `#   ${l}`)),
      `echo ${sq(`packet-life: ${plan.scenario} cannot be replayed on a plain kernel: ${plan.skip}`)} >&2`,
      'exit 3',
    ].join('\n')}\n`;
  const lines: string[] = [
    '#!/usr/bin/env bash',
    `# ${plan.title} (${plan.scenario}), exported by packet-life.`,
    '# Each host is a network namespace with private mounts; each network a bridge in its own namespace.',
    '# Run as root on a Linux machine you can experiment on (a VM is ideal). Everything is cleaned up on exit.',
    PRELUDE,
    ...(plan.hosts.some((h) => h.brNetfilter)
      ? [
          '# Some hosts here are Kubernetes nodes or Docker hosts: their bridges send IPv4 through iptables.',
          'if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then',
          `  echo "packet-life: this walkthrough needs br_netfilter; load it first with: modprobe br_netfilter" >&2; exit 1`,
          'fi',
        ]
      : []),
    '# --- the physical networks',
    ...plan.networks.map((n) => `start_network ${sq(n)}`),
    '',
    '# --- the hosts, as the scenario boots them',
  ];
  for (const h of plan.hosts) lines.push(...hostBoot(h, (hh, nic) => portName(plan, hh, nic)));
  for (const h of plan.hosts)
    for (const s of h.setup)
      lines.push(
        s.trim().endsWith('&')
          ? `bg ${sq(h.name)} ${sq(s.replace(/&\s*$/, '').trim())} >/dev/null`
          : `on ${sq(h.name)} ${sq(s)} >/dev/null`,
      );
  let step = -2;
  for (const c of plan.commands) {
    if (c.step !== step) {
      step = c.step;
      const st = plan.steps[step];
      lines.push('');
      lines.push(step < 0 ? '# --- setup' : `# --- step ${step + 1}: ${st?.title ?? ''}`);
      if (st?.skip) lines.push(`# (not checkable on a kernel: ${st.skip})`);
    }
    lines.push(`echo ${sq(`${c.host}# ${c.run}`)}`);
    lines.push(commandLine(c));
    lines.push(...fixups(plan, c));
  }
  lines.push('');
  lines.push('echo "packet-life: done; cleaning up"');
  return `${lines.join('\n')}\n`;
}
