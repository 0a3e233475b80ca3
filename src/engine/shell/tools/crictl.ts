/**
 * crictl 1.30 on a node: `crictl pods` (the sandboxes, each held by a pause container) and
 * `crictl ps [-a]` (the containers), as containerd reports them to the kubelet.
 */
import { clusterOf } from '../../k8s/cluster';
import { imageRepo } from '../../k8s/images';
import { fnv32a } from '../../k8s/names';
import type { Tool } from '../tool';

/** go-units HumanDuration, as crictl's CREATED column prints it (followed by " ago"). */
export function unitsHumanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  return `${Math.floor(h / 24)} days`;
}

/** crictl's tabwriter: minimum width 20, padding 3. */
function crictlTable(rows: readonly (readonly string[])[]): string {
  const n = rows[0]!.length;
  const widths = Array.from({ length: n }, (_, i) =>
    Math.max(20, ...rows.map((r) => (r[i] ?? '').length + 3)),
  );
  return rows
    .map((r) => r.map((c, i) => (i === n - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n')
    .join('');
}

/** A stable 13-hex image id for an image reference (crictl shows the digest's first 13). */
const imageId = (ref: string) =>
  (fnv32a(imageRepo(ref)).toString(16).padStart(8, '0') + fnv32a(ref).toString(16)).slice(0, 13);

export const crictl: Tool = (ctx) => {
  const { proc } = ctx;
  const c = clusterOf(proc.host.world);
  const node = c?.nodeOfHost(proc.host);
  const sub = ctx.argv[1];
  if (!c || !node) {
    proc.writeErr(
      'validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory"\n',
    );
    proc.exit(1);
    return;
  }
  const now = c.world.unixNow();
  // In creation order; `crictl pods` lists the newest first.
  const pods = [...c.pods.values()].filter((p) => p.nodeName === node.name && p.sandbox);
  if (sub === 'pods') {
    const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
    for (const p of [...pods].reverse().sort((a, b) => b.sandbox!.created - a.sandbox!.created))
      rows.push([
        p.sandbox!.id.slice(0, 13),
        `${unitsHumanDuration(now - p.sandbox!.created)} ago`,
        'Ready',
        p.name,
        p.namespace,
        '0',
        '(default)',
      ]);
    proc.write(crictlTable(rows));
    proc.exit(0);
    return;
  }
  if (sub === 'ps') {
    const all = ctx.argv.includes('-a') || ctx.argv.includes('--all');
    const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD']];
    for (const p of pods)
      for (const [i, st] of p.containers.entries()) {
        if (!all && st.state !== 'running') continue;
        rows.push([
          st.id.slice(0, 13),
          imageId(p.spec.containers[i]!.image),
          `${unitsHumanDuration(now - (st.startedAt ?? p.created))} ago`,
          st.state === 'running' ? 'Running' : 'Exited',
          st.name,
          String(st.restarts),
          p.sandbox!.id.slice(0, 13),
          p.name,
        ]);
        // The kubelet keeps the last dead instance of each container (its garbage collector's
        // --maximum-dead-containers-per-container=1), so -a shows it too.
        const last = st.last;
        if (all && last && last.id !== st.id)
          rows.push([
            last.id.slice(0, 13),
            imageId(p.spec.containers[i]!.image),
            `${unitsHumanDuration(now - last.startedAt)} ago`,
            'Exited',
            st.name,
            String(st.restarts - 1),
            p.sandbox!.id.slice(0, 13),
            p.name,
          ]);
      }
    proc.write(crictlTable(rows));
    proc.exit(0);
    return;
  }
  proc.writeErr(
    `${sub === undefined ? 'NAME:\n   crictl - client for CRI\n' : `No help topic for '${sub}'\n`}`,
  );
  proc.exit(sub === undefined ? 0 : 3);
};
