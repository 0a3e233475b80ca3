/**
 * Speed figures for the browser app (printed, never asserted: headless Chromium with --disable-gpu
 * on a 2-core machine gives relative numbers only).
 *
 *   PERF=1 npx playwright test --project=perf
 *
 * (a) first-view JavaScript, gzip: the entry chunk and its static imports in dist/;
 * (b) frame rate while a trace animates on a generated 10-node, 200-pod topology;
 * (c) load-to-interactive time for the default scenario.
 *
 * Figures are printed and written to bench-results/perf.json.
 */
import { type Page, test } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bigScenario } from './bigScenario';

const results: Record<string, unknown> = {};

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KB`;
}

/** The entry chunk named in dist/index.html, plus every chunk it imports statically (recursively). */
export function firstViewBytes(dist = 'dist'): {
  files: { file: string; raw: number; gzip: number }[];
  js: number;
  css: number;
  worker?: { file: string; raw: number; gzip: number };
} {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entry = /<script type="module"[^>]*src="\/?([^"]+)"/.exec(html)?.[1];
  if (!entry) throw new Error('no entry script in dist/index.html');
  const css = [...html.matchAll(/<link rel="stylesheet"[^>]*href="\/?([^"]+)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  const queue = [
    entry,
    ...[...html.matchAll(/<link rel="modulepreload"[^>]*href="\/?([^"]+)"/g)].map((m) => m[1]!),
  ];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const code = readFileSync(join(dist, f), 'utf8');
    // Static imports only (`import … from "./x.js"`, `import "./x.js"`); dynamic import() is lazy.
    for (const m of code.matchAll(
      /(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+\.js)["']/g,
    )) {
      queue.push(join(dirname(f), m[1]!).replace(/\\/g, '/'));
    }
  }
  const files = [...seen, ...css].map((file) => {
    const buf = readFileSync(join(dist, file));
    return { file, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  });
  const assets = existsSync(join(dist, 'assets')) ? readFileSync(join(dist, entry), 'utf8') : '';
  const workerName = /engine\.worker-[\w-]+\.js/.exec(assets)?.[0];
  let worker: { file: string; raw: number; gzip: number } | undefined;
  if (workerName) {
    const buf = readFileSync(join(dist, 'assets', workerName));
    worker = {
      file: `assets/${workerName}`,
      raw: buf.length,
      gzip: gzipSync(buf, { level: 9 }).length,
    };
  }
  return {
    files,
    js: files.filter((f) => f.file.endsWith('.js')).reduce((a, f) => a + f.gzip, 0),
    css: files.filter((f) => f.file.endsWith('.css')).reduce((a, f) => a + f.gzip, 0),
    ...(worker ? { worker } : {}),
  };
}

/** Samples requestAnimationFrame for `ms` and reports frames per second and the 95th-percentile frame time. */
async function sampleFrames(
  page: Page,
  ms: number,
): Promise<{ fps: number; p95: number; frames: number }> {
  return page.evaluate(
    (duration) =>
      new Promise<{ fps: number; p95: number; frames: number }>((resolve) => {
        const times: number[] = [];
        const start = performance.now();
        const tick = (t: number) => {
          times.push(t);
          if (t - start < duration) requestAnimationFrame(tick);
          else {
            const deltas = times.slice(1).map((x, i) => x - times[i]!);
            deltas.sort((a, b) => a - b);
            resolve({
              fps: (deltas.length / (times[times.length - 1]! - times[0]!)) * 1000,
              p95: deltas[Math.floor(deltas.length * 0.95)] ?? 0,
              frames: deltas.length,
            });
          }
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

test.describe.configure({ mode: 'serial' });

test('(a) first-view JavaScript, gzip', async () => {
  const r = firstViewBytes();
  for (const f of r.files)
    console.log(`  ${f.file.padEnd(44)} ${kb(f.raw).padStart(10)}  gzip ${kb(f.gzip).padStart(9)}`);
  console.log(`(a) first-view JS: ${kb(r.js)} gzip (+ CSS ${kb(r.css)} gzip); budget 300 KB`);
  if (r.worker)
    console.log(
      `    engine worker (loaded in parallel, not part of the entry graph): ${kb(r.worker.raw)} raw, ${kb(r.worker.gzip)} gzip`,
    );
  results['firstViewJsGzipBytes'] = r.js;
  results['firstViewCssGzipBytes'] = r.css;
  results['workerGzipBytes'] = r.worker?.gzip;
});

test('(c) load-to-interactive, default scenario', async ({ page }) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto('/');
    // Interactive: the scenario is loaded (title shown), the canvas shows the engine's devices,
    // and the "Start" button can be pressed.
    await page.waitForFunction(() => {
      const start = [...document.querySelectorAll('.step-nav .primary')].find(
        (b) => !(b as HTMLButtonElement).disabled,
      );
      return (
        !!document.querySelector('h1') &&
        !!document.querySelector('.react-flow__node-device') &&
        !!start
      );
    });
    times.push(await page.evaluate(() => performance.now()));
  }
  times.sort((a, b) => a - b);
  console.log(
    `(c) load-to-interactive: median ${times[2]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[4]!.toFixed(0)}) over 5 loads`,
  );
  results['loadToInteractiveMs'] = times[2];
  results['loadToInteractiveAllMs'] = times;
});

test('(b) frame rate while animating, 10 nodes / 200 pods', async ({ page }) => {
  await page.goto('/');
  await page.waitForSelector('.react-flow__node-device');
  const doc = JSON.stringify(bigScenario(10, 20));
  const t0 = Date.now();
  await page
    .locator('input[type=file]')
    .setInputFiles({ name: 'perf.json', mimeType: 'application/json', buffer: Buffer.from(doc) });
  await page.waitForFunction(
    () => document.querySelector('h1')?.textContent?.startsWith('Generated'),
    undefined,
    { timeout: 120_000 },
  );
  const loadMs = Date.now() - t0;
  const nodes = await page.locator('.react-flow__node').count();
  const edges = await page.locator('.react-flow__edge').count();
  console.log(
    `    generated scenario loaded (boot + 1,430 setup commands in the worker, layout, render) in ${loadMs} ms: ${nodes} canvas nodes, ${edges} edges`,
  );
  const idle = await sampleFrames(page, 2000);
  console.log(`    idle: ${idle.fps.toFixed(1)} fps, p95 frame ${idle.p95.toFixed(1)} ms`);

  const t1 = Date.now();
  await page.getByRole('navigation', { name: 'Walkthrough' }).locator('.primary').click();
  await page.waitForSelector('.hop-count:not(:text("No packets"))', { timeout: 120_000 });
  const stepMs = Date.now() - t1;
  const hops = await page.locator('.hop-count').textContent();
  console.log(`    step run in the worker and planned in ${stepMs} ms (${hops})`);
  await page.getByLabel('Playback speed').selectOption('4');
  if (!(await page.getByRole('button', { name: 'Pause' }).isVisible()))
    await page.getByRole('button', { name: /^(Play|Replay)$/ }).click();
  // Sample while packets travel; fit everything in view first so all of it is drawn.
  await page.keyboard.press('f');
  await page.waitForTimeout(500);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const before = (await cdp.send('Performance.getMetrics')).metrics;
  // Three windows of 3 s: the machine is shared, so one window can catch a neighbour's burst.
  const runs: { fps: number; p95: number; frames: number }[] = [];
  for (let i = 0; i < 3; i++) runs.push(await sampleFrames(page, 3000));
  const after = (await cdp.send('Performance.getMetrics')).metrics;
  const anim = [...runs].sort((a, b) => a.fps - b.fps)[1]!;
  const frames = runs.reduce((a, r) => a + r.frames, 0);
  const metric = (list: { name: string; value: number }[], name: string) =>
    list.find((m) => m.name === name)?.value ?? 0;
  console.log(
    `(b) animating (whole topology in view, 4× speed): ${anim.fps.toFixed(1)} fps median of ${runs.map((r) => r.fps.toFixed(1)).join(', ')}; p95 frame ${anim.p95.toFixed(1)} ms; ` +
      `in 9 s (${frames} frames): ${(metric(after, 'TaskDuration') - metric(before, 'TaskDuration')).toFixed(2)} s of main-thread tasks, ` +
      `${metric(after, 'LayoutCount') - metric(before, 'LayoutCount')} layouts, ${metric(after, 'RecalcStyleCount') - metric(before, 'RecalcStyleCount')} style recalcs`,
  );
  // …and zoomed in on one node, as a learner would watch it.
  await page.locator('.react-flow__controls-zoomin').click();
  await page.locator('.react-flow__controls-zoomin').click();
  await page.locator('.react-flow__controls-zoomin').click();
  const zoomed = await sampleFrames(page, 2000);
  console.log(
    `    animating, zoomed in: ${zoomed.fps.toFixed(1)} fps, p95 frame ${zoomed.p95.toFixed(1)} ms`,
  );
  results['bigTopology'] = { nodes, edges, loadMs, stepMs, idle, animating: anim, runs, zoomed };
});

test.afterAll(() => {
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/perf.json', `${JSON.stringify(results, null, 2)}\n`);
});
