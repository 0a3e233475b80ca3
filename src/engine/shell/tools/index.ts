/** Every command the shell can run, by name. */
import type { Tool } from '../tool';
import { bridge } from './bridge';
import { curl } from './curl';
import { dig } from './dns/dig';
import { getent } from './dns/getent';
import { nslookup } from './dns/nslookup';
import { docker } from './docker';
import { kubectl } from './kubectl';
import { crictl } from './crictl';
import { lsns } from './lsns';
import {
  cat,
  grep,
  head,
  hostname,
  ln,
  ls,
  mkdir,
  nohup,
  rm,
  sleep,
  tail,
  touch,
  wc,
} from './files';
import { ip } from './ip';
import { iptables, iptablesRestoreTool, iptablesSaveTool } from './iptables';
import { ipset } from './ipset';
import { CNI_TOOLS } from './cni';
import { conntrack } from './conntrack';
import { modprobe } from './modprobe';
import { nc } from './nc';
import { nginx } from './nginx';
import { ping } from './ping';
import { python3 } from './python3';
import { sysctl } from './sysctl';
import { tcpdump } from './tcpdump';
import { bash, sh, zsh } from './shells';

export const TOOLS: Record<string, Tool> = {
  ip,
  iptables,
  'iptables-nft': iptables,
  'iptables-save': iptablesSaveTool,
  'iptables-restore': iptablesRestoreTool,
  ipset,
  conntrack,
  modprobe,
  bridge,
  sysctl,
  ping,
  curl,
  tcpdump,
  nc,
  netcat: nc,
  dig,
  nslookup,
  getent,
  python3,
  nginx,
  docker,
  kubectl,
  crictl,
  lsns,
  cat,
  grep,
  head,
  tail,
  wc,
  ls,
  mkdir,
  rm,
  ln,
  touch,
  hostname,
  sleep,
  nohup,
  bash,
  sh,
  zsh,
};

/** Emulated binaries run by path, keyed by the id their file names (see shell/exec.ts). */
export const BINARIES: Record<string, Tool> = { ...CNI_TOOLS };
