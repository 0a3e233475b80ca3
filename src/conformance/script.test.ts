import { describe, expect, it } from 'vitest';
import { readScenario } from '../cli/files';
import { buildPlan } from './plan';
import { renderScript } from './script';

const plan = (id: string) => {
  const loaded = readScenario(new URL(`../../scenarios/${id}.json`, import.meta.url).pathname);
  if (!loaded.ok) throw new Error(`${id} does not load`);
  return buildPlan(loaded.scenario);
};

describe('export-sh', () => {
  it('replays a kernel-checkable walkthrough in its own namespaces, cleaning up on exit', () => {
    const s = renderScript(plan('veth-pair'));
    expect(s).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(s).toContain('trap cleanup EXIT');
    expect(s).toContain("start_host 'master'");
    expect(s).toContain("on 'master' 'ip netns exec client ping -c 5 10.0.0.12'");
    // Names are looked up in the scenario's /etc/hosts only.
    expect(s).toContain("printf 'hosts: files\\nnetworks: files\\n'");
  });

  it('marks a step that needs a simulated host', () => {
    expect(renderScript(plan('two-hosts-kind'))).toContain(
      '# (not checkable on a kernel: needs a simulated internet host)',
    );
  });

  it('runs nothing for a walkthrough that needs Docker, listing its commands instead', () => {
    const s = renderScript(plan('docker-nginx-dnat'));
    expect(s).toContain('cannot be replayed on a plain kernel');
    expect(s).toContain('#   controlplane# docker run -d --name web --rm nginx');
    expect(s).not.toMatch(/^(on|start_host|start_network) /m);
    expect(s.trimEnd().endsWith('exit 3')).toBe(true);
    // A heredoc's body stays inside the comment.
    const cni = renderScript(plan('cni-bridge-by-hand'));
    expect(cni).toContain('#   "cniVersion": "0.2.0",');
    expect(cni.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      expect.stringMatching(/^echo 'packet-life: cni-bridge-by-hand cannot/),
      'exit 3',
    ]);
  });
});
