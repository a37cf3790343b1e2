// Every input the library refuses, with the message a user sees. Constructor errors are thrown
// where the bad value is written; whole-mesh errors when the app is synthesized.
import { createHash } from 'node:crypto';
import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  AllowEdge, ClientTlsMode, ClientTlsPolicy, Enforcement, ExternalMtlsService, ExternalProtocol, MtlsMode, Peer,
  Workload, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace,
} from '../lib';
import { meshAndNamespace, synthFiles } from './helpers';

/** Builds inside a fresh app; the error must come from the constructor. */
const build = (fn: (app: App) => void) => () => fn(Testing.app());
/** Builds and synthesizes; the error must come from synthesis (validation). */
const synth = (fn: (app: App) => void) => () => synthFiles(fn);

const mtlsClient = { clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem' };

describe('names and labels (DNS-1123, Kubernetes label syntax)', () => {
  it('refuses a namespace id that is not a DNS-1123 label, and suggests one', () => {
    expect(build((app) => meshAndNamespace(app, {}, 'Production'))).toThrow(/\[Production\] namespace \(the construct id\) "Production" is not a valid DNS-1123 label.*Did you mean "production"\?/);
  });
  it('refuses a workload name that is not a DNS-1123 label', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('Payment_Service'))).toThrow(/\[shop\/Payment_Service\] workload name "Payment_Service" is not a valid DNS-1123 label/);
  });
  it('refuses a name longer than 63 characters', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('a'.repeat(64)))).toThrow(/is 64 characters long; Kubernetes allows at most 63/);
  });
  it('refuses an invalid service account', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { serviceAccount: 'API SA' }))).toThrow(/service account "API SA" is not a valid DNS-1123 subdomain/);
  });
  it('refuses an invalid label value and an invalid label key', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { labels: { app: 'api*' } }))).toThrow(/invalid value "api\*" for label "app"/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { labels: { 'bad key': 'x' } }))).toThrow(/invalid label key "bad key"/);
  });
  it('refuses empty labels: an empty selector selects every pod', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { labels: {} }))).toThrow(/must have at least one label: an empty selector would select every pod/);
  });
  it('refuses invalid namespace labels', () => {
    expect(build((app) => meshAndNamespace(app, { labels: { team: 'a b' } }))).toThrow(/invalid value "a b" for label "team"/);
  });
  it('refuses an invalid denyFromNamespaces entry and an empty list', () => {
    expect(build((app) => meshAndNamespace(app, { denyFromNamespaces: ['Dev'] }))).toThrow(/denyFromNamespaces entry "Dev" is not a valid DNS-1123 label/);
    expect(build((app) => meshAndNamespace(app, { denyFromNamespaces: [] }))).toThrow(/denyFromNamespaces is an empty list; omit it/);
  });
  it('refuses an external service id that is not a DNS-1123 label', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'External_API', { host: 'api.example.com', clients: [ns.addWorkload('api')], ...mtlsClient });
    })).toThrow(/external service name \(the construct id\) "External_API" is not a valid DNS-1123 label/);
  });
});

describe('mesh settings', () => {
  it('refuses a trust domain with a scheme or slash', () => {
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', { trustDomain: 'spiffe://cluster.local' }))).toThrow(/trust domain "spiffe:\/\/cluster.local" is invalid/);
  });
  it('refuses an invalid root namespace', () => {
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', { rootNamespace: 'Istio System' }))).toThrow(/root namespace "Istio System" is not a valid DNS-1123 label/);
  });
  it('refuses an unknown mode', () => {
    expect(build((app) => new ZeroTrustMesh(app, 'mesh', { mtls: 'STRICTEST' as MtlsMode }))).toThrow(/mtls "STRICTEST" is not an MtlsMode/);
    expect(build((app) => meshAndNamespace(app, { enforcement: 'LOUD' as Enforcement }))).toThrow(/enforcement "LOUD" is not an Enforcement/);
  });
  it('refuses declaring the root namespace as a ZeroTrustNamespace', () => {
    expect(synth((app) => meshAndNamespace(app, {}, 'istio-system'))).toThrow(/\[istio-system\] namespace "istio-system" is the mesh root namespace/);
  });
  it('refuses a mesh that is not a ZeroTrustMesh, and a workload outside a ZeroTrustNamespace', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ZeroTrustNamespace(app, 'other', { mesh: ns as unknown as ZeroTrustMesh });
    })).toThrow(/\[other\] mesh must be a ZeroTrustMesh/);
    expect(build((app) => {
      meshAndNamespace(app);
      new Workload(new Chart(app, 'plain') as ZeroTrustNamespace, 'api');
    })).toThrow(/\[plain\/api\] a Workload must be declared in a ZeroTrustNamespace/);
  });
  it('tells its charts apart: instanceof is not true for every chart', () => {
    const app = Testing.app();
    const { mesh, ns } = meshAndNamespace(app);
    expect([mesh instanceof ZeroTrustMesh, mesh instanceof ZeroTrustNamespace, ns instanceof ZeroTrustNamespace, ns instanceof ZeroTrustMesh]).toEqual([true, false, true, false]);
    expect(new Chart(app, 'plain') instanceof ZeroTrustNamespace).toBe(false);
    expect(ZeroTrustNamespace.of(ns.addWorkload('api'))).toBe(ns);
  });
  it('refuses a ZeroTrustNamespace nested in another construct (output files would be renamed)', () => {
    expect(build((app) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      new ZeroTrustNamespace(new Construct(app, 'group'), 'shop', { mesh });
    })).toThrow(/must be created directly in the App/);
  });
});

describe('ports, methods and paths', () => {
  const edge = (opts: { methods?: string[]; paths?: string[]; ports?: number[] }) => build((app) => {
    const { ns } = meshAndNamespace(app);
    new AllowEdge(ns, 'edge', { from: ns.addWorkload('a'), to: ns.addWorkload('b'), ...opts });
  });
  it('refuses ports outside 1-65535', () => {
    expect(edge({ ports: [0] })).toThrow(/port 0 is not a port: use an integer from 1 to 65535/);
    expect(edge({ ports: [70000] })).toThrow(/port 70000 is not a port/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('a', { plaintextPorts: [65536] }))).toThrow(/plaintext port 65536 is not a port/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('a', { ports: [WorkloadPort.http(-1)] }))).toThrow(/port -1 is not a port/);
  });
  it('refuses a method that is not an HTTP method, and suggests the upper-case one', () => {
    expect(edge({ methods: ['get'] })).toThrow(/method "get" is not an HTTP method .*Did you mean "GET"\?/);
    expect(edge({ methods: ['FETCH'] })).toThrow(/method "FETCH" is not an HTTP method/);
  });
  it('refuses a * in the middle of a path (Istio matches it literally)', () => {
    expect(edge({ paths: ['/api/*/items'] })).toThrow(/path "\/api\/\*\/items" has a '\*' in the middle; Istio takes it literally/);
  });
  it('refuses other path mistakes', () => {
    expect(edge({ paths: ['api/v1'] })).toThrow(/path "api\/v1" must start with '\/'/);
    expect(edge({ paths: ['*'] })).toThrow(/path "\*" matches every path: omit paths/);
    expect(edge({ paths: ['/search?q=1'] })).toThrow(/contains '\?' or '#'/);
    expect(edge({ paths: ['/api/{id}'] })).toThrow(/a template operator must be a whole segment/);
    expect(edge({ paths: ['/files/{**}/{*}'] })).toThrow(/has a template operator after "\{\*\*\}"/);
    expect(edge({ paths: ['/api/{*}/*'] })).toThrow(/mixes a '\*' glob with \{\*\}\/\{\*\*\} templates/);
    expect(edge({ paths: ['/api//{*}'] })).toThrow(/no empty segment/);
  });
  it('accepts exact, prefix, suffix and template paths', () => {
    expect(edge({ paths: ['/a', '/a/*', '*.json', '/a/{*}/b', '/files/{**}', '/x/{**}/y'] })).not.toThrow();
  });
  it('refuses empty lists (Istio reads them as "any")', () => {
    expect(edge({ methods: [] })).toThrow(/methods is an empty list: Istio reads an empty list as "any"/);
    expect(edge({ paths: [] })).toThrow(/paths is an empty list/);
    expect(edge({ ports: [] })).toThrow(/ports is an empty list/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('a', { plaintextPorts: [] }))).toThrow(/plaintextPorts is an empty list; omit it/);
  });
  it('checks the values given to allowFrom/allowTo the same way, naming the edge they declare', () => {
    const declare = (opts: { methods?: string[]; paths?: string[]; ports?: number[] }) => build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('b').allowFrom(ns.addWorkload('a'), opts);
    });
    expect(declare({ paths: ['/api/*/items'] })).toThrow(/\[shop\/b\/from-shop\.a-[0-9a-f]{8}\] path "\/api\/\*\/items" has a '\*' in the middle/);
    expect(declare({ methods: [] })).toThrow(/\[shop\/b\/from-shop\.a-[0-9a-f]{8}\] methods is an empty list: Istio reads an empty list as "any"/);
    expect(declare({ ports: [0] })).toThrow(/port 0 is not a port/);
    expect(declare({ methods: ['get'] })).toThrow(/method "get" is not an HTTP method/);
  });
  it('refuses a value listed twice', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'edge', { from: ns.addWorkload('a'), to: ns.addWorkload('b'), methods: ['GET', 'GET'] });
    })).toThrow(/methods lists a value twice/);
  });
  it('refuses methods or paths toward a port declared TCP (Istio drops the rule)', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const db = ns.addWorkload('db', { ports: [WorkloadPort.tcp(5432)] });
      db.allowFrom(ns.addWorkload('api'), { methods: ['GET'] });
    })).toThrow(/methods\/paths on TCP port 5432 of shop\/db: HTTP attributes do not exist on TCP traffic/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const svc = ns.addWorkload('svc', { ports: [WorkloadPort.http(8080), WorkloadPort.tcp(9000)] });
      svc.allowFrom(ns.addWorkload('api'), { paths: ['/x'], ports: [9000] });
    })).toThrow(/methods\/paths on TCP port 9000/);
  });
  it('refuses methods other than POST toward a gRPC port (every gRPC call is a POST)', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('svc', { ports: [WorkloadPort.grpc(9000)] }).allowFrom(ns.addWorkload('api'), { methods: ['GET', 'POST'] });
    })).toThrow(/methods \["GET"\] on gRPC port 9000 of shop\/svc never match: every gRPC call is a POST/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('svc', { ports: [WorkloadPort.grpc(9000)] }).allowFrom(ns.addWorkload('api'), { methods: ['POST'], paths: ['/shop.Cart/*'] });
    })).not.toThrow();
  });
  it('refuses an edge port the workload does not declare', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('svc', { ports: [WorkloadPort.http(8080)] }).allowFrom(ns.addWorkload('api'), { ports: [8081] });
    })).toThrow(/port 8081 is not declared on shop\/svc \(declared: 8080\)/);
  });
  it('refuses a port declared twice, and a plaintext port that is not declared', () => {
    expect(synth((app) => meshAndNamespace(app).ns.addWorkload('svc', { ports: [WorkloadPort.http(80), WorkloadPort.tcp(80)] }))).toThrow(/port 80 is declared twice/);
    expect(synth((app) => meshAndNamespace(app).ns.addWorkload('svc', { ports: [WorkloadPort.http(80)], plaintextPorts: [9090] }))).toThrow(/plaintext port 9090 is not among the declared ports/);
    expect(synth((app) => meshAndNamespace(app).ns.addWorkload('svc', { plaintextPorts: [9090, 9090] }))).toThrow(/plaintextPorts lists a port twice/);
  });
  it('refuses invalid plaintext ip blocks, and ip blocks without plaintext ports', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('svc', { plaintextPorts: [9090], plaintextIpBlocks: ['10.0.0.0/33'] }))).toThrow(/ip block "10.0.0.0\/33" is not an IP address or CIDR/);
    expect(synth((app) => meshAndNamespace(app).ns.addWorkload('svc', { plaintextIpBlocks: ['10.0.0.0/8'] }))).toThrow(/plaintextIpBlocks is set but the workload has no plaintextPorts/);
  });
});

describe('identities and duplicates', () => {
  it('refuses a principal part that is not valid', () => {
    expect(() => Peer.serviceAccount('Istio-Ingress', 'gw')).toThrow(/namespace "Istio-Ingress" is not a valid DNS-1123 label/);
    expect(() => Peer.serviceAccount('istio-ingress', 'gw', { trustDomain: 'a/b' })).toThrow(/trust domain "a\/b" is invalid/);
    expect(() => Peer.namespace('Dev')).toThrow(/namespace "Dev" is not a valid DNS-1123 label/);
    expect(() => Workload.fromAttributes({ namespace: 'other', name: 'x', serviceAccount: 'bad sa' })).toThrow(/service account "bad sa" is not a valid DNS-1123 subdomain/);
  });
  it('refuses a duplicate workload', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api');
      ns.addWorkload('api');
    })).toThrow(/\[shop\/api\] duplicate workload "api": namespace shop already declares it/);
  });
  it('refuses two workloads on one service account (identities are per service account)', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api');
      ns.addWorkload('worker', { serviceAccount: 'api' });
    })).toThrow(/workloads "api" and "worker" share service account "api"/);
  });
  it('refuses a selector that also selects another workload', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api', { labels: { app: 'api' } });
      ns.addWorkload('api-canary', { labels: { app: 'api', track: 'canary' } });
    })).toThrow(/the selector of workload "api" \(\{"app":"api"\}\) also selects the pods of "api-canary"/);
  });
  it('refuses a duplicate edge, whether declared with AllowEdge or allowFrom', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const [a, b] = [ns.addWorkload('a'), ns.addWorkload('b')];
      new AllowEdge(ns, 'one', { from: a, to: b, methods: ['GET'] });
      new AllowEdge(ns, 'two', { from: a, to: b, methods: ['GET'] });
    })).toThrow(/\[shop\/two\] duplicate edge shop\/a -> shop\/b: already declared by shop\/one/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const [a, b] = [ns.addWorkload('a'), ns.addWorkload('b')];
      b.allowFrom(a);
      a.allowTo(b);
    })).toThrow(/duplicate edge shop\.a -> shop\/b/);
  });
  it('refuses a duplicate allowFrom edge however many edges the workload already has', () => {
    // The duplicate of the first, a middle and the last peer, after a few edges and after many (a
    // workload may keep a few edges and many edges in different structures).
    for (const peers of [1, 7, 8, 9, 30]) {
      for (const again of new Set([0, Math.floor(peers / 2), peers - 1])) {
        expect(build((app) => {
          const { ns } = meshAndNamespace(app);
          const api = ns.addWorkload('api');
          const clients = Array.from({ length: peers }, (_, i) => ns.addWorkload(`c${i}`));
          api.allowFrom(clients[0], { methods: ['GET'] }); // an edge with limits in the list too
          for (const client of clients) api.allowFrom(client);
          api.allowFrom(clients[again]);
        }), `${peers} peers, again c${again}`).toThrow(new RegExp(`\\[shop/api/from-shop\\.c${again}\\] duplicate edge shop\\.c${again} -> shop/api`));
      }
    }
    // With many edges declared, a plain edge whose id another edge's limits would give is still
    // refused (and the twenty distinct peers before it are not).
    const digest = createHash('sha256').update(JSON.stringify([['GET'], undefined, undefined])).digest('hex').slice(0, 8);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      for (let i = 0; i < 20; i++) api.allowFrom(ns.addWorkload(`c${i}`));
      api.allowFrom(ns.addWorkload(`x-${digest}`));
      api.allowFrom(ns.addWorkload('x'), { methods: ['GET'] });
    })).toThrow(new RegExp(`\\[shop/api/from-shop\\.x-${digest}\\] duplicate edge`));
  });
  it('refuses two allowFrom edges with one id: a plain edge from a peer whose name ends like the other edge\'s suffix', () => {
    // The edge from shop.x limited to GET has the id from-shop.x-<digest of its limits>; the plain
    // edge from a workload named x-<that digest> has the same id: one declared-by path for both.
    const digest = createHash('sha256').update(JSON.stringify([['GET'], undefined, undefined])).digest('hex').slice(0, 8);
    const declare = (limitedFirst: boolean) => build((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, x, lookalike] = [ns.addWorkload('api'), ns.addWorkload('x'), ns.addWorkload(`x-${digest}`)];
      if (limitedFirst) api.allowFrom(x, { methods: ['GET'] });
      api.allowFrom(lookalike);
      if (!limitedFirst) api.allowFrom(x, { methods: ['GET'] });
    });
    const message = new RegExp(`\\[shop/api/from-shop\\.x-${digest}\\] duplicate edge shop\\.x(-${digest})? -> shop/api`);
    expect(declare(true)).toThrow(message);
    expect(declare(false)).toThrow(message);
    // The audit mark too: the audited edge from shop.x and the plain one from shop.x-audit are both from-shop.x-audit.
    const audited = (auditedFirst: boolean) => build((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, x, lookalike] = [ns.addWorkload('api'), ns.addWorkload('x'), ns.addWorkload('x-audit')];
      if (auditedFirst) api.allowFrom(x, { enforcement: Enforcement.DRY_RUN });
      api.allowFrom(lookalike);
      if (!auditedFirst) api.allowFrom(x, { enforcement: Enforcement.DRY_RUN });
    });
    expect(audited(true)).toThrow(/\[shop\/api\/from-shop\.x-audit\] duplicate edge/);
    expect(audited(false)).toThrow(/\[shop\/api\/from-shop\.x-audit\] duplicate edge/);
    // Names that only look alike are distinct edges.
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, x, other] = [ns.addWorkload('api'), ns.addWorkload('x'), ns.addWorkload('x-0123abcd')];
      api.allowFrom(x, { methods: ['GET'] });
      api.allowFrom(other);
      api.allowFrom(x);
    })).not.toThrow();
  });
  it('refuses a derived object name that two constructs would both emit', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'a', { host: 'a.example.com', clients: [ns.addWorkload('b-client-tls')], ...mtlsClient });
      new ClientTlsPolicy(ns, 'tls', { workload: ns.addWorkload('a-b'), mode: ClientTlsMode.ISTIO_MUTUAL });
    })).toThrow(/DestinationRule "a-b-client-tls" in namespace shop would be emitted twice/);
  });
  it('refuses an id that the constructs library cannot hold, in words', () => {
    // constructs keeps children in a plain object: "constructor" reads as a child that exists.
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('constructor')))
      .toThrow(/\[shop\/constructor\] "constructor" cannot be a construct id: the constructs library keeps children in a plain object/);
    expect(build((app) => new ZeroTrustNamespace(app, 'constructor', { mesh: meshAndNamespace(app).mesh })))
      .toThrow(/\[constructor\] "constructor" cannot be a construct id/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'toString', { from: ns.addWorkload('a'), to: ns.addWorkload('b') });
    })).toThrow(/\[shop\/toString\] "toString" cannot be a construct id/);
  });
  it('refuses a workload whose id is taken by another construct', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'api', { host: 'a.example.com', clients: [ns.addWorkload('caller')], ...mtlsClient });
      ns.addWorkload('api');
    })).toThrow(/workload "api" has the construct id of another construct in namespace shop/);
  });
});

describe('edges', () => {
  it('refuses an edge to a workload outside any ZeroTrustNamespace', () => {
    const outside = () => Workload.fromAttributes({ namespace: 'payments', name: 'ledger' });
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new AllowEdge(ns, 'edge', { from: ns.addWorkload('api'), to: outside() });
    })).toThrow(/\[shop\/edge\] edge to payments\/ledger: the destination is outside any ZeroTrustNamespace/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api').allowTo(outside()))).toThrow(/^\[Workload\.fromAttributes\(payments\/ledger\)\] allowFrom: cannot allow traffic to payments\/ledger: it was imported with Workload.fromAttributes\(\)/);
  });
  it('refuses allowFrom without a peer', () => {
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api').allowFrom(undefined as any)))
      .toThrow(/\[shop\/api\] allowFrom: the peer must be a workload, a ZeroTrustNamespace or a Peer/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      new AllowEdge(ns, 'edge', { from: {} as any, to: api });
    })).toThrow(/\[shop\/edge\] from must be a workload, a ZeroTrustNamespace or a Peer/);
  });
  it('refuses an edge id that is also the id of another declaration on the workload', () => {
    // allowFrom identifies its edge as <workload>/from-<peer>; an AllowEdge with that id under the
    // workload would be a second declaration with the same path in declared-by and in errors.
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
      api.allowFrom(web);
      new AllowEdge(api, 'from-shop.web', { from: web, to: api, methods: ['GET'] });
    })).toThrow(/\[shop\/api\/from-shop\.web\] construct id "from-shop.web" is already the id of an edge declared with allowFrom\/allowTo on workload shop\/api/);
    // An edge with limits: its id carries their digest.
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
      const edge = api.allowFrom(web, { methods: ['GET'] });
      new AllowEdge(api, edge.declaredBy.split('/').pop()!, { from: web, to: api, methods: ['POST'] });
    })).toThrow(/\[shop\/api\/from-shop\.web-[0-9a-f]{8}\] construct id "from-shop\.web-[0-9a-f]{8}" is already the id of an edge/);
    // The other order, and any construct (not only an AllowEdge), is refused at synth.
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
      new AllowEdge(api, 'from-shop.web', { from: web, to: api, methods: ['GET'] });
      api.allowFrom(web);
    })).toThrow(/\[shop\/api\] from-shop\.web: the edge recorded by allowFrom\/allowTo is identified as "from-shop.web", the construct id of another construct in workload shop\/api/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const [api, web] = [ns.addWorkload('api'), ns.addWorkload('web')];
      api.allowFrom(web);
      new Construct(api, 'from-shop.web');
    })).toThrow(/\[shop\/api\] from-shop\.web: the edge recorded by allowFrom\/allowTo is identified as "from-shop.web"/);
    // The same after many edges.
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      for (let i = 0; i < 12; i++) api.allowFrom(ns.addWorkload(`c${i}`));
      new Construct(api, 'from-shop.c4');
    })).toThrow(/\[shop\/api\] from-shop\.c4: the edge recorded by allowFrom\/allowTo is identified as "from-shop.c4"/);
  });
  it('refuses a source that claims to be an undeclared workload of a managed namespace', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api').allowFrom(Workload.fromAttributes({ namespace: 'shop', name: 'ghost' }));
    })).toThrow(/source workload shop\/ghost is not declared in namespace shop/);
  });
  it('refuses an edge that denyFromNamespaces contradicts (DENY is evaluated first)', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, { denyFromNamespaces: ['dev'] });
      ns.addWorkload('api').allowFrom(Peer.serviceAccount('dev', 'tester'));
    })).toThrow(/contradicts denyFromNamespaces of namespace shop: DENY policies are evaluated before ALLOW/);
  });
  it('refuses a namespace that denies itself', () => {
    expect(synth((app) => meshAndNamespace(app, { denyFromNamespaces: ['shop'] }))).toThrow(/namespace "shop" denies itself/);
  });
  it('refuses a namespace listed twice in denyFromNamespaces', () => {
    expect(synth((app) => meshAndNamespace(app, { denyFromNamespaces: ['dev', 'dev'] }))).toThrow(/denyFromNamespaces lists a namespace twice/);
  });
});

describe('plaintext and identity (identity is only known on mTLS traffic)', () => {
  it('refuses an enforced DENY by namespace in a PERMISSIVE namespace: plaintext bypasses it', () => {
    expect(synth((app) => meshAndNamespace(app, { mtls: MtlsMode.PERMISSIVE, denyFromNamespaces: ['dev'] })))
      .toThrow(/denyFromNamespaces \["dev"\] is bypassable: namespace "shop" is PERMISSIVE and a plaintext request carries no namespace/);
  });
  it('refuses a PERMISSIVE workload in a namespace that denies by namespace', () => {
    expect(synth((app) => meshAndNamespace(app, { denyFromNamespaces: ['dev'] }).ns.addWorkload('legacy', { mtls: MtlsMode.PERMISSIVE })))
      .toThrow(/workload "legacy" is PERMISSIVE, so plaintext requests bypass denyFromNamespaces/);
  });
  it('refuses an enforced identity edge toward a workload that accepts plaintext', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, { mtls: MtlsMode.PERMISSIVE });
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'));
    })).toThrow(/edge shop\/web -> shop\/api matches on identity, but shop\/api is PERMISSIVE and accepts plaintext/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api', { mtls: MtlsMode.DISABLE }).allowFrom(ns.addWorkload('web'));
    })).toThrow(/shop\/api is DISABLE and accepts plaintext/);
  });
  it('accepts these combinations when staged in dry-run or explicitly accepted', () => {
    for (const props of [{ enforcement: Enforcement.DRY_RUN }, { acceptPlaintextBypass: true }]) {
      expect(synth((app) => {
        const { ns } = meshAndNamespace(app, { mtls: MtlsMode.PERMISSIVE, denyFromNamespaces: ['dev'], ...props });
        ns.addWorkload('api').allowFrom(ns.addWorkload('web'));
      })).not.toThrow();
    }
  });
});

describe('external mutual TLS', () => {
  const external = (props: Record<string, unknown>, how = build) => how((app) => {
    const { ns } = meshAndNamespace(app);
    new ExternalMtlsService(ns, 'ext', { host: 'api.example.com', clients: [ns.addWorkload('api')], ...mtlsClient, ...props });
  });
  it('refuses host "*" and wildcard or unqualified hosts', () => {
    expect(external({ host: '*' })).toThrow(/host "\*" would send every outbound request through this entry/);
    expect(external({ host: '*.example.com' })).toThrow(/host "\*.example.com" has a wildcard; DNS resolution needs a concrete host name/);
    expect(external({ host: 'localhost' })).toThrow(/host "localhost" is not a fully qualified DNS name/);
  });
  it('refuses ports outside 1-65535', () => {
    expect(external({ port: 0 })).toThrow(/port 0 is not a port/);
    expect(external({ appPort: 99999 })).toThrow(/appPort 99999 is not a port/);
  });
  it('refuses the seed\'s HTTPS port with MUTUAL: TLS inside TLS', () => {
    expect(external({ protocol: ExternalProtocol.HTTPS }, synth)).toThrow(/protocol HTTPS means the application already speaks TLS; originating mutual TLS in the sidecar would wrap TLS in TLS/);
    expect(external({ protocol: ExternalProtocol.TLS }, synth)).toThrow(/protocol TLS means the application already speaks TLS/);
  });
  it('refuses MUTUAL without a client certificate and key or a credentialName', () => {
    expect(external({ clientCertificate: undefined }, synth)).toThrow(/mutual TLS needs a client certificate: set clientCertificate and privateKey/);
    expect(external({ privateKey: undefined }, synth)).toThrow(/mutual TLS needs a client certificate/);
  });
  it('refuses credentialName together with file paths', () => {
    expect(external({ credentialName: 'partner-cert' }, synth)).toThrow(/credentialName cannot be combined with clientCertificate, privateKey or caCertificates/);
  });
  it('refuses relative certificate paths and an invalid credentialName', () => {
    expect(external({ clientCertificate: 'certs/cert.pem' })).toThrow(/clientCertificate "certs\/cert.pem" must be an absolute file path/);
    expect(external({ clientCertificate: undefined, privateKey: undefined, credentialName: 'Partner Cert' })).toThrow(/credentialName "Partner Cert" is not a valid DNS-1123 subdomain/);
  });
  it('refuses a duplicate host and port in one namespace', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      new ExternalMtlsService(ns, 'one', { host: 'api.example.com', clients: [api], ...mtlsClient });
      new ExternalMtlsService(ns, 'two', { host: 'api.example.com', clients: [api], ...mtlsClient });
    })).toThrow(/\[shop\/two\] duplicate port 80 for host "api.example.com" in namespace shop: already declared by shop\/one/);
  });
  it('refuses no clients, a client twice, and a client in another namespace', () => {
    expect(external({ clients: [] }, synth)).toThrow(/clients must name at least one workload/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      new ExternalMtlsService(ns, 'ext', { host: 'api.example.com', clients: [api, api], ...mtlsClient });
    })).toThrow(/client shop\/api is listed twice/);
    expect(synth((app) => {
      const { mesh, ns } = meshAndNamespace(app);
      const other = new ZeroTrustNamespace(app, 'other', { mesh }).addWorkload('caller');
      new ExternalMtlsService(ns, 'ext', { host: 'api.example.com', clients: [other], ...mtlsClient });
    })).toThrow(/client other\/caller is in another namespace: the ServiceEntry and DestinationRule are exported to "shop" only/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(ns, 'ext', { host: 'api.example.com', clients: [Workload.fromAttributes({ namespace: 'x', name: 'y' })], ...mtlsClient });
    })).toThrow(/client x\/y is not a workload declared in a ZeroTrustNamespace/);
  });
  it('refuses an external service outside a ZeroTrustNamespace', () => {
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ExternalMtlsService(new Construct(app, 'loose'), 'ext', { host: 'api.example.com', clients: [ns.addWorkload('api')], ...mtlsClient });
    })).toThrow(/\[loose\/ext\] is not inside a ZeroTrustNamespace/);
  });
});

describe('client TLS', () => {
  it('refuses a DestinationRule that disables TLS toward a STRICT workload', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'plain', { workload: ns.addWorkload('api'), mode: ClientTlsMode.DISABLE });
    })).toThrow(/\[shop\/plain\] disabling TLS toward shop\/api breaks every client: the workload is STRICT/);
  });
  it('refuses a policy for an undeclared workload and an unknown mode', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'plain', { workload: Workload.fromAttributes({ namespace: 'x', name: 'y' }), mode: ClientTlsMode.ISTIO_MUTUAL });
    })).toThrow(/client TLS policy for x\/y: no such workload is declared/);
    expect(build((app) => {
      const { ns } = meshAndNamespace(app);
      new ClientTlsPolicy(ns, 'plain', { workload: ns.addWorkload('api'), mode: 'SIMPLE' as ClientTlsMode });
    })).toThrow(/mode "SIMPLE" is not a ClientTlsMode/);
  });
});

describe('error reporting', () => {
  it('reports every problem of a synth at once, each with its construct path', () => {
    let message = '';
    try {
      synthFiles((app) => {
        const { ns } = meshAndNamespace(app, { denyFromNamespaces: ['shop'] });
        ns.addWorkload('api');
        ns.addWorkload('worker', { serviceAccount: 'api' });
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/\[shop\] namespace "shop" denies itself/);
    expect(message).toMatch(/\[shop\/worker\] workloads "api" and "worker" share service account/);
  });
  it('reports a problem of an edge declared with allowFrom at its workload, with the edge id', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app, { denyFromNamespaces: ['dev'] });
      ns.addWorkload('api').allowFrom(Peer.serviceAccount('dev', 'tester'));
    })).toThrow(/\n {2}\[shop\/api\] from-sa\.dev\.tester: edge service account dev\/tester -> shop\/api contradicts denyFromNamespaces/);
  });
});
