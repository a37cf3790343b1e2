// The pure core compiles a plain intent model, with no construct tree: what the CLI, the
// benchmarks and the property tests use. Some checks can only be reached this way, because the
// constructs make those mistakes impossible to write.
import { describe, expect, it } from 'vitest';
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

describe('model checks the constructs cannot reach', () => {
  const messages = (m: MeshModel) => validateMesh(m).map((i) => `[${i.path}] ${i.message}`).join('\n');
  it('refuses a namespace declared twice', () => {
    expect(messages(mesh({ namespaces: [namespace(), namespace({ origin: 'again' })] }))).toMatch(/\[again\] namespace "shop" is already declared by shop/);
  });
  it('refuses an edge to an undeclared workload', () => {
    expect(messages(mesh({ edges: [{ ...edge, to: { namespace: 'shop', workload: 'ghost' } }] }))).toMatch(/edge to shop\/ghost: no such workload in any ZeroTrustNamespace/);
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
