/**
 * The packet layer: SVG and a few HTML labels in the canvas's coordinate space, moved by plain DOM
 * updates from a transient store subscription. React renders it once; playing a trace re-renders
 * no component. Every frame is `frameAt(plan, playhead)`, so pausing, scrubbing and screenshots
 * are deterministic.
 */
import { ViewportPortal, useReactFlow, useStoreApi } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { currentRun, type AppState } from '../../store/appStore';
import { useAppStore } from '../StoreContext';
import { type AnimPlan, type Frame, type Sprite, frameAt, travelPoint } from './animation';

/** Keyframes per edge traversal handed to the compositor (the easing is baked in). */
const MOTION_KEYFRAMES = 24;

/**
 * A packet marker: an HTML element on its own compositing layer (`will-change: transform`), moved
 * with `transform` only, so a frame of animation costs no paint and no layerization of the
 * hundreds of nodes underneath.
 */
interface SpriteEl {
  root: HTMLDivElement;
  outer: HTMLDivElement;
  pill: HTMLDivElement;
  mark: HTMLSpanElement;
  label: string;
  outerLabel: string;
  state: string;
  fill: string;
  transform: string;
  /** The compositor animation moving it along an edge, and which traversal (and speed) it is. */
  anim?: Animation;
  motionKey: string;
}

function createSprite(parent: HTMLElement): SpriteEl {
  const root = document.createElement('div');
  root.className = 'sprite';
  const outer = document.createElement('div');
  outer.className = 'sprite-outer';
  outer.style.display = 'none';
  const pill = document.createElement('div');
  pill.className = 'sprite-pill';
  const mark = document.createElement('span');
  mark.className = 'sprite-mark';
  pill.append(mark);
  root.append(outer, pill);
  parent.append(root);
  return {
    root,
    outer,
    pill,
    mark,
    label: '',
    outerLabel: '',
    state: '',
    fill: '',
    transform: '',
    motionKey: '',
  };
}

const translate = (x: number, y: number) => `translate3d(${x.toFixed(1)}px,${y.toFixed(1)}px,0)`;

/**
 * Moves a sprite. While the playhead plays through an edge traversal the sprite is driven by a
 * Web Animation (composited: no style, layout or paint on the main thread per frame); paused,
 * scrubbed or resting, its transform is set to the exact position of the playhead.
 */
function moveSprite(el: SpriteEl, s: Sprite, playing: boolean, speed: number) {
  const m = s.motion;
  if (m && playing && speed > 0 && typeof el.root.animate === 'function') {
    const key = `${m.key}@${speed}`;
    if (el.motionKey === key) return;
    el.anim?.cancel();
    const frames: Keyframe[] = [];
    for (let i = 0; i <= MOTION_KEYFRAMES; i++) {
      const u = i / MOTION_KEYFRAMES;
      const p = travelPoint(m.path, u);
      frames.push({ offset: u, transform: translate(p.x, p.y) });
    }
    const duration = m.durationMs / speed;
    el.anim = el.root.animate(frames, { duration, fill: 'forwards', easing: 'linear' });
    el.anim.currentTime = m.done * duration;
    el.motionKey = key;
    el.transform = '';
    return;
  }
  if (el.anim) {
    el.anim.cancel();
    el.anim = undefined;
    el.motionKey = '';
  }
  const transform = translate(s.x, s.y);
  if (el.transform !== transform) {
    el.transform = transform;
    el.root.style.transform = transform;
  }
}

function updateSprite(el: SpriteEl, s: Sprite) {
  if (el.label !== s.label) {
    el.label = s.label;
    const first = el.pill.firstChild;
    if (first && first.nodeType === Node.TEXT_NODE) first.textContent = s.label;
    else el.pill.prepend(document.createTextNode(s.label));
  }
  if (el.fill !== s.fill) {
    el.fill = s.fill;
    el.pill.style.background = s.fill;
    el.pill.style.color = s.text;
    el.outer.style.borderColor = s.fill;
  }
  const outerLabel = s.outer ?? '';
  if (el.outerLabel !== outerLabel) {
    el.outerLabel = outerLabel;
    el.outer.textContent = outerLabel;
    el.outer.style.display = outerLabel ? '' : 'none';
  }
  if (el.state !== s.state) {
    el.state = s.state;
    el.root.className = `sprite sprite-${s.state}`;
    el.mark.textContent = s.state === 'dropped' ? '✕' : s.state === 'delivered' ? '✓' : '';
  }
}

export function PacketLayer({ plan, runKey }: { plan: AnimPlan | null; runKey: number | null }) {
  const store = useAppStore();
  const flow = useReactFlow();
  const rf = useStoreApi();
  const spritesRef = useRef<HTMLDivElement>(null);
  const ringRef = useRef<SVGRectElement>(null);
  const calloutRef = useRef<HTMLDivElement>(null);
  const changesRef = useRef<HTMLDivElement>(null);
  const verdictRef = useRef<HTMLDivElement>(null);
  // The hop last seen, across re-subscriptions: only a playhead *moving* to a new hop pans the view.
  const seenHop = useRef<string | null>(null);

  useEffect(() => {
    const pool = new Map<string, SpriteEl>();
    let lastCallout = '';
    let calloutWidth = 0;
    const written = new WeakMap<Element, Map<string, string>>();
    /** Sets a style property, an attribute (`attr:name`) or the class, only if it changed. */
    const write = (el: HTMLElement | SVGElement, what: string, value: string) => {
      let m = written.get(el);
      if (!m) written.set(el, (m = new Map()));
      if (m.get(what) === value) return;
      m.set(what, value);
      if (what === 'class') el.setAttribute('class', value);
      else if (what.startsWith('attr:')) el.setAttribute(what.slice(5), value);
      else el.style.setProperty(what, value);
    };

    const draw = (s: AppState) => {
      const layer = spritesRef.current;
      const ring = ringRef.current;
      const callout = calloutRef.current;
      const changes = changesRef.current;
      const verdict = verdictRef.current;
      if (!layer || !ring || !callout || !changes || !verdict) return;
      const run = currentRun(s);
      const frame: Frame =
        plan && run && run.key === runKey && run.hops.length
          ? frameAt(plan, run, s.playhead, s.reducedMotion)
          : { sprites: [] };

      const seen = new Set<string>();
      for (const sp of frame.sprites) {
        seen.add(sp.key);
        let el = pool.get(sp.key);
        if (!el) {
          el = createSprite(layer);
          pool.set(sp.key, el);
        }
        updateSprite(el, sp);
        moveSprite(el, sp, s.playing, s.speed);
      }
      for (const [k, el] of pool) {
        if (!seen.has(k)) {
          el.anim?.cancel();
          el.root.remove();
          pool.delete(k);
        }
      }

      // Every write below is skipped when the value is unchanged: an unchanged frame costs no
      // style recalculation, layout or paint.
      if (frame.ring) {
        const r = frame.ring.rect;
        const stroke =
          frame.ring.tone === 'dropped'
            ? '#c62828'
            : frame.ring.tone === 'delivered'
              ? '#1b7f3b'
              : frame.ring.color;
        write(ring, 'attr:x', String(r.x - 5));
        write(ring, 'attr:y', String(r.y - 5));
        write(ring, 'attr:width', String(r.w + 10));
        write(ring, 'attr:height', String(r.h + 10));
        write(ring, 'attr:stroke', stroke);
        write(ring, 'display', '');
      } else write(ring, 'display', 'none');

      if (frame.callout) {
        const key = `${frame.callout.title}|${frame.callout.text}|${frame.callout.tone}`;
        write(callout, 'display', '');
        if (key !== lastCallout) {
          lastCallout = key;
          callout.className = `callout callout-${frame.callout.tone}`;
          callout.firstElementChild!.textContent = frame.callout.title;
          callout.lastElementChild!.textContent = frame.callout.text;
          calloutWidth = callout.offsetWidth;
        }
        // Keep the callout inside the visible canvas (it is centred over the packet's place).
        const { width } = rf.getState();
        const { x: vx, zoom } = flow.getViewport();
        const left = -vx / zoom + 8 / zoom;
        const right = (-vx + width) / zoom - 8 / zoom;
        let cx = frame.callout.x;
        if (width > 0 && calloutWidth < right - left)
          cx = Math.min(Math.max(cx, left + calloutWidth / 2), right - calloutWidth / 2);
        write(
          callout,
          'transform',
          `translate(${cx.toFixed(1)}px, ${frame.callout.y}px) translate(-50%, -100%)`,
        );
      } else write(callout, 'display', 'none');

      if (frame.changes) {
        const text = frame.changes.lines.join('\n');
        if (changes.textContent !== text) {
          changes.textContent = text;
          // restart the flash
          changes.classList.remove('flash');
          void changes.offsetWidth;
          changes.classList.add('flash');
        }
        write(changes, 'transform', `translate(${frame.changes.x}px, ${frame.changes.y}px)`);
        write(changes, 'display', '');
      } else if (changes.textContent !== '') {
        write(changes, 'display', 'none');
        changes.textContent = '';
      }

      if (frame.verdict) {
        if (verdict.textContent !== frame.verdict.text) verdict.textContent = frame.verdict.text;
        write(verdict, 'class', `verdict verdict-${frame.verdict.tone}`);
        write(
          verdict,
          'transform',
          `translate(${frame.verdict.x}px, ${frame.verdict.y}px) translate(-50%, 0)`,
        );
        write(verdict, 'display', '');
      } else write(verdict, 'display', 'none');

      // Keep the current place in view as the playhead moves hop to hop within a run (a new run
      // is framed by the view controller).
      const hopKey = `${s.playhead.run}:${s.playhead.hop}`;
      const prevKey = seenHop.current;
      if (hopKey !== prevKey) {
        seenHop.current = hopKey;
        const sameRun = prevKey !== null && prevKey.split(':')[0] === String(s.playhead.run);
        if (frame.ring && sameRun) {
          const { width, height } = rf.getState();
          const { x, y, zoom } = flow.getViewport();
          const r = frame.ring.rect;
          const left = -x / zoom;
          const top = -y / zoom;
          const right = left + width / zoom;
          const bottom = top + height / zoom;
          const margin = 40 / zoom;
          if (
            width > 0 &&
            (r.x < left + margin ||
              r.y - 60 < top ||
              r.x + r.w > right - margin ||
              r.y + r.h > bottom - margin)
          ) {
            void flow.setCenter(r.x + r.w / 2, r.y + r.h / 2, {
              zoom,
              duration: s.reducedMotion ? 0 : 450,
            });
          }
        }
      }
    };

    draw(store.getState());
    const unsubscribe = store.subscribe(
      (s) => [s.playhead, s.runs, s.reducedMotion, s.playing, s.speed] as const,
      () => draw(store.getState()),
      { equalityFn: (a, b) => a.every((v, i) => v === b[i]) },
    );
    // The callout is kept on screen, so panning and zooming redraw too.
    const unsubscribeView = rf.subscribe((st, prev) => {
      if (st.transform !== prev.transform || st.width !== prev.width) draw(store.getState());
    });
    return () => {
      unsubscribe();
      unsubscribeView();
      for (const el of pool.values()) {
        el.anim?.cancel();
        el.root.remove();
      }
      pool.clear();
    };
  }, [store, plan, runKey, flow, rf]);

  return (
    <ViewportPortal>
      <div className="packet-layer" aria-hidden="true">
        <svg className="packet-svg" width="1" height="1">
          <rect
            ref={ringRef}
            className="place-ring"
            rx="10"
            fill="none"
            strokeWidth="3"
            style={{ display: 'none' }}
          />
        </svg>
        <div ref={spritesRef} className="sprites" />
        <div ref={calloutRef} className="callout" style={{ display: 'none' }}>
          <div className="callout-title" />
          <div className="callout-text" />
        </div>
        <div ref={changesRef} className="changes" style={{ display: 'none' }} />
        <div ref={verdictRef} className="verdict" style={{ display: 'none' }} />
      </div>
    </ViewportPortal>
  );
}
