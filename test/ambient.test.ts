// Ambient namespaces: what the compiler emits for ztunnel and the waypoint, and what it refuses.
import { App, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  ClientTlsMode, ClientTlsPolicy, Dataplane, Enforcement, ExternalMtlsService, MtlsMode, Peer, Waypoint, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace,
} from '../lib';
import { compileMesh } from '../lib/core/compile';
import { find, meshAndNamespace, names, synthDocs, synthFiles } from './helpers';

const build = (fn: (app: App) => void) => () => fn(Testing.app());
const synth = (fn: (app: App) => void) => () => synthFiles(fn);
const SHOP = (sa: string) => `cluster.local/ns/shop/sa/${sa}`;
const ambient = { dataplane: Dataplane.AMBIENT };

/** shop (ambient): web -> api GET /items/*, web -> db port 5432. */
function shop(app: App, props: Record<string, unknown> = {}) {
  const { mesh, ns } = meshAndNamespace(app, { ...ambient, ...props });
  const web = ns.addWorkload('web');
  const api = ns.addWorkload('api', { ports: [WorkloadPort.http(8080)] });
  const db = ns.addWorkload('db', { ports: [WorkloadPort.tcp(5432)] });
  api.allowFrom(web, { methods: ['GET'], paths: ['/items/*'] });
  db.allowFrom(api, { ports: [5432] });
  return { mesh, ns, web, api, db };
}

describe('ambient compilation', () => {
  const docs = synthDocs((app) => shop(app));

  it('keeps layer-4 edges at ztunnel and moves edges with methods or paths to the waypoint', () => {
    expect(names(docs, 'AuthorizationPolicy', 'shop')).toEqual(['allow-nothing', 'api-allow', 'api-waypoint-allow', 'db-allow', 'waypoint-allow-nothing']);
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'db-allow').spec.rules).toEqual([
      { from: [{ source: { principals: [SHOP('api')] } }], to: [{ operation: { ports: ['5432'] } }] },
    ]);
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toEqual([{ from: [{ source: { principals: [SHOP('waypoint')] } }] }]);
    const waypointPolicy = find(docs, 'AuthorizationPolicy', 'shop', 'api-waypoint-allow');
    expect(waypointPolicy.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'api' }]);
    expect(waypointPolicy.spec.rules).toEqual([{ from: [{ source: { principals: [SHOP('web')] } }], to: [{ operation: { methods: ['GET'], paths: ['/items/*'] } }] }]);
    expect(JSON.parse(waypointPolicy.metadata.annotations!['zero-trust.dev/declared-by'])).toEqual([expect.stringMatching(/^shop\/api\/from-shop\.web-[0-9a-f]{8}$/)]);
  });

  it('never puts an HTTP field into a policy ztunnel enforces, and never a selector into one the waypoint enforces', () => {
    for (const doc of docs.filter((d) => d.kind === 'AuthorizationPolicy')) {
      if (doc.spec.targetRefs) {
        expect(doc.spec.selector, doc.metadata.name).toBeUndefined();
      } else {
        expect(JSON.stringify(doc.spec), doc.metadata.name).not.toMatch(/methods|paths|hosts|requestPrincipals/);
      }
    }
  });

  it('emits no waypoint when no edge needs one', () => {
    const l4 = synthDocs((app) => {
      const { ns } = meshAndNamespace(app, ambient);
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'), { ports: [8080] });
    });
    expect(l4.filter((d) => d.kind === 'Gateway')).toEqual([]);
    expect(names(l4, 'AuthorizationPolicy', 'shop')).toEqual(['allow-nothing', 'api-allow']);
    expect(JSON.parse(find(l4, 'PeerAuthentication', 'shop', 'default').metadata.annotations!['zero-trust.dev/required-labels']))
      .toEqual({ 'Namespace/shop': { 'istio.io/dataplane-mode': 'ambient' } });
    // Default deny at every waypoint still holds mesh-wide.
    expect(names(l4, 'AuthorizationPolicy', 'istio-system')).toEqual(['waypoint-allow-nothing']);
  });

  it('names the waypoint as asked, and admits that identity at ztunnel', () => {
    const named = synthDocs((app) => shop(app, { waypoint: Waypoint.named('shop-waypoint') }));
    expect(find(named, 'Gateway', 'shop', 'shop-waypoint').spec.gatewayClassName).toBe('istio-waypoint');
    expect(find(named, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toEqual([{ from: [{ source: { principals: [SHOP('shop-waypoint')] } }] }]);
    expect(find(named, 'AuthorizationPolicy', 'shop', 'shop-waypoint-allow-nothing').spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shop-waypoint' }]);
  });

  it('takes the data plane from the mesh, and lets a namespace choose sidecars', () => {
    const docs2 = synthDocs((app) => {
      const mesh = new ZeroTrustMesh(app, 'mesh', { dataplane: Dataplane.AMBIENT });
      const a = new ZeroTrustNamespace(app, 'a', { mesh });
      const b = new ZeroTrustNamespace(app, 'b', { mesh, dataplane: Dataplane.SIDECAR });
      const aApi = a.addWorkload('api');
      aApi.allowFrom(a.addWorkload('jobs'), { methods: ['GET'] });
      aApi.allowFrom(b.addWorkload('web'), { ports: [8080] });
      b.addWorkload('api').allowFrom(a.addWorkload('web'), { methods: ['GET'] });
    });
    expect(names(docs2, 'Gateway', 'a')).toEqual(['waypoint']);
    expect(names(docs2, 'Gateway', 'b')).toEqual([]);
    // Across the boundary the identities are the same: the sidecar namespace admits a's web as before,
    expect(find(docs2, 'AuthorizationPolicy', 'b', 'api-allow').spec.rules[0].from).toEqual([{ source: { principals: ['cluster.local/ns/a/sa/web'] } }]);
    // and b's web, whose sidecar never sends to a waypoint, is admitted by a's ztunnel on its port.
    expect(find(docs2, 'AuthorizationPolicy', 'a', 'api-allow').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/a/sa/waypoint'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/b/sa/web'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
  });

  it('refuses methods or paths from a source that runs sidecars: a sidecar never sends to a waypoint', () => {
    const build = (peer: (b: ZeroTrustNamespace, web: ReturnType<ZeroTrustNamespace['addWorkload']>) => Parameters<ReturnType<ZeroTrustNamespace['addWorkload']>['allowFrom']>[0]) => () => synthFiles((app) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      const a = new ZeroTrustNamespace(app, 'a', { mesh, dataplane: Dataplane.AMBIENT });
      const b = new ZeroTrustNamespace(app, 'b', { mesh });
      a.addWorkload('api').allowFrom(peer(b, b.addWorkload('web')), { methods: ['GET'] });
    });
    expect(build((_b, web) => web)).toThrow(/edge b\/web -> a\/api limits methods or paths, but b\/web runs in sidecar namespace b and never sends to a waypoint \(only ambient workloads and ingress gateways do\)/);
    expect(build((b) => b)).toThrow(/but namespace b runs in sidecar namespace b and never sends to a waypoint/);
    expect(build(() => Peer.serviceAccount('b', 'batch'))).toThrow(/but service account b\/batch runs in sidecar namespace b/);
    expect(build(() => Peer.anyAuthenticated())).toThrow(/but any authenticated workload, including those of sidecar namespace b, never sends to a waypoint/);
    // A gateway's or another mesh's identity may use the waypoint (istio.io/ingress-use-waypoint).
    expect(build(() => Peer.serviceAccount('istio-ingress', 'gateway'))).not.toThrow();
  });

  it('enforces denyFromNamespaces at the waypoint too, where the client identity is seen', () => {
    const denied = synthDocs((app) => shop(app, { denyFromNamespaces: ['dev'] }));
    expect(find(denied, 'AuthorizationPolicy', 'shop', 'deny-namespaces').spec).toEqual({ action: 'DENY', rules: [{ from: [{ source: { namespaces: ['dev'] } }] }] });
    expect(find(denied, 'AuthorizationPolicy', 'shop', 'waypoint-deny-namespaces').spec).toEqual({
      action: 'DENY', rules: [{ from: [{ source: { namespaces: ['dev'] } }] }], targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
    });
  });

  it('keeps plaintext ports at ztunnel for an L7-protected workload: plaintext clients never use a waypoint', () => {
    const docs3 = synthDocs((app) => {
      const { ns } = meshAndNamespace(app, ambient);
      ns.addWorkload('api', { plaintextPorts: [9090] }).allowFrom(ns.addWorkload('web'), { methods: ['GET'] });
    });
    expect(find(docs3, 'PeerAuthentication', 'shop', 'api-mtls').spec.portLevelMtls).toEqual({ 9090: { mode: 'PERMISSIVE' } });
    expect(find(docs3, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toEqual([
      { from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9090'] } }] },
      { from: [{ source: { principals: [SHOP('waypoint')] } }] },
    ]);
    expect(JSON.stringify(find(docs3, 'AuthorizationPolicy', 'shop', 'api-waypoint-allow').spec)).not.toContain('notPrincipals');
  });

  it('originates mutual TLS to an external service at the waypoint, for the declared clients only', () => {
    const docs4 = synthDocs((app) => {
      const { ns } = meshAndNamespace(app, ambient);
      new ExternalMtlsService(ns, 'bank', { host: 'api.bank.example', clients: [ns.addWorkload('api')], credentialName: 'bank-client' });
    });
    const entry = find(docs4, 'ServiceEntry', 'shop', 'bank');
    expect(entry.metadata.labels).toEqual({ 'istio.io/use-waypoint': 'waypoint' });
    const dr = find(docs4, 'DestinationRule', 'shop', 'bank').spec;
    expect(dr.workloadSelector).toBeUndefined();
    expect(dr.trafficPolicy.portLevelSettings[0].tls).toEqual({ mode: 'MUTUAL', credentialName: 'bank-client', sni: 'api.bank.example', subjectAltNames: ['api.bank.example'] });
    expect(find(docs4, 'AuthorizationPolicy', 'shop', 'bank-clients').spec).toEqual({
      action: 'ALLOW', rules: [{ from: [{ source: { principals: [SHOP('api')] } }] }],
      targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'bank' }],
    });
    expect(names(docs4, 'Gateway', 'shop')).toEqual(['waypoint']);
  });

  it('is independent of declaration order', () => {
    const a = synthFiles((app) => shop(app));
    const b = synthFiles((app) => {
      const { ns } = meshAndNamespace(app, ambient);
      const db = ns.addWorkload('db', { ports: [WorkloadPort.tcp(5432)] });
      const api = ns.addWorkload('api', { ports: [WorkloadPort.http(8080)] });
      const web = ns.addWorkload('web');
      db.allowFrom(api, { ports: [5432] });
      api.allowFrom(web, { methods: ['GET'], paths: ['/items/*'] });
    });
    expect(b).toEqual(a);
  });

  it('compiles a model built without constructs (dataplane on the model)', () => {
    const compiled = compileMesh({
      trustDomain: 'cluster.local', rootNamespace: 'istio-system', clusterDomain: 'cluster.local', mode: 'STRICT', origin: 'm', dataplane: 'AMBIENT',
      namespaces: [{ name: 'shop', mode: 'STRICT', dryRun: false, denyFromNamespaces: [], acceptPlaintextBypass: false, labels: {}, origin: 'shop', workloads: [
        { name: 'api', namespace: 'shop', serviceAccount: 'api', labels: { app: 'api' }, plaintextPorts: [], plaintextIpBlocks: [], ports: [], origin: 'shop/api' },
      ] }],
      edges: [{ from: { kind: 'namespace', namespace: 'web' }, to: { namespace: 'shop', workload: 'api' }, paths: ['/x'], origin: 'e' }],
      externalServices: [], clientTls: [],
    });
    expect(compiled.namespaces.get('shop')!.map((d) => `${d.kind}/${d.metadata.name}`)).toContain('Gateway/waypoint');
  });
});

describe('ambient refusals', () => {
  it('refuses an edge with methods or paths toward a namespace without a waypoint', () => {
    expect(synth((app) => shop(app, { waypoint: Waypoint.NONE })))
      .toThrow(/edge shop\/web -> shop\/api limits methods or paths, but ambient namespace shop has no waypoint \(Waypoint.NONE\): ztunnel only sees layer 4/);
  });
  it('refuses DISABLE mTLS, for a namespace and for a workload', () => {
    expect(synth((app) => meshAndNamespace(app, { ...ambient, mtls: MtlsMode.DISABLE })))
      .toThrow(/namespace "shop" is ambient and mTLS DISABLE: ztunnel does not support disabling mutual TLS/);
    expect(synth((app) => meshAndNamespace(app, ambient).ns.addWorkload('api', { mtls: MtlsMode.DISABLE })))
      .toThrow(/workload "api" is in ambient namespace shop and mTLS DISABLE/);
  });
  it('refuses client TLS DISABLE toward an ambient workload', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, { ...ambient, mtls: MtlsMode.PERMISSIVE });
      new ClientTlsPolicy(ns, 'plain', { workload: ns.addWorkload('api'), mode: ClientTlsMode.DISABLE });
    })).toThrow(/client TLS DISABLE toward shop\/api: ambient namespace shop always speaks mutual TLS/);
  });
  it('refuses dry-run: ztunnel ignores it before Istio 1.29 with its flag, and older ztunnels enforce it', () => {
    expect(synth((app) => meshAndNamespace(app, { ...ambient, enforcement: Enforcement.DRY_RUN })))
      .toThrow(/namespace "shop" is ambient and in dry-run: ztunnel ignores dry-run policies unless Istio 1.29\+ runs with AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY/);
  });
  it('refuses "cluster.local" as an alias of another trust domain: ztunnel does not alias it', () => {
    expect(synth((app) => {
      const mesh = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'prod.example.com' });
      const ns = new ZeroTrustNamespace(app, 'shop', { mesh, ...ambient });
      ns.addWorkload('api').allowFrom(Peer.serviceAccount('istio-ingress', 'gateway', { trustDomain: 'cluster.local' }));
    })).toThrow(/names trust domain "cluster.local" as an alias of the mesh's "prod.example.com": ztunnel does not alias trust domains/);
  });
  it('refuses a workload running as the waypoint\'s service account, or named like it', () => {
    expect(synth((app) => meshAndNamespace(app, ambient).ns.addWorkload('api', { serviceAccount: 'waypoint' })))
      .toThrow(/workload "api" runs as service account "waypoint", the identity of the namespace's waypoint/);
    expect(synth((app) => meshAndNamespace(app, ambient).ns.addWorkload('waypoint', { serviceAccount: 'wp-app' })))
      .toThrow(/workload "waypoint" has the name of the namespace's waypoint/);
  });
  it('refuses an external service without credentialName, or without a waypoint', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, ambient);
      new ExternalMtlsService(ns, 'bank', { host: 'api.bank.example', clients: [ns.addWorkload('api')], clientCertificate: '/c.pem', privateKey: '/k.pem' });
    })).toThrow(/external service "bank" is in ambient namespace shop, where the waypoint originates mutual TLS: certificate files would be read inside the waypoint's pod/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, { ...ambient, waypoint: Waypoint.NONE });
      new ExternalMtlsService(ns, 'bank', { host: 'api.bank.example', clients: [ns.addWorkload('api')], credentialName: 'bank' });
    })).toThrow(/external service "bank" in ambient namespace shop needs a waypoint/);
  });
  it('refuses a waypoint on a sidecar namespace, a bad waypoint name, and a value that is not a Dataplane', () => {
    expect(build((app) => meshAndNamespace(app, { waypoint: Waypoint.named('wp') })))
      .toThrow(/waypoint is set but the namespace uses sidecars/);
    expect(build((app) => meshAndNamespace(app, { ...ambient, waypoint: Waypoint.named('Way Point') })))
      .toThrow(/waypoint name "Way Point" is not a valid DNS-1123 label/);
    expect(build((app) => meshAndNamespace(app, { dataplane: 'ambient' as Dataplane })))
      .toThrow(/^\[shop\] dataplane "ambient" is not a Dataplane: use Dataplane.SIDECAR, Dataplane.AMBIENT$/);
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', { dataplane: 'AMBIENT ' as Dataplane })))
      .toThrow(/^\[mesh\] dataplane "AMBIENT " is not a Dataplane: use Dataplane.SIDECAR, Dataplane.AMBIENT$/);
    expect(build((app) => meshAndNamespace(app, { ...ambient, waypoint: 'waypoint' as unknown as Waypoint })))
      .toThrow(/^\[shop\] waypoint must be Waypoint.named\(name\) or Waypoint.NONE, got "waypoint"$/);
  });
  it('refuses a model whose dataplane is not SIDECAR or AMBIENT', () => {
    expect(() => compileMesh({
      trustDomain: 'cluster.local', rootNamespace: 'istio-system', clusterDomain: 'cluster.local', mode: 'STRICT', origin: 'm', dataplane: 'NODE' as 'AMBIENT',
      namespaces: [], edges: [], externalServices: [], clientTls: [],
    })).toThrow(/dataplane "NODE" is not SIDECAR or AMBIENT/);
  });
});

