// The analyzer on ambient destinations: client -> ztunnel -> waypoint -> ztunnel -> pod, the
// identity each hop sees, and ztunnel's layer-4 view of the policies.
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { Dataplane, ExternalMtlsService, MtlsMode, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import {
  analysisFromModel, decide, externalServices, inferInventory, loadIstioDir, mergeInventories, parseInventory, parseIstioConfig, reachability, readYamlFiles, renderDiff,
  renderExplain, renderGraph, semanticDiff, strictReadiness,
} from '../../lib/analyzer';
import { ztunnelRule } from '../../lib/analyzer/ambient';
import { inventoryFromModel } from '../../lib/analyzer/inventory';
import { analysis, shopModel, STRICT_MESH } from './helpers';

const dist = { config: loadIstioDir('dist'), inventory: inventoryFromModel(shopModel()) };
const charge = { from: 'payments/checkout', to: 'payments/ledger', port: 8080, method: 'POST', path: '/v1/charges' };

describe('ambient: the reference app\'s payments namespace', () => {
  it('decides an L7 edge at the waypoint, which sees the client, and ztunnel admits the waypoint', () => {
    const d = decide(dist, charge);
    expect(d.verdict).toBe('ALLOWED');
    expect(d.decidedAt).toBe('waypoint payments/waypoint');
    expect(d.hops!.map((h) => `${h.proxy} | ${h.identity} | ${h.verdict}`)).toEqual([
      'waypoint payments/waypoint | spiffe://cluster.local/ns/payments/sa/checkout | ALLOWED',
      'ztunnel | spiffe://cluster.local/ns/payments/sa/waypoint | ALLOWED',
    ]);
    expect(d.decidedBy).toEqual([expect.objectContaining({ name: 'ledger-waypoint-allow', rule: 0 })]);
  });

  it('denies at the waypoint what the edge does not allow, and never reaches ztunnel', () => {
    const d = decide(dist, { ...charge, method: 'DELETE' });
    expect(d.verdict).toBe('DENIED');
    expect(d.decidedAt).toBe('waypoint payments/waypoint');
    expect(d.hops).toHaveLength(1);
    const other = decide(dist, { ...charge, from: 'payments/vault' });
    expect(other.verdict).toBe('DENIED');
    expect(other.summary).toContain('which sees spiffe://cluster.local/ns/payments/sa/vault');
  });

  it('refuses a request that bypasses the waypoint: ztunnel admits the waypoint and layer-4 edges only', () => {
    const d = decide(dist, { ...charge, bypassWaypoint: true });
    expect(d.verdict).toBe('DENIED');
    expect(d.decidedAt).toBe('ztunnel');
    expect(d.hops!.map((h) => h.identity)).toEqual(['spiffe://cluster.local/ns/payments/sa/checkout']);
    expect(d.decidedBy.map((r) => r.name)).toEqual(['allow-nothing', 'ledger-allow']);
  });

  it('sends a sidecar client straight to ztunnel: a sidecar never uses a waypoint', () => {
    const d = decide(dist, { from: 'production/payment-service', to: 'payments/ledger', port: 8080, method: 'DELETE', path: '/anything' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.hops!.map((h) => `${h.proxy} | ${h.identity}`)).toEqual(['ztunnel | spiffe://cluster.local/ns/production/sa/payment-service']);
    expect(decide(dist, { from: 'production/payment-service', to: 'payments/ledger', port: 9000 }).verdict).toBe('DENIED');
    expect(decide(dist, { from: 'production/frontend', to: 'payments/ledger', port: 8080 }).verdict).toBe('DENIED');
  });

  it('decides layer-4 edges at ztunnel alone, with the client\'s identity', () => {
    const d = decide(dist, { from: 'payments/ledger', to: 'payments/vault', port: 8200 });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.decidedAt).toBe('ztunnel');
    expect(d.hops!.map((h) => h.identity)).toEqual(['spiffe://cluster.local/ns/payments/sa/ledger']);
    expect(decide(dist, { from: 'payments/ledger', to: 'payments/vault', port: 8080 }).verdict).toBe('DENIED');
    const gateway = decide(dist, { from: 'principal:cluster.local/ns/istio-ingress/sa/istio-ingressgateway', to: 'payments/checkout', port: 8080, method: 'POST', path: '/checkout' });
    expect([gateway.verdict, gateway.decidedAt]).toEqual(['ALLOWED', 'waypoint payments/waypoint']);
    expect(gateway.notes).toEqual([expect.stringMatching(/is taken to be an ambient workload or an ingress gateway, which use the waypoint; a sidecar client would not/)]);
    expect(renderExplain(gateway, { from: 'x', to: 'payments/checkout' })).toContain('assuming: principal:cluster.local/ns/istio-ingress/sa/istio-ingressgateway is taken to be');
    expect(decide(dist, { from: 'plaintext', to: 'payments/vault', port: 8200 }).summary).toMatch(/^connection refused: payments\/vault port 8200 is STRICT/);
  });

  it('explain prints the path, the identity each hop sees and the hop that decided', () => {
    const text = renderExplain(decide(dist, charge), charge);
    expect(text).toContain('path: payments/checkout -> waypoint payments/waypoint -> ztunnel -> payments/ledger');
    expect(text).toContain('decided at: waypoint payments/waypoint');
    expect(text).toContain('at ztunnel (sees spiffe://cluster.local/ns/payments/sa/waypoint): ALLOWED');
    expect(text).toContain('payments/ledger-waypoint-allow: ignored (has targetRefs: for a waypoint, ztunnel ignores it)');
    const denied = renderExplain(decide(dist, { ...charge, method: 'DELETE' }), charge);
    expect(denied).toContain('-> waypoint payments/waypoint -> ztunnel (not reached) -> payments/ledger');
  });

  it('reads the data plane from the compiler\'s annotation when the inventory is inferred', () => {
    const inferred = { config: dist.config, inventory: inferInventory(dist.config) };
    expect(inferred.inventory.notes).toContain('assumed namespace payments and its Services carry the labels PeerAuthentication payments/default asks for (zero-trust.dev/required-labels)');
    expect(inferred.inventory.workloads.map((w) => `${w.namespace}/${w.name}`)).not.toContain('payments/waypoint');
    expect(decide(inferred, charge).decidedAt).toBe('waypoint payments/waypoint');
    // The ingress gateway, inferred from its principal in a namespace no policy of ours covers, is
    // not taken for a sidecar: it reaches checkout through the waypoint; payment-service, in
    // production, is a sidecar and reaches ledger's ztunnel on its layer-4 edge.
    expect(reachability(inferred, { to: ['payments'] }).edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'istio-ingress/istio-ingressgateway -> payments/checkout',
      'payments/checkout -> payments/ledger',
      'payments/ledger -> payments/vault',
      'production/payment-service -> payments/ledger',
    ]);
  });

  it('is UNDECIDED when a declared inventory does not say whether the namespace is ambient', () => {
    const inventory = parseInventory('workloads:\n  - { namespace: payments, name: ledger }\n  - { namespace: payments, name: checkout }\n');
    const d = decide({ config: dist.config, inventory }, charge);
    expect(d.verdict).toBe('UNDECIDED');
    expect(d.summary).toContain('was compiled for ambient (zero-trust.dev/dataplane), but the inventory does not say whether it carries istio.io/dataplane-mode=ambient');
  });
});

const AMBIENT_NS = (policies: string) => `${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: shop }
spec: { mtls: { mode: STRICT } }
${policies}`;
const W = [
  { namespace: 'shop', name: 'api', dataplane: 'AMBIENT' as const, ports: [{ number: 8080, protocol: 'HTTP' }] },
  { namespace: 'dev', name: 'tester' },
  { namespace: 'shop', name: 'web', dataplane: 'AMBIENT' as const },
];

describe('ambient: what ztunnel does with layer-7 fields', () => {
  it('never matches an ALLOW rule with HTTP fields (fails closed)', () => {
    const a = analysis(AMBIENT_NS(`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-allow, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }], to: [{ operation: { methods: [GET] } }] }]
`), W);
    const d = decide(a, { from: 'shop/web', to: 'shop/api', port: 8080, method: 'GET', path: '/' });
    expect(d.verdict).toBe('DENIED');
    expect(d.trace[0].rules[0].detail).toBe('dropped at ztunnel: an ALLOW rule with HTTP field methods never matches there');
  });

  it('enforces a DENY rule without its HTTP parts, and skips one left with an empty match', () => {
    const deny = (to: string) => analysis(AMBIENT_NS(`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-dev, namespace: shop }
spec:
  action: DENY
  rules: [{ from: [{ source: { namespaces: [dev] } }], to: [{ operation: ${to} }] }]
`), W);
    // methods + ports: ztunnel keeps the port, so every method from dev is denied, POST included.
    expect(decide(deny('{ methods: [GET], ports: ["8080"] }'), { from: 'dev/tester', to: 'shop/api', port: 8080, method: 'POST', path: '/' }).verdict).toBe('DENIED');
    // methods only: the `to` entry is empty at ztunnel, the DENY never matches, and nothing else applies.
    const skipped = decide(deny('{ methods: [GET] }'), { from: 'dev/tester', to: 'shop/api', port: 8080, method: 'GET', path: '/' });
    expect(skipped.verdict).toBe('ALLOWED');
    expect(skipped.trace[0].rules[0].detail).toContain('an empty match');
  });

  it('ignores CUSTOM and dry-run policies, which ztunnel does not enforce', () => {
    const a = analysis(AMBIENT_NS(`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext-authz, namespace: shop }
spec: { action: CUSTOM, provider: { name: opa }, rules: [{}] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: staged, namespace: shop, annotations: { istio.io/dry-run: "true" } }
spec: { selector: { matchLabels: { app: api } } }
`), W);
    const d = decide(a, { from: 'shop/web', to: 'shop/api', port: 8080 });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.trace.map((t) => `${t.policy.name}: ${t.note}`)).toEqual([
      'ext-authz: ztunnel does not support CUSTOM: not enforced',
      'staged: dry-run: ztunnel ignores it (without Istio 1.29 and its feature flag)',
    ]);
  });

  it('translates rules to their layer-4 view', () => {
    expect(ztunnelRule({ from: [{ source: { principals: ['a'], requestPrincipals: ['x'] } }] }, 'ALLOW')).toEqual({ never: 'dropped at ztunnel: an ALLOW rule with HTTP field requestPrincipals never matches there' });
    expect(ztunnelRule({ from: [{ source: { principals: ['a'], requestPrincipals: ['x'] } }] }, 'DENY')).toEqual({ rule: { from: [{ source: { principals: ['a'] } }] } });
    expect(ztunnelRule({ when: [{ key: 'request.headers[x]', values: ['1'] }] }, 'DENY')).toEqual({ never: 'ztunnel cannot evaluate when request.headers[x]: the condition matches nothing there' });
    expect(ztunnelRule({ to: [{ operation: { ports: ['1'] } }], when: [{ key: 'source.ip', values: ['10.0.0.1'] }] }, 'ALLOW'))
      .toEqual({ rule: { to: [{ operation: { ports: ['1'] } }], when: [{ key: 'source.ip', values: ['10.0.0.1'] }] } });
    expect(ztunnelRule({}, 'ALLOW')).toEqual({ rule: {} });
  });

  it('a sidecar destination the inventory declares ignores Service-bound policies; an undeclared one is UNDECIDED', () => {
    const yaml = `${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-l7, namespace: shop }
spec: { targetRefs: [{ group: "", kind: Service, name: api }], rules: [{ to: [{ operation: { methods: [GET] } }] }] }
`;
    expect(decide(analysis(yaml, [{ namespace: 'shop', name: 'api', dataplane: 'SIDECAR' }, { namespace: 'shop', name: 'web' }]), { from: 'shop/web', to: 'shop/api', port: 8080 }).verdict).toBe('ALLOWED');
    expect(decide(analysis(yaml, [{ namespace: 'shop', name: 'api' }, { namespace: 'shop', name: 'web' }]), { from: 'shop/web', to: 'shop/api', port: 8080 }).verdict).toBe('UNDECIDED');
  });
});

describe('inventory files', () => {
  it('read dataplane and waypoint, and refuse a waypoint without ambient', () => {
    const inventory = parseInventory('workloads:\n  - { namespace: payments, name: ledger, dataplane: ambient, waypoint: wp }\n');
    expect(inventory.workloads[0]).toMatchObject({ dataplane: 'AMBIENT', waypoint: 'wp' });
    expect(() => parseInventory('workloads:\n  - { namespace: p, name: l, waypoint: wp }\n')).toThrow(/workloads\[0\].waypoint is set, but only an ambient workload \(dataplane: ambient\) uses a waypoint/);
    expect(() => parseInventory('workloads:\n  - { namespace: p, name: l, dataplane: node }\n')).toThrow(/workloads\[0\]\.dataplane must be one of "sidecar", "ambient", "SIDECAR", "AMBIENT", got the string "node"/);
  });
});

describe('ambient: graph, diff and readiness', () => {
  it('graph: the same edges as declared, and a legend naming what sits behind a waypoint', () => {
    const graph = reachability(dist, { to: ['payments'] });
    expect(graph.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'payments/checkout -> payments/ledger',
      'payments/ledger -> payments/vault',
      'principal:cluster.local/ns/istio-ingress/sa/istio-ingressgateway -> payments/checkout',
      'production/payment-service -> payments/ledger',
    ]);
    expect(graph.ambient).toEqual([{ namespace: 'payments', behindWaypoint: [
      { workload: 'payments/checkout', waypoint: 'payments/waypoint' }, { workload: 'payments/ledger', waypoint: 'payments/waypoint' },
    ] }]);
    expect(renderGraph(graph, 'text')).toContain('Ambient namespaces: payments (ztunnel; behind a waypoint: payments/checkout via payments/waypoint, payments/ledger via payments/waypoint).');
    // The waypoint is a proxy on the path, not a caller.
    expect(graph.callers.some((c) => c.includes('sa/waypoint'))).toBe(false);
  });

  it('diff: a namespace moved from sidecars to ambient, with the access that changed because of it', () => {
    // The same YAML, once without the compiler's ambient annotation (read as sidecars).
    const files = readYamlFiles('dist');
    const asSidecar = files.map((f) => ({ ...f, text: f.text.replace('zero-trust.dev/dataplane: AMBIENT', 'zero-trust.dev/note: none') }));
    const before = parseIstioConfig(asSidecar);
    const after = parseIstioConfig(files);
    const inventory = mergeInventories(inferInventory(before), inferInventory(after));
    const diff = semanticDiff({ config: before, inventory }, { config: after, inventory });
    expect(diff.dataplanes).toEqual([{ namespace: 'payments', before: 'SIDECAR', after: 'AMBIENT' }]);
    // Read as sidecars, ledger and checkout admit the waypoint's identity and the layer-4 edges: the L7 edges only work in ambient.
    expect(diff.edges.filter((e) => e.kind === 'added').map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'istio-ingress/istio-ingressgateway -> payments/checkout', 'payments/checkout -> payments/ledger',
    ]);
    const text = renderDiff(diff, 'text');
    expect(text.split('\n')[0]).toContain('1 data plane changed');
    expect(text).toContain('Data plane\n  ~ namespace payments: sidecars -> ambient (ztunnel and waypoint)');
    expect(renderDiff(diff, 'markdown')).toContain('#### Data plane');
    // The same configuration on both sides: nothing changed.
    expect(semanticDiff(dist, dist).dataplanes).toBeUndefined();
  });

  it('readiness: an ambient namespace that accepts plaintext is queried where ztunnel reports plaintext', () => {
    const model = shopModel();
    const permissive = { ...model, namespaces: model.namespaces.map((ns) => (ns.name === 'payments' ? { ...ns, mode: 'PERMISSIVE' as const, acceptPlaintextBypass: true } : ns)) };
    const report = strictReadiness(analysisFromModel(permissive));
    const payments = report.namespaces.find((n) => n.namespace === 'payments')!;
    expect(payments.queries).toEqual([
      'sum by (source_workload_namespace, source_workload, destination_workload) (increase(istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="unknown", destination_workload_namespace="payments"}[7d]))',
    ]);
    expect(report.namespaces.find((n) => n.namespace === 'legacy')!.queries[0]).toContain('connection_security_policy="none"');
  });
});

describe('inventory files: whole namespaces', () => {
  it('read dataplanes for pods no workload names', () => {
    const inventory = parseInventory('dataplanes: { payments: ambient }\nworkloads:\n  - { namespace: production, name: payment-service }\n');
    expect(inventory.dataplanes).toEqual({ payments: 'AMBIENT' });
    const d = decide({ config: dist.config, inventory }, { from: 'production/payment-service', to: 'payments/*', port: 8080 });
    expect(d.hops?.map((h) => h.proxy)).toEqual(['ztunnel']);
    expect(d.verdict).toBe('DENIED');
    expect(() => parseInventory('dataplanes: { payments: node }\nworkloads: []\n')).toThrow(/dataplanes/);
  });
  it('look a namespace up among its own entries only: "constructor" is a namespace, not a property of every object', () => {
    // A namespace the dataplanes map does not name takes its named workloads' data plane, whatever its name.
    const hops = (dataplane: Dataplane) => {
      // (constructs cannot declare a child named "constructor": the model is renamed after the fact.)
      const app = new App();
      const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
      new ZeroTrustNamespace(app, 'ctor', { mesh, dataplane }).addWorkload('api');
      const model = mesh.toModel();
      const renamed = { ...model, namespaces: model.namespaces.map((ns) => ({ ...ns, name: 'constructor', workloads: ns.workloads.map((w) => ({ ...w, namespace: 'constructor' })) })) };
      const inventory = parseInventory('dataplanes: { payments: sidecar }\nworkloads:\n' +
        `  - { namespace: constructor, name: api, dataplane: ${dataplane.toLowerCase()} }\n  - { namespace: production, name: payment-service }\n`);
      const d = decide({ config: analysisFromModel(renamed).config, inventory }, { from: 'production/payment-service', to: 'constructor/*', port: 8080 });
      return d.hops?.map((h) => h.proxy) ?? [];
    };
    expect(hops(Dataplane.AMBIENT)).toEqual(['ztunnel']);
    expect(hops(Dataplane.SIDECAR)).toEqual([]);
  });
});

describe('ambient: external services', () => {
  it('the waypoint originates mutual TLS for the clients its policy admits, and no one else', () => {
    const app = new App();
    const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
    const ns = new ZeroTrustNamespace(app, 'shop', { mesh, dataplane: Dataplane.AMBIENT });
    const api = ns.addWorkload('api');
    ns.addWorkload('web');
    new ExternalMtlsService(ns, 'bank', { host: 'api.bank.example', clients: [api], credentialName: 'bank' });
    const [svc] = externalServices(analysisFromModel(mesh.toModel()));
    expect(svc.clients).toEqual([{ client: 'shop/api', port: 80, tls: 'MUTUAL', destinationRule: 'shop/bank' }]);
    expect(svc.problems).toEqual([]);
    expect(renderGraph(reachability(analysisFromModel(mesh.toModel())), 'text')).toContain('n_shop_api -->|"HTTP 80 to 443, tls MUTUAL"| n_external_api_bank_example');
  });
});
