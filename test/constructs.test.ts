// One test group per construct: a snapshot of what it synthesizes for review, then assertions on
// the fields a user relies on.
import { ApiObject, Testing } from 'cdk8s';
import { describe, expect, it, vi } from 'vitest';
import {
  AllowEdge, ClientTlsMode, ClientTlsPolicy, Enforcement, ExternalMtlsService, MtlsMode, Peer, Workload, WorkloadPort,
  ZeroTrustMesh, ZeroTrustNamespace,
} from '../lib';
import { find, meshAndNamespace, names, synthDocs } from './helpers';

describe('ZeroTrustMesh', () => {
  it('builds, validates and compiles the mesh once per synth, however many charts it has', () => {
    const app = Testing.app();
    const mesh = new ZeroTrustMesh(app, 'mesh');
    const namespaces = ['a', 'b', 'c', 'd'].map((id) => new ZeroTrustNamespace(app, id, { mesh }));
    const workloads = namespaces.map((ns) => ns.addWorkload('api'));
    workloads.forEach((w, i) => w.allowFrom(workloads[(i + 1) % workloads.length]));
    // Every compilation starts from the intent model: 5 charts and the validations of 9 constructs share one.
    const toModel = vi.spyOn(mesh, 'toModel');
    app.synth();
    expect(toModel).toHaveBeenCalledTimes(1);
    expect(Testing.synth(namespaces[3]).map((d: any) => d.metadata.name)).toContain('api-allow');
    expect(toModel).toHaveBeenCalledTimes(1); // nothing declared since: the compilation is reused
  });
  it('emits the mesh-wide PeerAuthentication in the root namespace', () => {
    const docs = synthDocs((app) => new ZeroTrustMesh(app, 'mesh', { rootNamespace: 'mesh-root', mtls: MtlsMode.PERMISSIVE }));
    expect(docs).toMatchSnapshot();
    expect(docs).toHaveLength(1);
    expect(find(docs, 'PeerAuthentication', 'mesh-root', 'default').spec).toEqual({ mtls: { mode: 'PERMISSIVE' } });
  });
  it('defaults to STRICT in istio-system with trust domain cluster.local', () => {
    const app = Testing.app();
    const mesh = new ZeroTrustMesh(app, 'mesh');
    expect([mesh.mtls, mesh.rootNamespace, mesh.trustDomain]).toEqual([MtlsMode.STRICT, 'istio-system', 'cluster.local']);
    expect(Testing.synth(mesh)[0].metadata.namespace).toBe('istio-system');
  });
});

describe('ZeroTrustNamespace', () => {
  it('closes the namespace: a PeerAuthentication of its mode and an allow-nothing policy', () => {
    const docs = synthDocs((app) => meshAndNamespace(app));
    expect(docs.filter((d) => d.metadata.namespace === 'shop')).toMatchSnapshot();
    expect(find(docs, 'PeerAuthentication', 'shop', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'allow-nothing').spec).toEqual({});
    expect(names(docs, 'AuthorizationPolicy', 'shop')).toEqual(['allow-nothing']);
  });
  it('denies whole namespaces with one DENY policy, sorted', () => {
    const docs = synthDocs((app) => meshAndNamespace(app, { denyFromNamespaces: ['testing', 'development'] }));
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'deny-namespaces').spec).toEqual({
      action: 'DENY', rules: [{ from: [{ source: { namespaces: ['development', 'testing'] } }] }],
    });
  });
  it('stages enforcement with istio.io/dry-run on every AuthorizationPolicy, not on PeerAuthentication', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app, { mtls: MtlsMode.PERMISSIVE, enforcement: Enforcement.DRY_RUN, denyFromNamespaces: ['dev'] });
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'));
    });
    const policies = docs.filter((d) => d.kind === 'AuthorizationPolicy');
    expect(policies.map((p) => p.metadata.name)).toEqual(['allow-nothing', 'api-allow', 'deny-namespaces']);
    for (const p of policies) expect(p.metadata.annotations!['istio.io/dry-run']).toBe('true');
    for (const p of docs.filter((d) => d.kind === 'PeerAuthentication')) expect(p.metadata.annotations!['istio.io/dry-run']).toBeUndefined();
  });
  it('labels every object with the namespace labels', () => {
    const docs = synthDocs((app) => meshAndNamespace(app, { labels: { team: 'payments' } }).ns.addWorkload('api', { plaintextPorts: [9090] }));
    for (const doc of docs.filter((d) => d.metadata.namespace === 'shop')) expect(doc.metadata.labels).toEqual({ team: 'payments' });
  });
  it('synthesizes ApiObjects added by hand after its own objects', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      new ApiObject(ns, 'extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' } });
    });
    expect(docs.filter((d) => d.metadata.namespace === 'shop').map((d) => d.kind)).toEqual(['PeerAuthentication', 'AuthorizationPolicy', 'ConfigMap']);
  });
  it('is a source: every workload of the namespace', () => {
    const docs = synthDocs((app) => {
      const { mesh, ns } = meshAndNamespace(app);
      const monitoring = new ZeroTrustNamespace(app, 'monitoring', { mesh });
      ns.addWorkload('api').allowFrom(monitoring, { ports: [9090] });
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toEqual([
      { from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['9090'] } }] },
    ]);
  });
});

describe('Workload', () => {
  it('defaults to service account and label app = its name', () => {
    const app = Testing.app();
    const w = meshAndNamespace(app).ns.addWorkload('api');
    expect([w.serviceAccount, w.labels, w.namespaceName]).toEqual(['api', { app: 'api' }, 'shop']);
  });
  it('emits nothing of its own without an override, a plaintext port or an inbound edge', () => {
    const docs = synthDocs((app) => meshAndNamespace(app).ns.addWorkload('api'));
    expect(docs.filter((d) => d.metadata.namespace === 'shop').map((d) => d.metadata.name)).toEqual(['default', 'allow-nothing']);
  });
  it('overrides the mTLS mode with a workload PeerAuthentication', () => {
    const docs = synthDocs((app) => meshAndNamespace(app, { acceptPlaintextBypass: true }).ns.addWorkload('legacy', { mtls: MtlsMode.PERMISSIVE, labels: { app: 'legacy', tier: 'db' } }));
    expect(find(docs, 'PeerAuthentication', 'shop', 'legacy-mtls').spec).toEqual({
      mtls: { mode: 'PERMISSIVE' }, selector: { matchLabels: { app: 'legacy', tier: 'db' } },
    });
  });
  it('opens a plaintext port: PERMISSIVE on that port and an ALLOW rule for clients without identity', () => {
    const docs = synthDocs((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintextPorts: [9090, 8081], plaintextIpBlocks: ['10.8.0.0/16'] }));
    expect(docs.filter((d) => d.metadata.namespace === 'shop')).toMatchSnapshot();
    expect(find(docs, 'PeerAuthentication', 'shop', 'api-mtls').spec).toEqual({
      portLevelMtls: { 8081: { mode: 'PERMISSIVE' }, 9090: { mode: 'PERMISSIVE' } }, selector: { matchLabels: { app: 'api' } },
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec).toEqual({
      action: 'ALLOW',
      rules: [{ from: [{ source: { ipBlocks: ['10.8.0.0/16'], notPrincipals: ['*'] } }], to: [{ operation: { ports: ['8081', '9090'] } }] }],
      selector: { matchLabels: { app: 'api' } },
    });
  });
  it('allowFrom and allowTo declare the same edge at the destination', () => {
    const viaFrom = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), { methods: ['GET'] });
    });
    const viaTo = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      ns.addWorkload('web').allowTo(api, { methods: ['GET'] });
    });
    expect(find(viaFrom, 'AuthorizationPolicy', 'shop', 'api-allow').spec).toEqual(find(viaTo, 'AuthorizationPolicy', 'shop', 'api-allow').spec);
  });
  it('keeps its own frozen copies of the limits, on the fast path and through the schema alike', () => {
    const app = Testing.app();
    const { ns } = meshAndNamespace(app);
    const [api, web, db] = [ns.addWorkload('api'), ns.addWorkload('web'), ns.addWorkload('db')];
    const [methods, paths, ports] = [['GET'], ['/a'], [8080]];
    // A plain object takes the fast path; one without a prototype is left to the schema.
    const plain = api.allowFrom(web, { methods, paths, ports });
    const schema = db.allowFrom(web, Object.assign(Object.create(null), { methods, paths, ports }));
    const construct = new AllowEdge(db, 'edge', { from: api, to: db, methods, paths, ports });
    methods.push('DELETE'); paths.push('/b'); ports.push(9090); // the caller's arrays stay theirs
    for (const edge of [plain, schema, construct]) {
      expect(edge).toMatchObject({ methods: ['GET'], paths: ['/a'], ports: [8080] });
      expect([edge.methods, edge.paths, edge.ports].every((list) => Object.isFrozen(list))).toBe(true);
    }
  });
  it('allowFrom records the edge on the destination, as a value rather than a construct', () => {
    const app = Testing.app();
    const { ns } = meshAndNamespace(app);
    const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
    const methods = ['GET'];
    const edge = api.allowFrom(web, { methods });
    methods.push('DELETE'); // the caller's array is copied (not frozen): changing it later changes nothing
    expect(api.node.children).toHaveLength(0);
    expect(edge).not.toBeInstanceOf(AllowEdge);
    expect(edge).toMatchObject({ from: web, to: api, methods: ['GET'], declaredBy: 'shop/api/from-shop.web-c7139625' });
    expect(web.allowTo(api, { methods: ['POST'] }).declaredBy).toBe('shop/api/from-shop.web-501e027c');
    const policy = find(Testing.synth(ns) as any, 'AuthorizationPolicy', 'shop', 'api-allow');
    expect(policy.spec.rules.map((r: any) => r.to?.[0].operation.methods)).toEqual([['GET'], ['POST']]);
    expect(JSON.parse(policy.metadata.annotations!['zero-trust.dev/declared-by'])).toEqual(['shop/api/from-shop.web-c7139625', 'shop/api/from-shop.web-501e027c']);
  });
  it('lists every edge toward a workload, however declared, for checks of your own', () => {
    const app = Testing.app();
    const { ns } = meshAndNamespace(app);
    const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
    const viaVerb = api.allowFrom(web, { ports: [8080] });
    const viaConstruct = new AllowEdge(ns, 'gateway-to-api', { from: Peer.serviceAccount('istio-ingress', 'gateway'), to: api });
    expect(api.inboundEdges).toEqual([viaVerb, viaConstruct]);
    expect(api.inboundEdges[1]).toBeInstanceOf(AllowEdge);
    expect(api.inboundEdges.map((e) => e.declaredBy)).toEqual(['shop/api/from-shop.web-962c01e1', 'shop/gateway-to-api']);
    expect(web.inboundEdges).toEqual([]);
  });
  it('an imported workload is a source with its own principal and trust domain', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(Workload.fromAttributes({ namespace: 'payments', name: 'ledger', serviceAccount: 'ledger-sa', trustDomain: 'corp.example' }));
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules[0].from).toEqual([{ source: { principals: ['corp.example/ns/payments/sa/ledger-sa'] } }]);
  });
});

describe('AllowEdge', () => {
  it('merges all inbound edges of a workload into one ALLOW policy selecting it', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api', { ports: [WorkloadPort.http(8080), WorkloadPort.grpc(9000)] });
      new AllowEdge(ns, 'web-to-api', { from: ns.addWorkload('web'), to: api, methods: ['GET', 'HEAD'], paths: ['/v1/{*}/items', '/v1/*'], ports: [8080] });
      new AllowEdge(ns, 'gateway-to-api', { from: Peer.serviceAccount('istio-ingress', 'istio-ingressgateway'), to: api });
      new AllowEdge(ns, 'mesh-to-api', { from: Peer.anyAuthenticated(), to: api, ports: [9000] });
    });
    const policy = find(docs, 'AuthorizationPolicy', 'shop', 'api-allow');
    expect(policy).toMatchSnapshot();
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(policy.spec.rules).toEqual([
      { from: [{ source: { principals: ['*'] } }], to: [{ operation: { ports: ['9000'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/v1/*', '/v1/{*}/items'], ports: ['8080'] } }] },
    ]);
    expect(JSON.parse(policy.metadata.annotations!['zero-trust.dev/declared-by'])).toEqual(['shop/mesh-to-api', 'shop/gateway-to-api', 'shop/web-to-api']);
  });
  it('collapses identical rules from different declarations and names both', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      api.allowFrom(ns.addWorkload('web'));
      new AllowEdge(ns, 'again', { from: Peer.serviceAccount('shop', 'web'), to: api });
    });
    const policy = find(docs, 'AuthorizationPolicy', 'shop', 'api-allow');
    expect(policy.spec.rules).toHaveLength(1);
    expect(JSON.parse(policy.metadata.annotations!['zero-trust.dev/declared-by'])).toEqual(['shop/again & shop/api/from-shop.web']);
  });
  it('admits a caller from another namespace by its principal', () => {
    const docs = synthDocs((app) => {
      const { mesh, ns } = meshAndNamespace(app);
      const web = new ZeroTrustNamespace(app, 'web', { mesh }).addWorkload('frontend');
      ns.addWorkload('api').allowFrom(web);
      ns.addWorkload('db').allowFrom(web.namespace.workloads[0]);
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'db-allow').spec.rules[0].from).toEqual([{ source: { principals: ['cluster.local/ns/web/sa/frontend'] } }]);
  });
});

describe('ExternalMtlsService', () => {
  it('uses credentialName instead of files, one DestinationRule per client, custom sni and SANs', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'partner', {
        host: 'api.partner.example', port: 8443, appPort: 8080, clients: [ns.addWorkload('billing'), ns.addWorkload('refunds')],
        credentialName: 'partner-client-cert', sni: 'edge.partner.example', subjectAltNames: ['edge.partner.example', 'api.partner.example'],
      });
    });
    expect(docs.filter((d) => d.metadata.namespace === 'shop' && d.kind !== 'AuthorizationPolicy' && d.kind !== 'PeerAuthentication')).toMatchSnapshot();
    expect(names(docs, 'DestinationRule', 'shop')).toEqual(['partner-billing', 'partner-refunds']);
    const dr = find(docs, 'DestinationRule', 'shop', 'partner-refunds').spec;
    expect(dr.workloadSelector).toEqual({ matchLabels: { app: 'refunds' } });
    expect(dr.trafficPolicy.portLevelSettings[0]).toEqual({
      port: { number: 8080 },
      tls: { mode: 'MUTUAL', credentialName: 'partner-client-cert', sni: 'edge.partner.example', subjectAltNames: ['api.partner.example', 'edge.partner.example'] },
    });
    expect(find(docs, 'ServiceEntry', 'shop', 'partner').spec.ports).toEqual([{ name: 'http-8080', number: 8080, protocol: 'HTTP', targetPort: 8443 }]);
  });
  it('omits targetPort when the application already calls the TLS port number', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'x', { host: 'x.example.com', port: 443, appPort: 443, clients: [ns.addWorkload('a')], credentialName: 'x-cert' });
    });
    expect(find(docs, 'ServiceEntry', 'shop', 'x').spec.ports).toEqual([{ name: 'http-443', number: 443, protocol: 'HTTP' }]);
  });
});

describe('ClientTlsPolicy', () => {
  it('tells clients to speak plaintext to a DISABLE workload without a sidecar', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'legacy-db-plain', { workload: ns.addWorkload('legacy-db', { mtls: MtlsMode.DISABLE }), mode: ClientTlsMode.DISABLE, service: 'db' });
    });
    expect(find(docs, 'DestinationRule', 'shop', 'legacy-db-client-tls').spec).toEqual({
      host: 'db.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'DISABLE' } },
    });
  });
  it('renders ISTIO_MUTUAL with the generated enum hidden behind ClientTlsMode', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'api-mtls', { workload: ns.addWorkload('api'), mode: ClientTlsMode.ISTIO_MUTUAL });
    });
    expect(find(docs, 'DestinationRule', 'shop', 'api-client-tls').spec.trafficPolicy.tls.mode).toBe('ISTIO_MUTUAL');
  });
});
