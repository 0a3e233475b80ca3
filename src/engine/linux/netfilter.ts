/**
 * The netfilter hook points of one namespace. The IPv4 paths call `run` at PREROUTING, INPUT,
 * FORWARD, OUTPUT and POSTROUTING; with no rules loaded every packet is accepted.
 */
import type { Device } from './device';
import type { NetNs } from './netns';
import type { Skb } from './skb';

export type NfHook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export type NfResult =
  | { readonly verdict: 'ACCEPT'; readonly skb: Skb }
  | { readonly verdict: 'DROP'; readonly reason: string };

export class Netfilter {
  constructor(readonly ns: NetNs) {}

  /** Whether any rule is loaded (lets the datapath skip the hook cheaply). */
  get empty(): boolean {
    return true;
  }

  run(_hook: NfHook, skb: Skb, _in?: Device, _out?: Device): NfResult {
    return { verdict: 'ACCEPT', skb };
  }
}
