// zero-trust import: the generated TypeScript, synthesized, allows what the YAML allowed (the
// semantic diff finds no change in access), and whatever it could not declare is listed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'cdk8s';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Enforcement, MtlsMode, ZeroTrustMesh, ZeroTrustNamespace } from '../../lib';
import { analysisFromModel, configFromDocuments, inferInventory, IstioConfig, loadIstioDir, parseIstioConfig, semanticDiff } from '../../lib/analyzer';
import { compileMesh } from '../../lib/core/compile';
import { importIstio } from '../../lib/cli/import';
import { run } from '../../lib/cli/main';

const TIMEOUT = 120_000;
const ROOT = resolve(__dirname, '../..');
const GENERATED = join(__dirname, '.generated');

/** Imports a folder, loads the generated module, and diffs its synthesized policy against the folder. */
async function roundTrip(dir: string | IstioConfig, name: string) {
  const config = typeof dir === 'string' ? loadIstioDir(join(ROOT, dir)) : dir;
  const inventory = inferInventory(config);
  const result = importIstio(config, inventory, { library: '../../../lib' });
  mkdirSync(GENERATED, { recursive: true });
  const file = join(GENERATED, `${name}.ts`);
  writeFileSync(file, result.code);
  const module = await import(pathToFileURL(file).href);
  const app = module.buildImported(new App()) as App;
  const mesh = app.node.findAll().find(ZeroTrustMesh.isZeroTrustMesh)!;
  const imported = { ...analysisFromModel(mesh.toModel()), inventory };
  return { result, diff: semanticDiff({ config, inventory }, imported) };
}

describe('zero-trust import', () => {
  it('the seed YAML: same access, and the list of what the constructs refuse on purpose', async () => {
    const { result, diff } = await roundTrip('examples/seed', 'seed');
    // Edges: the same requests allowed. The only difference is the open legacy namespace, which the
    // constructs close by default: imported in dry-run it stays open, marked "dry-run only".
    for (const e of diff.edges) {
      expect(e.to.startsWith('legacy/')).toBe(true);
      expect(e.widens).toBe(false);
      expect(e.details).toEqual(['any port: now only open because policies are dry-run']);
    }
    // mTLS: port 9090 of payment-service was PERMISSIVE without any ALLOW rule for plaintext (it
    // admitted nobody); it stays STRICT, which changes no access.
    expect(diff.modes.map((m) => [m.kind, m.workload, m.port])).toEqual([['strengthened', 'production/payment-service', 9090]]);
    // The TLS-inside-TLS external service is not declared.
    expect(diff.external.map((e) => [e.kind, e.key])).toEqual([['removed', 'production/api.external-service.com']]);
    expect(diff.widens).toBe(false);
    expect(result.notImported.map((n) => n.what)).toEqual([
      'namespace legacy', 'production/external-api', 'production/external-api-mtls', 'production/payment-service-metrics port 9090',
    ]);
    expect(result.notImported.find((n) => n.what === 'production/external-api')!.why).toMatch(/^TLS inside TLS/);
    // The code carries a comment where each would go.
    expect(result.code).toContain('  // NOT IMPORTED: port 9090 PERMISSIVE in production/payment-service-metrics admits nobody');
    expect(result.code).toContain('  // NOT IMPORTED: ServiceEntry production/external-api: TLS inside TLS');
    expect(result.code).toContain("  orders.allowFrom(paymentService, { methods: ['GET', 'POST', 'PUT'], paths: ['/api/v1/orders/*'] });");
    expect(result.code).toContain("denyFromNamespaces: ['development', 'testing']");
  }, TIMEOUT);

  it('our own dist/, sidecar and ambient namespaces: the round trip changes nothing', async () => {
    const { result, diff } = await roundTrip('dist', 'dist');
    expect(diff.edges).toEqual([]);
    expect(diff.modes).toEqual([]);
    expect(diff.external).toEqual([]);
    expect(diff.enforcement).toEqual([]);
    expect(result.notImported).toEqual([]);
    // The ambient namespace: its L7 edge is read from the waypoint policy, not from ztunnel's "only the waypoint" rule.
    expect(result.code).toContain("const payments = new ZeroTrustNamespace(app, 'payments', { mesh, mtls: MtlsMode.STRICT, dataplane: Dataplane.AMBIENT });");
    expect(result.code).toContain("  ledger.allowFrom(checkout, { methods: ['GET', 'POST'], paths: ['/v1/charges', '/v1/charges/*'] });");
    expect(result.code).toContain('  ledger.allowFrom(paymentService, { ports: [8080] });');
    expect(result.code).not.toContain("Peer.serviceAccount('payments', 'waypoint')");
    expect(result.code).toContain("new ExternalMtlsService(production, 'external-api', { host: 'api.external-service.com', port: 443, appPort: 80, clients: [paymentService]");
  }, TIMEOUT);

  it('does not import an ambient namespace another tool wrote (waypoint policies without our annotation)', () => {
    const parsed = parseIstioConfig([{ path: 'x.yaml', text: `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api-waypoint, namespace: shop }
spec:
  targetRefs: [{ group: "", kind: Service, name: api }]
  rules: [{ from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }] }]
` }]);
    const result = importIstio(parsed, inferInventory(parsed));
    expect(result.notImported.map((n) => n.what)).toEqual(['namespace shop']);
    expect(result.code).toContain('// NOT IMPORTED: namespace shop is ambient');
  });

  it('plaintext ports and limited plaintext exceptions come back as they were', async () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const ns = new ZeroTrustNamespace(app, 'shop', { mesh: m, mtls: MtlsMode.STRICT });
    const web = ns.addWorkload('web');
    const api = ns.addWorkload('api', { plaintextPorts: [9090, 9091], plaintextIpBlocks: ['10.1.0.0/16'] });
    const jobs = ns.addWorkload('jobs', { plaintext: [{ port: 8081, methods: ['GET'], paths: ['/metrics'], ipBlocks: ['10.2.0.0/16'] }] });
    api.allowFrom(web, { methods: ['GET'] });
    jobs.allowFrom(web, { ports: [8080] });
    const compiled = compileMesh(m.toModel());
    const { result, diff } = await roundTrip(configFromDocuments([...compiled.mesh, ...[...compiled.namespaces.values()].flat()]), 'plaintext');
    expect([diff.edges, diff.modes, diff.external, diff.enforcement]).toEqual([[], [], [], []]);
    expect(result.notImported).toEqual([]);
    expect(result.code).toContain("ns.addWorkload('api', { plaintextPorts: [9090, 9091], plaintextIpBlocks: ['10.1.0.0/16'] });".replace('ns.', 'shop.'));
    expect(result.code).toContain("shop.addWorkload('jobs', { plaintext: [{ port: 8081, methods: ['GET'], paths: ['/metrics'], ipBlocks: ['10.2.0.0/16'] }] });");
  }, TIMEOUT);

  it('leaves out rules a wider unlimited rule of the same workload covers (dead rules the constructs refuse); no access changes', async () => {
    const yaml = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: shop }
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  rules:
    - from: [{ source: { namespaces: [ops] } }]
    - from: [{ source: { principals: [cluster.local/ns/ops/sa/tool, cluster.local/ns/shop/sa/web] } }]
      to: [{ operation: { methods: [GET] } }]
    - from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: db, namespace: shop }
spec:
  selector: { matchLabels: { app: db } }
  rules:
    - from: [{ source: { principals: ["*"] } }]
    - from: [{ source: { namespaces: [shop] } }]
      to: [{ operation: { ports: ["5432"] } }]
`;
    const { result, diff } = await roundTrip(parseIstioConfig([{ path: 'dead.yaml', text: yaml }]), 'dead');
    expect([diff.edges, diff.modes, diff.external, diff.enforcement]).toEqual([[], [], [], []]);
    expect(result.code).toContain("  api.allowFrom(Peer.namespace('ops'));");
    expect(result.code).toContain('  api.allowFrom(web);');
    expect(result.code).not.toMatch(/api\.allowFrom\([^)]*tool/);
    expect(result.code).not.toContain("api.allowFrom(web, { methods: ['GET'] })");
    expect(result.code).toContain('  db.allowFrom(Peer.anyAuthenticated());');
    expect(result.code).not.toContain('db.allowFrom(shop');
  }, TIMEOUT);

  it('audit mode comes back: an audited workload and an audited edge', async () => {
    const app = new App();
    const m = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
    const ns = new ZeroTrustNamespace(app, 'shop', { mesh: m, mtls: MtlsMode.STRICT });
    const web = ns.addWorkload('web');
    const cart = ns.addWorkload('cart');
    const orders = ns.addWorkload('orders', { enforcement: Enforcement.DRY_RUN, plaintextPorts: [9090] });
    orders.allowFrom(cart, { methods: ['GET', 'POST'] });
    cart.allowFrom(web, { methods: ['GET'], enforcement: Enforcement.DRY_RUN });
    cart.allowFrom(orders);
    const compiled = compileMesh(m.toModel());
    const { result, diff } = await roundTrip(configFromDocuments([...compiled.mesh, ...[...compiled.namespaces.values()].flat()]), 'audit');
    expect([diff.edges, diff.modes, diff.external, diff.enforcement]).toEqual([[], [], [], []]);
    expect(result.notImported).toEqual([]);
    expect(result.code).toContain("const orders = shop.addWorkload('orders', { enforcement: Enforcement.DRY_RUN, plaintextPorts: [9090] });");
    expect(result.code).toContain("  cart.allowFrom(web, { methods: ['GET'], enforcement: Enforcement.DRY_RUN });");
    expect(result.code).toContain('  cart.allowFrom(orders);');
    expect(result.code).toContain("  orders.allowFrom(cart, { methods: ['GET', 'POST'] });");
  }, TIMEOUT);

  it('writes TypeScript that type-checks (strict)', async () => {
    await roundTrip('examples/seed', 'seed');
    await roundTrip('dist', 'dist');
    const program = ts.createProgram([join(GENERATED, 'seed.ts'), join(GENERATED, 'dist.ts')], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true, skipLibCheck: true, types: ['node'], noUnusedLocals: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 300_000);

  it('refuses arguments that are not a configuration and an inventory', () => {
    expect(() => importIstio(undefined as never, undefined as never)).toThrow(/^importIstio: config must be an IstioConfig \(loadIstioDir gives one\)$/);
    expect(() => importIstio({ objects: [], notes: [] } as never, {} as never)).toThrow(/^importIstio: inventory must be an Inventory$/);
  });

  it('lists rules it cannot declare, with a comment in place', () => {
    const yaml = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-nothing, namespace: shop }
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  rules:
    - from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }]
      to: [{ operation: { paths: ["/api/*/items"] } }]
    - from: [{ source: { principals: [cluster.local/ns/shop/sa/web] } }]
      when: [{ key: "request.headers[x-team]", values: [blue] }]
    - from: [{ source: { namespaces: [ops] } }]
      to: [{ operation: { methods: [GET] } }, { operation: { ports: ["9090"] } }]
`;
    const parsed = parseIstioConfig([{ path: 'x.yaml', text: yaml }]);
    const result = importIstio(parsed, inferInventory(parsed));
    expect(result.notImported).toEqual([
      // No mesh-wide PeerAuthentication: Istio's default PERMISSIVE, where identity rules refuse plaintext clients.
      { what: 'namespace shop', why: 'PERMISSIVE with identity rules: imported with acceptPlaintextBypass: true, as it was' },
      { what: 'shop/api rule 0', why: expect.stringMatching(/^a rule that never matches: path "\/api\/\*\/items" has a '\*' in the middle/) },
      { what: 'shop/api rule 1', why: 'conditions (when): the constructs declare sources, methods, paths and ports only' },
    ]);
    expect(result.code).toContain('  // NOT IMPORTED: shop/api rule 0: a rule that never matches');
    // Two operations: two edges (a rule admits any of its operations).
    expect(result.code).toContain("  api.allowFrom(Peer.namespace('ops'), { methods: ['GET'] });");
    expect(result.code).toContain("  api.allowFrom(Peer.namespace('ops'), { ports: [9090] });");
  });

  it('writes --out and prints the list', async () => {
    mkdirSync(GENERATED, { recursive: true });
    const out = join(GENERATED, 'cli.ts');
    let stdout = '';
    let stderr = '';
    const code = await run(['node', 'zero-trust', 'import', '--dir', 'examples/seed', '--out', out, '-q'], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n').slice(0, 2)).toEqual([`wrote ${out}`, 'not imported as it was (4):']);
    expect(readFileSync(out, 'utf8')).toContain("import { Enforcement, MtlsMode, ZeroTrustMesh, ZeroTrustNamespace } from 'istio-zero-trust';");
    const bad = await run(['node', 'zero-trust', 'import', '--dir', 'examples/seed', '--function', '1x', '-q'], { stdout: () => {}, stderr: (t) => { stderr += t; } });
    expect(bad).toBe(2);
    expect(stderr).toBe('zero-trust: error: --function 1x is not a JavaScript identifier\n');
  }, TIMEOUT);
});
