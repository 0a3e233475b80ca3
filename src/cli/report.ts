/** How the CLI prints a scenario run for a person (and as JSON for programs). */
import { captureLines } from '../scenario/expect';
import type { ScenarioSession, StepRun } from '../scenario/run';

const useColor = process.stdout.isTTY && !process.env['NO_COLOR'];
const paint = (code: string) => (s: string) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint('32');
export const red = paint('31');
export const dim = paint('2');
export const bold = paint('1');

function indent(text: string, pad: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `${pad}${l}`)
    .join('\n');
}

export function printStep(
  session: ScenarioSession,
  step: StepRun,
  opts: { capture: boolean; quiet: boolean },
): string {
  const lines: string[] = [];
  const mark = step.ok ? green('✓') : red('✗');
  lines.push(`${mark} ${bold(`step ${step.index + 1}: ${step.title}`)}`);
  for (const c of step.commands) {
    const failed = c.checks.filter((k) => !k.ok);
    if (opts.quiet && failed.length === 0) continue;
    lines.push(`  ${dim(`${c.host}$`)} ${c.run}`);
    const output = c.result.output.map((o) => o.text).join('');
    if (output) lines.push(indent(output, '    '));
    if (c.result.note) lines.push(`    ${dim(`(${c.result.note})`)}`);
    for (const k of c.checks) {
      if (k.ok && opts.quiet) continue;
      lines.push(`    ${k.ok ? green('✓') : red('✗')} ${k.what}`);
      if (!k.ok && k.detail) lines.push(indent(k.detail, '        '));
    }
    if (opts.capture && c.result.captureTo > c.result.captureFrom)
      lines.push(...captureBlock(session, c.result));
  }
  for (const k of step.checks) {
    if (k.ok && opts.quiet) continue;
    lines.push(`  ${k.ok ? green('✓') : red('✗')} ${k.what}`);
    if (!k.ok && k.detail) lines.push(indent(k.detail, '      '));
  }
  return lines.join('\n');
}

/** Every interface's frames for a command, headed by host/netns/iface. */
function captureBlock(
  session: ScenarioSession,
  slice: { captureFrom: number; captureTo: number; traceFrom: number; traceTo: number },
): string[] {
  const out: string[] = [];
  const seen: { host: string; netns: string; dev: string }[] = [];
  for (const c of session.world.captures
    .since(slice.captureFrom)
    .slice(0, slice.captureTo - slice.captureFrom)) {
    if (!seen.some((s) => s.host === c.host && s.netns === c.netns && s.dev === c.dev))
      seen.push({ host: c.host, netns: c.netns, dev: c.dev });
  }
  for (const p of seen) {
    out.push(`    ${dim(`── ${p.host}/${p.netns} ${p.dev} ──`)}`);
    for (const l of captureLines(session.world, slice, {
      host: p.host,
      netns: p.netns === 'root' ? undefined : p.netns,
      dev: p.dev,
    }))
      out.push(`      ${l}`);
  }
  return out;
}

export function stepJson(step: StepRun) {
  return {
    index: step.index,
    title: step.title,
    ok: step.ok,
    commands: step.commands.map((c) => ({
      host: c.host,
      run: c.run,
      exitCode: c.result.exitCode,
      stdout: c.result.stdout,
      stderr: c.result.stderr,
      note: c.result.note,
      checks: c.checks,
    })),
    checks: step.checks,
  };
}
