/** Checking a scenario's expectations against what a command printed and what its packets did. */
import type { CommandResult } from '../engine/shell/session';
import type { TraceEvent } from '../engine/sim/trace';
import type { World } from '../engine/sim/world';
import { TcpdumpState, formatFrame } from '../engine/shell/tools/tcpdump/format';
import type { OutputExpectData, TrafficExpectData } from './schema';

export interface Check {
  readonly ok: boolean;
  /** What was expected, in words. */
  readonly what: string;
  /** What happened instead (on failure). */
  readonly detail?: string;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

export function checkOutput(e: OutputExpectData | undefined, r: CommandResult): Check[] {
  const out: Check[] = [];
  if (!e) return out;
  if (e.exitCode !== undefined) {
    out.push({
      ok: r.exitCode === e.exitCode,
      what: `exit code ${e.exitCode}`,
      detail: `exit code was ${r.exitCode}`,
    });
  }
  for (const s of list(e.stdoutContains))
    out.push({
      ok: r.stdout.includes(s),
      what: `stdout contains ${JSON.stringify(s)}`,
      detail: `stdout was:\n${r.stdout}`,
    });
  for (const s of list(e.stdoutNotContains))
    out.push({
      ok: !r.stdout.includes(s),
      what: `stdout does not contain ${JSON.stringify(s)}`,
      detail: `stdout was:\n${r.stdout}`,
    });
  if (e.stdoutMatches !== undefined)
    out.push({
      ok: new RegExp(e.stdoutMatches, 'm').test(r.stdout),
      what: `stdout matches /${e.stdoutMatches}/`,
      detail: `stdout was:\n${r.stdout}`,
    });
  if (e.stdoutEquals !== undefined)
    out.push({
      ok: r.stdout === e.stdoutEquals,
      what: `stdout equals ${JSON.stringify(e.stdoutEquals)}`,
      detail: `stdout was:\n${r.stdout}`,
    });
  for (const s of list(e.stderrContains))
    out.push({
      ok: r.stderr.includes(s),
      what: `stderr contains ${JSON.stringify(s)}`,
      detail: `stderr was:\n${r.stderr}`,
    });
  if (e.stderrEquals !== undefined)
    out.push({
      ok: r.stderr === e.stderrEquals,
      what: `stderr equals ${JSON.stringify(e.stderrEquals)}`,
      detail: `stderr was:\n${r.stderr}`,
    });
  if (e.stderrMatches !== undefined)
    out.push({
      ok: new RegExp(e.stderrMatches, 'm').test(r.stderr),
      what: `stderr matches /${e.stderrMatches}/`,
      detail: `stderr was:\n${r.stderr}`,
    });
  return out;
}

export interface Slice {
  readonly traceFrom: number;
  readonly traceTo: number;
  readonly captureFrom: number;
  readonly captureTo: number;
}

function placeText(p: { host: string; netns?: string; dev?: string }): string {
  return `${p.host}${p.netns ? `/${p.netns}` : ''}${p.dev ? `:${p.dev}` : ''}`;
}

function inPlace(ev: TraceEvent, p: { host: string; netns?: string; dev?: string }): boolean {
  return (
    ev.where.host === p.host &&
    ev.where.netns === (p.netns ?? 'root') &&
    (p.dev === undefined || ev.where.dev === p.dev)
  );
}

function protocolOf(ev: TraceEvent): string | undefined {
  if (ev.packet) return ev.packet.payload.kind === 'ipip' ? 'ipip' : ev.packet.payload.kind;
  if (ev.frame) return ev.frame.payload.kind === 'arp' ? 'arp' : ev.frame.payload.payload.kind;
  return undefined;
}

/** The capture lines one interface would show for a slice (tcpdump -nn -e, no timestamps). */
export function captureLines(
  world: World,
  slice: Slice,
  p: { host: string; netns?: string; dev?: string },
): string[] {
  const state = new TcpdumpState();
  return world.captures
    .since(slice.captureFrom)
    .slice(0, slice.captureTo - slice.captureFrom)
    .filter((c) => c.host === p.host && c.netns === (p.netns ?? 'root') && c.dev === p.dev)
    .map((c) => formatFrame(c.frame, { link: true, verbose: 0 }, state));
}

export function checkTraffic(
  world: World,
  slice: Slice,
  expects: readonly TrafficExpectData[] | undefined,
): Check[] {
  const out: Check[] = [];
  if (!expects) return out;
  const events = world.trace.since(slice.traceFrom).slice(0, slice.traceTo - slice.traceFrom);
  for (const e of expects) {
    if ('capture' in e) {
      const c = e.capture;
      const lines = captureLines(world, slice, c);
      const shown = lines.length ? lines.join('\n') : '(nothing)';
      for (const s of list(c.contains)) {
        out.push({
          ok: lines.some((l) => l.includes(s)),
          what: `${placeText(c)} carried "${s}"`,
          detail: `it carried:\n${shown}`,
        });
      }
      for (const s of list(c.notContains)) {
        out.push({
          ok: !lines.some((l) => l.includes(s)),
          what: `${placeText(c)} did not carry "${s}"`,
          detail: `it carried:\n${shown}`,
        });
      }
      if (c.count !== undefined)
        out.push({
          ok: lines.length === c.count,
          what: `${placeText(c)} carried ${c.count} frame(s)`,
          detail: `it carried ${lines.length}:\n${shown}`,
        });
    } else if ('delivered' in e) {
      const d = e.delivered;
      const hit = events.some(
        (ev) =>
          ev.final === 'delivered' &&
          inPlace(ev, d) &&
          (d.protocol === undefined || protocolOf(ev) === d.protocol),
      );
      out.push({
        ok: hit,
        what: `a${d.protocol ? ` ${d.protocol}` : ''} packet was delivered in ${placeText(d)}`,
        detail: 'nothing was delivered there',
      });
    } else if ('notDelivered' in e) {
      const d = e.notDelivered;
      const hit = events.find(
        (ev) =>
          ev.final === 'delivered' &&
          inPlace(ev, d) &&
          (d.protocol === undefined || protocolOf(ev) === d.protocol),
      );
      out.push({
        ok: !hit,
        what: `no${d.protocol ? ` ${d.protocol}` : ''} packet was delivered in ${placeText(d)}`,
        detail: hit ? `delivered: ${hit.summary}` : undefined,
      });
    } else {
      const d = e.dropped;
      const drops = events.filter((ev) => ev.final === 'dropped' && inPlace(ev, d));
      const hit = drops.some(
        (ev) =>
          d.reason === undefined ||
          (ev.decision?.kind === 'drop' && ev.decision.reason === d.reason),
      );
      out.push({
        ok: hit,
        what: `a packet was dropped in ${placeText(d)}${d.reason ? ` (${d.reason})` : ''}`,
        detail: drops.length
          ? `drops there: ${drops.map((ev) => (ev.decision?.kind === 'drop' ? ev.decision.reason : ev.summary)).join(', ')}`
          : 'no drop there',
      });
    }
  }
  return out;
}
