// explain, graph, diff and readiness on the reference shop (dist/, what `npm run synth` wrote)
// and on the same shop compiled in memory from its construct tree: both must agree.
import { describe, expect, it } from 'vitest';
import {
  analysisFromModel, decide, inventoryFromModel, loadIstioDir, reachability, renderExplain, renderGraph, semanticDiff, strictReadiness,
} from '../../lib/analyzer';
import { shopModel } from './helpers';

const model = shopModel();
const dist = { config: loadIstioDir('dist'), inventory: inventoryFromModel(model) };

describe('the reference app (dist/)', () => {
  it('explains a denied request with the deciding policies and their constructs', () => {
    const request = { from: 'production/frontend', to: 'production/orders', method: 'GET', path: '/api/v1/orders/1' };
    const d = decide(dist, request);
    expect(d.verdict).toBe('DENIED');
    expect(d.decidedBy.map((r) => `${r.name} ${r.declaredBy}`)).toEqual([
      'allow-nothing production',
      'orders-allow production/orders/from-production.payment-service-5ac84373',
    ]);
    const text = renderExplain(d, request);
    expect(text.split('\n')[0]).toBe('DENIED: production/frontend -> production/orders GET /api/v1/orders/1');
    expect(text).toContain('source principal cluster.local/ns/production/sa/frontend is not one of [cluster.local/ns/production/sa/payment-service]');
  });

  it('explains an allowed request with the rule and the construct that declared it', () => {
    const d = decide(dist, { from: 'production/payment-service', to: 'production/orders', method: 'PUT', path: '/api/v1/orders/7' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.decidedBy).toEqual([expect.objectContaining({ name: 'orders-allow', rule: 0, declaredBy: 'production/orders/from-production.payment-service-5ac84373' })]);
    expect(decide(dist, { from: 'production/payment-service', to: 'production/orders', method: 'DELETE', path: '/api/v1/orders/7' }).verdict).toBe('DENIED');
    expect(decide(dist, { from: 'production/payment-service', to: 'production/orders', method: 'GET', path: '/api/v1/orders' }).verdict).toBe('DENIED');
  });

  it('admits the plaintext scraper on port 9090 only, and attributes it to the workload', () => {
    const d = decide(dist, { from: 'plaintext', to: 'production/payment-service', port: 9090 });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.decidedBy[0]).toMatchObject({ name: 'payment-service-allow', rule: 0, declaredBy: 'production/payment-service' });
    expect(decide(dist, { from: 'plaintext', to: 'production/payment-service', port: 8080 }).verdict).toBe('DENIED');
    expect(decide(dist, { from: 'production/frontend', to: 'production/payment-service', port: 9090 }).verdict).toBe('DENIED');
  });

  it('denies the denied namespaces before any ALLOW', () => {
    expect(decide(dist, { from: 'development/*', to: 'production/cart' }).decidedBy[0]).toMatchObject({ name: 'deny-namespaces', action: 'DENY' });
  });

  it('lets everything into the dry-run legacy namespace, and says what enforcing would do', () => {
    const d = decide(dist, { from: 'plaintext', to: 'legacy/*' });
    expect(d.verdict).toBe('ALLOWED');
    expect(d.dryRun).toMatchObject({ verdict: 'DENIED' });
  });

  it('graphs exactly the declared edges, with their layer-7 limits', () => {
    const graph = reachability(dist);
    const production = graph.edges.filter((e) => e.to.startsWith('production/'));
    expect(production.map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'plaintext -> production/payment-service',
      'production/cart -> production/payment-service',
      'production/frontend -> production/cart',
      'production/frontend -> production/product-catalog',
      'production/payment-service -> production/orders',
    ]);
    const catalog = production.find((e) => e.to === 'production/product-catalog')!;
    expect(catalog.access).toEqual([expect.objectContaining({ port: 'other', grants: [{ methods: ['GET'], paths: ['/api/v1/products', '/api/v1/products/*'] }] })]);
    const scraper = production[0];
    expect(scraper.access.map((a) => [a.port, a.transport])).toEqual([[9090, 'plaintext']]);
    expect(graph.external).toEqual([expect.objectContaining({ id: 'production/external-api', problems: [], clients: [expect.objectContaining({ client: 'production/payment-service', tls: 'MUTUAL', port: 80 })] })]);
  });

  it('every graph edge is confirmed by decide() on a witness request', () => {
    for (const edge of reachability(dist).edges) {
      for (const access of edge.access) {
        const grant = access.grants === 'any' ? {} : access.grants[0];
        const path = grant.paths?.[0]?.replace(/\*$/, 'x');
        const request = { from: edge.from, to: edge.to, ...(access.port !== 'other' ? { port: access.port } : {}), method: grant.methods?.[0] ?? 'GET', path: path ?? '/' };
        expect(decide(dist, request).verdict, JSON.stringify(request)).toBe('ALLOWED');
      }
    }
  });

  it('renders the graph as a Mermaid flowchart with namespaces as subgraphs', () => {
    const text = renderGraph(reachability(dist), 'text');
    expect(text).toContain('flowchart LR\n  subgraph ns_istio_ingress["istio-ingress"]');
    expect(text).toContain('  subgraph ns_legacy["legacy"]');
    expect(text).toContain('  subgraph ns_payments["payments"]');
    expect(text).toContain('n_payments_checkout -->|"GET, POST /v1/charges, /v1/charges/*"| n_payments_ledger');
    expect(text).toContain('n_production_payment_service -->|"port 8080"| n_payments_ledger');
    expect(text).toContain('n_payments_ledger -->|"port 8200"| n_payments_vault');
    expect(text).toContain('n_production_frontend -->|"GET /api/v1/products, /api/v1/products/*"| n_production_product_catalog');
    expect(text).toContain('n_plaintext -->|"port 9090, plaintext"| n_production_payment_service');
    expect(text).toContain('n_anyone -.->|"dry-run only"| n_legacy_any');
  });

  it('the YAML in dist/ and the in-memory compilation of the construct tree agree', () => {
    expect(semanticDiff(dist, analysisFromModel(model)).edges).toEqual([]);
    expect(reachability(analysisFromModel(model)).edges).toEqual(reachability(dist).edges.map((e) => ({
      ...e, access: e.access.map((a) => ({ ...a, via: a.via.map((r) => ({ ...r, file: 'model' })) })),
    })));
  });

  it('reports the legacy namespace and the scraper port in the STRICT readiness report', () => {
    const report = strictReadiness(dist);
    expect(report.namespaces.map((n) => [n.namespace, n.mode, n.breaking.map((b) => b.from)])).toEqual([['legacy', 'PERMISSIVE', ['plaintext']]]);
    expect(report.namespaces[0].queries[0]).toContain('istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none", destination_workload_namespace="legacy"}');
    expect(report.exceptions.map((e) => [e.workload, e.port, e.plaintextClients.map((c) => c.from)])).toEqual([['production/payment-service', 9090, ['plaintext']]]);
  });
});
