// Nothing silently widens, whatever the input: every option of every public entry point is fed
// arbitrary values (fast-check `anything()`, mixed with values a careless user writes: null, NaN,
// a string for a list, a number for a list, a misspelt key). Each call either throws an Error
// whose message starts with the construct path (or the factory's name), or synthesizes output that
// validates against the Istio CRDs and allows nothing beyond what the accepted values declare,
// as the analyzer decides it from the synthesized YAML.
//
// Reproduce a failure with the seed and path fast-check prints:
//   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/property/inputs.test.ts -t '<entry point>'
// FC_RUNS=4000 runs more cases; FC_REPORT=1 prints how many inputs each entry point accepted.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  AllowEdge, ClientTlsPolicy, Dataplane, ExternalMtlsService, IPeer, Peer, Waypoint, Workload, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../lib';
import { decide } from '../../lib/analyzer/decide';
import { inventoryFromModel } from '../../lib/analyzer/inventory';
import { loadIstioDir } from '../../lib/analyzer/load';
import { matchPath } from '../../lib/analyzer/match';
import { validateIstioObjects } from '../support/istio-schema';

/** What the accepted input declares, as far as the probes below need it. */
interface Intent {
  /** Every AuthorizationPolicy of "shop" is in dry-run: nothing is enforced, by declaration. */
  dryRun?: boolean;
  /** Ports of shop/api open to plaintext clients. */
  plaintextPorts?: readonly number[];
  /** The one edge shop/web -> shop/api, with its limits; absent: web's access is not probed. */
  webEdge?: { methods?: readonly string[]; paths?: readonly string[]; ports?: readonly number[] };
}

interface Case {
  readonly name: string;
  /** The option the value goes to, when it is one option (for values that are often valid). */
  readonly key?: string;
  /** How every message of a refusal starts: `[<construct path or factory>`. */
  readonly prefix: string;
  /** Builds the app with `value` in one place; returns the declared intent when it is accepted. */
  build(app: App, value: unknown): { mesh: ZeroTrustMesh; intent: Intent };
}

const any = (value: unknown): any => value;

/** A mesh, namespace "shop", workloads api and web; `over` replaces one argument. */
function base(app: App, over: { mesh?: unknown; ns?: unknown; api?: unknown } = {}) {
  const mesh = new ZeroTrustMesh(app, 'mesh', any(over.mesh ?? {}));
  const ns = new ZeroTrustNamespace(app, 'shop', any(over.ns ?? { mesh }));
  const api = ns.addWorkload('api', any(over.api ?? {}));
  const web = ns.addWorkload('web');
  return { mesh, ns, api, web };
}

/** Sets one key of an options object to the value (a key that is not an option is a typo to catch). */
const withKey = (baseline: Record<string, unknown>, key: string, value: unknown) => ({ ...baseline, [key]: value });

const MESH_KEYS = ['trustDomain', 'rootNamespace', 'mtls', 'clusterDomain', 'dataplane', 'trustdomain'];
const NAMESPACE_KEYS = ['mesh', 'mtls', 'denyFromNamespaces', 'enforcement', 'acceptPlaintextBypass', 'labels', 'dataplane', 'waypoint', 'denyFromNamespace'];
const WORKLOAD_KEYS = ['enforcement', 'serviceAccount', 'labels', 'mtls', 'plaintextPorts', 'plaintextIpBlocks', 'plaintext', 'ports', 'plaintextPort'];
const EDGE_KEYS = ['methods', 'paths', 'ports', 'enforcement', 'method', 'path'];
const EXTERNAL_KEYS = ['host', 'port', 'appPort', 'protocol', 'clients', 'clientCertificate', 'privateKey', 'caCertificates', 'credentialName', 'sni', 'subjectAltNames', 'credentialname'];
const CLIENT_TLS_KEYS = ['workload', 'mode', 'service', 'serivce'];
const ATTRIBUTE_KEYS = ['namespace', 'name', 'serviceAccount', 'trustDomain', 'serviceAcount'];

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);

/** What an accepted edge admits: an audited edge (enforcement DRY_RUN) admits without its limits. */
const admits = (edge: { methods?: readonly string[]; paths?: readonly string[]; ports?: readonly number[]; enforcement?: string }): Intent['webEdge'] =>
  (edge.enforcement === 'DRY_RUN' ? {} : { methods: edge.methods, paths: edge.paths, ports: edge.ports });

const CASES: Case[] = [
  ...MESH_KEYS.map((key): Case => ({
    name: `ZeroTrustMesh ${key}`, key, prefix: '[mesh',
    build: (app, value) => {
      const { mesh, web, api } = base(app, { mesh: withKey({}, key, value) });
      api.allowFrom(web);
      return { mesh, intent: {} };
    },
  })),
  {
    name: 'ZeroTrustMesh props', prefix: '[mesh',
    build: (app, value) => ({ mesh: base(app, { mesh: value }).mesh, intent: {} }),
  },
  ...NAMESPACE_KEYS.map((key): Case => ({
    name: `ZeroTrustNamespace ${key}`, key, prefix: '[shop',
    build: (app, value) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      const ns = new ZeroTrustNamespace(app, 'shop', any(withKey({ mesh }, key, value)));
      ns.addWorkload('api').allowFrom(ns.addWorkload('web'));
      return { mesh, intent: { dryRun: ns.enforcement === 'DRY_RUN' } };
    },
  })),
  {
    name: 'ZeroTrustNamespace props', prefix: '[shop',
    build: (app, value) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      const ns = new ZeroTrustNamespace(app, 'shop', any(value));
      ns.addWorkload('api');
      return { mesh, intent: { dryRun: ns.enforcement === 'DRY_RUN' } };
    },
  },
  ...WORKLOAD_KEYS.map((key): Case => ({
    name: `addWorkload ${key}`, key, prefix: '[shop/api',
    build: (app, value) => {
      const { mesh, api, web } = base(app, { api: withKey({}, key, value) });
      api.allowFrom(web, { ports: [8080] });
      const plaintextPorts = key === 'plaintextPorts' ? numbers(value)
        : key === 'plaintext' && Array.isArray(value) ? value.map((e: any) => e.port) : [];
      // An audited workload admits what its declared policy would remove, and logs it.
      return { mesh, intent: { plaintextPorts, dryRun: api.enforcement === 'DRY_RUN' } };
    },
  })),
  {
    name: 'addWorkload options', prefix: '[shop/api',
    build: (app, value) => {
      const { mesh, api } = base(app, { api: value });
      const v = value as any;
      return { mesh, intent: { dryRun: api.enforcement === 'DRY_RUN', plaintextPorts: [...numbers(v?.plaintextPorts), ...(Array.isArray(v?.plaintext) ? v.plaintext.map((e: any) => e.port) : [])] } };
    },
  },
  {
    name: 'Waypoint.named', key: 'name', prefix: '[Waypoint.named',
    build: (app, value) => {
      const mesh = new ZeroTrustMesh(app, 'mesh');
      const ns = new ZeroTrustNamespace(app, 'shop', { mesh, dataplane: Dataplane.AMBIENT, waypoint: Waypoint.named(any(value)) });
      const edge = ns.addWorkload('api').allowFrom(ns.addWorkload('web'), { methods: ['GET'] });
      return { mesh, intent: { webEdge: admits(edge) } };
    },
  },
  {
    name: 'addWorkload name', prefix: '[shop',
    build: (app, value) => {
      const { mesh, ns } = base(app);
      ns.addWorkload(any(value));
      return { mesh, intent: {} };
    },
  },
  ...EDGE_KEYS.map((key): Case => ({
    name: `allowFrom ${key}`, key, prefix: '[shop/api',
    build: (app, value) => {
      const { mesh, api, web } = base(app);
      const edge = api.allowFrom(web, any(withKey({}, key, value)));
      return { mesh, intent: { webEdge: admits(edge) } };
    },
  })),
  {
    name: 'allowFrom options', prefix: '[shop/api',
    build: (app, value) => {
      const { mesh, api, web } = base(app);
      const edge = api.allowFrom(web, any(value));
      return { mesh, intent: { webEdge: admits(edge) } };
    },
  },
  {
    name: 'allowFrom peer', prefix: '[shop/api',
    build: (app, value) => {
      const { mesh, api } = base(app);
      api.allowFrom(any(value));
      return { mesh, intent: {} };
    },
  },
  {
    name: 'allowTo destination and options', prefix: '[shop/',
    build: (app, value) => {
      const { mesh, api, web } = base(app);
      const edge = web.allowTo(api, any(value));
      web.allowTo(any(value));
      return { mesh, intent: { webEdge: admits(edge) } };
    },
  },
  ...[...EDGE_KEYS, 'from', 'to'].map((key): Case => ({
    name: `AllowEdge ${key}`, key, prefix: '[shop/edge',
    build: (app, value) => {
      const { mesh, ns, api, web } = base(app);
      const edge = new AllowEdge(ns, 'edge', any(withKey({ from: web, to: api }, key, value)));
      return { mesh, intent: edge.from === web && edge.to === api ? { webEdge: admits(edge) } : {} };
    },
  })),
  ...['serviceAccount namespace', 'serviceAccount name', 'serviceAccount options', 'namespace'].map((which): Case => ({
    name: `Peer.${which}`, prefix: `[Peer.${which.split(' ')[0]}`,
    build: (app, value) => {
      let peer: IPeer;
      if (which === 'namespace') peer = Peer.namespace(any(value));
      else if (which === 'serviceAccount namespace') peer = Peer.serviceAccount(any(value), 'gateway');
      else if (which === 'serviceAccount name') peer = Peer.serviceAccount('ingress', any(value));
      else peer = Peer.serviceAccount('ingress', 'gateway', any(value));
      const { mesh, api } = base(app);
      api.allowFrom(peer);
      return { mesh, intent: {} };
    },
  })),
  ...[...ATTRIBUTE_KEYS, 'attributes'].map((key): Case => ({
    name: `Workload.fromAttributes ${key}`, prefix: '[Workload.fromAttributes',
    build: (app, value) => {
      const source = Workload.fromAttributes(any(key === 'attributes' ? value : withKey({ namespace: 'partner', name: 'client' }, key, value)));
      const { mesh, api } = base(app);
      api.allowFrom(source);
      return { mesh, intent: {} };
    },
  })),
  ...(['http', 'http2', 'grpc', 'tcp'] as const).map((factory): Case => ({
    name: `WorkloadPort.${factory}`, prefix: `[WorkloadPort.${factory}`,
    build: (app, value) => {
      const port = WorkloadPort[factory](any(value));
      const { mesh } = base(app, { api: { ports: [port] } });
      return { mesh, intent: {} };
    },
  })),
  ...[...EXTERNAL_KEYS, 'props'].map((key): Case => ({
    name: `ExternalMtlsService ${key}`, prefix: '[shop/ext',
    build: (app, value) => {
      const { mesh, ns, api } = base(app);
      const baseline = { host: 'api.example.com', clients: [api], credentialName: 'client-cert' };
      new ExternalMtlsService(ns, 'ext', any(key === 'props' ? value : withKey(baseline, key, value)));
      return { mesh, intent: {} };
    },
  })),
  ...[...CLIENT_TLS_KEYS, 'props'].map((key): Case => ({
    name: `ClientTlsPolicy ${key}`, prefix: '[shop/tls',
    build: (app, value) => {
      const { mesh, ns, api } = base(app, { api: { mtls: 'PERMISSIVE' } });
      new ClientTlsPolicy(ns, 'tls', any(key === 'props' ? value : withKey({ workload: api, mode: 'ISTIO_MUTUAL' }, key, value)));
      return { mesh, intent: {} };
    },
  })),
];

/** Arbitrary values, and the ones a careless user writes. */
const careless = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, withDate: true, withMap: true, withSet: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null, undefined, NaN, Infinity, -Infinity, -0, 0, 1.5, 9090, 70000, '', 'dev', 'GET', '/metrics', 'STRICT', 'PERMISSIVE', 'DRY_RUN', 'ISTIO_MUTUAL', 'DISABLE', 'HTTP',
      'api.example.com', '/etc/certs/cert.pem', '10.0.0.0/8', ':::::', '::ffff:10.0.0.1', true, false, [], {}, [null], [9090], [NaN], ['9090'], ['GET'], ['get'],
      ['/metrics', '/api/*'], ['*'], ['dev'], ['d', 'e', 'v'], { app: 'api' }, { app: 5 }, { method: ['GET'] }, { methods: 'GET' }, { methods: ['GET'], paths: ['/metrics'] },
      [{ port: 9090, methods: ['GET'], paths: ['/metrics'] }], [{ port: 9090 }], [{ port: 9090, method: ['GET'] }], { peerName: 'x', _toSource: () => ({ kind: 'anyAuthenticated' }) },
    ),
  },
);

/** Values that are often valid for an option, so that accepted inputs are probed too. */
const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
  trustDomain: fc.constantFrom('example.org', 'cluster.local'),
  rootNamespace: fc.constantFrom('mesh-root', 'istio-system'),
  mtls: fc.constantFrom('STRICT', 'PERMISSIVE', 'DISABLE'),
  clusterDomain: fc.constant('corp.local'),
  enforcement: fc.constantFrom('ENFORCED', 'DRY_RUN'),
  name: fc.constantFrom('waypoint', 'wp-1'),
  acceptPlaintextBypass: fc.boolean(),
  denyFromNamespaces: some(['dev', 'intruder']),
  labels: fc.constantFrom({ team: 'a' }, { app: 'api', tier: 'b' }),
  serviceAccount: fc.constantFrom('api-sa', 'web'),
  plaintextPorts: some([9090, 5, 8080]),
  plaintextIpBlocks: some(['10.0.0.0/8', '::ffff:10.0.0.1']),
  plaintext: fc.array(fc.record({ port: fc.constantFrom(9090, 5), methods: fc.option(some(['GET', 'POST']), { nil: undefined }), paths: fc.option(some(['/metrics', '/a']), { nil: undefined }) }, { requiredKeys: ['port'] }), { minLength: 1, maxLength: 2 }),
  methods: some(['GET', 'POST', 'DELETE']),
  paths: some(['/metrics', '/api/*', '/a', '*.json', '/{*}']),
  ports: some([8080, 9090, 5]),
};

const PROBE_PORTS = [8080, 9090, 5];
const PROBE_PATHS = ['/', '/metrics', '/api/x', '/a'];
const PROBE_METHODS = ['GET', 'POST', 'DELETE'];

/** Synthesizes into a fresh folder; returns the analysis of what was written, CRD-checked. */
function synthesize(app: App, mesh: ZeroTrustMesh, outdir: string) {
  app.synth();
  const docs = readdirSync(outdir).flatMap((f) => parseAllDocuments(readFileSync(join(outdir, f), 'utf8')).map((d) => d.toJS()))
    .filter((d: any) => typeof d?.apiVersion === 'string' && d.apiVersion.endsWith('.istio.io/v1'));
  const errors = validateIstioObjects(docs);
  if (errors.length > 0) throw new Error(`accepted input synthesized objects the Istio CRDs reject:\n${errors.join('\n')}`);
  return { config: loadIstioDir(outdir), inventory: inventoryFromModel(mesh.toModel()) };
}

/** The refusal is an Error that names where: `[<prefix>...] message`, or cdk8s's list of them. */
function checkRefusal(error: unknown, prefix: string): void {
  if (!(error instanceof Error) || error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) {
    throw new Error(`not a refusal with a message but ${String((error as Error)?.stack ?? error)}`);
  }
  const message = error.message;
  if (message.startsWith('Validation failed with the following errors:\n')) {
    const lines = message.split('\n').slice(1).filter(Boolean);
    if (lines.length === 0 || !lines.every((l) => /^ {2}\[.+?\] \S/.test(l))) throw new Error(`synth refusal without construct paths: ${message}`);
    return;
  }
  // A construct id is the user's own string and may contain ']': only the start is fixed.
  if (!message.startsWith(prefix) || !/^\[.+?\] \S/.test(message) || message.includes('\n')) {
    throw new Error(`refusal does not start with "${prefix}...] " on one line: ${JSON.stringify(message)}`);
  }
}

/** Nothing beyond the declared intent: no intruder, plaintext only where declared, web's edge exactly. */
function checkIntent(analysis: Parameters<typeof decide>[0], intent: Intent): void {
  const ask = (from: string, port: number, method: string, path: string) => decide(analysis, { from, to: 'shop/api', port, method, path }).verdict;
  for (const port of PROBE_PORTS) {
    for (const method of PROBE_METHODS) {
      for (const path of PROBE_PATHS) {
        const intruder = ask('principal:cluster.local/ns/intruder/sa/x', port, method, path);
        if (intruder === 'ALLOWED' && !intent.dryRun) throw new Error(`an undeclared identity is ALLOWED on ${port} ${method} ${path}`);
        const plaintext = ask('plaintext', port, method, path);
        if (plaintext === 'ALLOWED' && !intent.dryRun && !(intent.plaintextPorts ?? []).includes(port)) throw new Error(`a plaintext client is ALLOWED on undeclared port ${port}`);
        const edge = intent.webEdge;
        if (edge && !intent.dryRun) {
          const want = (!edge.methods || edge.methods.includes(method)) && (!edge.paths || edge.paths.some((p) => matchPath(p, path))) && (!edge.ports || edge.ports.includes(port));
          const got = ask('shop/web', port, method, path);
          if (got !== (want ? 'ALLOWED' : 'DENIED')) throw new Error(`shop/web -> shop/api ${port} ${method} ${path}: ${got}, but the edge ${JSON.stringify(edge)} says ${want ? 'ALLOWED' : 'DENIED'}`);
        }
      }
    }
  }
}

const RUNS = Number(process.env.FC_RUNS ?? 600);
const outcomes = new Map<string, { accepted: number; refused: number }>();

/** One input for one entry point: refused with a message naming where, or synthesized and checked. */
function exercise(testCase: Case, value: unknown): void {
  const outdir = mkdtempSync(join(tmpdir(), 'zt-inputs-'));
  const count = outcomes.get(testCase.name) ?? { accepted: 0, refused: 0 };
  outcomes.set(testCase.name, count);
  try {
    const app = new App({ outdir });
    let built: ReturnType<Case['build']>;
    let analysis: Parameters<typeof decide>[0];
    try {
      built = testCase.build(app, value);
      analysis = synthesize(app, built.mesh, outdir);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('accepted input synthesized')) throw error;
      checkRefusal(error, testCase.prefix);
      count.refused++;
      return;
    }
    count.accepted++;
    checkIntent(analysis, built.intent);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// Each entry point gets its share of the runs: drawing the entry point at random left one of the 78
// unexercised in about one suite run in thirty.
const RUNS_PER_CASE = Math.ceil(RUNS / CASES.length);

describe('every option of every public entry point, fed anything', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: refuses with a message naming where, or synthesizes CRD-valid output that allows nothing beyond the intent', (_name, testCase) => {
    const value = testCase.key && PLAUSIBLE[testCase.key] ? fc.oneof(careless, PLAUSIBLE[testCase.key]) : careless;
    fc.assert(
      fc.property(value, (v) => exercise(testCase, v)),
      { numRuns: RUNS_PER_CASE, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) },
    );
  }, 300_000);
  it('exercised every entry point, and accepted some inputs (the probes ran)', () => {
    if (process.env.FC_REPORT) console.log(JSON.stringify([...outcomes], null, 0));
    expect(outcomes.size).toBe(CASES.length);
    expect([...outcomes.values()].reduce((n, c) => n + c.accepted, 0)).toBeGreaterThan(RUNS / 20);
  });
});
