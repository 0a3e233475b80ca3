#!/usr/bin/env node
// `npm test`: every suite in turn (typecheck, lint, unit tests, scenario expectations, and the
// browser tests and the kernel conformance suite), then one line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
let passed = 0;
let failed = 0;
const summary = [];

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: opts.capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
  });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? '',
    seconds: ((Date.now() - t0) / 1000).toFixed(1),
  };
}

function suite(name, fn) {
  if (only.length && !only.includes(name)) return;
  process.stdout.write(`\n━━ ${name} ━━\n`);
  const { p, f, seconds, note } = fn();
  passed += p;
  failed += f;
  summary.push(
    `${name.padEnd(12)} ${String(p).padStart(5)} passed ${String(f).padStart(4)} failed  ${seconds}s${note ? `  (${note})` : ''}`,
  );
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

suite('typecheck', () => {
  const r = run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  return { p: r.status === 0 ? 1 : 0, f: r.status === 0 ? 0 : 1, seconds: r.seconds };
});

suite('lint', () => {
  const r = run(bin('eslint'), ['.', '--max-warnings=0']);
  return { p: r.status === 0 ? 1 : 0, f: r.status === 0 ? 0 : 1, seconds: r.seconds };
});

suite('format', () => {
  const r = run(bin('prettier'), ['--check', '.', '--log-level', 'warn']);
  return { p: r.status === 0 ? 1 : 0, f: r.status === 0 ? 0 : 1, seconds: r.seconds };
});

suite('unit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-vitest-'));
  const out = join(dir, 'report.json');
  const r = run(bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  let p = 0;
  let f = r.status === 0 ? 0 : 1;
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    p = j.numPassedTests;
    f = j.numFailedTests + (r.status !== 0 && j.numFailedTests === 0 ? 1 : 0);
  }
  rmSync(dir, { recursive: true, force: true });
  return { p, f, seconds: r.seconds };
});

suite('scenarios', () => {
  const r = run(process.execPath, [join(root, 'bin/packet-life.mjs'), 'run', '--all', '--quiet'], {
    capture: true,
  });
  process.stdout.write(r.stdout);
  const m = /(\d+) passed, (\d+) failed/.exec(r.stdout.split('\n').filter(Boolean).pop() ?? '');
  if (!m) return { p: 0, f: 1, seconds: r.seconds, note: 'no summary line' };
  const f = Number(m[2]) + (r.status !== 0 && Number(m[2]) === 0 ? 1 : 0);
  return { p: Number(m[1]), f, seconds: r.seconds };
});

/**
 * The browser tests drive Debian's Chromium (the build @playwright/test 1.64.1 matches). When it
 * is missing and we are root on a Debian-like system, install it; otherwise Playwright falls back
 * to its own browser, if one was downloaded.
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return;
  if (spawnSync('sh', ['-c', 'command -v apt-get']).status !== 0) return;
  process.stdout.write('installing chromium with apt-get (for the browser tests)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { stdio: 'inherit', env, timeout: 15 * 60_000 };
  spawnSync('apt-get', ['update'], opts);
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], opts);
}

if (existsSync(join(root, 'playwright.config.ts'))) {
  suite('e2e', () => {
    ensureChromium();
    const dir = mkdtempSync(join(tmpdir(), 'pl-pw-'));
    const out = join(dir, 'report.json');
    const r = run(bin('playwright'), ['test', '--reporter=list,json'], {
      env: { PLAYWRIGHT_JSON_OUTPUT_NAME: out },
    });
    let p = 0;
    let f = r.status === 0 ? 0 : 1;
    if (existsSync(out)) {
      const j = JSON.parse(readFileSync(out, 'utf8'));
      p = j.stats.expected;
      f =
        j.stats.unexpected +
        j.stats.flaky * 0 +
        (r.status !== 0 && j.stats.unexpected === 0 ? 1 : 0);
    }
    rmSync(dir, { recursive: true, force: true });
    return { p, f, seconds: r.seconds };
  });
}

// Last, the engine against the real kernel: it needs root and network namespaces, installs its
// tools with apt when missing, and says why when it cannot run here.
suite('conformance', () => {
  const r = run(process.execPath, [join(root, 'bin/packet-life.mjs'), 'conformance'], {
    capture: true,
  });
  process.stdout.write(r.stdout);
  const lines = r.stdout.split('\n').filter(Boolean);
  const m = /^(\d+) passed, (\d+) failed$/.exec(lines.pop() ?? '');
  if (!m) return { p: 0, f: 1, seconds: r.seconds, note: 'no summary line' };
  const skipped = /^conformance: skipped \((.*)\)$/.exec(lines.pop() ?? '');
  const f = Number(m[2]) + (r.status !== 0 && Number(m[2]) === 0 ? 1 : 0);
  return { p: Number(m[1]), f, seconds: r.seconds, note: skipped ? `skipped: ${skipped[1]}` : '' };
});

process.stdout.write(`\n${summary.join('\n')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
