/**
 * Comparing one command as the engine ran it with the same command on the kernel: exit status,
 * normalised terminal output, and per interface the normalised frames.
 */
import type { LabCommand } from './plan';
import { type NormContext, normalizeFrames, normalizeOutput, sideBySide } from './normalize';

/** What the lab recorded for one command. */
export interface KernelRun {
  readonly id: string;
  readonly exit: number;
  readonly output: string;
  /** Captured lines per place key; places that could not be captured are absent. */
  readonly frames: Record<string, readonly string[]>;
  /** Kernel MAC → engine MAC after the command. */
  readonly macMap: Record<string, string>;
  readonly timedOut: boolean;
}

export interface Difference {
  readonly what: string;
  readonly detail: string;
}

export interface CommandComparison {
  readonly id: string;
  readonly host: string;
  readonly run: string;
  readonly agree: boolean;
  readonly differences: readonly Difference[];
  readonly notes: readonly string[];
}

export function compareCommand(
  c: LabCommand,
  k: KernelRun,
  physicalNics: readonly string[],
): CommandComparison {
  const ctx: NormContext = { macMap: new Map(Object.entries(k.macMap)), physicalNics };
  const differences: Difference[] = [];
  const notes: string[] = [];
  if (k.timedOut)
    differences.push({ what: 'the kernel run timed out', detail: k.output.slice(-2000) });
  if (c.simExit !== k.exit)
    differences.push({ what: `exit status: engine ${c.simExit}, kernel ${k.exit}`, detail: '' });
  if (c.background) notes.push('background job: its terminal output is not compared');
  else if (c.assignment) notes.push('assignment: only the status is compared');
  else {
    const sim = normalizeOutput(c.simOutput, 'sim', ctx);
    const real = normalizeOutput(k.output, 'real', ctx);
    if (sim !== real)
      differences.push({ what: 'terminal output differs', detail: sideBySide(sim, real) });
  }
  const places = new Set([...Object.keys(c.simFrames), ...Object.keys(k.frames)]);
  for (const p of [...places].sort()) {
    if (!(p in k.frames)) {
      notes.push(
        `${p}: not captured on the kernel (the interface did not exist before the command)`,
      );
      continue;
    }
    const sim = normalizeFrames(c.simFrames[p] ?? [], 'sim', ctx);
    const real = normalizeFrames(k.frames[p] ?? [], 'real', ctx);
    if (sim.join('\n') !== real.join('\n')) {
      differences.push({
        what: `frames on ${p} differ (engine ${sim.length}, kernel ${real.length})`,
        detail: sideBySide(sim.join('\n'), real.join('\n'), 100),
      });
    }
  }
  return {
    id: c.id,
    host: c.host,
    run: c.run,
    agree: differences.length === 0,
    differences,
    notes,
  };
}
