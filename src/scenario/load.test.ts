import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsonSchema, loadScenario, loadScenarioText, migrate } from './load';
import { ScenarioSession } from './run';

const DIR = join(__dirname, '../../scenarios');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'scenario.schema.json');

const minimal = {
  version: 1,
  id: 'mini',
  title: 'Mini',
  summary: 'One host.',
  source: { article: 'Test' },
  hosts: [{ name: 'h' }],
  steps: [
    { title: 'One', narrative: 'Text.', commands: [{ run: 'true', expect: { exitCode: 0 } }] },
  ],
};

describe('scenario files', () => {
  it('the committed JSON Schema matches the zod schema', () => {
    const committed = JSON.parse(readFileSync(join(DIR, 'scenario.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(jsonSchema())));
  });

  it.each(files)('%s loads, names its source and checks something in every step', (f) => {
    const r = loadScenarioText(readFileSync(join(DIR, f), 'utf8'));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(`${r.scenario.id}.json`).toBe(f);
    expect(r.scenario.source.article.length).toBeGreaterThan(0);
    r.scenario.steps.forEach((s, i) => {
      const checks =
        (s.traffic?.length ?? 0) +
        s.commands.filter((c) => typeof c !== 'string' && (c.expect || c.traffic)).length;
      expect(checks, `step ${i + 1} "${s.title}" has no expectation`).toBeGreaterThan(0);
    });
  });
});

describe('loading', () => {
  it('accepts a minimal scenario', () => {
    expect(loadScenario(minimal).ok).toBe(true);
  });

  it('names the JSON path and what was expected', () => {
    const r = loadScenario({
      ...minimal,
      titel: 'x',
      hosts: [
        { name: 'h', interfaces: [{ name: 'eth0', network: 'nowhere', address: '10.0.0.300/24' }] },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual({ path: '', message: 'unknown field "titel"' });
    expect(r.errors).toContainEqual({
      path: 'hosts[0].interfaces[0].address',
      message: 'an IPv4 address with a prefix length, like 10.0.0.11/24',
    });
  });

  it('checks references the schema cannot', () => {
    const r = loadScenario({
      ...minimal,
      networks: [{ name: 'lan' }],
      hosts: [{ name: 'h', interfaces: [{ name: 'eth0', network: 'wan' }] }],
      steps: [{ title: 'x', narrative: 'y', commands: [{ run: 'true', on: 'ghost' }] }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual([
      'hosts[0].interfaces[0].network',
      'steps[0].commands[0].on',
    ]);
  });

  it('reports bad JSON with line and column', () => {
    const r = loadScenarioText('{\n  "version": 1,\n  "id": }');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.message).toMatch(/^not valid JSON \(line 3, column 9\)/);
  });

  it('migrates version 0 files and refuses newer ones', () => {
    const v0 = {
      ...minimal,
      version: 0,
      source: 'An article',
      walkthrough: minimal.steps,
      steps: undefined,
    };
    const r = loadScenario(v0);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.scenario.source).toEqual({ article: 'An article' });
    const future = loadScenario({ ...minimal, version: 9 });
    expect(future.ok).toBe(false);
    if (!future.ok)
      expect(future.errors[0]!.message).toMatch(/newer than this packet-life understands/);
    expect(migrate({ id: 'x' })).toMatchObject({ ok: false });
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(fc.property(fc.anything(), (doc) => typeof loadScenario(doc).ok === 'boolean'));
    fc.assert(fc.property(fc.string(), (text) => typeof loadScenarioText(text).ok === 'boolean'));
  });

  it('reports a boot route the kernel refuses with its path', () => {
    const r = loadScenario({
      ...minimal,
      networks: [{ name: 'lan' }],
      hosts: [
        {
          name: 'h',
          interfaces: [{ name: 'eth0', network: 'lan', address: '10.0.0.2/24' }],
          routes: ['default via 192.168.7.1'],
        },
      ],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = ScenarioSession.start(r.scenario);
    expect(s.ok).toBe(false);
    if (!s.ok)
      expect(s.errors).toEqual([
        { path: 'hosts[0].routes[0]', message: 'Error: Nexthop has invalid gateway.' },
      ]);
  });
});
