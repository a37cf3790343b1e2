// The seed article's hand-written YAML (examples/seed): it loads, and the analyzer finds its bugs.
import { describe, expect, it } from 'vitest';
import {
  decide, inferInventory, loadIstioDir, mergeInventories, parseIstioConfig, reachability, readYamlFiles, renderDiff, semanticDiff, strictReadiness,
} from '../../lib/analyzer';

const config = loadIstioDir('examples/seed');
const seed = { config, inventory: inferInventory(config) };

describe('the seed YAML (examples/seed)', () => {
  it('loads every Istio object and skips the Namespace objects with a note', () => {
    expect(config.objects.map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual([
      'AuthorizationPolicy production/allow-nothing',
      'AuthorizationPolicy production/deny-non-production',
      'AuthorizationPolicy production/frontend-to-product-catalog',
      'AuthorizationPolicy production/payment-to-orders',
      'DestinationRule production/external-api-mtls',
      'PeerAuthentication istio-system/default',
      'PeerAuthentication legacy/default',
      'PeerAuthentication production/default',
      'PeerAuthentication production/payment-service-metrics',
      'ServiceEntry production/external-api',
    ]);
    expect(config.notes).toEqual(['examples/seed/00-namespaces.yaml: Namespace (v1) is not analyzed; skipped']);
  });

  it('explains the Prometheus bug: port 9090 is PERMISSIVE but allow-nothing denies the scrape', () => {
    const d = decide(seed, { from: 'plaintext', to: 'production/payment-service', port: 9090 });
    expect(d.verdict).toBe('DENIED');
    expect(d.connection).toMatchObject({ transport: 'plaintext', mode: 'PERMISSIVE', modeSource: 'production/payment-service-metrics' });
    expect(d.decidedBy.map((r) => r.name)).toEqual(['allow-nothing']);
    expect(d.decidedBy[0].declaredBy).toBeUndefined(); // hand-written YAML names no construct
  });

  it('allows the two declared edges and nothing else', () => {
    expect(decide(seed, { from: 'production/frontend', to: 'production/product-catalog', method: 'GET', path: '/api/v1/products/42' }).verdict).toBe('ALLOWED');
    expect(decide(seed, { from: 'production/frontend', to: 'production/product-catalog', method: 'POST', path: '/api/v1/products' }).verdict).toBe('DENIED');
    expect(decide(seed, { from: 'production/payment-service', to: 'production/orders', method: 'POST', path: '/api/v1/orders/1' }).verdict).toBe('ALLOWED');
    const graph = reachability(seed);
    expect(graph.edges.filter((e) => e.to.startsWith('production/')).map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'production/frontend -> production/product-catalog',
      'production/payment-service -> production/orders',
    ]);
  });

  it('finds the TLS-in-TLS DestinationRule on the HTTPS port', () => {
    const [svc] = reachability(seed).external;
    expect(svc.ports).toEqual([{ number: 443, name: 'https', protocol: 'HTTPS' }]);
    expect(svc.clients).toEqual([{ client: '*/*', port: 443, tls: 'MUTUAL', destinationRule: 'production/external-api-mtls' }]);
    expect(svc.problems).toHaveLength(1);
    expect(svc.problems[0]).toContain('TLS inside TLS');
  });

  it('reports the useless plaintext exception and the PERMISSIVE legacy namespace', () => {
    const report = strictReadiness(seed);
    expect(report.exceptions).toEqual([expect.objectContaining({ workload: 'production/payment-service', port: 9090, plaintextClients: [] })]);
    expect(report.namespaces.map((n) => n.namespace)).toEqual(['legacy']);
  });

  it('diffs the seed against the library\'s output: the new edges, the scraper, the external fix', () => {
    // The seed is the production shop: dist/ without the ambient payments namespace.
    const after = parseIstioConfig(readYamlFiles('dist').filter((f) => !f.path.endsWith('payments.k8s.yaml')));
    const inventory = mergeInventories(seed.inventory, inferInventory(after));
    const diff = semanticDiff({ config, inventory }, { config: after, inventory });
    expect(diff.edges.filter((e) => e.kind === 'added').map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'plaintext -> production/payment-service',
      'production/cart -> production/payment-service',
      'production/frontend -> production/cart',
    ]);
    expect(diff.external).toEqual([expect.objectContaining({ kind: 'changed', key: 'production/api.external-service.com', widens: true })]);
    expect(diff.external[0].details).toContain('- port 443 HTTPS');
    expect(diff.external[0].details).toContain('+ port 80 HTTP to 443');
    expect(diff.widens).toBe(true);
    expect(renderDiff(diff, 'text').split('\n')[0]).toBe('zero-trust diff: 3 edges added, 1 edge changed, 1 external service changed; WIDENS access');
  });
});
