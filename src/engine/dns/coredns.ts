/**
 * CoreDNS's kubernetes plugin as a record source (plugin/kubernetes: parse.go, kubernetes.go,
 * reverse.go; plugin/backend_lookup.go), implementing the Kubernetes DNS specification:
 *
 * - `<svc>.<ns>.svc.<zone>` A: the ClusterIP; a headless Service (clusterIP None): every
 *   endpoint address; `<endpoint>.<svc>.<ns>.svc.<zone>`: that endpoint of a headless Service
 *   (its hostname, else its address with dashes);
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>` SRV (and SRV on the Service name itself: one
 *   record per port, or per endpoint and port when headless), targets with A records in the
 *   additional section;
 * - `<a-b-c-d>.<ns>.pod.<zone>` A: a.b.c.d (`pods insecure`, as kubeadm's Corefile sets it);
 * - PTR for ClusterIPs and headless endpoint addresses in in-addr.arpa;
 * - NXDOMAIN for names in the zone that match nothing (or that parse.go rejects: too many
 *   labels), NODATA for other types; both with the zone's SOA in authority, as CoreDNS writes
 *   it: `ns.dns.<zone>. hostmaster.<zone>. <serial> 7200 1800 86400 <ttl>`, TTL min(300, ttl).
 *
 * TTL: the plugin's own default is 5 (kubernetes.go defaultTTL); kubeadm's Corefile says
 * `ttl 30`, and that is what clusters built by kubeadm answer with. This source follows kubeadm
 * (30) unless told otherwise.
 */
import { DNS_CLASS_IN, DNS_TYPE, type DnsRecord, canonicalName, reverseName } from './message';
import type { DnsAnswer, DnsZoneSource } from './server';

export interface KubeDnsService {
  readonly name: string;
  readonly namespace: string;
  /** The ClusterIP, "None" for a headless Service; absent is treated as headless. */
  readonly clusterIP?: string | 'None';
  readonly ports: readonly { name?: string; port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
  /** Ready endpoint addresses (EndpointSlice), with the Pod's hostname when it has one. */
  readonly endpoints: readonly { ip: string; hostname?: string }[];
}

export interface CorednsOptions {
  /** The cluster domain. Default cluster.local. */
  readonly zone?: string;
  /** Default 30 (kubeadm's Corefile); CoreDNS's own default is 5. */
  readonly ttl?: number;
  /** `pods insecure` (the default here, as kubeadm configures it) or `pods disabled`. */
  readonly pods?: 'insecure' | 'disabled';
  /** The SOA serial: CoreDNS uses the Unix time of the last change it saw. */
  readonly serial?: number;
}

const SOA_REFRESH = 7200;
const SOA_RETRY = 1800;
const SOA_EXPIRE = 86400;

/** The CoreDNS kubernetes plugin over a plain list of Services. */
export function corednsKubernetesSource(
  services: readonly KubeDnsService[],
  opts: CorednsOptions = {},
): DnsZoneSource {
  const zone = canonicalName(opts.zone ?? 'cluster.local');
  const ttl = opts.ttl ?? 30;
  const serial = opts.serial ?? 0;
  const podsInsecure = (opts.pods ?? 'insecure') === 'insecure';
  const soa: DnsRecord = {
    name: zone,
    type: DNS_TYPE.SOA,
    class: DNS_CLASS_IN,
    ttl: Math.min(300, ttl),
    data: {
      kind: 'SOA',
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial,
      refresh: SOA_REFRESH,
      retry: SOA_RETRY,
      expire: SOA_EXPIRE,
      minimum: ttl,
    },
  };
  const rr = (name: string, type: number, data: DnsRecord['data']): DnsRecord => ({
    name,
    type,
    class: DNS_CLASS_IN,
    ttl,
    data,
  });
  const nx: DnsAnswer = { rcode: 'NXDOMAIN', answers: [], authority: [soa] };
  const nodata: DnsAnswer = { rcode: 'NOERROR', answers: [], authority: [soa] };
  const headless = (s: KubeDnsService) => s.clusterIP === undefined || s.clusterIP === 'None';
  const epName = (e: { ip: string; hostname?: string }) => e.hostname ?? e.ip.replace(/\./g, '-');
  const svcName = (s: KubeDnsService) => `${s.name}.${s.namespace}.svc.${zone}`;
  const namespaces = new Set(services.map((s) => s.namespace));

  const reverse = (qname: string, qtype: number): DnsAnswer | undefined => {
    const m = /^([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)\.in-addr\.arpa$/.exec(qname);
    if (!m) return undefined;
    const ip = [m[4], m[3], m[2], m[1]].join('.');
    for (const s of services) {
      let target: string | undefined;
      if (!headless(s) && s.clusterIP === ip) target = svcName(s);
      else if (headless(s)) {
        const e = s.endpoints.find((x) => x.ip === ip);
        if (e) target = `${epName(e)}.${svcName(s)}`;
      }
      if (target === undefined) continue;
      if (qtype !== DNS_TYPE.PTR) return nodata;
      return {
        rcode: 'NOERROR',
        answers: [rr(reverseName(ip), DNS_TYPE.PTR, { kind: 'PTR', target })],
      };
    }
    // fallthrough in-addr.arpa: someone else's address, forward it.
    return undefined;
  };

  const srvFor = (s: KubeDnsService, ports: KubeDnsService['ports'], qname: string) => {
    const answers: DnsRecord[] = [];
    const additional: DnsRecord[] = [];
    const targets: { target: string; ip: string }[] = headless(s)
      ? s.endpoints.map((e) => ({ target: `${epName(e)}.${svcName(s)}`, ip: e.ip }))
      : [{ target: svcName(s), ip: s.clusterIP! }];
    const n = targets.length * ports.length;
    // backend_lookup.go: weights share 100 among the records of one priority.
    const weight = Math.max(1, Math.floor((100 / (n * 100)) * 100));
    for (const t of targets) {
      for (const p of ports) {
        answers.push(
          rr(qname, DNS_TYPE.SRV, {
            kind: 'SRV',
            priority: 0,
            weight,
            port: p.port,
            target: t.target,
          }),
        );
      }
      if (!additional.some((a) => a.name === t.target))
        additional.push(rr(t.target, DNS_TYPE.A, { kind: 'A', address: t.ip }));
    }
    return { answers, additional };
  };

  return {
    answer(qnameRaw, qtype) {
      const qname = canonicalName(qnameRaw);
      if (qname.endsWith('.in-addr.arpa')) return reverse(qname, qtype);
      if (qname !== zone && !qname.endsWith(`.${zone}`)) return undefined;
      if (qname === zone) {
        if (qtype === DNS_TYPE.SOA) return { rcode: 'NOERROR', answers: [soa] };
        return nodata;
      }
      const segs = qname.slice(0, -(zone.length + 1)).split('.');
      // parse.go: <endpoint|_port._proto>.<service>.<namespace>.<svc|pod>
      const kind = segs.pop()!;
      if (kind !== 'svc' && kind !== 'pod') return nx;
      const namespace = segs.pop();
      const service = segs.pop();
      if (segs.length > 2) return nx;
      if (namespace === undefined || service === undefined) {
        // svc.<zone> or <ns>.svc.<zone>: the name exists (NODATA) when the namespace does.
        return namespace === undefined || namespaces.has(namespace) ? nodata : nx;
      }
      if (kind === 'pod') {
        if (!podsInsecure || segs.length > 0) return nx;
        const parts = service.split('-');
        if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255))
          return nx;
        if (qtype !== DNS_TYPE.A) return nodata;
        return {
          rcode: 'NOERROR',
          answers: [rr(qname, DNS_TYPE.A, { kind: 'A', address: parts.join('.') })],
        };
      }
      const s = services.find((x) => x.name === service && x.namespace === namespace);
      if (!s) return nx;
      if (segs.length === 2) {
        // _port._proto: a named port and its protocol, "_" stripped; any when absent.
        const [portSeg, protoSeg] = segs.map((x) => x.replace(/^_/, '')) as [string, string];
        const ports = s.ports.filter(
          (p) =>
            (portSeg === '*' || portSeg === 'any' || p.name === portSeg) &&
            (protoSeg === '*' || protoSeg === 'any' || p.protocol.toLowerCase() === protoSeg),
        );
        if (ports.length === 0) return nx;
        if (qtype !== DNS_TYPE.SRV) return nodata;
        return { rcode: 'NOERROR', ...srvFor(s, ports, qname) };
      }
      if (segs.length === 1) {
        // An endpoint of a headless Service.
        const e = headless(s) ? s.endpoints.find((x) => epName(x) === segs[0]) : undefined;
        if (!e) return nx;
        if (qtype !== DNS_TYPE.A) return nodata;
        return { rcode: 'NOERROR', answers: [rr(qname, DNS_TYPE.A, { kind: 'A', address: e.ip })] };
      }
      if (qtype === DNS_TYPE.SRV) {
        const r = srvFor(s, s.ports, qname);
        return r.answers.length ? { rcode: 'NOERROR', ...r } : nodata;
      }
      if (qtype !== DNS_TYPE.A) return nodata;
      const ips = headless(s) ? s.endpoints.map((e) => e.ip) : [s.clusterIP!];
      if (ips.length === 0) return nodata;
      return {
        rcode: 'NOERROR',
        answers: ips.map((ip) => rr(qname, DNS_TYPE.A, { kind: 'A', address: ip })),
      };
    },
  };
}
