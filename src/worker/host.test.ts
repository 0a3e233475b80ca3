import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from './host';
import type { FromWorker } from './protocol';

const veth = JSON.parse(readFileSync(join(__dirname, '../../scenarios/veth-pair.json'), 'utf8'));

function ask(
  host: ReturnType<typeof createHost>,
  msg: Parameters<ReturnType<typeof createHost>['handle']>[0],
): FromWorker[] {
  const out: FromWorker[] = [];
  host.handle(msg, (m) => out.push(m));
  return out;
}

describe('the engine host', () => {
  it('loads, steps with progress, and runs a typed command', () => {
    const h = createHost();
    const [loaded] = ask(h, { type: 'load', id: 1, doc: veth });
    expect(loaded!.type).toBe('loaded');
    if (loaded!.type !== 'loaded') return;
    expect(loaded.snapshot.hosts.map((x) => x.name)).toEqual(['master']);
    const stepped = ask(h, { type: 'step', id: 2, count: 5 });
    expect(stepped.filter((m) => m.type === 'progress')).toHaveLength(5);
    const last = stepped[stepped.length - 1]!;
    expect(last.type).toBe('stepped');
    if (last.type !== 'stepped') return;
    expect(last.steps.map((s) => s.ok)).toEqual([true, true, true, true, true]);
    expect(last.trace.some((e) => e.final === 'delivered' && e.where.netns === 'server')).toBe(
      true,
    );
    const names = last.snapshot.hosts[0]!.namespaces.map((n) => n.label);
    expect(names).toEqual(['root', 'client', 'server']);
    const [ex] = ask(h, {
      type: 'exec',
      id: 3,
      host: 'master',
      command: 'ip link add br0 type bridge',
    });
    expect(ex!.type).toBe('executed');
    if (ex!.type === 'executed')
      expect(ex.snapshot.hosts[0]!.namespaces[0]!.devices.map((d) => d.name)).toContain('br0');
  });

  it('answers invalid documents with precise errors and unknown hosts with a failure', () => {
    const h = createHost();
    const [bad] = ask(h, { type: 'load', id: 1, doc: { ...veth, steps: 'nope' } });
    expect(bad).toMatchObject({
      type: 'invalid',
      errors: [{ path: 'steps', message: 'expected an array, got a string' }],
    });
    ask(h, { type: 'load', id: 2, doc: veth });
    expect(ask(h, { type: 'exec', id: 3, host: 'ghost', command: 'true' })[0]).toMatchObject({
      type: 'failed',
      message: 'no host "ghost"',
    });
  });

  it('can be cancelled between steps', () => {
    const h = createHost();
    ask(h, { type: 'load', id: 1, doc: veth });
    ask(h, { type: 'cancel', id: 2 });
    const out = ask(h, { type: 'step', id: 2, count: 5 });
    expect(out[out.length - 1]).toEqual({ type: 'cancelled', id: 2 });
  });
});
