/**
 * `npm run conformance`: every kernel-checkable scenario replayed on this machine's kernel and
 * compared step by step with the engine. Prints a report per scenario and a summary table, and
 * writes both to test-results/conformance/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, readScenario, resolveScenario, scenarioFiles } from '../cli/files';
import { type CommandComparison, type KernelRun, compareCommand, compareFrames } from './compare';
import { type Capture, type LinkInfo, RealLab, installTools, labReadiness } from './lab';
import { type LabCommand, type LabPlan, type TimedFrame, buildPlan, placeKey } from './plan';
import { brNetfilterOff } from './script';

export interface StepReport {
  readonly index: number;
  readonly title: string;
  readonly status: 'agree' | 'differ' | 'skipped';
  readonly reason?: string;
  readonly commands: readonly CommandComparison[];
}

export interface ScenarioReport {
  readonly id: string;
  readonly title: string;
  readonly skipped?: string;
  readonly steps: readonly StepReport[];
  readonly setup: readonly CommandComparison[];
  readonly kernelRuns: readonly KernelRun[];
}

function physicalNics(plan: LabPlan): string[] {
  return [
    ...new Set(
      plan.hosts.flatMap((h) =>
        h.nics.filter((n) => n.peerIfindex === undefined).map((n) => n.name),
      ),
    ),
  ];
}

/** Replays a plan on the kernel; returns the kernel's results per command. */
export function runOnKernel(plan: LabPlan, log: (s: string) => void): KernelRun[] {
  const lab = new RealLab();
  const runs: KernelRun[] = [];
  const onSignal = () => {
    lab.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const n of plan.networks) lab.startNetwork(n);
    plan.hosts.forEach((h, i) => {
      lab.startHost(h, h.files['/etc/hosts'] ?? '127.0.0.1\tlocalhost\n');
      h.nics.forEach((nic, j) => lab.plug(h.name, nic.network, `h${i}n${j}`, nic));
      const boot: string[] = [];
      if (h.ipForward) boot.push('sysctl -qw net.ipv4.ip_forward=1');
      if (!h.brNetfilter) boot.push(brNetfilterOff());
      for (const nic of h.nics) {
        if (nic.mtu !== undefined) boot.push(`ip link set ${nic.name} mtu ${nic.mtu}`);
        if (nic.txqueuelen !== 1000)
          boot.push(`ip link set ${nic.name} txqueuelen ${nic.txqueuelen}`);
        boot.push(`ip link set ${nic.name} up`);
        if (nic.address)
          boot.push(`ip addr add ${nic.address}${nic.broadcast ? ' brd +' : ''} dev ${nic.name}`);
      }
      for (const r of h.routes) boot.push(`ip route add ${r}`);
      for (const [path, content] of Object.entries(h.files)) {
        if (path === '/etc/hosts') continue;
        const dir = path.slice(0, path.lastIndexOf('/')) || '/';
        boot.push(`mkdir -p ${dir} && printf '%s' '${content.replace(/'/g, `'\\''`)}' > ${path}`);
      }
      if (boot.length) {
        const r = lab.on(h.name, boot.join(' && '), 20_000);
        if (r.exit !== 0) throw new Error(`booting ${h.name} failed: ${r.output}`);
      }
    });
    for (const h of plan.hosts) {
      for (const s of h.setup) {
        if (s.trim().endsWith('&')) lab.background(h.name, s.replace(/&\s*$/, '').trim());
        else lab.on(h.name, s, 20_000);
      }
    }
    // The engine's clock starts at boot; commands start as long after it as they did there.
    const bootedAt = Date.now();
    const namespaces = new Map<string, Set<string>>(
      plan.hosts.map((h) => [h.name, new Set(['root'])]),
    );
    // What the kernel has, per host and namespace, read in one process per host.
    const snapshot = (): Snapshot =>
      new Map(plan.hosts.map((h) => [h.name, lab.links(h.name, [...namespaces.get(h.name)!])]));
    // One tcpdump per interface for the whole run, started as soon as the interface is up.
    const live = new Map<string, Capture>();
    const startCaptures = (snap: Snapshot) => {
      const wanted = [];
      for (const [host, byNs] of snap)
        for (const [netns, devs] of byNs)
          for (const [dev, info] of devs) {
            const key = placeKey({ host, netns, dev });
            if (info.up && !live.has(key)) wanted.push({ host, netns, dev, key });
          }
      for (const cap of lab.captureAll(wanted)) live.set(cap.place, cap);
    };
    startCaptures(snapshot());
    const starts: number[] = [];
    const capturedAt: Set<string>[] = [];
    // Each command starts when the engine started it, and never sooner after the previous one
    // ended than in the engine: timers racing the next command (a retransmission
    // against a route being added) then fall on the same side of it.
    let prevEnd = bootedAt;
    let prevSimEnd = 0;
    for (const c of plan.commands) {
      const due = bootedAt + c.simStartMs;
      sleepUntil(Math.max(due, prevEnd + (c.simStartMs - prevSimEnd) - CATCH_UP_MS));
      const late = (Date.now() - due) / 1000;
      log(`  ${c.id} ${c.host}# ${c.run}${late > 0.05 ? `   (${late.toFixed(2)} s late)` : ''}`);
      starts.push(Date.now() / 1000);
      capturedAt.push(new Set(live.keys()));
      const r = runCommand(lab, c);
      prevEnd = Date.now();
      prevSimEnd = c.simStartMs + c.simDurationMs;
      for (const n of c.newNetns) namespaces.get(c.host)!.add(n.name);
      const host = plan.hosts.find((h) => h.name === c.host)!;
      for (const n of c.newNetns) {
        if (n.ipForward)
          lab.on(c.host, `ip netns exec ${n.name} sysctl -qw net.ipv4.ip_forward=1`, 10_000);
        if (!host.brNetfilter) lab.on(c.host, brNetfilterOff(n.name), 10_000);
      }
      // Namespaces deleted by the command disappear from later captures.
      const gone = /ip netns del(?:ete)? (\S+)/.exec(c.run);
      if (gone) namespaces.get(c.host)!.delete(gone[1]!);
      const snap = snapshot();
      runs.push({ ...r, macMap: macMapOf(snap, c) });
      pinMacs(lab, snap, c);
      startCaptures(snap);
    }
    // The last command's window lasts one typing gap, as in the engine.
    // Measured from the kernel's own start of that command, so a late start does not shorten it.
    const last = plan.commands[plan.commands.length - 1];
    let end = Date.now() / 1000;
    if (last) {
      end = starts[starts.length - 1]! + (plan.simEndMs - last.simStartMs) / 1000;
      sleepUntil(end * 1000 + 100);
    }
    const lines = new Map([...live].map(([k, cap]) => [k, cap.stop()]));
    if (process.env.PL_DEBUG)
      for (const [k, ls] of lines)
        log(`debug ${k}: ${ls.length} frames, first ${ls[0]?.t}, starts ${starts[0]}..${end}`);
    runs.forEach((r, i) => {
      const from = starts[i]!;
      const to = starts[i + 1] ?? end;
      const frames: Record<string, TimedFrame[]> = {};
      for (const [k, ls] of lines) {
        if (!capturedAt[i]!.has(k)) continue;
        frames[k] = ls.filter((l) => l.t >= from && l.t < to);
      }
      runs[i] = { ...r, frames };
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lab.cleanup();
  }
  return runs;
}

/** How much of the engine's pause after a command the lab may skip to get back on time. */
const CATCH_UP_MS = 100;

/** Blocks until the wall clock reaches `t` (ms); returns at once when it already has. */
function sleepUntil(t: number): void {
  const wait = t - Date.now();
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
}

type Snapshot = Map<string, Map<string, Map<string, LinkInfo>>>;

/** Kernel MAC → engine MAC, matching devices by host, namespace and name. */
function macMapOf(snap: Snapshot, c: LabCommand): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [host, byNs] of snap)
    for (const [netns, devs] of byNs)
      for (const [dev, info] of devs) {
        const sim = c.simMacs[placeKey({ host, netns, dev })];
        if (sim && info.mac !== '00:00:00:00:00:00') out[info.mac] = sim;
      }
  return out;
}

/** Gives the kernel's new devices the engine's MACs (see LabCommand.pinMacs), one call per host. */
function pinMacs(lab: RealLab, snap: Snapshot, c: LabCommand): void {
  for (const [host, byNs] of snap) {
    const cmds: string[] = [];
    for (const [netns, devs] of byNs)
      for (const [dev, info] of devs) {
        const want = c.pinMacs[placeKey({ host, netns, dev })];
        if (!want || want === info.mac) continue;
        const inner = netns === 'root' ? '' : `ip netns exec ${netns} `;
        cmds.push(`${inner}ip link set dev ${dev} address ${want}`);
      }
    if (cmds.length) lab.on(host, cmds.join('; '), 10_000);
  }
}

function runCommand(lab: RealLab, c: LabCommand): KernelRun {
  let r;
  if (c.assignment) r = lab.assign(c.host, c.assignment, c.run);
  else if (c.background) r = lab.background(c.host, c.run.replace(/&\s*$/, '').trim());
  else {
    const line =
      c.interruptAfterMs !== undefined
        ? `timeout --preserve-status -s INT ${(c.interruptAfterMs / 1000).toFixed(1)} ${c.run}`
        : c.run;
    r = lab.on(c.host, line, Math.round(c.simDurationMs + 20_000));
  }
  return { id: c.id, exit: r.exit, output: r.output, frames: {}, macMap: {}, timedOut: r.timedOut };
}

export function compareRuns(plan: LabPlan, runs: readonly KernelRun[]): ScenarioReport {
  const nics = physicalNics(plan);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const aligned = plan.commands.map((c) => byId.get(c.id));
  const frames = compareFrames(
    plan.commands,
    aligned.map(
      (k) => k ?? { id: '', exit: -1, output: '', frames: {}, macMap: {}, timedOut: false },
    ),
    nics,
  );
  const comparisons = plan.commands.map((c, i): CommandComparison => {
    const k = aligned[i];
    const base: CommandComparison = k
      ? compareCommand(c, k, nics)
      : {
          id: c.id,
          host: c.host,
          run: c.run,
          agree: false,
          differences: [{ what: 'not run on the kernel', detail: '' }],
          notes: [],
        };
    const differences = [...base.differences, ...frames.differences[i]!];
    return {
      ...base,
      differences,
      notes: [...base.notes, ...frames.notes[i]!],
      agree: differences.length === 0,
    };
  });
  const steps: StepReport[] = plan.steps.map((st) => {
    const cmds = comparisons.filter((_, i) => plan.commands[i]!.step === st.index);
    if (st.skip)
      return {
        index: st.index,
        title: st.title,
        status: 'skipped',
        reason: st.skip,
        commands: cmds,
      };
    return {
      index: st.index,
      title: st.title,
      status: cmds.every((c) => c.agree) ? 'agree' : 'differ',
      commands: cmds,
    };
  });
  return {
    id: plan.scenario,
    title: plan.title,
    steps,
    setup: comparisons.filter((_, i) => plan.commands[i]!.step < 0),
    kernelRuns: runs,
  };
}

export function formatReport(r: ScenarioReport): string {
  const out: string[] = [`${r.id} — ${r.title}`];
  if (r.skipped) {
    out.push(`  skipped: ${r.skipped}`);
    return out.join('\n');
  }
  for (const s of r.steps) {
    out.push(
      `  ${s.status === 'agree' ? '✓ agree ' : s.status === 'skipped' ? '- skipped' : '✗ DIFFER'} step ${s.index + 1}: ${s.title}${s.reason ? ` (${s.reason})` : ''}`,
    );
    // A step that cannot be checked on a kernel shows only its reason, not the noise it makes.
    if (s.status === 'skipped') continue;
    for (const c of s.commands) {
      const races = c.notes.filter((n) => n.includes('a race the scenario declares'));
      if (c.agree && races.length)
        out.push(
          `      ~ ${c.host}# ${c.run}: ${races.length} place(s) differ within a declared race`,
        );
      if (c.agree) continue;
      out.push(`      ${c.host}# ${c.run}`);
      for (const d of c.differences) {
        out.push(`        ${d.what}`);
        if (d.detail)
          out.push(
            d.detail
              .split('\n')
              .map((l) => `          ${l}`)
              .join('\n'),
          );
      }
    }
  }
  return out.join('\n');
}

export function summaryTable(reports: readonly ScenarioReport[]): string {
  const rows = [['scenario', 'steps', 'agree', 'differ', 'skipped', 'reason']];
  for (const r of reports) {
    const n = (k: string) => String(r.steps.filter((s) => s.status === k).length);
    rows.push([
      r.id,
      String(r.steps.length),
      r.skipped ? '0' : n('agree'),
      r.skipped ? '0' : n('differ'),
      r.skipped ? String(r.steps.length) : n('skipped'),
      r.skipped ?? [...new Set(r.steps.filter((s) => s.reason).map((s) => s.reason))].join('; '),
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === 0 || i === 5 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function runConformance(argv: string[]): number {
  // --save-fixture FILE: keep the scenario and the kernel's record of it, for the comparator's
  // tests (src/conformance/testdata), which replay the engine against it without a kernel.
  const args = [...argv];
  const at = args.indexOf('--save-fixture');
  const fixture = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const files = args.length ? args.map(resolveScenario) : scenarioFiles();
  let ready = labReadiness();
  if (!ready.ok && ready.why.startsWith('missing tools')) {
    const err = installTools();
    if (!err) ready = labReadiness();
  }
  if (!ready.ok) {
    process.stdout.write(`conformance: skipped (${ready.why})\n0 passed, 0 failed\n`);
    return 0;
  }
  const reports: ScenarioReport[] = [];
  for (const f of files) {
    const loaded = readScenario(f);
    if (!loaded.ok) {
      process.stderr.write(`${f}: invalid scenario\n`);
      return 2;
    }
    const plan = buildPlan(loaded.scenario);
    process.stdout.write(
      `${plan.scenario}: replaying ${plan.commands.length} commands on the kernel\n`,
    );
    const needsBrNf = plan.hosts.some((h) => h.brNetfilter);
    const skip =
      plan.skip ??
      (needsBrNf && !existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')
        ? 'needs br_netfilter, which this kernel has not loaded (the suite loads no modules)'
        : undefined);
    if (skip) {
      reports.push({
        id: plan.scenario,
        title: plan.title,
        skipped: skip,
        steps: plan.steps.map((s) => ({
          index: s.index,
          title: s.title,
          status: 'skipped',
          reason: skip,
          commands: [],
        })),
        setup: [],
        kernelRuns: [],
      });
      continue;
    }
    const runs = runOnKernel(plan, (s) => process.stdout.write(`${s}\n`));
    const report = compareRuns(plan, runs);
    if (fixture)
      writeFileSync(fixture, `${JSON.stringify({ scenario: loaded.scenario, runs }, null, 1)}\n`);
    reports.push(report);
    process.stdout.write(`${formatReport(report)}\n`);
  }
  const table = summaryTable(reports);
  const dir = join(REPO_ROOT, 'test-results', 'conformance');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.txt'), `${reports.map(formatReport).join('\n\n')}\n\n${table}\n`);
  writeFileSync(
    join(dir, 'kernel-runs.json'),
    JSON.stringify(
      reports.map((r) => ({ id: r.id, runs: r.kernelRuns })),
      null,
      1,
    ),
  );
  const steps = reports.flatMap((r) => r.steps);
  const agree = steps.filter((s) => s.status === 'agree').length;
  const differ = steps.filter((s) => s.status === 'differ').length;
  const skipped = steps.filter((s) => s.status === 'skipped').length;
  process.stdout.write(
    `\n${table}\n\nconformance: ${agree} steps agree, ${differ} differ, ${skipped} not checkable (reasons in the table)\n`,
  );
  process.stdout.write(`${agree} passed, ${differ} failed\n`);
  return differ === 0 ? 0 : 1;
}
