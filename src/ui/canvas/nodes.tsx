/**
 * The canvas's node and edge components. Memoised and light (no shadows or filters), per React
 * Flow's performance guide; their sizes come from the layout, so what is drawn is what the packet
 * animation computed its paths against.
 */
import { BaseEdge, Handle, Position, type EdgeProps, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { fitText, fontOf, textWidth } from './fitText';
import { SIZES } from './layout';
import type { ContainerView } from '../../engine/sim/snapshot';
import type { DeviceNode, HostNode, LinkEdge, LoopbackNode, NetnsNode, SegmentNode } from './flow';

/**
 * Invisible and paint-free: no transform and no opacity, which would give each of the hundreds of
 * handles a paint property node of its own and slow every compositing update (see fitText.ts).
 */
const hidden = {
  visibility: 'hidden' as const,
  transform: 'none',
  width: 1,
  height: 1,
  minWidth: 0,
  minHeight: 0,
  border: 0,
  left: '50%',
  top: '50%',
  pointerEvents: 'none' as const,
};

/** React Flow needs a handle at each end of an edge; ours are invisible (edges compute their own path). */
function Anchors() {
  return (
    <>
      <Handle type="target" position={Position.Top} style={hidden} isConnectable={false} />
      <Handle type="source" position={Position.Bottom} style={hidden} isConnectable={false} />
    </>
  );
}

function HostNodeView({ data }: NodeProps<HostNode>) {
  return (
    <div
      className={`host-node${data.external ? ' external' : ''}`}
      style={{ width: data.w, height: data.h }}
    >
      <div className="host-head">
        <svg className="host-icon" viewBox="0 0 16 16" aria-hidden="true">
          <rect
            x="1.5"
            y="2"
            width="13"
            height="9"
            rx="1.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.4"
          />
          <path d="M5 14h6M8 11v3" stroke="currentColor" strokeWidth="1.4" />
        </svg>
        <span className="host-name">{data.name}</span>
        <span className="tag">{data.external ? 'outside the lab' : 'host'}</span>
        {data.description && <span className="host-desc">{data.description}</span>}
      </div>
    </div>
  );
}

/** A chip's width: its name in 11 px mono plus padding and borders (styles.css `.ctr-chip`). */
const chipW = (text: string) => Math.ceil(textWidth(text, fontOf(600, 11, 'mono'))) + 17;
const CHIP_GAP = 5;

/** How a container reads on hover: its name, image and pid, or what a sandbox is for. */
function containerTitle(c: ContainerView): string {
  return c.sandbox
    ? `pause (pid ${c.pid}): the pod's sandbox, holding this network namespace for its containers`
    : `container ${c.name}${c.image ? ` · image ${c.image}` : ''} · pid ${c.pid}`;
}

/**
 * The containers whose processes live in a namespace, as one row of chips: those that fit, then
 * "+N" naming the rest on hover.
 */
function ContainerRow({
  containers,
  width,
}: {
  containers: readonly ContainerView[];
  width: number;
}) {
  const shown: ContainerView[] = [];
  let used = 0;
  for (let i = 0; i < containers.length; i++) {
    const c = containers[i]!;
    const rest = containers.length - i - 1;
    const need = chipW(c.name) + (rest > 0 ? CHIP_GAP + chipW(`+${rest}`) : 0);
    if (used + need > width) break;
    shown.push(c);
    used += chipW(c.name) + CHIP_GAP;
  }
  const hidden = containers.slice(shown.length);
  return (
    <div className="ctr-row" aria-label="containers">
      {shown.map((c) => (
        <span
          key={c.pid}
          className={`ctr-chip${c.sandbox ? ' sandbox' : ''}`}
          title={containerTitle(c)}
        >
          {c.name}
        </span>
      ))}
      {hidden.length > 0 && (
        <span className="ctr-chip more" title={hidden.map(containerTitle).join('\n')}>
          +{hidden.length}
        </span>
      )}
    </div>
  );
}

function NetnsNodeView({ data }: NodeProps<NetnsNode>) {
  const ns = data.ns;
  // A pod's sandbox namespace reads as the pod it is; its cni-<uuid> name stays on hover.
  const title =
    ns.kind === 'root'
      ? 'root namespace'
      : ns.pod
        ? `pod ${ns.pod.name}`
        : ns.kind === 'named'
          ? `netns ${ns.label}`
          : `namespace ${ns.label}`;
  const full = ns.pod
    ? `pod ${ns.pod.namespace}/${ns.pod.name}: its sandbox's network namespace, ${ns.kind === 'named' ? 'netns ' : ''}${ns.label}`
    : title;
  // One line however long the name (a pod's cni-<uuid>): cut to what the box leaves beside the
  // forwarding mark and the loopback chip at its right edge, whole on hover.
  const markW = ns.ipForward ? (ns.kind === 'root' ? 92 : 28) : 0;
  const loChipW =
    ns.kind !== 'root' && ns.devices.some((d) => d.kind === 'loopback')
      ? SIZES.loW + SIZES.nsPad
      : 0;
  const shown = fitText(
    title,
    data.w - 2 * SIZES.nsPad - markW - loChipW,
    fontOf(650, 13, ns.kind === 'root' ? 'sans' : 'mono'),
  );
  return (
    <div className={`netns-node ns-${ns.kind}`} style={{ width: data.w, height: data.h }}>
      <div className="netns-head">
        <span className="netns-title" title={shown === full ? undefined : full}>
          {shown}
        </span>
        {ns.ipForward &&
          (ns.kind === 'root' ? (
            <span
              className="tag tag-forward"
              title="net.ipv4.ip_forward = 1: this namespace routes packets between its interfaces"
            >
              forwarding
            </span>
          ) : (
            <span
              className="fwd-mark"
              title="net.ipv4.ip_forward = 1: this namespace routes packets between its interfaces"
              aria-label="forwarding"
            >
              ⇄
            </span>
          ))}
      </div>
      {data.empty && <div className="netns-empty">only a loopback interface</div>}
      {data.footed && ns.containers.length > 0 && (
        <ContainerRow containers={ns.containers} width={data.w - 2 * SIZES.nsPad} />
      )}
    </div>
  );
}

function stateClass(d: { up: boolean; operState: string }): string {
  if (!d.up) return 'down';
  return d.operState === 'UP' || d.operState === 'UNKNOWN' ? 'up' : 'nocarrier';
}

const KIND_LABEL: Record<string, string> = {
  ether: 'NIC',
  veth: 'veth',
  bridge: 'bridge',
  vxlan: 'vxlan',
  dummy: 'dummy',
  loopback: 'loopback',
};

/** Horizontal space inside a device card: borders 5 + 1.5 and padding 9 + 10 (styles.css). */
const CARD_INSET = 25.5;

/**
 * A device card. Rows are shortened to the card's width here rather than clipped by CSS (see
 * fitText.ts for why).
 */
function DeviceNodeView({ data, selected }: NodeProps<DeviceNode>) {
  const d = data.dev;
  const st = stateClass(d);
  const relation = data.master
    ? `port of ${data.master}`
    : data.peer
      ? `peer: ${data.peer}`
      : d.segment
        ? `cable to ${d.segment}`
        : undefined;
  const extra = d.addrs.length - 2;
  const inner = data.w - CARD_INSET;
  const kind = (KIND_LABEL[d.kind] ?? d.kind).toUpperCase();
  // dot 9 + two gaps of 6; the kind label is uppercase with 0.04em letter spacing.
  const kindW = textWidth(kind, fontOf(700, 10.5, 'sans')) + kind.length * 0.42;
  const name = fitText(d.name, inner - 21 - kindW, fontOf(700, 13.5, 'mono'));
  const stateText = d.up ? d.operState : 'DOWN';
  const stateW = textWidth(stateText, fontOf(700, 11.5, 'sans'));
  const rel = relation && fitText(relation, inner - stateW - 8, fontOf(400, 11.5, 'sans'));
  const addrFont = fontOf(600, 12.5, 'mono');
  const more = extra > 0 ? ` +${extra}` : '';
  const moreW = more ? textWidth(more, fontOf(400, 11.5, 'sans')) : 0;
  return (
    <div
      className={`device-node kind-${d.kind} state-${st}${selected ? ' selected' : ''}`}
      style={{ width: data.w, height: data.h }}
    >
      <Anchors />
      <div className="dev-row dev-title">
        <span className={`state-dot ${st}`} aria-hidden="true" />
        <span className="dev-name" title={name !== d.name ? d.name : undefined}>
          {name}
        </span>
        <span className="dev-kind">{KIND_LABEL[d.kind] ?? d.kind}</span>
      </div>
      <div className="dev-row dev-sub">
        <span className={`dev-state ${st}`}>{stateText}</span>
        {rel && <span className="dev-rel">{rel}</span>}
      </div>
      <div className="dev-row dev-mac">{fitText(d.mac, inner, fontOf(400, 11.5, 'mono'))}</div>
      <div className="dev-row dev-addr">
        {d.addrs[0] ? (
          fitText(d.addrs[0], inner, addrFont)
        ) : (
          <span className="muted">no IPv4 address</span>
        )}
      </div>
      {d.addrs[1] && (
        <div className="dev-row dev-addr">
          {fitText(d.addrs[1], inner - moreW, addrFont)}
          {more && <span className="muted">{more}</span>}
        </div>
      )}
    </div>
  );
}

function LoopbackNodeView({ data, selected }: NodeProps<LoopbackNode>) {
  const d = data.dev;
  return (
    <div
      className={`lo-node ${d.up ? 'up' : 'down'}${selected ? ' selected' : ''}`}
      style={{ width: data.w, height: data.h }}
      title={`${d.name}: ${d.up ? 'up' : 'down'}${d.addrs.length ? `, ${d.addrs.join(', ')}` : ''}`}
    >
      <Anchors />
      <span className={`state-dot ${d.up ? 'up' : 'down'}`} aria-hidden="true" />
      {d.name} {d.up ? 'UP' : 'DOWN'}
    </div>
  );
}

function SegmentNodeView({ data }: NodeProps<SegmentNode>) {
  return (
    <div className="segment-node" style={{ width: data.w, height: data.h }}>
      <Anchors />
      <span className="segment-name">{data.name}</span>
      <span className="segment-desc">{data.description ?? 'physical network'}</span>
    </div>
  );
}

function LinkEdgeView({ data, id }: EdgeProps<LinkEdge>) {
  if (!data) return null;
  return (
    <BaseEdge id={id} path={data.d} className={`link link-${data.kind}`} interactionWidth={0} />
  );
}

export const nodeTypes = {
  host: memo(HostNodeView),
  netns: memo(NetnsNodeView),
  device: memo(DeviceNodeView),
  loopback: memo(LoopbackNodeView),
  segment: memo(SegmentNodeView),
};

export const edgeTypes = { link: memo(LinkEdgeView) };
