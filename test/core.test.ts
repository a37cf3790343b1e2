// The pure core compiles a plain intent model, with no construct tree: what the CLI, the
// benchmarks and the property tests use. Some checks can only be reached this way, because the
// constructs make those mistakes impossible to write.
import { describe, expect, it } from 'vitest';
import * as YAML from 'yaml';
import { compileMesh, MeshModel, NamespaceModel, validateMesh, WorkloadModel, ZeroTrustValidationError } from '../lib';

const workload = (name: string, extra: Partial<WorkloadModel> = {}): WorkloadModel => ({
  name, namespace: 'shop', serviceAccount: name, labels: { app: name }, plaintextPorts: [], plaintextIpBlocks: [], ports: [], origin: `shop/${name}`, ...extra,
});
const namespace = (extra: Partial<NamespaceModel> = {}): NamespaceModel => ({
  name: 'shop', mode: 'STRICT', dryRun: false, denyFromNamespaces: [], acceptPlaintextBypass: false, labels: {}, origin: 'shop',
  workloads: [workload('web'), workload('api')], ...extra,
});
const mesh = (extra: Partial<MeshModel> = {}): MeshModel => ({
  trustDomain: 'cluster.local', rootNamespace: 'istio-system', clusterDomain: 'cluster.local', mode: 'STRICT', origin: 'mesh',
  namespaces: [namespace()], edges: [], externalServices: [], clientTls: [], ...extra,
});
const edge = { from: { kind: 'workload' as const, namespace: 'shop', name: 'web', serviceAccount: 'web' }, to: { namespace: 'shop', workload: 'api' }, origin: 'shop/edge' };

describe('compileMesh', () => {
  it('compiles a model without constructs', () => {
    const out = compileMesh(mesh({ edges: [edge] }));
    expect(out.mesh.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['PeerAuthentication/istio-system/default']);
    expect(out.namespaces.get('shop')!.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'PeerAuthentication/default', 'AuthorizationPolicy/allow-nothing', 'AuthorizationPolicy/api-allow',
    ]);
  });
  it('throws ZeroTrustValidationError with every issue and its origin', () => {
    const bad = mesh({ trustDomain: 'Bad Domain', edges: [{ ...edge, methods: ['get'] }] });
    expect(() => compileMesh(bad)).toThrow(ZeroTrustValidationError);
    expect(validateMesh(bad)).toEqual([
      { path: 'mesh', message: expect.stringMatching(/trust domain "Bad Domain" is invalid/) },
      { path: 'shop/edge', message: expect.stringMatching(/method "get" is not an HTTP method/) },
    ]);
  });
});

describe('rules of edges without limits', () => {
  // One rule object per source, shared by every policy that admits it (compile.ts unlimitedRule).
  const model = (trustDomain: string) => mesh({
    trustDomain,
    namespaces: [namespace({ workloads: [workload('web'), workload('api'), workload('db')] })],
    edges: [edge, { ...edge, to: { namespace: 'shop', workload: 'db' }, origin: 'shop/edge-db' }],
  });
  const rulesOf = (out: ReturnType<typeof compileMesh>, name: string) => out.namespaces.get('shop')!.find((d) => d.metadata.name === name)!.spec.rules as any[];

  it('share one frozen rule per source, which cannot be changed through one policy', () => {
    const out = compileMesh(model('cluster.local'));
    const [api, db] = [rulesOf(out, 'api-allow')[0], rulesOf(out, 'db-allow')[0]];
    expect(api).toBe(db);
    expect(api).toEqual({ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] });
    expect(() => { api.from[0].source.principals.push('*'); }).toThrow(TypeError);
    expect(() => { api.to = [{ operation: { methods: ['GET'] } }]; }).toThrow(TypeError);
  });
  it('are per mesh: the same source model in another trust domain gets its own principal', () => {
    const a = compileMesh(model('a.example'));
    const b = compileMesh(model('b.example'));
    expect(rulesOf(a, 'api-allow')[0].from[0].source.principals).toEqual(['a.example/ns/shop/sa/web']);
    expect(rulesOf(b, 'api-allow')[0].from[0].source.principals).toEqual(['b.example/ns/shop/sa/web']);
  });
  it('are written without YAML anchors or aliases, in every document that shares them', () => {
    const out = compileMesh(model('cluster.local'));
    const text = out.namespaces.get('shop')!.map((d) => YAML.stringify(d, { version: '1.1' })).join('---\n');
    expect(text).not.toMatch(/[&*]a\d/);
    expect(text.match(/- cluster\.local\/ns\/shop\/sa\/web/g)).toHaveLength(2);
  });
});

describe('model checks the constructs cannot reach', () => {
  const messages = (m: MeshModel) => validateMesh(m).map((i) => `[${i.path}] ${i.message}`).join('\n');
  it('refuses a namespace declared twice', () => {
    expect(messages(mesh({ namespaces: [namespace(), namespace({ origin: 'again' })] }))).toMatch(/\[again\] namespace "shop" is already declared by shop/);
  });
  it('refuses an edge to an undeclared workload', () => {
    expect(messages(mesh({ edges: [{ ...edge, to: { namespace: 'shop', workload: 'ghost' } }] }))).toMatch(/edge to shop\/ghost: no such workload in any ZeroTrustNamespace/);
  });
  it('looks workloads up as "<namespace>/<name>" keys, with or without a "/" in a name', () => {
    // Plain names: a target with a "/" in its name is no workload (its key has two "/").
    expect(messages(mesh({ edges: [{ ...edge, to: { namespace: 'shop', workload: 'api/x' } }] }))).toMatch(/edge to shop\/api\/x: no such workload/);
    // A "/" in a declared name (refused as a DNS label) is still found under the key it makes.
    const slashed = mesh({
      namespaces: [namespace({ workloads: [workload('web'), workload('api/v2')] })],
      edges: [{ ...edge, to: { namespace: 'shop', workload: 'api/v2' } }, { ...edge, to: { namespace: 'shop/api', workload: 'v2' }, origin: 'shop/edge-2' }],
    });
    const text = messages(slashed);
    expect(text).toMatch(/workload name "api\/v2" is not a valid DNS-1123 label/);
    expect(text).not.toMatch(/no such workload/);
  });
  it('refuses a source whose service account disagrees with the declared workload', () => {
    expect(messages(mesh({ edges: [{ ...edge, from: { ...edge.from, serviceAccount: 'other' } }] }))).toMatch(/names service account "other" but the workload runs as "web"/);
  });
  it('refuses empty method, path and port lists', () => {
    const text = messages(mesh({ edges: [{ ...edge, methods: [], paths: [], ports: [] }] }));
    expect(text).toMatch(/methods is an empty list/);
    expect(text).toMatch(/paths is an empty list/);
    expect(text).toMatch(/ports is an empty list/);
  });
  it('refuses an empty subjectAltNames list and an external service in an undeclared namespace', () => {
    const text = messages(mesh({
      externalServices: [{
        name: 'x', namespace: 'elsewhere', host: 'x.example.com', port: 443, appPort: 80, protocol: 'HTTP', clients: [{ namespace: 'shop', workload: 'web' }],
        credentialName: 'x', subjectAltNames: [], origin: 'ext',
      }],
    }));
    expect(text).toMatch(/subjectAltNames is an empty list/);
    expect(text).toMatch(/external service must belong to a ZeroTrustNamespace; "elsewhere" is not declared/);
  });
});

describe('selector overlap check', () => {
  // The pairwise check the validation used before it indexed workloads by label entry: every
  // ordered pair, a's labels contained in b's, identical selectors reported once.
  const pairwise = (workloads: readonly WorkloadModel[]) => {
    const out: string[] = [];
    for (const a of workloads) {
      for (const b of workloads) {
        if (a === b || !Object.entries(a.labels).every(([k, v]) => b.labels[k] === v)) continue;
        if (Object.keys(a.labels).length === Object.keys(b.labels).length && a.name > b.name) continue;
        out.push(`[${a.origin}] the selector of workload "${a.name}" (${JSON.stringify(a.labels)}) also selects the pods of "${b.name}"`);
      }
    }
    return out;
  };
  const overlaps = (m: MeshModel) => validateMesh(m).filter((i) => i.message.includes('also selects the pods of'))
    .map((i) => `[${i.path}] ${i.message.slice(0, i.message.indexOf(' (', i.message.indexOf('pods of')))}`);

  it('reports the same pairs, in the same order, as comparing every pair', async () => {
    const fc = await import('fast-check');
    const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'env'), fc.constantFrom('a', 'b', 'c'), { maxKeys: 3 });
    fc.assert(fc.property(fc.array(labels, { minLength: 1, maxLength: 12 }), (sets) => {
      const workloads = sets.map((l, i) => workload(`w${String(i).padStart(2, '0')}`, { labels: l }));
      const m = mesh({ namespaces: [namespace({ workloads })] });
      expect(overlaps(m)).toEqual(pairwise(workloads));
    }), { numRuns: 300 });
  }, 60_000);

  it('names each overlapping pair in a namespace of thousands of workloads', () => {
    // A canary (app=api, track=canary) among 5,000 workloads: the plain "api" selector selects it.
    const workloads = [...Array.from({ length: 5000 }, (_, i) => workload(`svc-${i}`)), workload('api'), workload('api-canary', { labels: { app: 'api', track: 'canary' } })];
    expect(overlaps(mesh({ namespaces: [namespace({ workloads })] }))).toEqual([
      '[shop/api] the selector of workload "api" ({"app":"api"}) also selects the pods of "api-canary"',
    ]);
  }, 60_000);
});
