// Grouping callers in the graph: "anyone" includes plaintext clients, "any mesh workload" does not.
import { describe, expect, it } from 'vitest';
import { GraphTooLargeError, reachability, renderGraph, renderGraphMermaid, UnknownWorkloadError } from '../../lib/analyzer';
import { compressedEdges } from '../../lib/analyzer/render-graph';
import { analysis, STRICT_MESH } from './helpers';

const workloads = [
  { namespace: 'shop', name: 'web' },
  { namespace: 'shop', name: 'api' },
  { namespace: 'monitoring', name: 'prometheus', sidecar: false },
];

describe('graph grouping', () => {
  it('groups every mTLS caller of an open STRICT namespace as "any mesh workload", without the sidecar-less one', () => {
    const graph = reachability(analysis(STRICT_MESH, workloads));
    expect(graph.plaintextCallers).toEqual(['monitoring/prometheus', 'plaintext']);
    expect(graph.edges.some((e) => e.from === 'monitoring/prometheus')).toBe(false);
    expect(compressedEdges(graph).map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'any mesh workload -> shop/*', 'any mesh workload -> shop/api', 'any mesh workload -> shop/web',
    ]);
  });

  it('groups them as "anyone" when plaintext gets in too, and keeps single callers apart', () => {
    const permissive = STRICT_MESH.replace('STRICT', 'PERMISSIVE') + `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: shop }
spec: { selector: { matchLabels: { app: api } }, rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }] }] }
`;
    const graph = reachability(analysis(permissive, workloads));
    expect(compressedEdges(graph).map((e) => `${e.from} -> ${e.to} (${e.transport})`)).toEqual([
      'anyone -> shop/* (mTLS or plaintext)', 'anyone -> shop/web (mTLS or plaintext)', 'shop/web -> shop/api (mTLS)',
    ]);
    expect(renderGraphMermaid(graph)).toContain('n_shop_web --> n_shop_api');
  });

  // shop/api is open to any mTLS identity for GET, shop/web may also POST; with `deny`, namespace dev is denied.
  const openApi = (deny: boolean) => STRICT_MESH + `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-allow, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  rules:
    - from: [{ source: { principals: ["*"] } }]
      to: [{ operation: { methods: [GET] } }]
    - from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }]
      to: [{ operation: { methods: [POST] } }]
` + (deny ? `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-dev, namespace: shop }
spec: { action: DENY, rules: [{ from: [{ source: { namespaces: [dev] } }] }] }
` : '');
  const many = [...workloads, { namespace: 'dev', name: 'tester' }, { namespace: 'ops', name: 'a' }, { namespace: 'ops', name: 'b' }];
  const toApi = (deny: boolean) => compressedEdges(reachability(analysis(openApi(deny), many), { to: ['shop/api'] }))
    .map((e) => `${e.from} -> ${e.to}: ${e.access.map((a) => (a.grants === 'any' ? 'any' : a.grants.map((g) => g.methods?.join(',')).join(' | '))).join()}`);

  it('keeps "any mesh workload" when the callers outside the group can do more, and lists those on their own', () => {
    expect(toApi(false)).toEqual(['any mesh workload -> shop/api: GET', 'shop/web -> shop/api: GET | POST']);
  });

  it('lists every caller when one of them can do less: "any mesh workload" would not be true', () => {
    const rows = toApi(true);
    expect(rows).not.toContainEqual(expect.stringMatching(/^any mesh workload/));
    expect(rows).toContain('ops/a -> shop/api: GET');
    expect(rows.some((r) => r.startsWith('dev/'))).toBe(false);
  });

  it('selects destinations with --to and callers with --from (a namespace or a node id)', () => {
    const mesh = analysis(openApi(false), many);
    const to = reachability(mesh, { to: ['shop/api'] });
    expect(new Set(to.edges.map((e) => e.to))).toEqual(new Set(['shop/api']));
    expect(to.selection).toEqual({ to: ['shop/api'] });
    const from = reachability(mesh, { from: ['ops'] });
    expect(new Set(from.edges.map((e) => e.from))).toEqual(new Set(['ops/a', 'ops/b', 'ops/*']));
    // A selection of callers is never grouped: "anyone" would only mean "every selected caller".
    expect(compressedEdges(from).map((e) => e.from)).not.toContain('any mesh workload');
    // The same pairs as the whole graph, restricted.
    const whole = reachability(mesh);
    expect(from.edges).toEqual(whole.edges.filter((e) => e.from.startsWith('ops/')));
    expect(to.edges).toEqual(whole.edges.filter((e) => e.to === 'shop/api'));
    // The diagram draws the selected workloads and the edges' ends, not every workload of the mesh.
    expect(renderGraph(to, 'text')).not.toContain('n_dev_tester[');
  });

  it('refuses a selector that names nothing, and a graph larger than maxPairs', () => {
    const mesh = analysis(openApi(false), many);
    expect(() => reachability(mesh, { to: ['nowhere'] })).toThrow(UnknownWorkloadError);
    expect(() => reachability(mesh, { to: ['nowhere'] })).toThrow(/--to nowhere: no destination is in namespace nowhere \(give a namespace or namespace\/workload of the configuration\)/);
    expect(() => reachability(mesh, { from: ['shop/nobody'] })).toThrow(/--from shop\/nobody: no caller is called shop\/nobody/);
    expect(() => reachability(mesh, { maxPairs: 3 })).toThrow(GraphTooLargeError);
    expect(() => reachability(mesh, { maxPairs: 3 })).toThrow(/the graph has more than 3 caller-destination pairs .*select a part of it with --to or --from/);
    expect(reachability(mesh, { maxPairs: 3, to: ['shop/api'], from: ['ops/a', 'shop/web'] }).edges.map((e) => e.from)).toEqual(['ops/a', 'shop/web']);
  });
});
