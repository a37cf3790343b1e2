// The semantic diff on small configurations, one kind of change at a time.
import { describe, expect, it } from 'vitest';
import { isEmptyDiff, renderDiff, semanticDiff } from '../../lib/analyzer';
import { analysis, STRICT_MESH } from './helpers';

const WORKLOADS = [{ namespace: 'prod', name: 'api' }, { namespace: 'prod', name: 'web' }];
const closed = `${STRICT_MESH}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: prod }
spec: {}
`;
const allow = (operation: string, annotations = '') => `
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-allow, namespace: prod${annotations} }
spec:
  selector: { matchLabels: { app: api } }
  rules: [{ from: [{ source: { principals: [cluster.local/ns/prod/sa/web] } }]${operation ? `, to: [{ operation: ${operation} }]` : ''} }]
`;
const diff = (a: string, b: string) => semanticDiff(analysis(a, WORKLOADS), analysis(b, WORKLOADS));

describe('semantic diff', () => {
  it('is empty for the same access written differently', () => {
    const d = diff(closed + allow('{ methods: [GET, POST] }'), closed + allow('{ methods: [POST, GET] }'));
    expect(isEmptyDiff(d)).toBe(true);
    expect(renderDiff(d, 'text')).toBe('zero-trust diff: no change in access\n');
  });

  it('reports an added edge as widening and a removed one as not', () => {
    const d = diff(closed, closed + allow(''));
    expect(d.edges).toEqual([expect.objectContaining({ kind: 'added', from: 'prod/web', to: 'prod/api', widens: true, details: ['any port: nothing -> all requests'] })]);
    expect(d.widens).toBe(true);
    const back = diff(closed + allow(''), closed);
    expect(back.edges.map((e) => e.kind)).toEqual(['removed']);
    expect(back.widens).toBe(false);
  });

  it('tells a widened layer-7 scope from a narrowed one', () => {
    const narrow = closed + allow('{ methods: [GET], paths: ["/api/v1/orders/*"] }');
    const wide = closed + allow('{ methods: [GET, POST], paths: ["/api/*"] }');
    expect(diff(narrow, wide).edges).toEqual([expect.objectContaining({
      kind: 'widened', widens: true, details: ['any port: GET /api/v1/orders/* -> GET, POST /api/*'],
    })]);
    expect(diff(wide, narrow).edges.map((e) => [e.kind, e.widens])).toEqual([['narrowed', false]]);
    const other = closed + allow('{ methods: [DELETE], paths: ["/api/v1/orders/*"] }');
    expect(diff(narrow, other).edges.map((e) => [e.kind, e.widens])).toEqual([['changed', true]]);
  });

  it('compares per port: opening a port widens', () => {
    const d = diff(closed + allow('{ ports: ["8080"] }'), closed + allow('{ ports: ["8080", "9090"] }'));
    expect(d.edges).toEqual([expect.objectContaining({ kind: 'widened', details: ['port 9090: nothing -> all requests'] })]);
  });

  it('reports mTLS modes weakened and strengthened, port by port', () => {
    const portLevel = `
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-metrics, namespace: prod }
spec: { selector: { matchLabels: { app: api } }, portLevelMtls: { 9090: { mode: PERMISSIVE } } }
`;
    const d = diff(closed, closed + portLevel);
    expect(d.modes).toEqual([{ kind: 'weakened', workload: 'prod/api', port: 9090, before: 'STRICT', after: 'PERMISSIVE', beforeSource: 'istio-system/default', afterSource: 'prod/api-metrics' }]);
    expect(d.widens).toBe(true);
    const ns = closed.replace(STRICT_MESH, STRICT_MESH.replace('STRICT', 'PERMISSIVE'));
    expect(diff(ns, closed).modes.map((m) => [m.kind, m.workload, m.port])).toEqual([
      ['strengthened', 'prod/*', 'other'], ['strengthened', 'prod/api', 'other'], ['strengthened', 'prod/web', 'other'],
    ]);
  });

  it('reports a mesh-wide default change that no workload follows, with the workloads that override it', () => {
    // prod has its own PeerAuthentication: the mesh default reaches none of its workloads.
    const nsDefault = `
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: prod }
spec: { mtls: { mode: STRICT } }
`;
    const strict = closed + nsDefault;
    const permissive = strict.replace(STRICT_MESH, STRICT_MESH.replace('STRICT', 'PERMISSIVE'));
    const d = diff(strict, permissive);
    expect(d.edges).toEqual([]);
    expect(d.modes).toEqual([]);
    expect(d.meshDefault).toEqual({ kind: 'weakened', before: 'STRICT', after: 'PERMISSIVE', beforeSource: 'istio-system/default', afterSource: 'istio-system/default', reached: 0, overridden: 2 });
    expect(isEmptyDiff(d)).toBe(false);
    expect(d.widens).toBe(false);
    expect(renderDiff(d, 'text')).toBe([
      'zero-trust diff: mesh-wide mTLS default weakened (reaches 0 workloads, 2 workloads override it); does not widen access',
      '',
      'mTLS',
      "  ! weakened     mesh default: STRICT -> PERMISSIVE (istio-system/default); reaches 0 workloads, 2 workloads override it (their namespace's or their own PeerAuthentication)",
      '',
    ].join('\n'));
    expect(renderDiff(d, 'markdown')).toContain('| weakened | mesh default (reaches 0 workloads, 2 workloads override it) | STRICT | PERMISSIVE | istio-system/default |');
    // Where the workloads follow it, the same change is counted as reaching them, next to their own mode changes.
    const reaching = diff(closed, closed.replace(STRICT_MESH, STRICT_MESH.replace('STRICT', 'PERMISSIVE')));
    expect(reaching.meshDefault).toMatchObject({ kind: 'weakened', reached: 2, overridden: 0 });
    expect(reaching.modes.map((m) => m.workload)).toEqual(['prod/*', 'prod/api', 'prod/web']);
    // Another root namespace policy with the same mode is no change of the default.
    expect(diff(strict, strict + nsDefault.replace('namespace: prod', 'namespace: istio-system').replace('name: default', 'name: other')).meshDefault).toBeUndefined();
  });

  it('reports enforcement moving between dry-run and enforced', () => {
    const dry = closed.replace('name: allow-nothing, namespace: prod', 'name: allow-nothing, namespace: prod, annotations: { istio.io/dry-run: "true" }');
    const d = diff(closed, dry);
    expect(d.enforcement).toEqual([{ kind: 'enforced to dry-run', policy: 'prod/allow-nothing' }]);
    expect(d.widens).toBe(true);
    expect(d.edges.every((e) => e.kind === 'added')).toBe(true);
    expect(diff(dry, closed).enforcement.map((e) => e.kind)).toEqual(['dry-run to enforced']);
  });

  it('reports external services added and removed', () => {
    const se = `
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: payments, namespace: prod }
spec: { hosts: [api.pay.example], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: DNS, exportTo: ["."] }
`;
    const d = diff(closed, closed + se);
    expect(d.external).toEqual([{ kind: 'added', key: 'prod/api.pay.example', widens: true, details: ['+ client prod/* on port 443 with tls none', '+ port 443 TLS'] }]);
    expect(diff(closed + se, closed).external.map((e) => [e.kind, e.widens])).toEqual([['removed', false]]);
  });

  it('renders Markdown with a Mermaid diagram of the changed edges', () => {
    const md = renderDiff(diff(closed, closed + allow('{ methods: [GET] }')), 'markdown', 'Policy review');
    expect(md).toContain('### Policy review\n\n**1 edge added; WIDENS access**');
    expect(md).toContain('```mermaid\nflowchart LR');
    expect(md).toContain('n_prod_web ==>|"added"| n_prod_api');
    expect(md).toContain('linkStyle 0 stroke:#2da44e');
    expect(md).toContain('| added | prod/web | prod/api | any port: nothing -> GET |');
  });
});
