import { describe, expect, it } from 'vitest';
import { buildShop } from '../apps/shop';
import { find, names, synthDocs, synthFiles } from './helpers';
import { validateIstioObjects } from './support/istio-schema';

const files = synthFiles(buildShop);
const docs = synthDocs(buildShop);
const P = (sa: string) => `cluster.local/ns/production/sa/${sa}`;

describe('reference shop app', () => {
  it('synthesizes one file per namespace and one for the mesh', () => {
    expect(Object.keys(files)).toEqual(['legacy.k8s.yaml', 'mesh.k8s.yaml', 'payments.k8s.yaml', 'production.k8s.yaml']);
  });

  it('is valid against the Istio 1.30.3 and Gateway API 1.6.1 CRD schemas and CEL rules, all five kinds', () => {
    expect(validateIstioObjects(docs)).toEqual([]);
    expect([...new Set(docs.map((d) => `${d.apiVersion}/${d.kind}`))].sort()).toEqual([
      'gateway.networking.k8s.io/v1/Gateway',
      'networking.istio.io/v1/DestinationRule', 'networking.istio.io/v1/ServiceEntry',
      'security.istio.io/v1/AuthorizationPolicy', 'security.istio.io/v1/PeerAuthentication',
    ]);
  });

  it('matches the reviewed output', () => {
    expect(files).toMatchSnapshot();
  });

  it('makes the mesh STRICT in the root namespace', () => {
    expect(find(docs, 'PeerAuthentication', 'istio-system', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
  });

  it('closes production by default and denies development and testing', () => {
    expect(find(docs, 'PeerAuthentication', 'production', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(find(docs, 'AuthorizationPolicy', 'production', 'allow-nothing').spec).toEqual({});
    expect(find(docs, 'AuthorizationPolicy', 'production', 'deny-namespaces').spec).toEqual({
      action: 'DENY', rules: [{ from: [{ source: { namespaces: ['development', 'testing'] } }] }],
    });
  });

  it('emits one ALLOW policy per workload with inbound edges, and nothing for frontend', () => {
    expect(names(docs, 'AuthorizationPolicy', 'production')).toEqual([
      'allow-nothing', 'cart-allow', 'deny-namespaces', 'orders-allow', 'payment-service-allow', 'product-catalog-allow',
    ]);
  });

  it('admits exactly the declared callers', () => {
    const callers = (name: string) => find(docs, 'AuthorizationPolicy', 'production', name).spec.rules
      .flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals ?? []));
    expect(callers('product-catalog-allow')).toEqual([P('frontend')]);
    expect(callers('cart-allow')).toEqual([P('frontend')]);
    expect(callers('payment-service-allow')).toEqual([P('cart')]);
    expect(callers('orders-allow')).toEqual([P('payment-service')]);
    // frontend -> payment-service and frontend -> orders are not declared, so nothing admits them.
    expect(callers('payment-service-allow')).not.toContain(P('frontend'));
    expect(callers('orders-allow')).not.toContain(P('frontend'));
  });

  it('limits edges to their methods and paths', () => {
    expect(find(docs, 'AuthorizationPolicy', 'production', 'product-catalog-allow').spec.rules[0].to)
      .toEqual([{ operation: { methods: ['GET'], paths: ['/api/v1/products', '/api/v1/products/*'] } }]);
    expect(find(docs, 'AuthorizationPolicy', 'production', 'orders-allow').spec.rules[0].to)
      .toEqual([{ operation: { methods: ['GET', 'POST', 'PUT'], paths: ['/api/v1/orders/*'] } }]);
  });

  it('opens port 9090 of payment-service to plaintext scrapers with both a port-level mode and an ALLOW rule', () => {
    const pa = find(docs, 'PeerAuthentication', 'production', 'payment-service-mtls').spec;
    expect(pa.selector).toEqual({ matchLabels: { app: 'payment-service' } });
    expect(pa.portLevelMtls).toEqual({ 9090: { mode: 'PERMISSIVE' } });
    const rules = find(docs, 'AuthorizationPolicy', 'production', 'payment-service-allow').spec.rules;
    expect(rules).toContainEqual({ from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9090'] } }] });
  });

  it('originates mutual TLS to api.external-service.com from payment-service only', () => {
    const se = find(docs, 'ServiceEntry', 'production', 'external-api').spec;
    expect(se).toEqual({
      exportTo: ['.'], hosts: ['api.external-service.com'], location: 'MESH_EXTERNAL', resolution: 'DNS',
      ports: [{ name: 'http-80', number: 80, protocol: 'HTTP', targetPort: 443 }],
    });
    const dr = find(docs, 'DestinationRule', 'production', 'external-api-payment-service').spec;
    expect(dr.workloadSelector).toEqual({ matchLabels: { app: 'payment-service' } });
    expect(dr.exportTo).toEqual(['.']);
    expect(dr.trafficPolicy.portLevelSettings).toEqual([{
      port: { number: 80 },
      tls: {
        mode: 'MUTUAL', clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem',
        sni: 'api.external-service.com', subjectAltNames: ['api.external-service.com'],
      },
    }]);
  });

  it('stages legacy: PERMISSIVE, its policies in dry-run', () => {
    expect(find(docs, 'PeerAuthentication', 'legacy', 'default').spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
    const policies = docs.filter((d) => d.kind === 'AuthorizationPolicy' && d.metadata.namespace === 'legacy');
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(policy.metadata.annotations?.['istio.io/dry-run']).toBe('true');
  });

  it('records the construct that declared each rule', () => {
    const policy = find(docs, 'AuthorizationPolicy', 'production', 'product-catalog-allow');
    expect(JSON.parse(policy.metadata.annotations!['zero-trust.dev/declared-by'])).toEqual(['production/frontend-to-catalog']);
  });

  it('never emits an empty list, a rule without from, or a * inside a value', () => {
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        expect(value.length, `empty list at ${path}`).toBeGreaterThan(0);
        value.forEach((v, i) => walk(v, `${path}[${i}]`));
      } else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
      } else if (typeof value === 'string' && value.includes('*')) {
        expect(value === '*' || value.startsWith('*') || value.endsWith('*') || /\{\*\*?\}/.test(value), `* inside ${path}: ${value}`).toBe(true);
      }
    };
    for (const doc of docs) {
      walk(doc.spec, `${doc.kind}/${doc.metadata.name}.spec`);
      for (const rule of doc.kind === 'AuthorizationPolicy' ? doc.spec.rules ?? [] : []) expect(rule.from, `${doc.metadata.name}: rule without from`).toBeDefined();
    }
  });

  describe('payments: an ambient namespace', () => {
    const PAY = (sa: string) => `cluster.local/ns/payments/sa/${sa}`;

    it('keeps default deny at ztunnel: STRICT, allow-nothing without selector', () => {
      expect(find(docs, 'PeerAuthentication', 'payments', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'allow-nothing').spec).toEqual({});
    });

    it('enforces the layer-4 edges at ztunnel with selector policies without HTTP fields', () => {
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'vault-allow').spec).toEqual({
        action: 'ALLOW', selector: { matchLabels: { app: 'vault' } },
        rules: [{ from: [{ source: { principals: [PAY('ledger')] } }], to: [{ operation: { ports: ['8200'] } }] }],
      });
    });

    it('enforces the layer-7 edges at the waypoint, bound to the Service with targetRefs', () => {
      const ledger = find(docs, 'AuthorizationPolicy', 'payments', 'ledger-waypoint-allow').spec;
      expect(ledger.selector).toBeUndefined();
      expect(ledger.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'ledger' }]);
      expect(ledger.rules).toEqual([
        { from: [{ source: { principals: [PAY('checkout')] } }], to: [{ operation: { methods: ['GET', 'POST'], paths: ['/v1/charges', '/v1/charges/*'] } }] },
        { from: [{ source: { principals: [P('payment-service')] } }], to: [{ operation: { ports: ['8080'] } }] },
      ]);
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'checkout-waypoint-allow').spec.rules).toEqual([
        { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] } }], to: [{ operation: { methods: ['POST'], paths: ['/checkout'] } }] },
      ]);
    });

    it('lets the ztunnel of an L7-protected workload admit the waypoint and the layer-4 edges only, so nothing bypasses the waypoint to get more', () => {
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'ledger-allow').spec).toEqual({
        action: 'ALLOW', selector: { matchLabels: { app: 'ledger' } }, rules: [
          { from: [{ source: { principals: [PAY('waypoint')] } }] },
          // production/payment-service has a sidecar, which never sends to a waypoint.
          { from: [{ source: { principals: [P('payment-service')] } }], to: [{ operation: { ports: ['8080'] } }] },
        ],
      });
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'checkout-allow').spec.rules).toEqual([{ from: [{ source: { principals: [PAY('waypoint')] } }] }]);
    });

    it('emits the waypoint, closed by default, and a default deny for every waypoint in the root namespace', () => {
      const gateway = find(docs, 'Gateway', 'payments', 'waypoint');
      expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
      expect(gateway.metadata.labels).toEqual({ 'istio.io/waypoint-for': 'service' });
      expect(gateway.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
      expect(find(docs, 'AuthorizationPolicy', 'payments', 'waypoint-allow-nothing').spec).toEqual({
        action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      });
      expect(find(docs, 'AuthorizationPolicy', 'istio-system', 'waypoint-allow-nothing').spec).toEqual({
        action: 'ALLOW', targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }],
      });
    });

    it('says which labels the Namespace and Service owners must set', () => {
      const annotations = find(docs, 'PeerAuthentication', 'payments', 'default').metadata.annotations!;
      expect(annotations['zero-trust.dev/dataplane']).toBe('AMBIENT');
      expect(JSON.parse(annotations['zero-trust.dev/required-labels'])).toEqual({
        'Namespace/payments': { 'istio.io/dataplane-mode': 'ambient' },
        'Service/payments/checkout': { 'istio.io/ingress-use-waypoint': 'true', 'istio.io/use-waypoint': 'waypoint' },
        'Service/payments/ledger': { 'istio.io/ingress-use-waypoint': 'true', 'istio.io/use-waypoint': 'waypoint' },
      });
      expect(docs.filter((d) => d.kind === 'Namespace' || d.kind === 'Service')).toEqual([]);
    });
  });
});
