import { App } from 'cdk8s';
import { AllowEdge, Dataplane, Enforcement, ExternalMtlsService, MtlsMode, Peer, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace } from '../lib';

/**
 * The reference shop: a STRICT production namespace closed by default, a legacy namespace that is
 * migrating from PERMISSIVE with its policies in dry-run, and exactly these edges:
 *
 *   frontend        -> product-catalog  GET /api/v1/products, /api/v1/products/*
 *   frontend        -> cart
 *   cart            -> payment-service
 *   payment-service -> orders           GET, POST, PUT /api/v1/orders/*
 *   Prometheus      -> payment-service  plaintext port 9090
 *   payment-service -> api.external-service.com over mutual TLS
 *
 * and an ambient namespace, payments, whose policies ztunnel and a waypoint enforce:
 *
 *   payments/checkout          -> payments/ledger   GET, POST /v1/charges, /v1/charges/*  (layer 7: waypoint)
 *   production/payment-service -> payments/ledger   port 8080  (layer 4: ztunnel; a sidecar never uses a waypoint)
 *   payments/ledger            -> payments/vault    TCP port 8200                         (layer 4: ztunnel)
 *   ingress gateway            -> payments/checkout POST /checkout                        (layer 7: waypoint)
 */
export function buildShop(app: App): App {
  const mesh = new ZeroTrustMesh(app, 'mesh', {
    trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT,
  });

  const prod = new ZeroTrustNamespace(app, 'production', {
    mesh, mtls: MtlsMode.STRICT, denyFromNamespaces: ['development', 'testing'],
  });
  const frontend = prod.addWorkload('frontend');
  const catalog = prod.addWorkload('product-catalog');
  const cart = prod.addWorkload('cart');
  const payment = prod.addWorkload('payment-service', { plaintextPorts: [9090] }); // Prometheus scrapes it
  const orders = prod.addWorkload('orders');

  new AllowEdge(prod, 'frontend-to-catalog', {
    from: frontend, to: catalog, methods: ['GET'], paths: ['/api/v1/products', '/api/v1/products/*'],
  });
  cart.allowFrom(frontend);
  payment.allowFrom(cart);
  payment.allowTo(orders, { methods: ['GET', 'POST', 'PUT'], paths: ['/api/v1/orders/*'] });

  new ExternalMtlsService(prod, 'external-api', {
    host: 'api.external-service.com', port: 443, clients: [payment],
    clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem',
  });

  // Phase 1 of the migration: accept plaintext, log what the closed-by-default policies would deny.
  new ZeroTrustNamespace(app, 'legacy', {
    mesh, mtls: MtlsMode.PERMISSIVE, enforcement: Enforcement.DRY_RUN,
  });

  // Ambient: the same kind of edges; the compiler splits them between ztunnel and the waypoint.
  const payments = new ZeroTrustNamespace(app, 'payments', { mesh, mtls: MtlsMode.STRICT, dataplane: Dataplane.AMBIENT });
  const ledger = payments.addWorkload('ledger', { ports: [WorkloadPort.http(8080)] });
  const vault = payments.addWorkload('vault', { ports: [WorkloadPort.tcp(8200)] });
  const checkout = payments.addWorkload('checkout', { ports: [WorkloadPort.http(8080)] });
  ledger.allowFrom(checkout, { methods: ['GET', 'POST'], paths: ['/v1/charges', '/v1/charges/*'] });
  // A sidecar never sends to a waypoint: from production, only a layer-4 edge can work.
  ledger.allowFrom(payment, { ports: [8080] });
  vault.allowFrom(ledger, { ports: [8200] });
  checkout.allowFrom(Peer.serviceAccount('istio-ingress', 'istio-ingressgateway'), { methods: ['POST'], paths: ['/checkout'] });

  return app;
}
