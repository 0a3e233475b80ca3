/**
 * `packet-life bench`: figures only; nothing here asserts a target.
 *
 * - the engine: per scenario, the wall time to run it and simulated events per second;
 * - the engine at scale (issue 7): a generated cluster of 10, 100 and 1,000 ClusterIP Services
 *   (Deployments of 3 replicas each) on 1, 10 and 100 nodes: the time to build it, the heap it
 *   holds, and the time to trace one pod → Service → pod request;
 * - the browser app (e2e/perf.bench.ts in Chromium against a fresh production build): first-view
 *   JavaScript gzip, frames per second animating a trace on a generated 10-node, 200-pod
 *   topology, and load-to-interactive time for the default scenario.
 *
 * `--engine` or `--ui` runs one half only; `--scale` only the generated clusters, and
 * `--scale-max N` stops them after N Services.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ManifestData } from '../engine/k8s/objects';
import { nodeName, testbed } from '../engine/k8s/testbed';
import { Shell } from '../engine/shell/session';
import type { NetfilterDecision } from '../engine/sim/trace';
import { ScenarioSession } from '../scenario/run';
import { readScenario, scenarioFiles } from './files';

export async function runBench(args: string[]): Promise<number> {
  const at = args.indexOf('--scale-max');
  const scaleMax = at >= 0 ? Number(args[at + 1]) : Infinity;
  if (args.includes('--scale')) {
    runScaleBench(scaleMax);
    return 0;
  }
  if (!args.includes('--ui')) {
    runEngineBench();
    runScaleBench(scaleMax);
  }
  if (args.includes('--engine')) return 0;
  return runUiBench();
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(
      `${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`,
    );
}

/**
 * A forced garbage collection: `global.gc` when Node runs with --expose-gc, otherwise the same
 * function fetched after turning the flag on at run time (V8 honours it for new contexts).
 */
function gcFunction(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const f: unknown = runInNewContext('gc');
    return typeof f === 'function' ? (f as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** 3 replicas of an echo server behind a ClusterIP Service, `count` times, and a client pod. */
function scaleObjects(count: number, clientNode: string): ManifestData[] {
  const objects: ManifestData[] = [];
  for (let i = 0; i < count; i++) {
    const name = `app${i}`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'echo',
                image: 'hashicorp/http-echo',
                args: [`-text=${name}`, '-listen=:8080'],
                ports: [{ containerPort: 8080, name: 'http' }],
              },
            ],
          },
        },
      },
    });
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] },
    });
  }
  objects.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client' },
    spec: {
      nodeName: clientNode,
      containers: [{ name: 'curl', image: 'curlimages/curl', command: ['sleep', 'infinity'] }],
    },
  });
  return objects;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Issue 7's scale figures: Services 10 → 100 → 1,000 with nodes 1 → 10 → 100 (the first node
 * the control plane; pods go to the workers, or to the one node when it is alone) and 3 pods per
 * Service plus one client. Each size is built three times (after one small warm-up build).
 */
function runScaleBench(maxServices: number): void {
  const gc = gcFunction();
  const heap = () => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const sizes = [
    { services: 10, nodes: 1 },
    { services: 100, nodes: 10 },
    { services: 1000, nodes: 100 },
  ].filter((s) => s.services <= maxServices);
  const reps = 11;
  // Each size is built this many times (the figure is the median; the last build is traced).
  const builds = 3;
  // Untimed requests before the timed ones, so the first timed one does not pay for compiling
  // the code the request path runs.
  const warmups = 3;
  process.stdout.write(
    `\nengine at scale (testbed: ClusterIP Services × 3-replica Deployments, nodes scaled with Services; targets at 1,000: build < 2 s, trace ≤ 10 ms)\n` +
      `build: median of ${builds} builds; memory: ${gc ? 'heap used after a forced GC, before and after the last build' : 'process.memoryUsage().heapUsed delta without GC (no --expose-gc)'}; trace: median of ${reps} \`kubectl exec client -- curl -s http://<ClusterIP>/\` after ${warmups} untimed ones (a run that meets a young-generation GC takes longer: see min..max)\n`,
  );
  // Warm the JIT on a small cluster so the first row does not pay for compilation.
  testbed({ nodes: 1, objects: scaleObjects(3, nodeName(0)) });
  const rows: string[][] = [
    [
      'services',
      'nodes',
      'pods',
      'build ms',
      'build min..max',
      'heap MB',
      'trace ms',
      'trace min..max',
      'KUBE-SERVICES rules walked',
    ],
  ];
  let prev: { build: number; heap: number; trace: number } | undefined;
  const growth: string[] = [];
  for (const size of sizes) {
    const clientNode = nodeName(size.nodes > 1 ? 1 : 0);
    const objects = scaleObjects(size.services, clientNode);
    const buildTimes: number[] = [];
    // The previous build is let go before the heap is measured for the next.
    const last: { built?: ReturnType<typeof testbed> } = {};
    let held = 0;
    for (let b = 0; b < builds; b++) {
      delete last.built;
      const h0 = heap();
      const t0 = performance.now();
      last.built = testbed({ nodes: size.nodes, objects });
      buildTimes.push(performance.now() - t0);
      held = heap() - h0;
    }
    const { world, cluster } = last.built!;
    const build = median(buildTimes);
    const sh = new Shell(world, world.host(clientNode)!);
    const target = cluster.services.get(`default/app${size.services >> 1}`)!;
    const times: number[] = [];
    let walked = '';
    for (let i = 0; i < warmups + reps; i++) {
      const a = performance.now();
      const r = sh.run(`kubectl exec client -- curl -s http://${target.clusterIP}/`);
      if (i >= warmups) times.push(performance.now() - a);
      if (r.stdout !== `app${size.services >> 1}\n`)
        throw new Error(`scale bench: curl answered ${JSON.stringify(r.stdout + r.stderr)}`);
      if (i === warmups) {
        const counts: string[] = [];
        for (const e of world.trace.since(r.traceFrom).slice(0, r.traceTo - r.traceFrom)) {
          if (e.decision?.kind !== 'netfilter') continue;
          const d: NetfilterDecision = e.decision;
          for (const w of d.walks)
            if (w.table === 'nat' && w.chain === 'KUBE-SERVICES')
              counts.push(`${w.evaluated} on ${e.where.host}`);
        }
        walked = counts.join(' + ');
      }
    }
    const trace = median(times);
    rows.push([
      String(size.services),
      String(size.nodes),
      String(cluster.pods.size),
      build.toFixed(0),
      `${Math.min(...buildTimes).toFixed(0)}..${Math.max(...buildTimes).toFixed(0)}`,
      (held / 2 ** 20).toFixed(1),
      trace.toFixed(2),
      `${Math.min(...times).toFixed(1)}..${Math.max(...times).toFixed(1)}`,
      walked,
    ]);
    if (prev)
      growth.push(
        `  ${size.services / 10} → ${size.services} Services: build ×${(build / prev.build).toFixed(1)}, heap ×${(held / prev.heap).toFixed(1)}, trace ×${(trace / prev.trace).toFixed(1)}`,
      );
    prev = { build, heap: held, trace };
  }
  printTable(rows);
  process.stdout.write(
    `growth (each step is ×10 Services, nodes and pods)\n${growth.join('\n')}\n`,
  );
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
  printTable(rows);
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
