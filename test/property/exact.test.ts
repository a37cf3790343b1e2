// Proof that the compiler is exact: random meshes are declared through the public constructs,
// synthesized to YAML, loaded back by the analyzer, and every request must be decided exactly as
// the declared intent says: the declared edges allowed with exactly their methods, paths and
// ports, everything else denied, plaintext clients included.
//
// Reproduce a failure with the seed and path fast-check prints:
//   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/property
// and add the printed counterexample to REGRESSIONS below so it runs on every `npm test`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Dataplane, Enforcement, IPeer, MtlsMode, Peer, WorkloadPort, ZeroTrustMesh, ZeroTrustNamespace,
} from '../../lib';
import { decide } from '../../lib/analyzer/decide';
import { reachability } from '../../lib/analyzer/reachability';
import { inventoryFromModel } from '../../lib/analyzer/inventory';
import { loadIstioDir } from '../../lib/analyzer/load';
import { matchPath } from '../../lib/analyzer/match';

// ---------------------------------------------------------------------------------------------
// The random intent, as plain data (so that fast-check can shrink and print it).

const NAMESPACES = ['alpha', 'beta', 'gamma'] as const;
const OUTSIDE = 'dev'; // a namespace that is never declared: only a source
const METHODS = ['GET', 'POST', 'DELETE'] as const;
const PATHS = ['/api', '/api/*', '*.json', '/items/{*}', '/files/{**}'] as const;
const HTTP_PORT = 8080;
const TCP_PORT = 5432;
const METRICS_PORT = 9090;

interface NamespaceSpec {
  readonly name: string;
  readonly permissive: boolean;
  readonly dryRun: boolean;
  readonly deny: readonly string[];
}
interface WorkloadSpec {
  readonly namespace: string;
  readonly name: string;
  /** Declares ports http 8080 + tcp 5432 (+ http 9090 when plaintext); otherwise undeclared. */
  readonly declarePorts: boolean;
  readonly plaintext: boolean;
  /** The plaintext exception on 9090 is limited to GET /metrics. */
  readonly plaintextLimited: boolean;
  readonly permissive: boolean;
}
type SourceSpec =
  | { readonly kind: 'workload'; readonly index: number }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'serviceAccount'; readonly namespace: string; readonly serviceAccount: string }
  | { readonly kind: 'anyAuthenticated' };
interface EdgeSpec {
  readonly from: SourceSpec;
  readonly to: number;
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  readonly ports?: readonly number[];
}
interface MeshSpec {
  readonly namespaces: readonly NamespaceSpec[];
  readonly workloads: readonly WorkloadSpec[];
  readonly edges: readonly EdgeSpec[];
}

const subset = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

const rawMeshSpec = fc.record({
  namespaces: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom(...NAMESPACES),
      permissive: fc.boolean(),
      dryRun: fc.boolean(),
      deny: fc.subarray([...NAMESPACES, OUTSIDE]),
    }),
    { minLength: 1, maxLength: 3, selector: (n) => n.name },
  ),
  workloads: fc.array(fc.record({
    slot: fc.integer({ min: 0, max: 2 }),
    name: fc.constantFrom('web', 'api', 'db', 'jobs'),
    declarePorts: fc.boolean(),
    plaintext: fc.boolean(),
    plaintextLimited: fc.boolean(),
    permissive: fc.boolean(),
  }), { minLength: 1, maxLength: 6 }),
  edges: fc.array(fc.record({
    from: fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('workload' as const), index: fc.nat(20) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('namespace' as const), namespace: fc.constantFrom(...NAMESPACES, OUTSIDE) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('serviceAccount' as const), namespace: fc.constantFrom(...NAMESPACES, OUTSIDE), serviceAccount: fc.constantFrom('gateway', 'web') }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'anyAuthenticated' as const }) },
    ),
    to: fc.nat(20),
    methods: fc.option(subset(METHODS), { nil: undefined }),
    paths: fc.option(subset(PATHS), { nil: undefined }),
    ports: fc.option(subset([HTTP_PORT, TCP_PORT]), { nil: undefined }),
  }), { maxLength: 8 }),
});

const meshSpec: fc.Arbitrary<MeshSpec> = rawMeshSpec.map(normalize);

/**
 * Makes a random draw valid: what the compiler would refuse is repaired or dropped here, because
 * this property is about what valid intent compiles to (the refusals have their own tests).
 */
function normalize(raw: {
  namespaces: { name: string; permissive: boolean; dryRun: boolean; deny: string[] }[];
  workloads: { slot: number; name: string; declarePorts: boolean; plaintext: boolean; plaintextLimited: boolean; permissive: boolean }[];
  edges: { from: SourceSpec; to: number; methods?: string[]; paths?: string[]; ports?: number[] }[];
}): MeshSpec {
  // A DENY by namespace in a namespace that takes plaintext is refused unless staged in dry-run.
  const namespaces = raw.namespaces.map((n) => ({ ...n, deny: n.permissive && !n.dryRun ? [] : n.deny.filter((d) => d !== n.name) }));
  const seen = new Set<string>();
  const workloads: WorkloadSpec[] = [];
  for (const w of raw.workloads) {
    const ns = namespaces[w.slot % namespaces.length];
    const key = `${ns.name}/${w.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A plaintext workload mode needs the namespace staged (dry-run) or a declared bypass; keep it
    // to dry-run namespaces so that every enforced rule is identity-safe.
    workloads.push({ namespace: ns.name, name: w.name, declarePorts: w.declarePorts, plaintext: w.plaintext, plaintextLimited: w.plaintext && w.plaintextLimited, permissive: w.permissive && ns.dryRun });
  }
  const nsOf = (name: string) => namespaces.find((n) => n.name === name)!;
  const edges: EdgeSpec[] = [];
  const keys = new Set<string>();
  for (const e of raw.edges) {
    const to = e.to % workloads.length;
    const dest = workloads[to];
    const ns = nsOf(dest.namespace);
    const from: SourceSpec = e.from.kind === 'workload' ? { kind: 'workload', index: e.from.index % workloads.length } : e.from;
    const sourceNs = from.kind === 'workload' ? workloads[from.index].namespace : from.kind === 'anyAuthenticated' ? undefined : from.namespace;
    if (sourceNs !== undefined && ns.deny.includes(sourceNs)) continue; // contradicts the DENY
    // Identity rules toward a namespace that accepts plaintext are only valid when staged.
    if ((ns.permissive || dest.permissive) && !ns.dryRun) continue;
    let ports = e.ports;
    let methods = e.methods;
    let paths = e.paths;
    if (dest.declarePorts && ports?.includes(TCP_PORT) && (methods || paths)) ports = ports.filter((p) => p !== TCP_PORT);
    if (ports && ports.length === 0) ports = [HTTP_PORT];
    if (dest.declarePorts && !ports && (methods || paths)) ports = undefined; // mixed HTTP+TCP: allowed, dropped on TCP
    // An unlimited plaintext exception on a port that also serves identity edges is refused: an
    // edge without ports toward a workload that declares its ports serves the plaintext port too.
    if (dest.plaintext && !dest.plaintextLimited && dest.declarePorts && !ns.dryRun && !ports) ports = methods || paths ? [HTTP_PORT] : [HTTP_PORT, TCP_PORT];
    const edge: EdgeSpec = { from, to, ...(methods ? { methods } : {}), ...(paths ? { paths } : {}), ...(ports ? { ports } : {}) };
    const key = JSON.stringify([from.kind === 'workload' ? workloads[from.index] : from, to, methods, paths, ports]);
    if (keys.has(key)) continue;
    keys.add(key);
    edges.push(edge);
  }
  // A limited edge next to an unlimited one from the same source to the same workload is a dead
  // rule, refused by the compiler: keep the unlimited one.
  const ends = (e: EdgeSpec) => JSON.stringify([e.from.kind === 'workload' ? workloads[e.from.index] : e.from, e.to]);
  const unlimited = new Set(edges.filter((e) => !e.methods && !e.paths && !e.ports).map(ends));
  const isUnlimited = (e: EdgeSpec) => !e.methods && !e.paths && !e.ports;
  // So is an edge whose source is inside the source of an unlimited edge from any identity or from
  // its whole namespace, to the same workload.
  const sourceNamespace = (e: EdgeSpec) => (e.from.kind === 'workload' ? workloads[e.from.index].namespace : e.from.kind === 'anyAuthenticated' ? undefined : e.from.namespace);
  const wide = edges.filter((e) => isUnlimited(e) && (e.from.kind === 'anyAuthenticated' || e.from.kind === 'namespace'));
  const covered = (e: EdgeSpec) => wide.some((w) => w !== e && w.to === e.to && w.from.kind !== e.from.kind &&
    (w.from.kind === 'anyAuthenticated' || (w.from.kind === 'namespace' && w.from.namespace === sourceNamespace(e))));
  const live = edges.filter((e) => (isUnlimited(e) || !unlimited.has(ends(e))) && !covered(e));
  // So is a limited edge whose methods, paths and ports another limited edge from the same or a
  // containing source already admits (absent = any; a path "/p*" contains the exact paths and
  // narrower prefixes under "/p"): keep the wider one, or the first of two with equal limits.
  const isPrefix = (p: string) => p.endsWith('*') && !/[*{}]/.test(p.slice(0, -1));
  const pathIn = (w: string, n: string) => w === n || (isPrefix(w) && (isPrefix(n) || !/[*{}]/.test(n)) && n.startsWith(w.slice(0, -1)));
  const within = <T>(w: readonly T[] | undefined, n: readonly T[] | undefined, eq: (a: T, b: T) => boolean) => !w || (!!n && n.every((x) => w.some((y) => eq(y, x))));
  const limitsIn = (w: EdgeSpec, n: EdgeSpec) => within(w.methods, n.methods, (a, b) => a === b) && within(w.ports, n.ports, (a, b) => a === b) && within(w.paths, n.paths, pathIn);
  const sourceIn = (w: EdgeSpec, n: EdgeSpec) => ends(w) === ends(n) || (w.from.kind !== n.from.kind &&
    (w.from.kind === 'anyAuthenticated' || (w.from.kind === 'namespace' && w.from.namespace === sourceNamespace(n))));
  const dead = (e: EdgeSpec, i: number, all: EdgeSpec[]) => !isUnlimited(e) && all.some((w, j) => j !== i && !isUnlimited(w) && w.to === e.to &&
    sourceIn(w, e) && limitsIn(w, e) && !(j > i && sourceIn(e, w) && limitsIn(e, w)));
  const kept = live.filter((e, i, all) => !dead(e, i, all));
  return { namespaces: namespaces.map((n) => ({ name: n.name, permissive: n.permissive, dryRun: n.dryRun, deny: n.deny })), workloads, edges: kept };
}

// ---------------------------------------------------------------------------------------------
// Declaring the intent through the public API.

function declare(app: App, spec: MeshSpec, ambient: ReadonlySet<string> = new Set()): ZeroTrustMesh {
  const mesh = new ZeroTrustMesh(app, 'mesh', { mtls: MtlsMode.STRICT });
  const namespaces = new Map(spec.namespaces.map((n) => [n.name, new ZeroTrustNamespace(app, n.name, {
    mesh,
    ...(ambient.has(n.name) ? { dataplane: Dataplane.AMBIENT } : {}),
    mtls: n.permissive ? MtlsMode.PERMISSIVE : MtlsMode.STRICT,
    ...(n.dryRun ? { enforcement: Enforcement.DRY_RUN } : {}),
    ...(n.deny.length > 0 ? { denyFromNamespaces: [...n.deny] } : {}),
  })]));
  const workloads = spec.workloads.map((w) => namespaces.get(w.namespace)!.addWorkload(w.name, {
    ...(w.plaintext && !w.plaintextLimited ? { plaintextPorts: [METRICS_PORT] } : {}),
    ...(w.plaintextLimited ? { plaintext: [{ port: METRICS_PORT, methods: ['GET'], paths: ['/metrics'] }] } : {}),
    ...(w.permissive ? { mtls: MtlsMode.PERMISSIVE } : {}),
    ...(w.declarePorts ? { ports: [WorkloadPort.http(HTTP_PORT), WorkloadPort.tcp(TCP_PORT), ...(w.plaintext ? [WorkloadPort.http(METRICS_PORT)] : [])] } : {}),
  }));
  const peer = (s: SourceSpec): IPeer => {
    switch (s.kind) {
      case 'workload': return workloads[s.index];
      case 'namespace': return namespaces.get(s.namespace) ?? Peer.namespace(s.namespace);
      case 'serviceAccount': return Peer.serviceAccount(s.namespace, s.serviceAccount);
      case 'anyAuthenticated': return Peer.anyAuthenticated();
    }
  };
  for (const e of spec.edges) {
    workloads[e.to].allowFrom(peer(e.from), {
      ...(e.methods ? { methods: [...e.methods] } : {}), ...(e.paths ? { paths: [...e.paths] } : {}), ...(e.ports ? { ports: [...e.ports] } : {}),
    });
  }
  return mesh;
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the declared intent means, written from the intent alone.

interface Client { readonly ref: string; readonly namespace?: string; readonly principal?: string }
interface Probe { readonly client: Client; readonly to: number; readonly port: number; readonly method: string; readonly path: string }

function expected(spec: MeshSpec, probe: Probe): 'ALLOWED' | 'DENIED' {
  const dest = spec.workloads[probe.to];
  const ns = spec.namespaces.find((n) => n.name === dest.namespace)!;
  const plaintextPort = dest.plaintext && probe.port === METRICS_PORT;
  const mode = plaintextPort ? 'PERMISSIVE' : dest.permissive ? 'PERMISSIVE' : ns.permissive ? 'PERMISSIVE' : 'STRICT';
  if (!probe.client.principal) {
    if (mode === 'STRICT') return 'DENIED'; // STRICT refuses the plaintext connection
    if (ns.dryRun) return 'ALLOWED';
    if (!plaintextPort) return 'DENIED';
    return !dest.plaintextLimited || (probe.method === 'GET' && probe.path === '/metrics') ? 'ALLOWED' : 'DENIED';
  }
  if (ns.dryRun) return 'ALLOWED';
  if (probe.client.namespace !== undefined && ns.deny.includes(probe.client.namespace)) return 'DENIED';
  const tcp = dest.declarePorts && probe.port === TCP_PORT;
  const admits = spec.edges.some((e) => {
    if (e.to !== probe.to) return false;
    const from = e.from;
    const sourceMatches =
      from.kind === 'anyAuthenticated' ||
      (from.kind === 'namespace' && from.namespace === probe.client.namespace) ||
      (from.kind === 'serviceAccount' && probe.client.principal === `cluster.local/ns/${from.namespace}/sa/${from.serviceAccount}`) ||
      (from.kind === 'workload' && probe.client.principal === `cluster.local/ns/${spec.workloads[from.index].namespace}/sa/${spec.workloads[from.index].name}`);
    if (!sourceMatches) return false;
    if (e.ports && !e.ports.includes(probe.port)) return false;
    if (e.methods || e.paths) {
      if (tcp) return false; // Istio drops an ALLOW rule with HTTP fields on a TCP port
      if (e.methods && !e.methods.includes(probe.method)) return false;
      if (e.paths && !e.paths.some((p) => pathMatches(p, probe.path))) return false;
    }
    return true;
  });
  return admits ? 'ALLOWED' : 'DENIED';
}

/** Istio's path forms, written independently of the analyzer's matcher (cross-checked below). */
function pathMatches(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    // Templates: "{*}" is one non-empty segment, "{**}" the non-empty rest; the whole path must match.
    const want = pattern.split('/');
    const got = path.split('/');
    for (let i = 0; i < want.length; i++) {
      if (want[i] === '{**}') return got.length > i && got.slice(i).every((s) => s.length > 0);
      if (i >= got.length || (want[i] === '{*}' ? got[i] === '' : want[i] !== got[i])) return false;
    }
    return got.length === want.length;
  }
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return path.endsWith(pattern.slice(1));
  return pattern === path;
}

const PROBE_PATHS = ['/metrics', '/api', '/api/x', '/apix', '/x.json', '/items/1', '/items/1/2', '/items', '/files/a/b', '/files/x', '/other'];

function clients(spec: MeshSpec): Client[] {
  const list: Client[] = [{ ref: 'plaintext' }];
  for (const w of spec.workloads) list.push({ ref: `${w.namespace}/${w.name}`, namespace: w.namespace, principal: `cluster.local/ns/${w.namespace}/sa/${w.name}` });
  for (const ns of [...NAMESPACES, OUTSIDE]) {
    list.push({ ref: `principal:cluster.local/ns/${ns}/sa/gateway`, namespace: ns, principal: `cluster.local/ns/${ns}/sa/gateway` });
  }
  return list;
}

function probes(spec: MeshSpec, random: () => number): Probe[] {
  const out: Probe[] = [];
  for (const client of clients(spec)) {
    for (let to = 0; to < spec.workloads.length; to++) {
      for (const port of [HTTP_PORT, TCP_PORT, METRICS_PORT]) {
        // Two random method/path pairs per connection keep the run fast; across runs every pair is hit.
        // What a scraper without a sidecar sends, so that limited exceptions are hit on every run.
        if (!client.principal && port === METRICS_PORT) out.push({ client, to, port, method: 'GET', path: '/metrics' });
        for (let i = 0; i < 2; i++) {
          out.push({ client, to, port, method: METHODS[Math.floor(random() * METHODS.length)], path: PROBE_PATHS[Math.floor(random() * PROBE_PATHS.length)] });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Counterexamples found earlier; they run first on every `npm test`. */
const REGRESSIONS: [MeshSpec, number][] = [];

const RUNS = Number(process.env.FC_RUNS ?? 300);

/** What the runs exercised, so that a generator that drifts into trivial meshes fails loudly. */
const seen = { allowed: 0, denied: 0, plaintextAllowed: 0, plaintextLimitedAllowed: 0, plaintextLimitedDenied: 0, limitedAllowed: 0, limitedDenied: 0, denyNamespace: 0, dryRun: 0 };

describe('the compiler is exact', () => {
  it('the oracle\'s path forms agree with Istio\'s as the analyzer implements them', () => {
    for (const pattern of PATHS) for (const path of PROBE_PATHS) expect(pathMatches(pattern, path), `${pattern} vs ${path}`).toBe(matchPath(pattern, path));
  });

  it('allows exactly the declared edges, with exactly their methods, paths and ports', () => {
    fc.assert(
      fc.property(meshSpec, fc.integer(), (spec, seed) => {
        const outdir = mkdtempSync(join(tmpdir(), 'zt-prop-'));
        try {
          const app = new App({ outdir });
          const mesh = declare(app, spec);
          app.synth();
          const analysis = { config: loadIstioDir(outdir), inventory: inventoryFromModel(mesh.toModel()) };
          let state = seed >>> 0;
          const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
          for (const probe of probes(spec, random)) {
            const dest = spec.workloads[probe.to];
            const decision = decide(analysis, {
              from: probe.client.ref, to: `${dest.namespace}/${dest.name}`, port: probe.port, method: probe.method, path: probe.path,
            });
            const want = expected(spec, probe);
            count(spec, probe, want);
            if (decision.verdict !== want) {
              throw new Error(`${probe.client.ref} -> ${dest.namespace}/${dest.name}:${probe.port} ${probe.method} ${probe.path}: ` +
                `analyzer says ${decision.verdict} (${decision.summary}), the declared intent says ${want}`);
            }
          }
        } finally {
          rmSync(outdir, { recursive: true, force: true });
        }
      }),
      {
        numRuns: RUNS,
        examples: REGRESSIONS,
        ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}),
      },
    );
    expect(seen.allowed).toBeGreaterThan(RUNS);
    expect(seen.denied).toBeGreaterThan(RUNS);
    for (const [what, n] of Object.entries(seen)) expect(n, `no probe exercised ${what}`).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});

function count(spec: MeshSpec, probe: Probe, verdict: 'ALLOWED' | 'DENIED'): void {
  const dest = spec.workloads[probe.to];
  const ns = spec.namespaces.find((n) => n.name === dest.namespace)!;
  const limited = spec.edges.some((e) => e.to === probe.to && (e.methods || e.paths));
  seen[verdict === 'ALLOWED' ? 'allowed' : 'denied']++;
  if (verdict === 'ALLOWED' && !probe.client.principal && !ns.dryRun) seen.plaintextAllowed++;
  if (dest.plaintextLimited && !probe.client.principal && probe.port === METRICS_PORT && !ns.dryRun) seen[verdict === 'ALLOWED' ? 'plaintextLimitedAllowed' : 'plaintextLimitedDenied']++;
  if (limited && !ns.dryRun) seen[verdict === 'ALLOWED' ? 'limitedAllowed' : 'limitedDenied']++;
  if (probe.client.namespace !== undefined && ns.deny.includes(probe.client.namespace)) seen.denyNamespace++;
  if (ns.dryRun) seen.dryRun++;
}

// ---------------------------------------------------------------------------------------------
// Both data planes. The same intent is synthesized for sidecars and for ambient (a random set of
// namespaces, the rest sidecar, so that the boundary is crossed both ways), loaded back, and each
// must admit exactly the declared access, hence the same access. Ambient refuses dry-run, so these
// meshes are enforced. An ambient workload with an edge limiting methods or paths sits behind its
// waypoint: a mesh client that sends straight to the pod must be refused, whatever the edges say.

interface DataplaneSpec { readonly spec: MeshSpec; readonly ambient: readonly string[] }

const dataplaneSpec: fc.Arbitrary<DataplaneSpec> = fc.tuple(rawMeshSpec, fc.subarray([...NAMESPACES], { minLength: 1 }))
  .map(([raw, chosen]) => {
    const ambient: readonly string[] = chosen;
    // Ambient refuses dry-run, and plaintext exceptions limited to methods or paths (ztunnel
    // enforces them at layer 4): the intent both data planes can express.
    const spec = normalize({ ...raw, namespaces: raw.namespaces.map((n) => ({ ...n, dryRun: false })), workloads: raw.workloads.map((w) => ({ ...w, plaintextLimited: false })) });
    // It also refuses methods or paths toward an ambient workload from a source that runs sidecars
    // (a sidecar never sends to a waypoint): those edges only exist in sidecar mode.
    const sidecar = spec.namespaces.map((n) => n.name).filter((n) => !ambient.includes(n));
    const fromSidecars = (e: EdgeSpec) => (e.from.kind === 'anyAuthenticated' ? sidecar.length > 0
      : sidecar.includes(e.from.kind === 'workload' ? spec.workloads[e.from.index].namespace : e.from.namespace));
    const edges = spec.edges.filter((e) => !((e.methods || e.paths) && ambient.includes(spec.workloads[e.to].namespace) && fromSidecars(e)));
    return { spec: { ...spec, edges }, ambient };
  });

/** Workloads behind a waypoint in the ambient variant: ambient, with an edge that limits methods or paths. */
function behindWaypoint(d: DataplaneSpec, to: number): boolean {
  const dest = d.spec.workloads[to];
  return d.ambient.includes(dest.namespace) && d.spec.edges.some((e) => e.to === to && (e.methods || e.paths));
}

function synthesize(spec: MeshSpec, ambient: ReadonlySet<string>) {
  const outdir = mkdtempSync(join(tmpdir(), 'zt-prop-'));
  try {
    const app = new App({ outdir });
    const mesh = declare(app, spec, ambient);
    app.synth();
    return { config: loadIstioDir(outdir), inventory: inventoryFromModel(mesh.toModel()) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The graph's edges with what each caller may do, without the policy names (they differ by design). */
function accessOf(analysis: ReturnType<typeof synthesize>) {
  return reachability(analysis).edges.map((e) => JSON.stringify([e.from, e.to, e.access.map((a) => [a.port, a.transport, a.grants, a.except, a.undecided, a.dryRunOnly])])).sort();
}

const RUNS_BOTH = Number(process.env.FC_RUNS ?? 150);
const seenBoth = { ambientAllowed: 0, ambientDenied: 0, viaWaypointAllowed: 0, viaWaypointDenied: 0, bypassRefused: 0, crossBoundary: 0, ambientPlaintextAllowed: 0 };

describe('both data planes are exact, and equal', () => {
  it('sidecar and ambient admit exactly the declared access; nothing bypasses a waypoint to get more than a layer-4 edge grants', () => {
    fc.assert(
      fc.property(dataplaneSpec, fc.integer(), (d, seed) => {
        const { spec } = d;
        const sidecar = synthesize(spec, new Set());
        const ambient = synthesize(spec, new Set(d.ambient));
        let state = seed >>> 0;
        const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
        for (const probe of probes(spec, random)) {
          const dest = spec.workloads[probe.to];
          const request = { from: probe.client.ref, to: `${dest.namespace}/${dest.name}`, port: probe.port, method: probe.method, path: probe.path };
          const want = expected(spec, probe);
          const inSidecar = decide(sidecar, request);
          const inAmbient = decide(ambient, request);
          for (const [plane, decision] of [['sidecar', inSidecar], ['ambient', inAmbient]] as const) {
            if (decision.verdict !== want) {
              throw new Error(`${plane} (ambient: ${d.ambient.join(', ')}): ${request.from} -> ${request.to}:${probe.port} ${probe.method} ${probe.path}: ` +
                `analyzer says ${decision.verdict} (${decision.summary}), the declared intent says ${want}`);
            }
          }
          const isAmbient = d.ambient.includes(dest.namespace);
          if (isAmbient) seenBoth[want === 'ALLOWED' ? 'ambientAllowed' : 'ambientDenied']++;
          if (isAmbient && !probe.client.principal && want === 'ALLOWED') seenBoth.ambientPlaintextAllowed++;
          if (isAmbient && probe.client.namespace !== undefined && probe.client.namespace !== dest.namespace && want === 'ALLOWED') seenBoth.crossBoundary++;
          if (behindWaypoint(d, probe.to) && probe.client.principal) {
            if (inAmbient.decidedAt?.startsWith('waypoint')) seenBoth[want === 'ALLOWED' ? 'viaWaypointAllowed' : 'viaWaypointDenied']++;
            // The same request sent straight to the pod meets ztunnel with the client's identity:
            // it gets what the layer-4 edges grant, never what only an edge with methods or paths does.
            const bypass = decide(ambient, { ...request, bypassWaypoint: true });
            const l4 = expected({ ...spec, edges: spec.edges.filter((e) => !e.methods && !e.paths) }, probe);
            if (bypass.verdict !== l4) {
              throw new Error(`${request.from} -> ${request.to}:${probe.port} bypassing the waypoint is ${bypass.verdict} (${bypass.summary}); the layer-4 edges say ${l4}`);
            }
            if (l4 === 'DENIED' && want === 'ALLOWED') seenBoth.bypassRefused++;
          }
        }
        // The whole graph (symbolic in methods and paths) is the same in both data planes.
        expect(accessOf(ambient)).toEqual(accessOf(sidecar));
      }),
      {
        numRuns: RUNS_BOTH,
        ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}),
      },
    );
    for (const [what, n] of Object.entries(seenBoth)) expect(n, `no probe exercised ${what}`).toBeGreaterThan(RUNS_BOTH / 20);
  }, 240_000);
});
