// Audit mode per edge and per workload: the access the declared policy would remove is logged
// (istio.io/dry-run) but not enforced; the analyzer and diff show it apart.
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { Dataplane, Enforcement, MtlsMode, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import { analysisFromModel, decide, reachability, renderDiff, renderGraph, semanticDiff } from '../../lib/analyzer';
import { inventoryFromModel } from '../../lib/analyzer/inventory';
import { AUDIT_STAND_IN_ANNOTATION, compileMesh, DRY_RUN_ANNOTATION } from '../../lib/core/compile';

const TIMEOUT = 60_000;

/** frontend, cart, orders in a closed STRICT namespace; `audit` picks what is audited. */
function mesh(audit: { orders?: boolean; cartEdge?: boolean; namespace?: boolean } = {}) {
  const app = new App();
  const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
  const prod = new ZeroTrustNamespace(app, 'prod', {
    mesh: m, mtls: MtlsMode.STRICT, denyFromNamespaces: ['dev'], ...(audit.namespace ? { enforcement: Enforcement.DRY_RUN } : {}),
  });
  const frontend = prod.addWorkload('frontend');
  const cart = prod.addWorkload('cart');
  const orders = prod.addWorkload('orders', audit.orders ? { enforcement: Enforcement.DRY_RUN } : {});
  prod.addWorkload('payment');
  cart.allowFrom(frontend, { methods: ['GET'], ...(audit.cartEdge ? { enforcement: Enforcement.DRY_RUN } : {}) });
  orders.allowFrom(cart, { methods: ['GET', 'POST'], paths: ['/api/v1/orders/*'] });
  return m.toModel();
}

const policies = (model: ReturnType<typeof mesh>) => compileMesh(model).namespaces.get('prod')!
  .filter((d) => d.kind === 'AuthorizationPolicy')
  .map((d) => ({ name: d.metadata.name, annotations: d.metadata.annotations, spec: d.spec }));

describe('an audited workload', () => {
  it('emits the declared policy in dry-run and an enforced stand-in that admits the rest', () => {
    const ps = policies(mesh({ orders: true }));
    expect(ps.map((p) => p.name)).toEqual(['allow-nothing', 'cart-allow', 'deny-namespaces', 'orders-audit', 'orders-audit-open']);
    const audit = ps.find((p) => p.name === 'orders-audit')!;
    expect(audit.annotations![DRY_RUN_ANNOTATION]).toBe('true');
    expect(audit.spec).toEqual({
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/prod/sa/cart'] } }], to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/v1/orders/*'] } }] }],
      selector: { matchLabels: { app: 'orders' } },
    });
    const open = ps.find((p) => p.name === 'orders-audit-open')!;
    expect(open.annotations![DRY_RUN_ANNOTATION]).toBeUndefined();
    expect(open.annotations![AUDIT_STAND_IN_ANNOTATION]).toBe('workload prod/orders');
    expect(open.spec).toEqual({ action: 'ALLOW', rules: [{}], selector: { matchLabels: { app: 'orders' } } });
    // The namespace's own policies stay enforced.
    expect(ps.find((p) => p.name === 'deny-namespaces')!.annotations![DRY_RUN_ANNOTATION]).toBeUndefined();
  });

  it('is open today and says what enforcing would deny; DENY rules stay enforced', () => {
    const analysis = analysisFromModel(mesh({ orders: true }));
    const stray = decide(analysis, { from: 'prod/frontend', to: 'prod/orders', method: 'DELETE', path: '/x' });
    expect(stray.verdict).toBe('ALLOWED');
    expect(stray.decidedBy.map((r) => [r.name, r.audit])).toEqual([['orders-audit-open', true]]);
    expect(stray.dryRun).toMatchObject({ verdict: 'DENIED' });
    const declared = decide(analysis, { from: 'prod/cart', to: 'prod/orders', method: 'POST', path: '/api/v1/orders/1' });
    expect(declared.verdict).toBe('ALLOWED');
    expect(declared.dryRun).toBeUndefined();
    expect(decide(analysis, { from: 'dev/*', to: 'prod/orders' }).verdict).toBe('DENIED');
    // Other workloads of the namespace stay closed.
    expect(decide(analysis, { from: 'prod/frontend', to: 'prod/payment' }).verdict).toBe('DENIED');
  });

  it('graph marks the audited access', () => {
    const text = renderGraph(reachability(analysisFromModel(mesh({ orders: true })), { to: ['prod/orders'] }), 'text');
    expect(text).toMatch(/n_prod_frontend -\.->\|"audit"\| n_prod_orders/);
    expect(text).toMatch(/^prod\/frontend +prod\/orders +any +all requests +mTLS +audit: admitted while the declared policy is audited/m);
  });

  it('is a no-op in a dry-run namespace (everything there is already audited)', () => {
    expect(policies(mesh({ orders: true, namespace: true })).map((p) => p.name)).toEqual(policies(mesh({ namespace: true })).map((p) => p.name));
  });
});

describe('an audited edge', () => {
  it('admits its source without the limits and logs the limits', () => {
    const ps = policies(mesh({ cartEdge: true }));
    expect(ps.map((p) => p.name)).toEqual(['allow-nothing', 'cart-audit', 'cart-audit-open', 'deny-namespaces', 'orders-allow']);
    expect(ps.find((p) => p.name === 'cart-audit')!.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/prod/sa/frontend'] } }], to: [{ operation: { methods: ['GET'] } }] }]);
    expect(ps.find((p) => p.name === 'cart-audit-open')!.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/prod/sa/frontend'] } }] }]);
    expect(ps.find((p) => p.name === 'cart-audit-open')!.annotations![AUDIT_STAND_IN_ANNOTATION]).toMatch(/^limits of prod\/cart\/from-prod\.frontend-[0-9a-f]{8}-audit$/);
    const analysis = analysisFromModel(mesh({ cartEdge: true }));
    const post = decide(analysis, { from: 'prod/frontend', to: 'prod/cart', method: 'POST', path: '/' });
    expect(post.verdict).toBe('ALLOWED');
    expect(post.dryRun).toMatchObject({ verdict: 'DENIED' });
    const get = decide(analysis, { from: 'prod/frontend', to: 'prod/cart', method: 'GET', path: '/' });
    expect([get.verdict, get.dryRun]).toEqual(['ALLOWED', undefined]);
    // Only the edge's source: nobody else gets in.
    expect(decide(analysis, { from: 'prod/orders', to: 'prod/cart', method: 'GET', path: '/' }).verdict).toBe('DENIED');
  });

  it('keeps the other edges of the workload in the dry-run policy, so that their requests are not logged as denied', () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const prod = new ZeroTrustNamespace(app, 'prod', { mesh: m, mtls: MtlsMode.STRICT });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => prod.addWorkload(n));
    c.allowFrom(a, { methods: ['GET'], enforcement: Enforcement.DRY_RUN });
    c.allowFrom(b);
    const ps = compileMesh(m.toModel()).namespaces.get('prod')!.filter((d) => d.kind === 'AuthorizationPolicy');
    const audit = ps.find((d) => d.metadata.name === 'c-audit')!;
    expect((audit.spec.rules as unknown[]).length).toBe(2);
    expect(ps.find((d) => d.metadata.name === 'c-allow')!.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/prod/sa/b'] } }] }]);
  });

  it('refuses an audited edge without limits: it would audit nothing', () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const prod = new ZeroTrustNamespace(app, 'prod', { mesh: m, mtls: MtlsMode.STRICT });
    const [a, b] = ['a', 'b'].map((n) => prod.addWorkload(n));
    b.allowFrom(a, { enforcement: Enforcement.DRY_RUN });
    expect(() => m.toModel() && compileMesh(m.toModel())).toThrow(/audited edge prod\/a -> prod\/b has no methods, paths or ports: it removes no access, so there is nothing to audit/);
  });

  it('is refused in an ambient namespace: ztunnel ignores dry-run policies', () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const ns = new ZeroTrustNamespace(app, 'amb', { mesh: m, mtls: MtlsMode.STRICT, dataplane: Dataplane.AMBIENT });
    const a = ns.addWorkload('a');
    ns.addWorkload('b', { enforcement: Enforcement.DRY_RUN });
    ns.addWorkload('c').allowFrom(a, { ports: [8080], enforcement: Enforcement.DRY_RUN });
    expect(() => compileMesh(m.toModel())).toThrow(/workload amb\/b is audited \(Enforcement.DRY_RUN\) in ambient namespace amb: audit mode relies on dry-run policies, which ztunnel ignores by default/);
    expect(() => compileMesh(m.toModel())).toThrow(/audited edge amb\/a -> amb\/c in ambient namespace amb/);
  });

  it('refuses an enforcement that is not one', () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const prod = new ZeroTrustNamespace(app, 'prod', { mesh: m, mtls: MtlsMode.STRICT });
    expect(() => prod.addWorkload('a', { enforcement: 'AUDIT' as Enforcement })).toThrow(/enforcement/);
  });
});

describe('diff shows audit edges apart', () => {
  it('tightening an edge in audit mode reads as an audit change', () => {
    const before = mesh();
    const after = mesh({ orders: true });
    const inventory = inventoryFromModel(after);
    const d = semanticDiff({ ...analysisFromModel(before), inventory }, { ...analysisFromModel(after), inventory });
    const text = renderDiff(d, 'text');
    expect(text).toContain('\nAudit: admitted while the declared policy is audited (logged, not enforced); enforcing it removes this access\n');
    expect(text).toMatch(/\+ added +prod\/frontend -> prod\/orders\n +any port: nothing -> all requests \(audit\)/);
    const md = renderDiff(d, 'markdown');
    expect(md).toContain('#### Audit: admitted while the declared policy is audited');
    expect(md).toMatch(/n_prod_frontend -\.->\|"added, audit"\| n_prod_orders/);
  }, TIMEOUT);
});
