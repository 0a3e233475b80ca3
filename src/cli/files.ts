/** Finding and reading scenario files for the CLI. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadResult, loadScenarioText } from '../scenario/load';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCENARIO_DIR = join(REPO_ROOT, 'scenarios');

/** All scenario files in scenarios/, sorted by name. */
export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json')
    .sort()
    .map((f) => join(SCENARIO_DIR, f));
}

/** A path, or the id of a built-in scenario. */
export function resolveScenario(arg: string): string {
  if (existsSync(arg)) return arg;
  const byId = join(SCENARIO_DIR, `${arg}.json`);
  if (existsSync(byId)) return byId;
  return arg;
}

export function readScenario(path: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [
        {
          path: '',
          message: code === 'ENOENT' ? 'no such file or scenario id' : `cannot read: ${code}`,
        },
      ],
    };
  }
  return loadScenarioText(text);
}
