/**
 * TCP, after net/ipv4/tcp*.c: the three-way handshake with the options Linux sends, data with
 * MSS segmentation and a congestion window, immediate and delayed ACKs (quickack and pingpong),
 * FIN teardown and TIME_WAIT, RST for closed ports, retransmission with back-off, and ICMP errors.
 */
import { type Ipv4, IPV4_ANY, formatIpv4 } from '../net/ipv4';
import {
  type IcmpError,
  type Ipv4Packet,
  IPPROTO_TCP,
  type TcpFlags,
  type TcpOption,
  type TcpSegment,
} from '../net/packet';
import { utf8Length } from '../net/packet';
import type { ScheduledEvent } from '../sim/scheduler';
import { type SimDuration, ms, seconds, us } from '../sim/time';
import type { Device } from './device';
import { icmpErrConvert } from './icmpErr';
import { ipLocalOut } from './ip';
import type { NetNs } from './netns';
import { ipRouteOutput, isOutputError } from './route';
import type { Skb } from './skb';
import type { Errno } from './socket';
import { drop, emit } from './tracing';

export type TcpState =
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT1'
  | 'FIN_WAIT2'
  | 'CLOSING'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'CLOSED';

export interface TcpHandlers {
  onConnected?(c: TcpConnection): void;
  onData?(c: TcpConnection, data: string): void;
  /** The peer closed its side (read returns 0). */
  onEof?(c: TcpConnection): void;
  /** The connection failed or was aborted. */
  onError?(c: TcpConnection, errno: Errno): void;
  /** Everything sent was acknowledged after close(), or the connection is gone. */
  onClosed?(c: TcpConnection): void;
}

/** Time between the kernel queuing data for a socket and the process reading it. */
const WAKEUP: SimDuration = us(20);
const TCP_TIMEOUT_INIT = seconds(1);
const TCP_RTO_MIN = ms(200);
const TCP_DELACK_MIN = ms(40);
const TCP_TIMEWAIT_LEN = seconds(60);
const RCV_SPACE = 65535;

function key(localIp: Ipv4, localPort: number, remoteIp: Ipv4, remotePort: number): string {
  return `${localIp}:${localPort}-${remoteIp}:${remotePort}`;
}

/** The MSS this end advertises for a path through `mtu`. */
function mssFor(mtu: number): number {
  // An IPv4 packet is at most 65535 bytes, so loopback's 65536 MTU yields 65495.
  return Math.min(mtu, 65535) - 40;
}

/** 32-bit sequence arithmetic. */
const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;

interface InflightSegment {
  seq: number;
  data: string;
  len: number;
  syn: boolean;
  fin: boolean;
  sentAt: number;
  retransmitted: boolean;
}

export class TcpListener {
  closed = false;
  constructor(
    readonly ns: NetNs,
    readonly addr: Ipv4,
    readonly port: number,
    readonly backlog: number,
    readonly onAccept: (c: TcpConnection) => TcpHandlers,
    readonly flowBase: number,
  ) {}

  close(): void {
    this.closed = true;
    const l = this.ns.sockets.tcpListeners;
    const i = l.indexOf(this);
    if (i >= 0) l.splice(i, 1);
  }
}

export function tcpListen(
  ns: NetNs,
  addr: Ipv4,
  port: number,
  onAccept: (c: TcpConnection) => TcpHandlers,
  backlog = 128,
): TcpListener | Errno {
  if (addr !== IPV4_ANY && !ns.isLocalAddr(addr)) return 'EADDRNOTAVAIL';
  if (
    ns.sockets.tcpListeners.some(
      (l) => l.port === port && (l.addr === IPV4_ANY || addr === IPV4_ANY || l.addr === addr),
    )
  ) {
    return 'EADDRINUSE';
  }
  const l = new TcpListener(ns, addr, port, backlog, onAccept, ns.world.newFlowId());
  ns.sockets.tcpListeners.push(l);
  return l;
}

export class TcpConnection {
  state: TcpState;
  readonly flowId: number;
  handlers: TcpHandlers = {};
  // send side
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  private sendBuf = '';
  private inflight: InflightSegment[] = [];
  /** The packet that last carried each sequence number we sent (for skb_still_in_host_queue). */
  private readonly lastTx = new Map<number, number>();
  private finQueued = false;
  private finSent = false;
  private cwnd = 10;
  private peerWindow = RCV_SPACE;
  // receive side
  irs = 0;
  rcvNxt = 0;
  private peerFin = false;
  // options
  private readonly mss: number;
  private peerMss = 536;
  private tsOk = true;
  private peerWscale = 0;
  private readonly tsOffset: number;
  private tsRecent = 0;
  // timers and ACK policy
  private rto: SimDuration = TCP_TIMEOUT_INIT;
  private srtt = 0;
  private rttvar = 0;
  private retries = 0;
  /** When the first SYN left (connect's give-up clock). */
  private synSentAt = 0;
  private rtoTimer?: ScheduledEvent;
  private delackTimer?: ScheduledEvent;
  private twTimer?: ScheduledEvent;
  private quick = 16;
  private unackedRecv = 0;
  private ipId: number;
  /** Our window scale: the smallest shift that covers the largest receive buffer. */
  private readonly wscale: number;
  /** Errors that did not abort the connection (ICMP in ESTABLISHED). */
  softError?: Errno;
  closedByApp = false;

  constructor(
    readonly ns: NetNs,
    readonly localIp: Ipv4,
    readonly localPort: number,
    readonly remoteIp: Ipv4,
    readonly remotePort: number,
    state: TcpState,
    mtu: number,
    flowId: number,
    /** Listener children answer with IP id 0 until they become full sockets. */
    private readonly fromListener: boolean,
  ) {
    this.state = state;
    this.flowId = flowId;
    const rng = ns.world.rng;
    this.iss = rng.int(0, 0xffffffff) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.mss = mssFor(mtu);
    this.tsOffset = rng.int(0, 0xffffffff) >>> 0;
    this.ipId = rng.int(0, 0xffff);
    this.wscale = windowScaleFor(ns);
  }

  get key(): string {
    return key(this.localIp, this.localPort, this.remoteIp, this.remotePort);
  }

  private get sched() {
    return this.ns.world.sched;
  }

  private tsVal(): number {
    return (this.tsOffset + Math.floor(this.sched.now / 1e6)) >>> 0;
  }

  /** The send MSS: the smaller of the two ends, minus the timestamp option. */
  private get sndMss(): number {
    return Math.min(this.peerMss, this.mss) - (this.tsOk ? 12 : 0);
  }

  private synOptions(ecr: number): TcpOption[] {
    return [
      { kind: 'mss', value: this.mss },
      { kind: 'sackOK' },
      { kind: 'ts', val: this.tsVal(), ecr },
      { kind: 'nop' },
      { kind: 'wscale', value: this.wscale },
    ];
  }

  private ackOptions(): TcpOption[] {
    return this.tsOk
      ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: this.tsVal(), ecr: this.tsRecent }]
      : [];
  }

  /** The advertised window: unscaled in SYNs (a whole number of MSS), scaled afterwards. */
  private windowField(syn: boolean): number {
    const mss = syn && this.state === 'SYN_SENT' ? this.mss : this.mss - (this.tsOk ? 12 : 0);
    const space = Math.floor(RCV_SPACE / mss) * mss;
    if (syn) return Math.min(space, 65535);
    return Math.ceil(space / (1 << this.wscale));
  }

  /** tcp_transmit_skb */
  private transmit(flags: TcpFlags, seq: number, data = '', options?: TcpOption[]): void {
    const ns = this.ns;
    const rt = ipRouteOutput(ns, this.remoteIp, { src: this.localIp });
    const seg: TcpSegment = {
      kind: 'tcp',
      sport: this.localPort,
      dport: this.remotePort,
      seq,
      ack: flags.ack ? this.rcvNxt : 0,
      flags,
      window: this.windowField(!!flags.syn),
      options: options ?? this.ackOptions(),
      data,
    };
    const packet: Ipv4Packet = {
      kind: 'ipv4',
      src: this.localIp,
      dst: this.remoteIp,
      ttl: ns.sysctlNumber('net.ipv4.ip_default_ttl'),
      protocol: IPPROTO_TCP,
      id:
        this.fromListener && this.state === 'SYN_RECV' ? 0 : (this.ipId = (this.ipId + 1) & 0xffff),
      tos: 0,
      df: true,
      payload: seg,
    };
    const skb = { ...ns.world.newSkb(this.flowId), ip: packet, local: true };
    if (flags.syn || flags.fin || data) this.lastTx.set(seq, skb.id);
    if (isOutputError(rt)) {
      drop(ns, skb, 'IP_OUTNOROUTES', `no route to ${formatIpv4(this.remoteIp)} any more`);
      return;
    }
    emit(
      ns,
      'tcp_transmit_skb',
      skb,
      `TCP ${this.state}: send ${flagText(flags)}${data ? ` ${utf8Length(data)} bytes` : ''}`,
    );
    if (flags.ack) {
      this.sched.cancel(this.delackTimer);
      this.delackTimer = undefined;
      this.unackedRecv = 0;
    }
    ipLocalOut(ns, skb, rt);
  }

  // --- active open

  /** Sends the SYN and arms the retransmission timer (tcp_connect). */
  startConnect(): void {
    this.state = 'SYN_SENT';
    this.synSentAt = this.sched.now;
    this.sendSyn();
  }

  private sendSyn(): void {
    const retransmit = this.sndNxt !== this.iss;
    this.transmit({ syn: true }, this.iss, '', this.synOptions(0));
    if (!retransmit) {
      this.sndNxt = seqAdd(this.iss, 1);
      this.inflight.push({
        seq: this.iss,
        data: '',
        len: 1,
        syn: true,
        fin: false,
        sentAt: this.sched.now,
        retransmitted: false,
      });
    }
    this.armRto();
  }

  // --- timers

  private armRto(): void {
    this.sched.cancel(this.rtoTimer);
    this.rtoTimer = this.sched.timer(this.rto, `tcp rto ${this.localPort}`, () => this.onRto());
  }

  private onRto(): void {
    this.rtoTimer = undefined;
    if (this.inflight.length === 0) return;
    if (this.state === 'SYN_SENT') {
      // retransmits_timed_out: a connect gives up on elapsed time, modelled as if every retry
      // had doubled (tcp_syn_retries=6: 127 s), plus one second per linear retry.
      const retries = this.ns.sysctlNumber('net.ipv4.tcp_syn_retries');
      const linear = this.ns.sysctlNumber('net.ipv4.tcp_syn_linear_timeouts');
      const budget = seconds(2 ** (retries + 1) - 1 + linear);
      if (this.sched.now - this.synSentAt >= budget) {
        this.abort(this.softError ?? 'ETIMEDOUT', false);
        return;
      }
      this.retries++;
      // Linux 6.x retries a SYN at a steady 1 s for the first tcp_syn_linear_timeouts retries,
      // then backs off exponentially (0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s; gives up at ~131 s).
      if (this.retries > linear) this.rto = Math.min(this.rto * 2, seconds(120)) as SimDuration;
    } else {
      const limit =
        this.state === 'SYN_RECV'
          ? this.ns.sysctlNumber('net.ipv4.tcp_synack_retries')
          : this.ns.sysctlNumber('net.ipv4.tcp_retries2');
      if (this.retries >= limit) {
        this.abort(this.softError ?? 'ETIMEDOUT', false);
        return;
      }
      this.retries++;
      this.rto = Math.min(this.rto * 2, seconds(120)) as SimDuration;
    }
    const first = this.inflight[0]!;
    first.retransmitted = true;
    // skb_still_in_host_queue: while the previous copy still waits in this host (queued behind
    // ARP), the kernel does not send another; the timer backs off as if it had. A request socket
    // (SYN_RECV) builds each SYN-ACK afresh, so this does not apply to it.
    const previous = this.lastTx.get(first.seq);
    if (this.state !== 'SYN_RECV' && previous !== undefined && this.ns.neigh.holds(previous)) {
      this.armRto();
      return;
    }
    if (first.syn && this.state === 'SYN_SENT')
      this.transmit({ syn: true }, this.iss, '', this.synOptions(0));
    else if (first.syn)
      this.transmit({ syn: true, ack: true }, this.iss, '', this.synOptions(this.tsRecent));
    else
      this.transmit(
        { ack: true, psh: first.data.length > 0 && !first.fin, fin: first.fin },
        first.seq,
        first.data,
      );
    this.armRto();
  }

  private scheduleAck(immediate: boolean): void {
    if (immediate) {
      this.transmit({ ack: true }, this.sndNxt);
      return;
    }
    if (this.delackTimer) return;
    this.delackTimer = this.sched.timer(TCP_DELACK_MIN, `tcp delack ${this.localPort}`, () => {
      this.delackTimer = undefined;
      if (this.state !== 'CLOSED' && this.state !== 'TIME_WAIT')
        this.transmit({ ack: true }, this.sndNxt);
    });
  }

  // --- application interface

  /** write(): queue data; it goes out as the window allows. */
  send(data: string): void {
    if (this.finQueued || this.state === 'CLOSED') return;
    this.sendBuf += data;
    this.push();
  }

  /** close(): FIN after any queued data. */
  close(): void {
    this.closedByApp = true;
    if (this.finQueued || this.state === 'CLOSED') return;
    if (this.state === 'SYN_SENT') {
      this.teardown();
      return;
    }
    this.finQueued = true;
    this.push();
  }

  /** Abortive close (SO_LINGER 0 or a killed process): RST to the peer. */
  reset(): void {
    if (
      this.state === 'ESTABLISHED' ||
      this.state === 'CLOSE_WAIT' ||
      this.state === 'FIN_WAIT1' ||
      this.state === 'FIN_WAIT2'
    ) {
      this.transmit({ rst: true, ack: true }, this.sndNxt, '', []);
    }
    this.teardown();
  }

  private push(): void {
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE_WAIT') return;
    while (
      this.sendBuf.length > 0 &&
      this.inflight.length < this.cwnd &&
      this.bytesInFlight() < this.peerWindow
    ) {
      const chunk = takeBytes(this.sendBuf, this.sndMss);
      this.sendBuf = this.sendBuf.slice(chunk.length);
      const len = utf8Length(chunk);
      const seg: InflightSegment = {
        seq: this.sndNxt,
        data: chunk,
        len,
        syn: false,
        fin: false,
        sentAt: this.sched.now,
        retransmitted: false,
      };
      const last = this.sendBuf.length === 0;
      this.transmit({ ack: true, psh: last }, this.sndNxt, chunk);
      this.sndNxt = seqAdd(this.sndNxt, len);
      this.inflight.push(seg);
      if (!this.rtoTimer) this.armRto();
    }
    if (
      this.sendBuf.length === 0 &&
      this.finQueued &&
      !this.finSent &&
      this.inflight.length < this.cwnd
    ) {
      this.finSent = true;
      this.transmit({ fin: true, ack: true }, this.sndNxt);
      this.inflight.push({
        seq: this.sndNxt,
        data: '',
        len: 1,
        syn: false,
        fin: true,
        sentAt: this.sched.now,
        retransmitted: false,
      });
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.state = this.state === 'CLOSE_WAIT' ? 'LAST_ACK' : 'FIN_WAIT1';
      if (!this.rtoTimer) this.armRto();
    }
  }

  private bytesInFlight(): number {
    let n = 0;
    for (const s of this.inflight) n += s.len;
    return n;
  }

  // --- receive

  /** Segment processing for a connection (tcp_rcv_state_process / tcp_rcv_established). */
  receive(skb: Skb, seg: TcpSegment, dev: Device): void {
    const ns = this.ns;
    for (const o of seg.options) if (o.kind === 'ts') this.tsRecent = o.val;
    if (seg.flags.rst) {
      emit(ns, 'tcp_v4_rcv', skb, `RST received in ${this.state}`, dev, { final: 'delivered' });
      this.abort(this.state === 'SYN_SENT' ? 'ECONNREFUSED' : 'ECONNRESET', false);
      return;
    }
    if (this.state === 'SYN_SENT') {
      if (seg.flags.syn && seg.flags.ack && seg.ack === seqAdd(this.iss, 1)) {
        this.irs = seg.seq;
        this.rcvNxt = seqAdd(seg.seq, 1);
        this.readSynOptions(seg);
        this.ackUpTo(seg.ack);
        this.state = 'ESTABLISHED';
        emit(ns, 'tcp_v4_rcv', skb, 'SYN-ACK received: connection established', dev, {
          final: 'delivered',
        });
        this.transmit({ ack: true }, this.sndNxt);
        this.handlers.onConnected?.(this);
        this.push();
      } else {
        drop(ns, skb, 'TCP_INVALID_SEQUENCE', 'unexpected segment while connecting', dev);
      }
      return;
    }
    if (this.state === 'SYN_RECV') {
      if (seg.flags.syn && !seg.flags.ack) {
        // A retransmitted SYN: answer with the SYN-ACK again, and restart the SYN-ACK timer at
        // its current backoff (tcp_check_req: inet_rtx_syn_ack, then mod_timer_pending).
        this.transmit({ syn: true, ack: true }, this.iss, '', this.synOptions(this.tsRecent));
        if (this.inflight.length) this.armRto();
        return;
      }
      if (!seg.flags.ack || seg.ack !== seqAdd(this.iss, 1)) {
        drop(ns, skb, 'TCP_INVALID_ACK_SEQUENCE', 'unexpected segment during the handshake', dev);
        return;
      }
      this.ackUpTo(seg.ack);
      this.state = 'ESTABLISHED';
      emit(ns, 'tcp_v4_rcv', skb, 'handshake complete: connection accepted', dev, {
        final: 'delivered',
      });
      this.quick = 16;
      this.handlers = this.acceptor?.(this) ?? {};
      this.acceptor = undefined;
      // Data or FIN may ride on the ACK that completes the handshake.
      if (utf8Length(seg.data) > 0 || seg.flags.fin) this.established(skb, seg, dev, true);
      return;
    }
    if (this.state === 'TIME_WAIT') {
      if (seg.flags.fin) this.transmit({ ack: true }, this.sndNxt);
      return;
    }
    this.established(skb, seg, dev, false);
  }

  /** Set on listener children: builds the handlers when the handshake completes. */
  acceptor?: (c: TcpConnection) => TcpHandlers;

  private readSynOptions(seg: TcpSegment): void {
    let ts = false;
    for (const o of seg.options) {
      if (o.kind === 'mss') this.peerMss = o.value;
      if (o.kind === 'ts') ts = true;
      if (o.kind === 'wscale') this.peerWscale = o.value;
    }
    this.tsOk = ts;
    this.peerWindow = seg.window;
  }

  /** Called for a SYN that created this child: remember the peer's options and answer. */
  acceptSyn(seg: TcpSegment): void {
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.readSynOptions(seg);
    for (const o of seg.options) if (o.kind === 'ts') this.tsRecent = o.val;
    this.transmit(
      { syn: true, ack: true },
      this.iss,
      '',
      this.tsOk ? this.synOptions(this.tsRecent) : [{ kind: 'mss', value: this.mss }],
    );
    this.sndNxt = seqAdd(this.iss, 1);
    this.inflight.push({
      seq: this.iss,
      data: '',
      len: 1,
      syn: true,
      fin: false,
      sentAt: this.sched.now,
      retransmitted: false,
    });
    this.armRto();
  }

  private established(skb: Skb, seg: TcpSegment, dev: Device, afterHandshake: boolean): void {
    const ns = this.ns;
    if (seg.flags.ack && !afterHandshake) this.ackUpTo(seg.ack);
    if (seg.flags.ack) this.peerWindow = seg.window << this.peerWscale;
    const len = utf8Length(seg.data);
    if (len > 0 || seg.flags.fin) {
      if (seg.seq !== this.rcvNxt) {
        // Old duplicate or out of order: ack what we have (a dup ACK).
        drop(ns, skb, 'TCP_OLD_DATA', 'duplicate segment: re-acknowledge', dev);
        this.transmit({ ack: true }, this.sndNxt);
        return;
      }
    }
    if (len > 0) {
      this.rcvNxt = seqAdd(this.rcvNxt, len);
      this.unackedRecv += len;
      emit(ns, 'tcp_v4_rcv', skb, `${len} bytes for the application`, dev, { final: 'delivered' });
      const data = seg.data;
      this.sched.schedule(WAKEUP, `tcp read ${this.localPort}`, () =>
        this.handlers.onData?.(this, data),
      );
      // A fresh connection acknowledges data at once (quickack); the lab's captures of curl and
      // http.server on this kernel show an ACK for every segment of the response.
      const quickack = this.quick > 0;
      if (quickack) this.quick--;
      this.scheduleAck(quickack || this.unackedRecv > this.mss);
    } else if (!seg.flags.fin) {
      emit(ns, 'tcp_v4_rcv', skb, `ACK ${seg.ack - this.iss} in ${this.state}`, dev, {
        final: 'delivered',
      });
    }
    if (seg.flags.fin) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.peerFin = true;
      if (len === 0)
        emit(ns, 'tcp_v4_rcv', skb, `FIN received in ${this.state}`, dev, { final: 'delivered' });
      switch (this.state) {
        case 'ESTABLISHED':
          this.state = 'CLOSE_WAIT';
          // tcp_fin enters pingpong mode: the ACK is delayed and usually rides on our own FIN.
          this.scheduleAck(false);
          break;
        case 'FIN_WAIT1':
          this.state = 'CLOSING';
          this.scheduleAck(true);
          break;
        case 'FIN_WAIT2':
          this.scheduleAck(true);
          this.enterTimeWait();
          break;
        default:
          break;
      }
      this.sched.schedule(WAKEUP, `tcp eof ${this.localPort}`, () => this.handlers.onEof?.(this));
    }
  }

  /** Processes an acknowledgement of our data up to `ack`. */
  private ackUpTo(ack: number): void {
    if (!seqLt(this.sndUna, ack) || seqLt(this.sndNxt, ack)) return;
    this.sndUna = ack;
    let finAcked = false;
    while (this.inflight.length > 0) {
      const s = this.inflight[0]!;
      if (!seqLe(seqAdd(s.seq, s.len), ack)) break;
      this.inflight.shift();
      if (!s.retransmitted) this.rttSample(this.sched.now - s.sentAt);
      if (s.fin) finAcked = true;
      this.cwnd++;
    }
    this.retries = 0;
    this.sched.cancel(this.rtoTimer);
    this.rtoTimer = undefined;
    if (this.inflight.length > 0) this.armRto();
    // Forward progress confirms the neighbour (dst_confirm_neigh).
    const rt = ipRouteOutput(this.ns, this.remoteIp);
    if (!isOutputError(rt) && rt.kind === 'unicast') this.ns.neigh.confirm(rt.dev, rt.nexthop);
    if (finAcked) {
      if (this.state === 'FIN_WAIT1') this.state = 'FIN_WAIT2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST_ACK') this.teardown();
    }
    this.push();
  }

  private rttSample(rtt: number): void {
    // RFC 6298 as tcp_rtt_estimator does it, with the 200 ms floor.
    if (this.srtt === 0) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.rto = Math.max(TCP_RTO_MIN, this.srtt + 4 * this.rttvar) as SimDuration;
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.sched.cancel(this.rtoTimer);
    this.rtoTimer = undefined;
    this.handlers.onClosed?.(this);
    this.twTimer = this.sched.timer(TCP_TIMEWAIT_LEN, 'tcp time-wait', () => this.teardown(), true);
  }

  /** An ICMP error about this connection (tcp_v4_err). */
  icmpError(errno: Errno, hard: boolean): void {
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') {
      this.abort(errno, false);
      return;
    }
    if (hard) this.abort(errno, false);
    else this.softError = errno;
  }

  private abort(errno: Errno, sendRst: boolean): void {
    if (sendRst) this.transmit({ rst: true, ack: true }, this.sndNxt, '', []);
    const h = this.handlers;
    this.teardown();
    h.onError?.(this, errno);
  }

  /** Removes the connection from the table and stops its timers. */
  teardown(): void {
    if (this.state === 'CLOSED') return;
    const wasTw = this.state === 'TIME_WAIT';
    this.state = 'CLOSED';
    for (const t of [this.rtoTimer, this.delackTimer, this.twTimer]) this.sched.cancel(t);
    this.ns.sockets.tcpConns.delete(this.key);
    if (!wasTw) this.handlers.onClosed?.(this);
  }

  get peerClosed(): boolean {
    return this.peerFin;
  }
}

/** tcp_select_initial_window: scale so 65535 << wscale covers max(tcp_rmem[2], rmem_max). */
function windowScaleFor(ns: NetNs): number {
  const rmem = Number((ns.globals.get('net.ipv4.tcp_rmem') ?? '').split('\t')[2] ?? 6291456);
  const space = Math.max(rmem, 4194304);
  let w = 0;
  while (w < 14 && 65535 * 2 ** w < space) w++;
  return w;
}

function takeBytes(s: string, n: number): string {
  if (utf8Length(s) <= n) return s;
  let end = Math.min(s.length, n);
  while (utf8Length(s.slice(0, end)) > n) end--;
  return s.slice(0, end);
}

export function flagText(f: TcpFlags): string {
  return (
    [f.syn && 'SYN', f.fin && 'FIN', f.rst && 'RST', f.psh && 'PSH', f.ack && 'ACK']
      .filter(Boolean)
      .join('+') || 'none'
  );
}

/** connect(): returns the connection (SYN sent) or the error connect() would return at once. */
export function tcpConnect(
  ns: NetNs,
  dst: Ipv4,
  dport: number,
  handlers: TcpHandlers,
  opts: { src?: Ipv4; sport?: number; flowId?: number } = {},
): TcpConnection | Errno {
  const rt = ipRouteOutput(ns, dst, { src: opts.src });
  if (isOutputError(rt)) {
    const skb = ns.world.newSkb(opts.flowId ?? ns.world.newFlowId());
    emit(
      ns,
      'ip_route_output',
      skb,
      `connect to ${formatIpv4(dst)}:${dport}: ${rt.decision.result}`,
      undefined,
      {
        decision: rt.decision,
        final: 'dropped',
      },
    );
    return rt.errno === 'EINVAL' ? 'EINVAL' : rt.errno === 'EACCES' ? 'EACCES' : rt.errno;
  }
  // tcp_v4_connect refuses a broadcast (or multicast) route before any SYN: ENETUNREACH, as a
  // connect() to 10.244.1.255 or 255.255.255.255 from a pl- namespace returned.
  if (rt.kind === 'broadcast') {
    const skb = ns.world.newSkb(opts.flowId ?? ns.world.newFlowId());
    emit(
      ns,
      'ip_route_output',
      skb,
      `connect to ${formatIpv4(dst)}:${dport}: a broadcast route: Network is unreachable`,
      undefined,
      { decision: rt.decision, final: 'dropped' },
    );
    return 'ENETUNREACH';
  }
  const src = rt.src;
  // connect() to 0.0.0.0 connects to this host: the peer is the address the route put there.
  const peer = rt.daddr;
  const sport = opts.sport ?? ns.sockets.ephemeralPort('tcp', src, { ip: peer, port: dport });
  if (sport === undefined) return 'EADDRNOTAVAIL';
  const mtu = rt.kind === 'local' ? ns.lo.mtu : rt.dev.mtu;
  const c = new TcpConnection(
    ns,
    src,
    sport,
    peer,
    dport,
    'SYN_SENT',
    mtu,
    opts.flowId ?? ns.world.newFlowId(),
    false,
  );
  c.handlers = handlers;
  ns.sockets.tcpConns.set(c.key, c);
  c.startConnect();
  return c;
}

/** tcp_v4_rcv: demultiplex to a connection or listener, or answer with RST. */
export function tcpRcv(ns: NetNs, skb: Skb, dev: Device): void {
  const ip = skb.ip!;
  const seg = ip.payload as TcpSegment;
  const conn = ns.sockets.tcpConns.get(key(ip.dst, seg.dport, ip.src, seg.sport));
  if (conn) {
    conn.receive(skb, seg, dev);
    return;
  }
  const listener = ns.sockets.tcpListeners.find(
    (l) => l.port === seg.dport && (l.addr === IPV4_ANY || l.addr === ip.dst),
  );
  if (listener && seg.flags.syn && !seg.flags.ack && !seg.flags.rst) {
    emit(ns, 'tcp_v4_rcv', skb, `SYN for port ${seg.dport}: a listener answers with SYN-ACK`, dev, {
      final: 'delivered',
    });
    const rt = ipRouteOutput(ns, ip.src, { src: ip.dst });
    const mtu = isOutputError(rt) ? 1500 : rt.kind === 'local' ? ns.lo.mtu : rt.dev.mtu;
    const child = new TcpConnection(
      ns,
      ip.dst,
      seg.dport,
      ip.src,
      seg.sport,
      'SYN_RECV',
      mtu,
      skb.flowId,
      true,
    );
    child.acceptor = listener.onAccept;
    ns.sockets.tcpConns.set(child.key, child);
    child.acceptSyn(seg);
    return;
  }
  if (seg.flags.rst) {
    drop(ns, skb, 'NO_SOCKET', 'RST for no connection: ignored', dev);
    return;
  }
  drop(ns, skb, 'NO_SOCKET', `nothing listens on TCP port ${seg.dport}: answer with RST`, dev);
  sendReset(ns, skb);
}

/** tcp_v4_send_reset: RST in reply to a segment that has no socket. */
function sendReset(ns: NetNs, skb: Skb): void {
  const ip = skb.ip!;
  const seg = ip.payload as TcpSegment;
  const len = utf8Length(seg.data) + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
  const rst: TcpSegment = seg.flags.ack
    ? {
        kind: 'tcp',
        sport: seg.dport,
        dport: seg.sport,
        seq: seg.ack,
        ack: 0,
        flags: { rst: true },
        window: 0,
        options: [],
        data: '',
      }
    : {
        kind: 'tcp',
        sport: seg.dport,
        dport: seg.sport,
        seq: 0,
        ack: seqAdd(seg.seq, len),
        flags: { rst: true, ack: true },
        window: 0,
        options: [],
        data: '',
      };
  const rt = ipRouteOutput(ns, ip.src, { src: ip.dst });
  if (isOutputError(rt)) return;
  const packet: Ipv4Packet = {
    kind: 'ipv4',
    src: ip.dst,
    dst: ip.src,
    ttl: ns.sysctlNumber('net.ipv4.ip_default_ttl'),
    protocol: IPPROTO_TCP,
    id: 0,
    tos: 0,
    df: true,
    payload: rst,
  };
  const out = { ...ns.world.newSkb(skb.flowId), ip: packet, local: true };
  emit(ns, 'tcp_transmit_skb', out, 'send RST: connection refused');
  ipLocalOut(ns, out, rt);
}

/** tcp_v4_err: an ICMP error about one of our segments. */
export function tcpErr(ns: NetNs, skb: Skb, _ip: Ipv4Packet, msg: IcmpError): void {
  const orig = msg.original;
  const seg = orig.payload as TcpSegment;
  const conn = ns.sockets.tcpConns.get(key(orig.src, seg.sport, orig.dst, seg.dport));
  if (!conn) return;
  if (msg.type === 5) return; // redirects only change routing
  if (msg.type === 3 && msg.code === 4) return; // PMTU: not modelled beyond the drop
  // tcp_v4_err: Time Exceeded reads as host unreachable, a Destination Unreachable by its code.
  const errno: Errno = msg.type === 3 ? icmpErrConvert(msg.code).errno : 'EHOSTUNREACH';
  // icmp_err_convert: protocol/port unreachable are "fatal"; net/host unreachable are soft once established.
  const hard = msg.type === 3 && (msg.code === 2 || msg.code === 3);
  emit(ns, 'sock_deliver', skb, `ICMP error for TCP ${conn.state}: ${errno}`, undefined, {
    final: 'delivered',
  });
  conn.icmpError(errno, hard);
}
