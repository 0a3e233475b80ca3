/**
 * kube-proxy's iptables mode (v1.30 proxier.go): the chain names checked against the values in
 * kube-proxy's own golden tests (pkg/proxy/iptables/proxier_test.go), the restore input for a
 * small cluster, what iptables-save prints once it is applied, and a client reaching a Service.
 */
import { describe, expect, it } from 'vitest';
import { lab } from '../testing/lab';
import {
  type Endpoint,
  type Service,
  base32,
  extChain,
  kubeProxyRules,
  sepChain,
  sha256,
  svcChain,
  syncKubeProxy,
} from './kubeProxy';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

describe('chain names', () => {
  it('hashes with SHA-256 and Go base32', () => {
    expect(hex(sha256(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(sha256('a'.repeat(64)))).toBe(
      'ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb',
    );
    expect(base32(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI======');
  });

  it('names SVC, EXT and SEP chains as kube-proxy golden tests expect', () => {
    // TestOverallIPTablesRules / TestSyncProxyRulesRepeated in proxier_test.go.
    expect(svcChain('ns1/svc1:p80', 'tcp')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(svcChain('ns2/svc2:p80', 'TCP')).toBe('KUBE-SVC-GNZBNJ2PO5MGZ6GT');
    expect(extChain('ns2/svc2:p80', 'tcp')).toBe('KUBE-EXT-GNZBNJ2PO5MGZ6GT');
    expect(svcChain('ns2/svc2:p8080', 'tcp')).toBe('KUBE-SVC-2VJB64SDSIJUP5T6');
    expect(svcChain('ns3/svc3:p80', 'tcp')).toBe('KUBE-SVC-X27LE4BHSL4DOUIK');
    expect(svcChain('ns4/svc4:p80', 'tcp')).toBe('KUBE-SVC-4SW47YFZTEDKD3PK');
    expect(sepChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(sepChain('ns1/svc1:p80', 'tcp', '10.0.1.1:80')).toBe('KUBE-SEP-SNQ3ZNILQDEJNDQO');
    expect(sepChain('ns2/svc2:p8080', 'tcp', '10.0.2.1:8080')).toBe('KUBE-SEP-UHEGFW77JX3KXTOV');
    expect(sepChain('ns4/svc4:p80', 'tcp', '10.180.0.5:80')).toBe('KUBE-SEP-C6EBXVWJJZMIWKLZ');
  });
});

describe('the restore input', () => {
  it("matches kube-proxy's golden output for one Service with one endpoint", () => {
    // proxier_test.go's single-endpoint case, cluster CIDR 10.0.0.0/8; the test proxier's mark
    // is "0x4000", a real one prints 1<<14 with %#08x.
    const text = kubeProxyRules(
      { nodeName: 'node1', nodeIP: '192.168.0.2', clusterCIDR: '10.0.0.0/8' },
      [
        {
          name: 'svc1',
          namespace: 'ns1',
          clusterIP: '172.30.0.41',
          type: 'ClusterIP',
          ports: [{ name: 'p80', protocol: 'TCP', port: 80, targetPort: 80 }],
        },
      ],
      new Map([['ns1/svc1', [{ ip: '10.180.0.1', nodeName: 'node1', ready: true }]]]),
    );
    const nat = text.slice(text.indexOf('*nat')).replaceAll('0x00004000', '0x4000');
    expect(nat).toBe(`*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
`);
  });
});

/** proxier_test.go's normalised expectation (sorted per table), for comparing rule sets. */
const sortedLines = (text: string) =>
  text
    .replaceAll('0x00004000', '0x4000')
    .replaceAll(' --random-fully', '')
    .split('\n')
    .filter((x) => x.startsWith('-A ') || x.startsWith(':'))
    .sort();

describe('a LoadBalancer with externalTrafficPolicy Local and ClientIP affinity', () => {
  it("has the rules of kube-proxy's golden test (TestEndpointSliceWithTerminatingEndpointsIptables)", () => {
    // The fake iptables there lacks --random-fully and uses mark "0x4000"; the test sorts rules.
    const text = kubeProxyRules(
      { nodeName: 'test-hostname', nodeIP: '192.168.0.2', clusterCIDR: '10.0.0.0/8' },
      [
        {
          name: 'svc1',
          namespace: 'ns1',
          clusterIP: '172.30.1.1',
          type: 'LoadBalancer',
          loadBalancerIP: '1.2.3.4',
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: 30000,
          sessionAffinity: 'ClientIP',
          ports: [{ name: '', protocol: 'TCP', port: 80, targetPort: 80 }],
        },
      ],
      new Map([
        [
          'ns1/svc1',
          [
            { ip: '10.0.1.1', nodeName: 'test-hostname', ready: true },
            { ip: '10.0.1.2', nodeName: 'test-hostname', ready: true },
            { ip: '10.0.1.3', nodeName: 'test-hostname', ready: false },
            { ip: '10.0.1.4', nodeName: 'test-hostname', ready: false },
            { ip: '10.0.1.5', nodeName: 'host-1', ready: true },
          ],
        ],
      ]),
    );
    const nat = text.slice(text.indexOf('*nat'));
    expect(sortedLines(nat)).toEqual(
      sortedLines(`:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-AQI2S6QIMU7PVVRP - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-3JOIVZTXZZRGORX4 - [0:0]
:KUBE-SEP-EQCHZ7S2PJ72OHAY - [0:0]
:KUBE-SEP-IO5XOSKPAXIFQXAJ - [0:0]
:KUBE-SVC-AQI2S6QIMU7PVVRP - [0:0]
:KUBE-SVL-AQI2S6QIMU7PVVRP - [0:0]
-A KUBE-SERVICES -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment "ns1/svc1 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "pod traffic for ns1/svc1 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "masquerade LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment "route LOCAL traffic for ns1/svc1 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVL-AQI2S6QIMU7PVVRP
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -s 10.0.1.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -s 10.0.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.5:80
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -s 10.0.1.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.2:80
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 cluster IP" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.5:80" -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --rcheck --seconds 10800 --reap -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.5:80" -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment "ns1/svc1 -> 10.0.1.2:80" -j KUBE-SEP-IO5XOSKPAXIFQXAJ
`),
    );
    const filter = text.slice(0, text.indexOf('*nat'));
    expect(sortedLines(filter)).toEqual(
      sortedLines(`:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns1/svc1 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
`),
    );
  });
});

/** web: ClusterIP with three endpoints; echo: NodePort, externalTrafficPolicy Local; empty: none. */
const SERVICES: Service[] = [
  {
    name: 'web',
    namespace: 'default',
    clusterIP: '10.96.0.10',
    type: 'ClusterIP',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
  },
  {
    name: 'echo',
    namespace: 'default',
    clusterIP: '10.96.0.20',
    type: 'NodePort',
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32000,
    ports: [{ name: '', protocol: 'TCP', port: 8080, targetPort: 8080, nodePort: 30080 }],
  },
  {
    name: 'empty',
    namespace: 'default',
    clusterIP: '10.96.0.30',
    type: 'NodePort',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30090 }],
  },
];
const ep = (ip: string, nodeName = 'node1'): Endpoint => ({ ip, nodeName, ready: true });
const ENDPOINTS = new Map<string, Endpoint[]>([
  ['default/web', [ep('10.244.0.4'), ep('10.244.0.2'), ep('10.244.0.3')]],
  ['default/echo', [ep('10.244.1.5', 'node2'), ep('10.244.0.5')]],
  ['default/empty', [{ ip: '10.244.0.9', nodeName: 'node1', ready: false }]],
]);
const NODE = { nodeName: 'node1', nodeIP: '10.0.1.1', clusterCIDR: '10.244.0.0/16' };

const RESTORE = `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-NODEPORTS -m comment --comment "default/echo health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "default/empty:http has no endpoints" -m tcp -p tcp -d 10.96.0.30 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30090 -j REJECT
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-EXT-HV6DMF63W6MGLRDE - [0:0]
:KUBE-SVC-HV6DMF63W6MGLRDE - [0:0]
:KUBE-SVL-HV6DMF63W6MGLRDE - [0:0]
:KUBE-SEP-IFZHXORG3GV5VD25 - [0:0]
:KUBE-SEP-W5TL7ZZCSZT6RMNO - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
:KUBE-SEP-QA4PSDNF5R2OJOPA - [0:0]
:KUBE-SEP-TCD3IFXQZW3ZEZQU - [0:0]
:KUBE-SEP-MQPSSF2DIKDEHI3U - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000
-A KUBE-SERVICES -m comment --comment "default/echo cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 8080 -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-NODEPORTS -m comment --comment default/echo -m tcp -p tcp --dport 30080 -j KUBE-EXT-HV6DMF63W6MGLRDE
-A KUBE-SVC-HV6DMF63W6MGLRDE -m comment --comment "default/echo cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 8080 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-EXT-HV6DMF63W6MGLRDE -m comment --comment "pod traffic for default/echo external destinations" -s 10.244.0.0/16 -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-EXT-HV6DMF63W6MGLRDE -m comment --comment "masquerade LOCAL traffic for default/echo external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-HV6DMF63W6MGLRDE -m comment --comment "route LOCAL traffic for default/echo external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-EXT-HV6DMF63W6MGLRDE -j KUBE-SVL-HV6DMF63W6MGLRDE
-A KUBE-SVC-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IFZHXORG3GV5VD25
-A KUBE-SVC-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.1.5:8080" -j KUBE-SEP-W5TL7ZZCSZT6RMNO
-A KUBE-SVL-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.0.5:8080" -j KUBE-SEP-IFZHXORG3GV5VD25
-A KUBE-SEP-IFZHXORG3GV5VD25 -m comment --comment default/echo -s 10.244.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-IFZHXORG3GV5VD25 -m comment --comment default/echo -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-W5TL7ZZCSZT6RMNO -m comment --comment default/echo -s 10.244.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-W5TL7ZZCSZT6RMNO -m comment --comment default/echo -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-QA4PSDNF5R2OJOPA
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-TCD3IFXQZW3ZEZQU
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.4:8080" -j KUBE-SEP-MQPSSF2DIKDEHI3U
-A KUBE-SEP-QA4PSDNF5R2OJOPA -m comment --comment default/web:http -s 10.244.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-QA4PSDNF5R2OJOPA -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.2:8080
-A KUBE-SEP-TCD3IFXQZW3ZEZQU -m comment --comment default/web:http -s 10.244.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-TCD3IFXQZW3ZEZQU -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SEP-MQPSSF2DIKDEHI3U -m comment --comment default/web:http -s 10.244.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-MQPSSF2DIKDEHI3U -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.4:8080
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
`;

const SAVED_FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -j KUBE-FIREWALL
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/empty:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30090 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/echo health check node port" -m tcp --dport 32000 -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
`;

const SAVED_NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-EXT-HV6DMF63W6MGLRDE - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-IFZHXORG3GV5VD25 - [0:0]
:KUBE-SEP-MQPSSF2DIKDEHI3U - [0:0]
:KUBE-SEP-QA4PSDNF5R2OJOPA - [0:0]
:KUBE-SEP-TCD3IFXQZW3ZEZQU - [0:0]
:KUBE-SEP-W5TL7ZZCSZT6RMNO - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
:KUBE-SVC-HV6DMF63W6MGLRDE - [0:0]
:KUBE-SVL-HV6DMF63W6MGLRDE - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-HV6DMF63W6MGLRDE -s 10.244.0.0/16 -m comment --comment "pod traffic for default/echo external destinations" -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-EXT-HV6DMF63W6MGLRDE -m comment --comment "masquerade LOCAL traffic for default/echo external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-HV6DMF63W6MGLRDE -m comment --comment "route LOCAL traffic for default/echo external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-EXT-HV6DMF63W6MGLRDE -j KUBE-SVL-HV6DMF63W6MGLRDE
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/echo" -m tcp --dport 30080 -j KUBE-EXT-HV6DMF63W6MGLRDE
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-IFZHXORG3GV5VD25 -s 10.244.0.5/32 -m comment --comment "default/echo" -j KUBE-MARK-MASQ
-A KUBE-SEP-IFZHXORG3GV5VD25 -p tcp -m comment --comment "default/echo" -m tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-MQPSSF2DIKDEHI3U -s 10.244.0.4/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-MQPSSF2DIKDEHI3U -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.4:8080
-A KUBE-SEP-QA4PSDNF5R2OJOPA -s 10.244.0.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-QA4PSDNF5R2OJOPA -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.2:8080
-A KUBE-SEP-TCD3IFXQZW3ZEZQU -s 10.244.0.3/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-TCD3IFXQZW3ZEZQU -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SEP-W5TL7ZZCSZT6RMNO -s 10.244.1.5/32 -m comment --comment "default/echo" -j KUBE-MARK-MASQ
-A KUBE-SEP-W5TL7ZZCSZT6RMNO -p tcp -m comment --comment "default/echo" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/echo cluster IP" -m tcp --dport 8080 -j KUBE-SVC-HV6DMF63W6MGLRDE
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-QA4PSDNF5R2OJOPA
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.3:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-TCD3IFXQZW3ZEZQU
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.4:8080" -j KUBE-SEP-MQPSSF2DIKDEHI3U
-A KUBE-SVC-HV6DMF63W6MGLRDE ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/echo cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ
-A KUBE-SVC-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.0.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-IFZHXORG3GV5VD25
-A KUBE-SVC-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.1.5:8080" -j KUBE-SEP-W5TL7ZZCSZT6RMNO
-A KUBE-SVL-HV6DMF63W6MGLRDE -m comment --comment "default/echo -> 10.244.0.5:8080" -j KUBE-SEP-IFZHXORG3GV5VD25
COMMIT
`;

const body = (save: string, table: string) => {
  const start = save.indexOf(`*${table}\n`);
  return save.slice(start, save.indexOf('COMMIT\n', start) + 'COMMIT\n'.length);
};

/**
 * A node namespace with pods on cni0 (10.244.0.0/24: web's three endpoints serving on 8080, and
 * echo's local endpoint) and a client namespace routed to the node over its own veth.
 */
const CLUSTER = [
  'ip netns add node',
  'ip netns add c',
  'ip -n node link add cni0 type bridge',
  'ip -n node addr add 10.244.0.1/24 dev cni0',
  'ip -n node link set cni0 up',
  'ip -n node link set lo up',
  'ip netns exec node sysctl -qw net.ipv4.ip_forward=1',
  'ip -n node link add veth-c type veth peer name eth0 netns c',
  'ip -n node addr add 10.0.1.1/24 dev veth-c',
  'ip -n node link set veth-c up',
  'ip -n c addr add 10.0.1.2/24 dev eth0',
  'ip -n c link set eth0 up',
  'ip -n c link set lo up',
  'ip -n c route add default via 10.0.1.1',
  ...[2, 3, 4, 5].flatMap((n) => [
    `ip netns add p${n}`,
    `ip -n node link add veth-p${n} type veth peer name eth0 netns p${n}`,
    `ip -n node link set veth-p${n} master cni0 up`,
    `ip -n p${n} addr add 10.244.0.${n}/24 dev eth0`,
    `ip -n p${n} link set eth0 up`,
    `ip -n p${n} link set lo up`,
    `ip -n p${n} route add default via 10.244.0.1`,
    `ip netns exec p${n} python3 -m http.server 8080 &`,
  ]),
];

function cluster() {
  const l = lab();
  l.setup(CLUSTER);
  const nf = l.world.hosts.get('h')!.named.get('node')!.netfilter;
  return { l, nf };
}

describe('a node with three Services', () => {
  it('writes the restore input kube-proxy writes', () => {
    expect(kubeProxyRules(NODE, SERVICES, ENDPOINTS)).toBe(RESTORE);
  });

  it('shows in iptables-save as on a real node, and round-trips through iptables-restore', () => {
    const { l, nf } = cluster();
    const r = syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS);
    expect(r.ok).toBe(true);
    const save = l.run('ip netns exec node iptables-save').stdout;
    expect(body(save, 'filter')).toBe(SAVED_FILTER);
    expect(body(save, 'nat')).toBe(SAVED_NAT);
    expect(body(save, 'mangle')).toContain(':KUBE-PROXY-CANARY - [0:0]\n');
    // A second sync with nothing changed leaves the same tables (jump rules are not duplicated).
    expect(syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS).ok).toBe(true);
    expect(l.run('ip netns exec node iptables-save').stdout).toBe(save);
    // iptables-save | iptables-restore gives back the same tables.
    l.setup([
      'ip netns exec node iptables-save > /tmp/rules',
      'ip netns exec node iptables-restore /tmp/rules',
    ]);
    expect(l.run('ip netns exec node iptables-save').stdout).toBe(save);
  });

  it('rewrites the chains when a pod goes away, deleting its SEP chain', () => {
    const { l, nf } = cluster();
    syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS);
    const fewer = new Map(ENDPOINTS);
    fewer.set('default/web', [ep('10.244.0.2'), ep('10.244.0.4')]);
    const r = syncKubeProxy(nf, NODE, SERVICES, fewer);
    expect(r.ok && r.rules).toContain(':KUBE-SEP-TCD3IFXQZW3ZEZQU - [0:0]\n');
    expect(r.ok && r.rules).toContain('\n-X KUBE-SEP-TCD3IFXQZW3ZEZQU\n');
    const nat = l.run('ip netns exec node iptables -t nat -S KUBE-SVC-CDGGSHYLG3RE2FKL').stdout;
    expect(nat).toBe(
      '-N KUBE-SVC-CDGGSHYLG3RE2FKL\n' +
        '-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ\n' +
        '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-QA4PSDNF5R2OJOPA\n' +
        '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.4:8080" -j KUBE-SEP-MQPSSF2DIKDEHI3U\n',
    );
    expect(l.run('ip netns exec node iptables-save -t nat').stdout).not.toContain(
      'TCD3IFXQZW3ZEZQU',
    );
  });

  it('DNATs a client curling the ClusterIP to one of the endpoints', () => {
    const { l, nf } = cluster();
    expect(syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS).ok).toBe(true);
    const r = l.run('ip netns exec c curl -s -m 5 10.96.0.10:80');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Directory listing for /');
    // The client is outside the cluster CIDR: KUBE-MARK-MASQ, then MASQUERADE to cni0's address.
    const ct = l.run('ip netns exec node conntrack -L').stdout;
    expect(ct).toMatch(
      /^tcp {6}6 \d+ TIME_WAIT src=10\.0\.1\.2 dst=10\.96\.0\.10 sport=(\d+) dport=80 src=10\.244\.0\.[234] dst=10\.244\.0\.1 sport=8080 dport=\d+ \[ASSURED\] mark=0 use=1\n$/,
    );
  });

  it('keeps the client address through a NodePort with externalTrafficPolicy Local', () => {
    const { l, nf } = cluster();
    syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS);
    const r = l.run('ip netns exec c curl -s -m 5 10.0.1.1:30080');
    expect(r.exitCode).toBe(0);
    const ct = l.run('ip netns exec node conntrack -L').stdout;
    expect(ct).toMatch(
      /^tcp {6}6 \d+ TIME_WAIT src=10\.0\.1\.2 dst=10\.0\.1\.1 sport=(\d+) dport=30080 src=10\.244\.0\.5 dst=10\.0\.1\.2 sport=8080 dport=\1 \[ASSURED\] mark=0 use=1\n$/,
    );
  });

  it('spreads connections over the endpoints through the probability cascade', () => {
    const { l, nf } = cluster();
    syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS);
    const backends = new Set<string>();
    for (let i = 0; i < 6; i++) {
      expect(l.run('ip netns exec c curl -s -m 5 10.96.0.10:80').exitCode).toBe(0);
      const ct = l.run('ip netns exec node conntrack -L').stdout;
      for (const m of ct.matchAll(/dport=80 src=(10\.244\.0\.\d)/g)) backends.add(m[1]!);
    }
    expect([...backends].sort()).toEqual(['10.244.0.2', '10.244.0.3', '10.244.0.4']);
  });

  it('sends a client back to the same endpoint with ClientIP affinity (-m recent)', () => {
    const { l, nf } = cluster();
    const sticky = SERVICES.map((s) =>
      s.name === 'web' ? { ...s, sessionAffinity: 'ClientIP' as const } : s,
    );
    expect(syncKubeProxy(nf, NODE, sticky, ENDPOINTS).ok).toBe(true);
    expect(
      l
        .run('ip netns exec node iptables -t nat -S KUBE-SVC-CDGGSHYLG3RE2FKL')
        .stdout.split('\n')[2],
    ).toBe(
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.0.2:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-QA4PSDNF5R2OJOPA --mask 255.255.255.255 --rsource -j KUBE-SEP-QA4PSDNF5R2OJOPA',
    );
    expect(
      l.run('ip netns exec node iptables -t nat -S KUBE-SEP-QA4PSDNF5R2OJOPA').stdout,
    ).toContain(
      '-A KUBE-SEP-QA4PSDNF5R2OJOPA -p tcp -m comment --comment "default/web:http" -m recent --set --name KUBE-SEP-QA4PSDNF5R2OJOPA --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.0.2:8080\n',
    );
    const backends = new Set<string>();
    for (let i = 0; i < 6; i++) {
      expect(l.run('ip netns exec c curl -s -m 5 10.96.0.10:80').exitCode).toBe(0);
      const ct = l.run('ip netns exec node conntrack -L').stdout;
      for (const m of ct.matchAll(/dport=80 src=(10\.244\.0\.\d)/g)) backends.add(m[1]!);
    }
    expect(backends.size).toBe(1);
    // iptables -L words it as libxt_recent prints it.
    expect(
      l.run('ip netns exec node iptables -t nat -L KUBE-SVC-CDGGSHYLG3RE2FKL -n').stdout,
    ).toContain(
      '/* default/web:http -> 10.244.0.2:8080 */ recent: CHECK seconds: 10800 reap name: KUBE-SEP-QA4PSDNF5R2OJOPA side: source mask: 255.255.255.255\n',
    );
  });

  it('rejects a Service with no endpoints', () => {
    const { l, nf } = cluster();
    syncKubeProxy(nf, NODE, SERVICES, ENDPOINTS);
    const r = l.run('ip netns exec c curl -sS -m 5 10.96.0.30:80');
    expect(r.exitCode).toBe(7);
    expect(r.stderr).toMatch(/Couldn't connect to server/);
  });
});
