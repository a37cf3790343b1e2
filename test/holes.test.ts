// The holes a careless user fell into: values Istio rejects after merge, identities from another
// mesh, rules that can never decide anything. Each is refused with a message, or compiled exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AllowEdge, Dataplane, MtlsMode, Peer, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace } from '../lib';
import { decide } from '../lib/analyzer/decide';
import { inventoryFromModel } from '../lib/analyzer/inventory';
import { loadIstioDir } from '../lib/analyzer/load';
import { compileMesh, MeshModel } from '../lib';
import { checkIpBlock, ipInBlock, parseIpBlock } from '../lib/core/ip';
import { matchIp } from '../lib/analyzer/match';
import { find, meshAndNamespace, synthDocs, synthFiles } from './helpers';

const build = (fn: (app: App) => void) => () => fn(Testing.app());
const synth = (fn: (app: App) => void) => () => synthFiles(fn);

describe('IP addresses and blocks: one parser (Node\'s net) for the compiler and the analyzer', () => {
  it('refuses invalid IPv6 that the old pattern let through, and zone ids', () => {
    for (const bad of [':::::', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '10.0.0.0/33', '::/129', '10.0.0.1/', '10.0.0.1/08', '010.0.0.1', '10.0.0', 'localhost']) {
      expect(checkIpBlock(bad), bad).toMatch(/is not an IP address or CIDR/);
      expect(build((app) => meshAndNamespace(app).ns.addWorkload('svc', { plaintextPorts: [9090], plaintextIpBlocks: [bad] })), bad)
        .toThrow(/\[shop\/svc\] ip block ".*" is not an IP address or CIDR/);
    }
  });
  it('accepts IPv4-mapped IPv6 and compiles it as written', () => {
    for (const good of ['::ffff:10.0.0.1', '::ffff:10.0.0.0/104', '10.8.0.0/16', 'fd00::/8', '::1', '0.0.0.0/0']) expect(checkIpBlock(good), good).toBeUndefined();
    const docs = synthDocs((app) => meshAndNamespace(app).ns.addWorkload('svc', { plaintextPorts: [9090], plaintextIpBlocks: ['::ffff:10.0.0.1'] }));
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'svc-allow').spec.rules[0].from[0].source.ipBlocks).toEqual(['::ffff:10.0.0.1']);
  });
  it('the analyzer matches with the same parser: an IPv4 client is inside its IPv4-mapped block', () => {
    expect(parseIpBlock('::ffff:10.0.0.0/104')).toEqual({ address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' });
    expect(matchIp('::ffff:10.0.0.0/104', '10.0.0.7')).toBe(true);
    expect(ipInBlock('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
    expect(matchIp('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(matchIp(':::::', '::')).toBe(false);
    expect(matchIp('fd00::/8', 'fd12::1')).toBe(true);
  });
});

describe('dead rules', () => {
  it('refuses a limited edge shadowed by an unlimited edge from the same peer to the same workload', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      const web = ns.addWorkload('web');
      api.allowFrom(web, { methods: ['GET'] });
      new AllowEdge(ns, 'web-to-api', { from: web, to: api });
    })).toThrow(/\[shop\/api\] from-shop\.web-[0-9a-f]{8}: edge shop\/web -> shop\/api is a dead rule: the edge declared by shop\/web-to-api has no limits and already admits every request from the same source/);
  });
  it('finds duplicates and dead rules toward a workload with many callers, wherever they are declared', () => {
    // Past 16 edges toward one workload the validator groups them by source with a map instead of
    // comparing them pairwise: the same verdicts either way.
    for (const callers of [3, 40]) {
      expect(synth((app) => {
        const { ns } = meshAndNamespace(app);
        const api = ns.addWorkload('api');
        const workloads = Array.from({ length: callers }, (_, i) => ns.addWorkload(`c${i}`));
        for (const w of workloads) api.allowFrom(w, { methods: ['POST'] });
        new AllowEdge(ns, 'again', { from: workloads[1], to: api, methods: ['POST'] });
      })).toThrow(/\[shop\/again\] duplicate edge shop\/c1 -> shop\/api: already declared by shop\/api\/from-shop\.c1-[0-9a-f]{8}/);
      expect(synth((app) => {
        const { ns } = meshAndNamespace(app);
        const api = ns.addWorkload('api');
        const workloads = Array.from({ length: callers }, (_, i) => ns.addWorkload(`c${i}`));
        for (const w of workloads) api.allowFrom(w, { methods: ['POST'] });
        new AllowEdge(ns, 'wide', { from: workloads[callers - 1], to: api });
      })).toThrow(new RegExp(`edge shop/c${callers - 1} -> shop/api is a dead rule: the edge declared by shop/wide has no limits`));
    }
  });
  it('keeps limited edges from the same peer, and a limited edge next to an unlimited edge from another peer', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      const web = ns.addWorkload('web');
      api.allowFrom(web, { methods: ['GET'] });
      api.allowFrom(web, { paths: ['/a'] });
      api.allowFrom(ns.addWorkload('jobs'), { methods: ['POST'] });
      api.allowFrom(Peer.namespace('ops'));
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toHaveLength(4);
  });
});

describe('identities from another mesh', () => {
  const twoMeshes = (app: App) => {
    const local = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
    const remote = new ZeroTrustMesh(app, 'other-mesh', { trustDomain: 'other.example', rootNamespace: 'other-system' });
    const shop = new ZeroTrustNamespace(app, 'shop', { mesh: local });
    const partner = new ZeroTrustNamespace(app, 'partner', { mesh: remote });
    return { local, remote, shop, partner };
  };
  it('a workload of another mesh is a source with its own trust domain', () => {
    const docs = synthDocs((app) => {
      const { shop, partner } = twoMeshes(app);
      shop.addWorkload('api').allowFrom(partner.addWorkload('client'));
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules[0].from[0].source.principals).toEqual(['other.example/ns/partner/sa/client']);
  });
  it('a remote workload named like a local one is not mistaken for it', () => {
    const docs = synthDocs((app) => {
      const { shop, partner } = twoMeshes(app);
      const api = shop.addWorkload('api');
      api.allowFrom(partner.addWorkload('api', { serviceAccount: 'partner-api' }));
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules[0].from[0].source.principals).toEqual(['other.example/ns/partner/sa/partner-api']);
  });
  it('in the model, a source with another trust domain is not the local workload of the same name', () => {
    const workload = { namespace: 'shop', serviceAccount: 'web', labels: { app: 'web' }, plaintextPorts: [], plaintextIpBlocks: [], ports: [], origin: 'w' };
    const model: MeshModel = {
      trustDomain: 'cluster.local', rootNamespace: 'istio-system', clusterDomain: 'cluster.local', mode: 'STRICT', origin: 'mesh', externalServices: [], clientTls: [],
      namespaces: [{ name: 'shop', mode: 'STRICT', dryRun: false, denyFromNamespaces: [], acceptPlaintextBypass: false, labels: {}, origin: 'shop', workloads: [
        { ...workload, name: 'web' }, { ...workload, name: 'api', serviceAccount: 'api', labels: { app: 'api' } }] }],
      edges: [{ from: { kind: 'workload', namespace: 'shop', name: 'web', serviceAccount: 'remote-web', trustDomain: 'other.example' }, to: { namespace: 'shop', workload: 'api' }, origin: 'e' }],
    };
    const api = compileMesh(model).namespaces.get('shop')!.find((d) => d.metadata.name === 'api-allow')!;
    expect((api.spec as any).rules[0].from[0].source.principals).toEqual(['other.example/ns/shop/sa/remote-web']);
  });
  it('refuses a namespace of another mesh as a peer: `namespaces` matches every trust domain', () => {
    expect(build((app) => {
      const { shop, partner } = twoMeshes(app);
      shop.addWorkload('api').allowFrom(partner);
    })).toThrow(/\[shop\/api\/from-ns\.partner\] namespace partner belongs to mesh other-mesh \(trust domain "other\.example"\), not to mesh mesh: Istio matches `namespaces` in every trust domain/);
  });
  it('refuses a workload of another mesh with the same trust domain', () => {
    expect(build((app) => {
      const local = new ZeroTrustMesh(app, 'mesh');
      const remote = new ZeroTrustMesh(app, 'other-mesh', { rootNamespace: 'other-system' });
      const api = new ZeroTrustNamespace(app, 'shop', { mesh: local }).addWorkload('api');
      new AllowEdge(app, 'edge', { from: new ZeroTrustNamespace(app, 'partner', { mesh: remote }).addWorkload('client'), to: api });
    })).toThrow(/\[edge\] workload partner\.client belongs to mesh other-mesh, which has the same trust domain "cluster\.local" as mesh mesh: the principal cannot tell/);
  });
  it('refuses two meshes with the same root namespace', () => {
    expect(build((app) => {
      new ZeroTrustMesh(app, 'mesh');
      new ZeroTrustMesh(app, 'mesh-2', { trustDomain: 'other.example' });
    })).toThrow(/^\[mesh-2\] root namespace "istio-system" is already the root namespace of mesh mesh: both would emit the mesh-wide PeerAuthentication "default" there/);
  });
});

describe('plaintext exceptions limited to what the scraper needs', () => {
  const gateway = Peer.serviceAccount('istio-ingress', 'gateway');
  it('refuses an unlimited plaintext exception on an app port that serves identity edges (Bookinfo productpage on 9080)', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('productpage', { ports: [WorkloadPort.http(9080)], plaintextPorts: [9080] }).allowFrom(gateway);
    })).toThrow(/\[shop\/productpage\] plaintext port 9080 of shop\/productpage also serves identity edges \(service account istio-ingress\/gateway, declared by shop\/productpage\/from-sa\.istio-ingress\.gateway\): any client without a sidecar could send any request to it.*plaintext: \[\{ port: 9080, methods: \['GET'\], paths: \['\/metrics'\] \}\]/);
    // An edge that names the port serves it too, declared ports or not.
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api', { plaintextPorts: [9090] }).allowFrom(gateway, { ports: [9090] });
    })).toThrow(/plaintext port 9090 of shop\/api also serves identity edges/);
  });
  it('compiles a limited exception: GET /metrics from the scraper\'s addresses, next to the identity edges', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('productpage', {
        ports: [WorkloadPort.http(9080)],
        plaintext: [{ port: 9080, methods: ['GET'], paths: ['/metrics'], ipBlocks: ['10.8.0.0/16'] }],
      }).allowFrom(gateway);
    });
    expect(find(docs, 'PeerAuthentication', 'shop', 'productpage-mtls').spec.portLevelMtls).toEqual({ 9080: { mode: 'PERMISSIVE' } });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'productpage-allow').spec.rules).toEqual([
      { from: [{ source: { ipBlocks: ['10.8.0.0/16'], notPrincipals: ['*'] } }], to: [{ operation: { methods: ['GET'], paths: ['/metrics'], ports: ['9080'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/gateway'] } }] },
    ]);
  });
  it('the analyzer reads the limited exception exactly: GET /metrics allowed, DELETE /anything denied', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'zt-holes-'));
    let analysis: Parameters<typeof decide>[0];
    try {
      const app = new App({ outdir });
      const { mesh, ns } = meshAndNamespace(app);
      ns.addWorkload('productpage', { ports: [WorkloadPort.http(9080)], plaintext: [{ port: 9080, methods: ['GET'], paths: ['/metrics'] }] }).allowFrom(gateway);
      app.synth();
      analysis = { config: loadIstioDir(outdir), inventory: inventoryFromModel(mesh.toModel()) };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const ask = (method: string, path: string) => decide(analysis, { from: 'plaintext', to: 'shop/productpage', port: 9080, method, path }).verdict;
    expect(ask('GET', '/metrics')).toBe('ALLOWED');
    expect(ask('DELETE', '/anything')).toBe('DENIED');
    expect(ask('GET', '/')).toBe('DENIED');
  });
  it('accepts an unlimited exception when accepted explicitly', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      ns.addWorkload('api', { ports: [WorkloadPort.http(9080)], plaintext: [{ port: 9080, acceptIdentityBypass: true }] }).allowFrom(gateway);
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules[0]).toEqual({ from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9080'] } }] });
  });
  it('refuses what would widen or never match', () => {
    const workload = (options: object) => synth((app) => meshAndNamespace(app).ns.addWorkload('api', options as any));
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintext: [{ port: 9080, method: ['GET'] } as any] })))
      .toThrow(/^\[shop\/api\] unknown option "method" in plaintext\[0\]; did you mean "methods"\?$/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintext: [{ port: 9080, paths: [] }] }))).toThrow(/\[shop\/api\] plaintext\[0\]: paths is an empty list: Istio reads an empty list as "any"/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintext: [{ port: 9080, methods: ['get'] }] }))).toThrow(/\[shop\/api\] plaintext\[0\]: method "get" is not an HTTP method/);
    expect(build((app) => meshAndNamespace(app).ns.addWorkload('api', { plaintext: [{ port: 9080, ipBlocks: [':::::'] }] }))).toThrow(/plaintext\[0\]: ip block ":::::" is not an IP address/);
    expect(workload({ plaintextPorts: [9080], plaintext: [{ port: 9080, methods: ['GET'] }] })).toThrow(/plaintext\[0\]: port 9080 is also in plaintextPorts, which admits every plaintext request to it/);
    expect(workload({ ports: [WorkloadPort.tcp(5432)], plaintext: [{ port: 5432, methods: ['GET'] }] })).toThrow(/plaintext\[0\]: methods\/paths on TCP port 5432/);
    expect(workload({ ports: [WorkloadPort.http(8080)], plaintext: [{ port: 9090, paths: ['/metrics'] }] })).toThrow(/plaintext\[0\]: port 9090 is not among the declared ports/);
  });
});

describe('plaintext exceptions in ambient mode', () => {
  it('refuses methods and paths: ztunnel enforces plaintext exceptions at layer 4', () => {
    expect(synth((app) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      new ZeroTrustNamespace(app, 'shop', { mesh, dataplane: Dataplane.AMBIENT }).addWorkload('api', { plaintext: [{ port: 9090, paths: ['/metrics'] }] });
    })).toThrow(/\[shop\/api\] plaintext\[0\]: methods\/paths on port 9090 of ambient workload "api": ztunnel enforces plaintext exceptions at layer 4/);
  });
});

describe('dead rules shadowed by a wider source', () => {
  it('refuses an edge from a workload next to an unlimited edge from its namespace or from any identity', () => {
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      api.allowFrom(ns);
      api.allowFrom(ns.addWorkload('web'), { methods: ['GET'] });
    })).toThrow(/\[shop\/api\] from-shop\.web-[0-9a-f]{8}: edge shop\/web -> shop\/api is a dead rule: the edge declared by shop\/api\/from-ns\.shop has no limits and admits every request from namespace shop, which includes shop\/web/);
    expect(synth((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      api.allowFrom(Peer.anyAuthenticated());
      api.allowFrom(Peer.serviceAccount('ingress', 'gateway'));
    })).toThrow(/edge service account ingress\/gateway -> shop\/api is a dead rule: .*admits every request from any authenticated workload, which includes service account ingress\/gateway/);
  });
  it('keeps edges that a limited wide edge does not cover', () => {
    const docs = synthDocs((app) => {
      const { ns } = meshAndNamespace(app);
      const api = ns.addWorkload('api');
      api.allowFrom(Peer.anyAuthenticated(), { ports: [8443] });
      api.allowFrom(Peer.namespace('ops'));
      api.allowFrom(ns.addWorkload('web'), { methods: ['GET'] });
    });
    expect(find(docs, 'AuthorizationPolicy', 'shop', 'api-allow').spec.rules).toHaveLength(3);
  });
});
