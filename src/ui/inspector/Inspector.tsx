/**
 * The inspector: at the current hop, the packet's headers layer by layer (fields changed since
 * the packet's previous hop highlighted) and the decisions taken there; or the selected device
 * with its namespace's tables.
 */
import { useMemo } from 'react';
import type {
  DeviceView as DeviceSnapshot,
  NetnsView,
  TopologySnapshot,
} from '../../engine/sim/snapshot';
import {
  type AppState,
  currentEventIndex,
  currentRun,
  currentSnapshot,
} from '../../store/appStore';
import { useApp, useAppStore, usePacedApp } from '../StoreContext';
import { flowColor, placeLabel, podsByNetns } from '../format';
import { DECISION_NAMES, DecisionView } from './DecisionView';
import { type Layer, hopHeaders, packetLabel } from './headers';

const playheadHop = (s: AppState) => s.playhead.hop;

export function HeaderLayers({
  layers,
  changed,
  causes,
}: {
  layers: readonly Layer[];
  changed: ReadonlyMap<string, string>;
  /** What rewrote each changed field ("POSTROUTING · MASQUERADE", "ip_forward"). */
  causes?: ReadonlyMap<string, string>;
}) {
  if (!layers.length) return <p className="muted">No headers recorded at this point.</p>;
  return (
    <div className="layers">
      {layers.map((l) => (
        <section
          key={l.key}
          className={`layer layer-${l.key.replace(/^(outer|inner)\./, '')}${l.key.startsWith('inner.') ? ' inner' : ''}`}
          aria-label={l.title}
        >
          <h4 className="layer-title">{l.title}</h4>
          <dl className="fields">
            {l.fields.map((f) => {
              const old = changed.get(f.key);
              const cause = causes?.get(f.key);
              return (
                <div
                  key={f.key}
                  className={`field${old !== undefined ? ' changed' : ''}${cause?.includes(' · ') ? ' nat' : ''}`}
                  data-field={f.key}
                >
                  <dt>{f.label}</dt>
                  <dd>
                    <code>{f.value}</code>
                    {old !== undefined && (
                      <span className="was">
                        <span className="visually-hidden">changed, </span>was <code>{old}</code>
                        {cause && (
                          <>
                            {' '}
                            <span className="cause">by {cause}</span>
                          </>
                        )}
                      </span>
                    )}
                  </dd>
                </div>
              );
            })}
          </dl>
        </section>
      ))}
    </div>
  );
}

/** The decisions of the current hop, the current one first-class. */
export function HopDecisions({ compact = false }: { compact?: boolean }) {
  const run = useApp(currentRun);
  const hopIndex = usePacedApp(playheadHop);
  const eventIndex = usePacedApp(currentEventIndex);
  const hop = run?.hops[hopIndex];
  if (!run || !hop || eventIndex === undefined) return null;
  const items = [];
  for (let i = hop.first; i <= hop.last; i++) {
    const e = run.events[i]!;
    if (e.decision && (!compact || i <= eventIndex)) items.push({ i, e });
  }
  const shown = compact ? items.slice(-1) : items;
  if (!shown.length)
    return compact ? null : (
      <p className="muted">No decision at this hop: the packet just passes through.</p>
    );
  return (
    <div className="decisions">
      {shown.map(({ i, e }) => (
        <article
          key={i}
          className={`decision decision-${e.decision!.kind}${i === eventIndex ? ' current' : ''}${i > eventIndex ? ' upcoming' : ''}`}
        >
          <div className="decision-kind">
            {DECISION_NAMES[e.decision!.kind] ?? e.decision!.kind} <span className="muted">at</span>{' '}
            <code>{e.stage}</code>
          </div>
          <DecisionView decision={e.decision!} />
        </article>
      ))}
    </div>
  );
}

function PacketPanel() {
  const run = useApp(currentRun);
  const hopIndex = usePacedApp(playheadHop);
  const eventIndex = usePacedApp(currentEventIndex);
  const headers = useMemo(
    () =>
      run && eventIndex !== undefined
        ? hopHeaders(run.events, run.hops, hopIndex, eventIndex)
        : null,
    [run, hopIndex, eventIndex],
  );
  if (!run)
    return (
      <p className="empty-state">
        Nothing has run yet. Start the walkthrough, or type a command in the terminal.
      </p>
    );
  if (!run.hops.length)
    return (
      <p className="empty-state">
        {run.kind === 'step'
          ? 'This step sends no packets: it changes configuration.'
          : 'This command sent no packets.'}{' '}
        Look at the canvas for what changed, or pick a device to see its tables.
      </p>
    );
  const hop = run.hops[hopIndex];
  const ev = eventIndex !== undefined ? run.events[eventIndex] : undefined;
  if (!hop || !ev) return null;
  const pods = podsByNetns(run.snapshot);
  const color = flowColor(hop.flowId);
  const label = headers?.source ? packetLabel(headers.source) : undefined;
  let final = undefined;
  for (let i = hop.first; i <= eventIndex! && !final; i++)
    if (run.events[i]!.final) final = run.events[i]!;
  return (
    <div className="packet-panel">
      <header className="packet-head">
        <span className="flow-chip" style={{ background: color.fill, color: color.text }}>
          {label ? (label.outer ? `${label.outer} ▸ ${label.label}` : label.label) : 'packet'}
        </span>
        <span className="packet-id">
          packet #{hop.packetId}
          {hop.parentId !== undefined && <span className="muted"> (from #{hop.parentId})</span>}
        </span>
        <span className="muted">flow {hop.flowId}</span>
      </header>
      <p className="packet-place">{placeLabel(ev.where, pods)}</p>
      <p className="packet-now">
        <code className="stage">{ev.stage}</code> {ev.summary}
        {ev.to && <span className="packet-to"> → next: {placeLabel(ev.to, pods)}</span>}
        {ev.queued && <span className="packet-to"> · waits here until ARP answers</span>}
      </p>
      {final && (
        <div className={`outcome outcome-${final.final}`} role="status">
          <strong>{final.final === 'dropped' ? 'Dropped here' : 'Delivered'}</strong>
          {final.decision?.kind === 'drop' ? (
            <>
              {' '}
              · <code>{final.decision.reason}</code>: {final.decision.text}
            </>
          ) : (
            <> · {final.summary}</>
          )}
        </div>
      )}
      <h3 className="section-title">Decisions at this hop</h3>
      <HopDecisions />
      <h3 className="section-title">
        Headers{' '}
        {headers && headers.changed.size > 0 && (
          <span className="changed-note">
            {headers.changed.size} changed since the previous hop
          </span>
        )}
      </h3>
      {headers && (
        <HeaderLayers layers={headers.layers} changed={headers.changed} causes={headers.causes} />
      )}
    </div>
  );
}

function findDevice(
  snap: TopologySnapshot | null,
  id: number | null,
): { dev: DeviceSnapshot; ns: NetnsView; names: Map<number, string> } | null {
  if (!snap || id === null) return null;
  const names = new Map<number, string>();
  let found: { dev: DeviceSnapshot; ns: NetnsView } | null = null;
  for (const h of snap.hosts)
    for (const n of h.namespaces)
      for (const d of n.devices) {
        names.set(d.id, d.name);
        if (d.id === id) found = { dev: d, ns: n };
      }
  return found ? { ...found, names } : null;
}

function Table({ title, rows, empty }: { title: string; rows: readonly string[]; empty: string }) {
  return (
    <section className="ns-table">
      <h4>{title}</h4>
      {rows.length ? (
        <ul className="mono-list">
          {rows.map((r, i) => (
            <li key={i}>
              <code>{r}</code>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{empty}</p>
      )}
    </section>
  );
}

function DevicePanel() {
  const snap = useApp(currentSnapshot);
  const selected = useApp((s) => s.selectedDevice);
  const run = useApp(currentRun);
  const hopIndex = usePacedApp(playheadHop);
  const fallback = run?.hops[hopIndex]?.place.devId ?? null;
  const found = findDevice(snap, selected ?? fallback);
  const store = useAppStore();
  if (!found)
    return (
      <p className="empty-state">
        Click a device on the canvas to see its addresses, routes, neighbours and more.
      </p>
    );
  const { dev, ns, names } = found;
  return (
    <div className="device-panel">
      <header className="device-head">
        <h3>
          <code>{dev.name}</code> <span className="tag">{dev.kind}</span>
        </h3>
        <p className="muted">
          {ns.host} ·{' '}
          {ns.kind === 'root'
            ? 'root namespace'
            : `${ns.pod ? `pod ${ns.pod.name} · ` : ''}netns ${ns.label}`}
          {selected === null && ' · where the packet is'}
        </p>
        {selected !== null && (
          <button
            type="button"
            className="link-button"
            onClick={() => store.getState().selectDevice(null)}
          >
            Follow the packet instead
          </button>
        )}
      </header>
      <dl className="kv">
        <dt>State</dt>
        <dd>
          {dev.operState} <code className="muted">{dev.flags}</code>
        </dd>
        <dt>MAC</dt>
        <dd>
          <code>{dev.mac}</code>
        </dd>
        <dt>Index · MTU</dt>
        <dd>
          {dev.ifindex} · {dev.mtu}
        </dd>
        <dt>Addresses</dt>
        <dd>
          {dev.addrs.length ? (
            dev.addrs.map((a) => <code key={a}>{a} </code>)
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        {dev.peer !== undefined && (
          <>
            <dt>veth peer</dt>
            <dd>
              <code>{names.get(dev.peer) ?? `#${dev.peer}`}</code>
            </dd>
          </>
        )}
        {dev.master !== undefined && (
          <>
            <dt>Bridge</dt>
            <dd>
              <code>{names.get(dev.master) ?? `#${dev.master}`}</code>
            </dd>
          </>
        )}
        {dev.segment && (
          <>
            <dt>Network</dt>
            <dd>{dev.segment}</dd>
          </>
        )}
      </dl>
      {dev.fdb && (
        <Table title="Bridge forwarding table (bridge fdb)" rows={dev.fdb} empty="empty" />
      )}
      {dev.ports && (
        <Table
          title="Bridge ports"
          rows={dev.ports.map((p) => names.get(p) ?? `#${p}`)}
          empty="no ports"
        />
      )}
      <Table
        title={`Routes (ip route) in ${ns.kind === 'root' ? 'the root namespace' : ns.label}`}
        rows={ns.routes}
        empty="no routes"
      />
      <Table title="Neighbours (ip neigh)" rows={ns.neighbours} empty="no entries" />
      <Table title="Listening sockets" rows={ns.listening} empty="nothing listening" />
      {ns.containers.length > 0 && (
        <Table
          title={
            ns.pod
              ? `Containers of pod ${ns.pod.namespace}/${ns.pod.name}`
              : 'Containers in this namespace'
          }
          rows={ns.containers.map(
            (c) => `${c.name}  ${c.sandbox ? '(sandbox)' : (c.image ?? '')}  pid ${c.pid}`,
          )}
          empty=""
        />
      )}
      {ns.processes.length > 0 && (
        <Table title="Processes" rows={ns.processes.map((p) => `${p.pid}  ${p.comm}`)} empty="" />
      )}
      <details className="ns-table">
        <summary>Local routes (ip route show table local)</summary>
        <ul className="mono-list">
          {ns.localRoutes.map((r, i) => (
            <li key={i}>
              <code>{r}</code>
            </li>
          ))}
        </ul>
      </details>
      <p className="muted small">
        ip_forward: {ns.ipForward ? '1 (routes between interfaces)' : '0'}
      </p>
    </div>
  );
}

export function Inspector() {
  const tab = useApp((s) => s.inspectorTab);
  const collapsed = useApp((s) => s.inspectorCollapsed);
  const store = useAppStore();
  if (collapsed)
    return (
      <div className="inspector collapsed">
        <button
          type="button"
          className="rail-button"
          onClick={() => store.getState().setInspectorCollapsed(false)}
          aria-label="Show the inspector"
          aria-keyshortcuts="i"
          title="Show the inspector  i"
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path
              d="M12.5 5l-5 5 5 5"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <span>Inspector</span>
        </button>
      </div>
    );
  const tabs = [
    { id: 'packet', label: 'Packet' },
    { id: 'device', label: 'Device' },
  ] as const;
  return (
    <div className="inspector">
      <div className="tabs" role="tablist" aria-label="Inspector">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`inspector-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`inspector-panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className={`tab${tab === t.id ? ' active' : ''}`}
            onClick={() => store.getState().setInspectorTab(t.id)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = t.id === 'packet' ? 'device' : 'packet';
                store.getState().setInspectorTab(next);
                document.getElementById(`inspector-tab-${next}`)?.focus();
              }
            }}
          >
            {t.label}
          </button>
        ))}
        <button
          type="button"
          className="icon-button collapse"
          onClick={() => store.getState().setInspectorCollapsed(true)}
          aria-label="Hide the inspector"
          aria-keyshortcuts="i"
          title="Hide the inspector  i"
        >
          <svg viewBox="0 0 20 20" aria-hidden="true">
            <path
              d="M7.5 5l5 5-5 5"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
        </button>
      </div>
      <div
        className="inspector-body"
        role="tabpanel"
        id={`inspector-panel-${tab}`}
        aria-labelledby={`inspector-tab-${tab}`}
        tabIndex={0}
      >
        {tab === 'packet' ? <PacketPanel /> : <DevicePanel />}
      </div>
    </div>
  );
}
