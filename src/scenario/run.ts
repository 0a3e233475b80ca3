/**
 * A scenario being played: the booted world, a shell per host, and the steps run in order with
 * their expectations checked. The CLI, the tests and the worker all drive scenarios through this.
 */
import type { CommandResult } from '../engine/shell/session';
import type { Shell } from '../engine/shell/session';
import type { EngineFaults, World } from '../engine/sim/world';
import { seconds } from '../engine/sim/time';
import { buildWorld } from './build';
import { type Check, checkOutput, checkTraffic } from './expect';
import type { ScenarioError } from './load';
import type { CommandData, ScenarioData } from './schema';

export interface CommandRun {
  readonly host: string;
  readonly run: string;
  readonly result: CommandResult;
  readonly checks: readonly Check[];
}

export interface StepRun {
  readonly index: number;
  readonly title: string;
  readonly commands: readonly CommandRun[];
  readonly checks: readonly Check[];
  readonly traceFrom: number;
  readonly traceTo: number;
  readonly captureFrom: number;
  readonly captureTo: number;
  readonly ok: boolean;
}

/**
 * Simulated time that passes before each command, as it does while a person types it. Timers
 * started by the previous command (ARP confirmation, delayed ACKs, FIN timeouts) fire in this
 * gap, as they would at a real prompt, and the conformance lab paces the kernel the same way.
 */
export const TYPING_GAP = seconds(1);

export function normalizeCommand(c: string | CommandData): CommandData {
  return typeof c === 'string' ? { run: c } : c;
}

export class ScenarioSession {
  readonly world: World;
  readonly shells: Map<string, Shell>;
  /** Index of the next step to run. */
  nextStep = 0;
  readonly steps: StepRun[] = [];

  private constructor(
    readonly scenario: ScenarioData,
    world: World,
    shells: Map<string, Shell>,
  ) {
    this.world = world;
    this.shells = shells;
  }

  /** Boots the world and runs the scenario's setup commands. */
  static start(
    scenario: ScenarioData,
    faults?: EngineFaults,
  ): { ok: true; session: ScenarioSession } | { ok: false; errors: ScenarioError[] } {
    const b = buildWorld(scenario, faults);
    if (!b.ok) return b;
    const s = new ScenarioSession(scenario, b.built.world, b.built.shells);
    const errors: ScenarioError[] = [];
    scenario.setup.forEach((c, i) => {
      const cmd = normalizeCommand(c);
      const r = s.exec(cmd.on ?? s.defaultHost, cmd.run);
      const checks = checkOutput(cmd.expect, r);
      if (checks.some((k) => !k.ok))
        errors.push({
          path: `setup[${i}]`,
          message: `"${cmd.run}" did not behave as expected: ${checks
            .filter((k) => !k.ok)
            .map((k) => k.what)
            .join('; ')}`,
        });
    });
    if (errors.length) return { ok: false, errors };
    return { ok: true, session: s };
  }

  get defaultHost(): string {
    return this.scenario.hosts[0]!.name;
  }

  shell(host: string | undefined): Shell {
    const sh = this.shells.get(host ?? this.defaultHost);
    if (!sh) throw new Error(`no host ${host}`);
    return sh;
  }

  /** Runs the next step. */
  runNextStep(): StepRun {
    const index = this.nextStep;
    const step = this.scenario.steps[index];
    if (!step) throw new Error(`no step ${index + 1}`);
    const world = this.world;
    const traceFrom = world.trace.length;
    const captureFrom = world.captures.length;
    const commands: CommandRun[] = [];
    for (const raw of step.commands) {
      const c = normalizeCommand(raw);
      const host = c.on ?? step.on ?? this.defaultHost;
      const result = this.exec(host, c.run);
      const checks = [...checkOutput(c.expect, result), ...checkTraffic(world, result, c.traffic)];
      commands.push({ host, run: c.run, result, checks });
    }
    const slice = {
      traceFrom,
      traceTo: world.trace.length,
      captureFrom,
      captureTo: world.captures.length,
    };
    const checks = checkTraffic(world, slice, step.traffic);
    const ok = checks.every((k) => k.ok) && commands.every((c) => c.checks.every((k) => k.ok));
    const run: StepRun = { index, title: step.title, commands, checks, ...slice, ok };
    this.steps.push(run);
    this.nextStep++;
    return run;
  }

  /** Runs steps until `count` have run (all by default). */
  runSteps(count = this.scenario.steps.length): StepRun[] {
    const out: StepRun[] = [];
    while (this.nextStep < Math.min(count, this.scenario.steps.length))
      out.push(this.runNextStep());
    return out;
  }

  /** A command typed at a host's prompt, after the typing gap. */
  exec(host: string, line: string): CommandResult {
    const shell = this.shell(host);
    this.world.pass(TYPING_GAP);
    return shell.run(line);
  }
}
