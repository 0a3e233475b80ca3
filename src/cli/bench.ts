/**
 * `packet-life bench`: per scenario, the wall time to run it and simulated events per second.
 * Figures only; nothing here asserts a target.
 */
import { performance } from 'node:perf_hooks';
import { ScenarioSession } from '../scenario/run';
import { readScenario, scenarioFiles } from './files';

export function runBench(_args: string[]): number {
  const rows: string[][] = [
    ['scenario', 'steps', 'runs', 'ms/run', 'events/run', 'events/s', 'sim s'],
  ];
  for (const f of scenarioFiles()) {
    const r = readScenario(f);
    if (!r.ok) continue;
    // Warm up once, then time several runs.
    const once = () => {
      const s = ScenarioSession.start(r.scenario);
      if (!s.ok) throw new Error(`${f}: ${s.errors.map((e) => e.message).join('; ')}`);
      const t0 = performance.now();
      const e0 = s.session.world.sched.eventsRun;
      s.session.runSteps();
      return {
        ms: performance.now() - t0,
        events: s.session.world.sched.eventsRun - e0,
        sim: s.session.world.sched.now / 1e9,
      };
    };
    once();
    const runs = 5;
    let ms = 0;
    let events = 0;
    let sim = 0;
    for (let i = 0; i < runs; i++) {
      const x = once();
      ms += x.ms;
      events += x.events;
      sim = x.sim;
    }
    rows.push([
      r.scenario.id,
      String(r.scenario.steps.length),
      String(runs),
      (ms / runs).toFixed(2),
      String(Math.round(events / runs)),
      Math.round(events / (ms / 1000)).toLocaleString('en-US'),
      sim.toFixed(1),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(
      `${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`,
    );
  return 0;
}
