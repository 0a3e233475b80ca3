/**
 * `packet-life bench`: figures only; nothing here asserts a target.
 *
 * - the engine: per scenario, the wall time to run it and simulated events per second;
 * - the browser app (e2e/perf.bench.ts in Chromium against a fresh production build): first-view
 *   JavaScript gzip, frames per second animating a trace on a generated 10-node, 200-pod
 *   topology, and load-to-interactive time for the default scenario.
 *
 * `--engine` or `--ui` runs one half only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ScenarioSession } from '../scenario/run';
import { readScenario, scenarioFiles } from './files';

export async function runBench(args: string[]): Promise<number> {
  if (!args.includes('--ui')) runEngineBench();
  if (args.includes('--engine')) return 0;
  return runUiBench();
}

function runEngineBench(): void {
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
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() =>
        a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForHttp(url: string, server: ChildProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`vite preview exited (${server.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

interface PerfResults {
  firstViewJsGzipBytes?: number;
  firstViewCssGzipBytes?: number;
  workerGzipBytes?: number;
  loadToInteractiveMs?: number;
  loadToInteractiveAllMs?: number[];
  bigTopology?: {
    nodes: number;
    edges: number;
    animating: { fps: number; p95: number };
    runs?: { fps: number; p95: number }[];
    zoomed: { fps: number; p95: number };
  };
}

/**
 * Builds the app, serves the build on a free port (never a server that may be serving an older
 * build), runs the Playwright `perf` project against it and prints its figures.
 */
async function runUiBench(): Promise<number> {
  const root = process.cwd();
  const bin = (name: string) => join(root, 'node_modules', '.bin', name);
  if (!existsSync(bin('playwright')) || !existsSync(bin('vite'))) {
    process.stderr.write(
      'bench: Playwright or Vite is not installed; skipping the browser figures\n',
    );
    return 1;
  }
  process.stdout.write(
    '\nbrowser app (vite build, Chromium via Playwright; figures, not assertions)\n',
  );
  const build = spawnSync(bin('vite'), ['build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(
    bin('vite'),
    ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { stdio: 'ignore' },
  );
  try {
    await waitForHttp(base, server, 30_000);
    const out = join(root, 'bench-results', 'perf.json');
    rmSync(out, { force: true });
    const r = spawnSync(bin('playwright'), ['test', '--project=perf', '--reporter=list'], {
      stdio: 'inherit',
      env: { ...process.env, PERF: '1', PERF_BASE_URL: base },
    });
    if (!existsSync(out)) return r.status ?? 1;
    const p = JSON.parse(readFileSync(out, 'utf8')) as PerfResults;
    const kb = (n?: number) => (n === undefined ? '?' : `${(n / 1024).toFixed(1)} KB`);
    const big = p.bigTopology;
    const runs = big?.runs?.map((x) => x.fps.toFixed(1)).join(', ');
    process.stdout.write(
      [
        '',
        'summary',
        `  first-view JavaScript, gzip      ${kb(p.firstViewJsGzipBytes)} (target ≤ 300 KB; CSS ${kb(p.firstViewCssGzipBytes)}, engine worker ${kb(p.workerGzipBytes)} loaded alongside)`,
        big
          ? `  animating, ${big.nodes} nodes/${big.edges} edges   ${big.animating.fps.toFixed(1)} fps median${runs ? ` (runs: ${runs})` : ''}, p95 frame ${big.animating.p95.toFixed(1)} ms (target ≥ 55 fps); zoomed in ${big.zoomed.fps.toFixed(1)} fps`
          : '  animating: no figure (see the output above)',
        `  load-to-interactive, default     ${p.loadToInteractiveMs?.toFixed(0) ?? '?'} ms median`,
        '',
      ].join('\n'),
    );
    return r.status ?? 1;
  } finally {
    server.kill();
  }
}
