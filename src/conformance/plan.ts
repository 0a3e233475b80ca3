/**
 * A lab plan: everything needed to replay a scenario on a real Linux kernel, derived from the
 * scenario and from the engine's own run of it (which supplies MACs to pin, the captures to take,
 * the namespaces whose sysctls must follow their host, and what to compare against).
 */
import { parseScript } from '../engine/shell/parse';
import type { CommandResult } from '../engine/shell/session';
import { TcpdumpState, formatFrame } from '../engine/shell/tools/tcpdump/format';
import type { EngineFaults, World } from '../engine/sim/world';
import { ScenarioSession, TYPING_GAP, normalizeCommand } from '../scenario/run';
import type { ScenarioData } from '../scenario/schema';

export interface LabNic {
  readonly name: string;
  readonly network: string;
  readonly address?: string;
  readonly broadcast: boolean;
  readonly mac: string;
  readonly ifindex: number;
  readonly peerIfindex?: number;
  readonly mtu?: number;
  /** The engine's txqueuelen (Docker-made veths have 0; the lab's veths start at 1000). */
  readonly txqueuelen: number;
}

export interface LabHost {
  readonly name: string;
  readonly ipForward: boolean;
  /** Has br_netfilter loaded; the lab turns bridge-nf-call-* off on hosts without it. */
  readonly brNetfilter: boolean;
  readonly files: Record<string, string>;
  readonly cwd: string;
  readonly nics: readonly LabNic[];
  readonly routes: readonly string[];
  readonly setup: readonly string[];
}

export interface Place {
  readonly host: string;
  /** "root" for the host's own namespace, else the name under /var/run/netns. */
  readonly netns: string;
  readonly dev: string;
}

export interface LabCommand {
  readonly id: string;
  /** -1 for scenario setup commands. */
  readonly step: number;
  readonly host: string;
  readonly run: string;
  /** Ends with `&`: started detached in a terminal of its own. */
  readonly background: boolean;
  /** A bare `NAME=value` line: evaluated on the host, then exported to later commands. */
  readonly assignment?: string;
  /** Set when the scenario says the kernel races here: frame differences are only noted. */
  readonly race?: string;
  /** The engine stopped it like a user pressing ^C after this many ms. */
  readonly interruptAfterMs?: number;
  /** When the engine started it, in ms of simulated time; the lab starts it as long after boot. */
  readonly simStartMs: number;
  readonly simDurationMs: number;
  /** What the engine printed (the command's own output, terminal order). */
  readonly simOutput: string;
  readonly simExit: number;
  /**
   * Frames the engine saw from the command's start until the next command's, by place key
   * host/netns/dev, as tcpdump -nn -e -v prints them.
   */
  readonly simFrames: Record<string, readonly TimedFrame[]>;
  /** Namespaces this command created, with the ip_forward they start with in the engine. */
  readonly newNetns: readonly { readonly name: string; readonly ipForward: boolean }[];
  /** The engine's MAC of every device (by place key) once the command finished. */
  readonly simMacs: Record<string, string>;
  /**
   * MACs the lab sets on the kernel's devices after the command, so that random choices agree
   * (which port MAC a bridge adopts, the link-local addresses). Bridges are left to adopt theirs.
   */
  readonly pinMacs: Record<string, string>;
}

/** A frame as tcpdump -nn -e -v printed it, with its time in seconds (any fixed origin). */
export interface TimedFrame {
  readonly t: number;
  readonly line: string;
}

export interface LabStep {
  readonly index: number;
  readonly title: string;
  readonly skip?: string;
}

export interface LabPlan {
  readonly scenario: string;
  readonly title: string;
  readonly networks: readonly string[];
  readonly hosts: readonly LabHost[];
  readonly steps: readonly LabStep[];
  readonly commands: readonly LabCommand[];
  /** Set when the whole scenario cannot be replayed on a kernel. */
  readonly skip?: string;
  /** Simulated ms at which the engine stopped watching (one typing gap after the last command). */
  readonly simEndMs: number;
  /** The engine's MAC for each place after the whole run, to map the kernel's random ones. */
  readonly simMacs: Record<string, string>;
}

export function placeKey(p: Place): string {
  return `${p.host}/${p.netns}/${p.dev}`;
}

/** `NAME=value` with nothing else on the line. */
export function assignmentName(line: string): string | undefined {
  try {
    const s = parseScript(line);
    if (s.items.length !== 1) return undefined;
    const it = s.items[0]!;
    if (it.background || it.rest.length || it.first.commands.length !== 1) return undefined;
    const c = it.first.commands[0]!;
    return c.words.length === 0 && c.assigns.length === 1 && c.redirects.length === 0
      ? c.assigns[0]!.name
      : undefined;
  } catch {
    return undefined;
  }
}

function isBackground(line: string): boolean {
  try {
    const s = parseScript(line);
    return s.items.length === 1 && s.items[0]!.background;
  } catch {
    return false;
  }
}

/** The command's own terminal output, without job notices or background jobs' lines. */
export function foregroundOutput(r: CommandResult): string {
  return r.output
    .filter((c) => !c.background)
    .map((c) => c.text)
    .join('');
}

/**
 * Every frame the engine captured, formatted as one tcpdump per interface would print it (so TCP
 * sequence numbers stay relative across commands), split into windows: window i holds the frames
 * from `starts[i]` up to `starts[i + 1]` (log positions).
 */
function framesByWindow(world: World, starts: readonly number[]): Record<string, TimedFrame[]>[] {
  const windows = starts.map(() => ({}) as Record<string, TimedFrame[]>);
  const states = new Map<string, TcpdumpState>();
  const log = world.captures.since(0);
  let w = -1;
  log.forEach((c, i) => {
    while (w + 1 < starts.length && starts[w + 1]! <= i) w++;
    const k = placeKey({ host: c.host, netns: c.netns, dev: c.dev });
    let st = states.get(k);
    if (!st) {
      st = new TcpdumpState();
      states.set(k, st);
    }
    const text = formatFrame(c.frame, { link: true, verbose: 1 }, st);
    if (w >= 0) (windows[w]![k] ??= []).push({ t: c.time / 1e9, line: text });
  });
  return windows;
}

function namedNetns(world: World): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const h of world.hosts.values()) m.set(h.name, new Set(h.named.keys()));
  return m;
}

function macsOf(world: World, pinnable = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of world.hosts.values()) {
    for (const ns of h.namespaces) {
      const label = ns.isInit ? 'root' : h.nameOf(ns);
      if (label === undefined) continue;
      for (const d of ns.devices) {
        if (pinnable && (d.kind === 'bridge' || d.kind === 'loopback')) continue;
        out[placeKey({ host: h.name, netns: label, dev: d.name })] = d.mac;
      }
    }
  }
  return out;
}

/** Runs the scenario in the engine and records what the lab must reproduce. */
export function buildPlan(scenario: ScenarioData, faults?: EngineFaults): LabPlan {
  // Setup commands are recorded like any other, so start from a session without them.
  const started = ScenarioSession.start({ ...scenario, setup: [] }, faults);
  if (!started.ok)
    throw new Error(
      `${scenario.id}: ${started.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  const s = started.session;
  const world = s.world;
  const hosts: LabHost[] = scenario.hosts.map((h) => {
    const host = world.host(h.name)!;
    return {
      name: h.name,
      ipForward: h.ipForward ?? false,
      brNetfilter: h.modules.includes('br_netfilter'),
      files: h.files,
      cwd: h.cwd ?? '/root',
      routes: h.routes,
      setup: h.setup,
      nics: h.interfaces.map((f) => {
        const dev = host.rootNs.device(f.name)!;
        return {
          name: f.name,
          network: f.network,
          address: f.address,
          broadcast: f.broadcast ?? false,
          mac: dev.mac,
          ifindex: dev.ifindex,
          peerIfindex: f.attach === 'veth' ? dev.ifindex + 1 : undefined,
          mtu: f.mtu,
          txqueuelen: dev.txqueuelen,
        };
      }),
    };
  });
  const commands: Omit<LabCommand, 'simFrames'>[] = [];
  const starts: number[] = [];
  const run = (step: number, n: number, host: string, line: string, race?: string) => {
    const before = namedNetns(world);
    const r = s.exec(host, line);
    starts.push(r.captureFrom);
    const after = namedNetns(world);
    const newNetns: { name: string; ipForward: boolean }[] = [];
    for (const name of after.get(host) ?? []) {
      if (!before.get(host)?.has(name))
        newNetns.push({ name, ipForward: world.host(host)!.named.get(name)!.ipForward });
    }
    const interrupted = r.output.some((c) => c.text === '^C\n');
    commands.push({
      id: `${step < 0 ? 'setup' : `s${step + 1}`}.${n + 1}`,
      step,
      host,
      run: line,
      background: isBackground(line),
      race,
      assignment: assignmentName(line),
      interruptAfterMs: interrupted ? (r.endTime - r.startTime) / 1e6 : undefined,
      simStartMs: r.startTime / 1e6,
      simDurationMs: (r.endTime - r.startTime) / 1e6,
      simOutput: foregroundOutput(r),
      simExit: r.exitCode,
      newNetns,
      simMacs: macsOf(world),
      pinMacs: macsOf(world, true),
    });
  };
  scenario.setup.forEach((raw, n) => {
    const c = normalizeCommand(raw);
    run(-1, n, c.on ?? s.defaultHost, c.run);
  });
  scenario.steps.forEach((step, i) => {
    step.commands.forEach((raw, n) => {
      const c = normalizeCommand(raw);
      run(i, n, c.on ?? step.on ?? s.defaultHost, c.run, c.kernel?.race);
    });
  });
  // The last command's window runs through one more typing gap, as the lab waits it out too.
  world.pass(TYPING_GAP);
  const windows = framesByWindow(world, starts);
  const simMacs = macsOf(world);
  return {
    scenario: scenario.id,
    title: scenario.title,
    networks: scenario.networks.map((n) => n.name),
    hosts,
    steps: scenario.steps.map((st, i) => ({ index: i, title: st.title, skip: st.kernel?.skip })),
    commands: commands.map((c, i) => ({ ...c, simFrames: windows[i]! })),
    simEndMs: world.sched.now / 1e6,
    skip: scenario.kernel?.skip,
    simMacs,
  };
}
