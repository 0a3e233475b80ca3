/**
 * `packet-life` — validate, run, exec and explore scenarios from a terminal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { jsonSchema } from '../scenario/load';
import { ScenarioSession } from '../scenario/run';
import { SCENARIO_DIR, readScenario, resolveScenario, scenarioFiles } from './files';
import type { ScenarioData } from '../scenario/schema';
import { bold, dim, green, printStep, red, stepJson } from './report';
import { runBench } from './bench';
import { buildPlan } from '../conformance/plan';
import { renderScript } from '../conformance/script';
import { runConformance } from '../conformance/runner';
import { commandLine } from './commandLine';

const HELP = `usage: packet-life <command> [options]

commands:
  validate FILE...            check scenario files (schema and references)
  run FILE [--step N] [--json] [--capture] [--quiet] [--cni MODEL]
                              run a scenario's steps and check their expectations
                              (--cni: a cluster scenario on bridge, flannel or calico)
  run --all [--quiet]         run every scenario in scenarios/
  exec FILE [--after-step N] [--cni MODEL] --on HOST -- CMD...
                              run one more command in the world as it stands after step N
                              (one CMD argument is a command line; several are quoted words)
  shell FILE [--after-step N] [--cni MODEL]
                              an interactive prompt on the scenario's world
  list                        the built-in scenarios
  export-sh FILE              a bash script that replays the scenario on a real Linux machine
  conformance [FILE...]       replay scenarios on this machine's kernel and compare (root, Linux)
                              [--save-fixture F] keep the scenario and kernel record as F
  schema [--write]            print (or write scenarios/scenario.schema.json) the JSON Schema
  bench                       timing and throughput figures

FILE is a path or the id of a scenario in scenarios/.
`;

function fail(msg: string): number {
  process.stderr.write(`packet-life: ${msg}\n`);
  return 2;
}

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

function printErrors(file: string, errors: readonly { path: string; message: string }[]): void {
  for (const e of errors)
    process.stderr.write(`${file}: ${e.path ? `${e.path}: ` : ''}${e.message}\n`);
}

const CNI_MODELS = ['bridge', 'flannel', 'calico'] as const;

/** The scenario with its cluster on another CNI model (`--cni`), or why it cannot be. */
function withCni(s: ScenarioData, cni: string | undefined): ScenarioData | string {
  if (cni === undefined) return s;
  if (!(CNI_MODELS as readonly string[]).includes(cni))
    return `--cni takes ${CNI_MODELS.join(', ')}`;
  if (!s.cluster) return '--cni needs a scenario with a cluster';
  return { ...s, cluster: { ...s.cluster, cni: cni as (typeof CNI_MODELS)[number] } };
}

function start(file: string, cni?: string): ScenarioSession | undefined {
  const path = resolveScenario(file);
  const loaded = readScenario(path);
  if (!loaded.ok) {
    printErrors(file, loaded.errors);
    return undefined;
  }
  const scenario = withCni(loaded.scenario, cni);
  if (typeof scenario === 'string') {
    printErrors(file, [{ path: '', message: scenario }]);
    return undefined;
  }
  const started = ScenarioSession.start(scenario);
  if (!started.ok) {
    printErrors(file, started.errors);
    return undefined;
  }
  return started.session;
}

function cmdValidate(args: string[]): number {
  if (args.length === 0) return fail('validate needs at least one FILE');
  let bad = 0;
  for (const f of args) {
    const r = readScenario(resolveScenario(f));
    if (r.ok) {
      const built = ScenarioSession.start(r.scenario);
      if (!built.ok) {
        printErrors(f, built.errors);
        bad++;
      } else process.stdout.write(`${f}: ok (${r.scenario.steps.length} steps)\n`);
    } else {
      printErrors(f, r.errors);
      bad++;
    }
  }
  return bad ? 1 : 0;
}

function runOne(
  file: string,
  opts: { step?: number; json: boolean; capture: boolean; quiet: boolean; cni?: string },
): { ok: boolean; passed: number; failed: number } {
  const session = start(file, opts.cni);
  if (!session) return { ok: false, passed: 0, failed: 1 };
  const s = session.scenario;
  const total = s.steps.length;
  if (opts.step !== undefined && (opts.step < 1 || opts.step > total)) {
    fail(`${file} has steps 1–${total}`);
    return { ok: false, passed: 0, failed: 1 };
  }
  if (!opts.json) process.stdout.write(`${bold(`${s.id}`)} — ${s.title}\n`);
  const results = [];
  let passed = 0;
  let failed = 0;
  while (session.nextStep < total) {
    const step = session.runNextStep();
    const checks = [...step.checks, ...step.commands.flatMap((c) => c.checks)];
    passed += checks.filter((k) => k.ok).length;
    failed += checks.filter((k) => !k.ok).length;
    const shown = opts.step === undefined || opts.step === step.index + 1;
    if (shown) {
      if (opts.json) results.push(stepJson(step));
      else process.stdout.write(`${printStep(session, step, opts)}\n`);
    }
    if (opts.step !== undefined && step.index + 1 >= opts.step) break;
  }
  if (opts.json)
    process.stdout.write(
      `${JSON.stringify({ id: s.id, title: s.title, steps: results, passed, failed }, null, 2)}\n`,
    );
  return { ok: failed === 0, passed, failed };
}

function cmdRun(args: string[]): number {
  const json = flag(args, '--json');
  const capture = flag(args, '--capture');
  const quiet = flag(args, '--quiet');
  const all = flag(args, '--all');
  const stepText = option(args, '--step');
  const cni = option(args, '--cni');
  const step = stepText !== undefined ? Number(stepText) : undefined;
  if (step !== undefined && !Number.isInteger(step)) return fail('--step takes a step number');
  const files = all ? scenarioFiles() : args;
  if (files.length === 0) return fail('run needs a FILE (or --all)');
  let passed = 0;
  let failed = 0;
  for (const f of files) {
    const r = runOne(f, { step, json, capture, quiet, cni });
    passed += r.passed;
    failed += r.failed;
  }
  if (!json)
    process.stdout.write(
      `${failed === 0 ? green('scenario checks') : red('scenario checks')}: ${passed} passed, ${failed} failed\n`,
    );
  return failed === 0 ? 0 : 1;
}

function cmdExec(args: string[]): number {
  const dash = args.indexOf('--');
  if (dash < 0) return fail('exec needs -- before the command');
  const cmd = commandLine(args.slice(dash + 1));
  const head = args.slice(0, dash);
  const after = option(head, '--after-step');
  const on = option(head, '--on');
  const cni = option(head, '--cni');
  const file = head[0];
  if (file === undefined || cmd === '')
    return fail('usage: exec FILE [--after-step N] [--cni MODEL] --on HOST -- CMD...');
  const session = start(file, cni);
  if (!session) return 2;
  if (after !== undefined) {
    const n = Number(after);
    if (!Number.isInteger(n) || n < 0 || n > session.scenario.steps.length)
      return fail(`--after-step takes 0–${session.scenario.steps.length}`);
    session.runSteps(n);
  }
  const host = on ?? session.defaultHost;
  if (!session.shells.has(host))
    return fail(`no host "${host}" (hosts: ${[...session.shells.keys()].join(', ')})`);
  const r = session.exec(host, cmd);
  for (const o of r.output) (o.stream === 'stdout' ? process.stdout : process.stderr).write(o.text);
  return r.exitCode;
}

async function cmdShell(args: string[]): Promise<number> {
  const after = option(args, '--after-step');
  const cni = option(args, '--cni');
  const file = args[0];
  if (file === undefined) return fail('usage: shell FILE [--after-step N] [--cni MODEL]');
  const session = start(file, cni);
  if (!session) return 2;
  if (after !== undefined) session.runSteps(Number(after));
  let host = session.defaultHost;
  process.stdout.write(
    `${bold(session.scenario.title)}\n${dim(`hosts: ${[...session.shells.keys()].join(', ')} — type :help for shell commands`)}\n`,
  );
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  const prompt = () => rl.setPrompt(`root@${host}:~# `);
  prompt();
  rl.prompt();
  for await (const line of rl) {
    const t = line.trim();
    if (t === ':quit' || t === ':q' || t === 'exit') break;
    if (t === ':help') {
      process.stdout.write(
        ':on HOST   switch host\n:step      run the next scenario step\n:steps     list the steps\n:quit      leave\n',
      );
    } else if (t.startsWith(':on ')) {
      const h = t.slice(4).trim();
      if (session.shells.has(h)) host = h;
      else process.stdout.write(`no host "${h}"\n`);
      prompt();
    } else if (t === ':step') {
      if (session.nextStep >= session.scenario.steps.length)
        process.stdout.write('no more steps\n');
      else
        process.stdout.write(
          `${printStep(session, session.runNextStep(), { capture: false, quiet: false })}\n`,
        );
    } else if (t === ':steps') {
      session.scenario.steps.forEach((s, i) =>
        process.stdout.write(`${i < session.nextStep ? '✓' : ' '} ${i + 1}. ${s.title}\n`),
      );
    } else if (t) {
      const r = session.exec(host, line);
      for (const o of r.output)
        (o.stream === 'stdout' ? process.stdout : process.stderr).write(o.text);
    }
    rl.prompt();
  }
  rl.close();
  return 0;
}

function cmdExportSh(args: string[]): number {
  const file = args[0];
  if (file === undefined) return fail('usage: export-sh FILE');
  const loaded = readScenario(resolveScenario(file));
  if (!loaded.ok) {
    printErrors(file, loaded.errors);
    return 2;
  }
  process.stdout.write(renderScript(buildPlan(loaded.scenario)));
  return 0;
}

function cmdList(): number {
  for (const f of scenarioFiles()) {
    const r = readScenario(f);
    if (r.ok) process.stdout.write(`${r.scenario.id.padEnd(32)} ${r.scenario.title}\n`);
    else process.stdout.write(`${f}: ${red('invalid')}\n`);
  }
  return 0;
}

function cmdSchema(args: string[]): number {
  const text = `${JSON.stringify(jsonSchema(), null, 2)}\n`;
  if (flag(args, '--write')) {
    writeFileSync(join(SCENARIO_DIR, 'scenario.schema.json'), text);
    process.stdout.write(`wrote ${join('scenarios', 'scenario.schema.json')}\n`);
  } else process.stdout.write(text);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'validate':
      return cmdValidate(args);
    case 'run':
      return cmdRun(args);
    case 'exec':
      return cmdExec(args);
    case 'shell':
      return cmdShell(args);
    case 'list':
      return cmdList();
    case 'schema':
      return cmdSchema(args);
    case 'bench':
      return runBench(args);
    case 'export-sh':
      return cmdExportSh(args);
    case 'conformance':
      return runConformance(args);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`packet-life: unknown command "${cmd}"\n${HELP}`);
      return 2;
  }
}
