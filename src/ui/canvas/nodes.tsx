/**
 * The canvas's node and edge components. Memoised and light (no shadows or filters), per React
 * Flow's performance guide; their sizes come from the layout, so what is drawn is what the packet
 * animation computed its paths against.
 */
import { BaseEdge, Handle, Position, type EdgeProps, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { DeviceNode, HostNode, LinkEdge, LoopbackNode, NetnsNode, SegmentNode } from './flow';

const hidden = {
  opacity: 0,
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

function NetnsNodeView({ data }: NodeProps<NetnsNode>) {
  const ns = data.ns;
  const title =
    ns.kind === 'root'
      ? 'root namespace'
      : ns.kind === 'named'
        ? `netns ${ns.label}`
        : `namespace ${ns.label}`;
  return (
    <div className={`netns-node ns-${ns.kind}`} style={{ width: data.w, height: data.h }}>
      <div className="netns-head">
        <span className="netns-title">{title}</span>
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
  return (
    <div
      className={`device-node kind-${d.kind} state-${st}${selected ? ' selected' : ''}`}
      style={{ width: data.w, height: data.h }}
    >
      <Anchors />
      <div className="dev-row dev-title">
        <span className={`state-dot ${st}`} aria-hidden="true" />
        <span className="dev-name">{d.name}</span>
        <span className="dev-kind">{KIND_LABEL[d.kind] ?? d.kind}</span>
      </div>
      <div className="dev-row dev-sub">
        <span className={`dev-state ${st}`}>{d.up ? d.operState : 'DOWN'}</span>
        {relation && <span className="dev-rel">{relation}</span>}
      </div>
      <div className="dev-row dev-mac">{d.mac}</div>
      <div className="dev-row dev-addr">
        {d.addrs[0] ?? <span className="muted">no IPv4 address</span>}
      </div>
      {d.addrs[1] && (
        <div className="dev-row dev-addr">
          {d.addrs[1]}
          {extra > 0 && <span className="muted"> +{extra}</span>}
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
