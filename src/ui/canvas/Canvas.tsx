/**
 * The topology canvas: React Flow over the layout of the engine's snapshot, with the packet layer
 * on top. Nodes are derived from the snapshot (never drawn per scenario).
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  getViewportForBounds,
  useReactFlow,
  useStore as useRfStore,
  type Node,
} from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TopologySnapshot } from '../../engine/sim/snapshot';
import { currentRun, currentSnapshot, currentStepNumber } from '../../store/appStore';
import { useApp, useAppStore } from '../StoreContext';
import { buildPlan } from './animation';
import { type AppNode, toFlow } from './flow';
import type { Rect } from './geometry';
import { EMPTY_MEMORY, type LayoutMemory, type TopologyLayout, layoutTopology } from './layout';
import { PacketLayer } from './PacketLayer';
import { edgeTypes, nodeTypes } from './nodes';

/**
 * Layout with memory: what existed keeps its place as snapshots change. Results are cached per
 * snapshot, so rendering twice (StrictMode) gives the same layout.
 */
class LayoutCache {
  private memory: LayoutMemory = EMPTY_MEMORY;
  private session: unknown = undefined;
  private readonly results = new WeakMap<TopologySnapshot, TopologyLayout>();

  layout(snap: TopologySnapshot, session: unknown): TopologyLayout {
    if (session !== this.session) {
      this.session = session;
      this.memory = EMPTY_MEMORY;
    }
    const hit = this.results.get(snap);
    if (hit) return hit;
    const r = layoutTopology(snap, this.memory);
    this.memory = r.memory;
    this.results.set(snap, r.layout);
    return r.layout;
  }
}

const miniColor = (n: Node) => {
  switch (n.type) {
    case 'host':
      return '#e9edf2';
    case 'netns':
      return '#ffffff';
    case 'segment':
      return '#38475a';
    default:
      return '#7d8a99';
  }
};

const MINIMAP = { w: 132, h: 88 } as const;
/** Below this zoom a device card's text is too small to read; automatic fits stop here. */
const READABLE_ZOOM = 0.6;
/** The zoom buttons' column at the bottom left, with its margin. */
const CONTROLS_W = 44;

/** The minimap only where there is room for it beside the topology (not on a laptop's canvas). */
function miniMapShown(width: number, height: number): boolean {
  return width >= 760 && height >= 460;
}

/**
 * Where the canvas looks. One policy, from the layout's own rectangles (so no waiting for DOM
 * measurement): a new scenario or a canvas resize fits the view; moving to a step that names what
 * to look at fits that; a run that adds devices fits everything. Hop-by-hop panning is the packet
 * layer's job.
 */
function ViewController({
  layout,
  focus,
  runKey,
  session,
}: {
  layout: TopologyLayout;
  focus: Rect[] | null;
  runKey: number | null;
  session: unknown;
}) {
  const flow = useReactFlow();
  const width = useRfStore((s) => s.width);
  const height = useRfStore((s) => s.height);
  const fitRequest = useApp((s) => s.fitRequest);
  const reduced = useApp((s) => s.reducedMotion);
  const last = useRef({
    session: undefined as unknown,
    runKey: null as number | null,
    count: 0,
    size: '',
    fit: 0,
  });

  useEffect(() => {
    if (width <= 0 || height <= 0) return;
    const l = last.current;
    const count = layout.byId.size;
    const size = `${width}x${height}`;
    const fresh = l.session !== session;
    const resized = l.size !== size;
    const runChanged = l.runKey !== runKey;
    const grew = count !== l.count;
    const asked = fitRequest !== l.fit;
    let target: Rect[] | null = null;
    if (asked) target = [layout.bounds];
    else if (fresh || resized) target = focus ?? [layout.bounds];
    else if (runChanged && focus) target = focus;
    else if (grew) target = [layout.bounds];
    last.current = { session, runKey, count, size, fit: fitRequest };
    if (!target) return;
    // A wide topology on a small canvas: rather than shrinking every label past reading, show the
    // first thing asked for at a readable size (the packet layer pans to follow the packet; "f"
    // and the fit button still show everything).
    const box = (rs: Rect[]) => ({
      x0: Math.min(...rs.map((r) => r.x)),
      y0: Math.min(...rs.map((r) => r.y)),
      x1: Math.max(...rs.map((r) => r.x + r.w)),
      y1: Math.max(...rs.map((r) => r.y + r.h)),
    });
    let b = box(target);
    const scale = Math.min(width / (b.x1 - b.x0), height / (b.y1 - b.y0));
    if (!asked && scale < READABLE_ZOOM && target.length > 1) b = box([target[0]!]);
    const { x0, y0, x1, y1 } = b;
    // Small topologies are not blown up past a comfortable size; a projector-sized canvas allows more.
    const maxZoom = width >= 1000 ? 1.5 : 1.15;
    // Fit above the minimap's strip and right of the zoom buttons, so neither covers a device.
    const reserve = miniMapShown(width, height) ? MINIMAP.h + 16 : 0;
    const left = CONTROLS_W;
    const fit = getViewportForBounds(
      { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      width - left,
      height - reserve,
      asked ? 0.04 : READABLE_ZOOM,
      maxZoom,
      0.1,
    );
    const vp = { ...fit, x: fit.x + left };
    void flow.setViewport(vp, { duration: fresh || resized || reduced ? 0 : 350 });
  }, [layout, focus, runKey, session, width, height, fitRequest, reduced, flow]);
  return null;
}

function CanvasInner() {
  const store = useAppStore();
  const snapshot = useApp(currentSnapshot);
  const scenario = useApp((s) => s.scenario);
  const doc = useApp((s) => s.doc);
  const selected = useApp((s) => s.selectedDevice);
  const run = useApp(currentRun);
  const step = useApp(currentStepNumber);
  const showMini = useRfStore((s) => miniMapShown(s.width, s.height));
  const [cache] = useState(() => new LayoutCache());

  const describe = useMemo(
    () => ({
      hosts: new Map(
        (scenario?.hosts ?? [])
          .filter((h) => h.description)
          .map((h) => [h.name, h.description!] as const),
      ),
      networks: new Map(
        (scenario?.networks ?? [])
          .filter((n) => n.description)
          .map((n) => [n.name, n.description!] as const),
      ),
    }),
    [scenario],
  );
  const layout = useMemo(
    () => (snapshot ? cache.layout(snapshot, doc) : null),
    [cache, snapshot, doc],
  );
  const model = useMemo(
    () => (snapshot && layout ? toFlow(snapshot, layout, describe, selected) : null),
    [snapshot, layout, describe, selected],
  );
  const plan = useMemo(
    () => (run && layout && model ? buildPlan(run.events, run.hops, layout, model.links) : null),
    [run, layout, model],
  );

  // What a step asks to look at, brought into view with its host around it (context matters more
  // than magnification: a namespace alone, zoomed in, loses where it sits).
  const focus = useMemo((): Rect[] | null => {
    const current = step > 0 && run?.kind === 'step' ? scenario?.steps[step - 1] : undefined;
    const f = current?.focus;
    if (!f || !snapshot || !layout) return null;
    const rects: Rect[] = [];
    // The step's own host first: when the hosts do not all fit at a readable size, the first is
    // the one shown, and that should be where the step's commands run and its packets start.
    const hosts = [...snapshot.hosts].sort(
      (a, b) => Number(b.name === current?.on) - Number(a.name === current?.on),
    );
    for (const h of hosts) {
      const named = f.hosts?.includes(h.name) ?? false;
      const inside = h.namespaces.some(
        (n) => f.netns?.includes(n.label) || n.devices.some((d) => f.devices?.includes(d.name)),
      );
      if (!named && !inside) continue;
      const hb = layout.hosts.get(h.name)!.abs;
      rects.push(hb);
      // …with the stretch of each network bar above it, where its cables go.
      for (const seg of layout.segments.values())
        rects.push({ x: hb.x, y: seg.abs.y, w: hb.w, h: seg.abs.h });
    }
    return rects.length ? rects : null;
  }, [step, run, scenario, snapshot, layout]);

  if (!model) return <div className="canvas-empty">No topology yet.</div>;
  return (
    <ReactFlow<AppNode>
      nodes={model.nodes}
      edges={model.edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable
      edgesFocusable={false}
      minZoom={0.04}
      maxZoom={2.5}
      onNodeClick={(_, n) => {
        if (n.type === 'device' || n.type === 'loopback')
          store.getState().selectDevice(n.data.dev.id);
      }}
      onPaneClick={() => store.getState().selectDevice(null)}
      // Selection by keyboard (Enter or Space on a focused device) arrives as a change.
      onNodesChange={(changes) => {
        for (const c of changes)
          if (c.type === 'select' && c.selected && c.id.startsWith('d:'))
            store.getState().selectDevice(Number(c.id.slice(2)));
      }}
      panActivationKeyCode={null}
      deleteKeyCode={null}
      selectionKeyCode={null}
      multiSelectionKeyCode={null}
      aria-label="Topology: hosts, network namespaces and their devices"
      proOptions={{ hideAttribution: false }}
    >
      <Background variant={BackgroundVariant.Dots} gap={22} size={1.2} color="#c9d0d9" />
      <Controls showInteractive={false} position="bottom-left" />
      {showMini && (
        <MiniMap
          pannable
          zoomable
          position="bottom-right"
          style={{ width: MINIMAP.w, height: MINIMAP.h }}
          nodeColor={miniColor}
          nodeStrokeColor="#9aa5b1"
          maskColor="rgba(240,242,245,0.7)"
          ariaLabel="Overview of the whole topology"
        />
      )}
      <PacketLayer plan={plan} runKey={run?.key ?? null} />
      {layout && (
        <ViewController layout={layout} focus={focus} runKey={run?.key ?? null} session={doc} />
      )}
    </ReactFlow>
  );
}

export function Canvas() {
  return (
    <ReactFlowProvider>
      <CanvasInner />
    </ReactFlowProvider>
  );
}
