// Deterministic mesh generator for the benchmarks. It only uses the public API (ZeroTrustMesh,
// ZeroTrustNamespace, addWorkload, AllowEdge / allowFrom, Peer, ExternalMtlsService), and every mesh
// it builds passes the library's validation: unique service accounts, edges only toward declared
// workloads, no edge from a namespace its destination denies, no identity edge toward a port that
// accepts plaintext unless the namespace is in dry-run, one edge per source and destination (no duplicate, no dead rule).
import { App } from 'cdk8s';
import {
  AllowEdge, Dataplane, EdgeOptions, Enforcement, ExternalMtlsService, IPeer, MtlsMode, Peer, Workload, WorkloadPort,
  ZeroTrustMesh, ZeroTrustNamespace, ZeroTrustNamespaceProps,
} from '../lib';

/**
 * The three mesh shapes of issue 11:
 * - small: many small namespaces (10 workloads and 30 edges each, 70% of the edges within a
 *   namespace or its neighbours, an external service in one namespace in ten);
 * - huge: five namespaces of thousands of workloads each (6 edges per workload);
 * - cross: many namespaces where 90% of the workload edges cross namespaces, 40 edges per
 *   namespace, and two namespaces in three have an external mTLS service.
 */
export type MeshShape = 'small' | 'huge' | 'cross';
export const SHAPES: readonly MeshShape[] = ['small', 'huge', 'cross'];

export interface MeshSize {
  /** Short name used in tables and file names: the shape and its scale ("small-2000"). */
  readonly name: string;
  readonly shape: MeshShape;
  /** The number that grows: namespaces (small, cross) or workloads per namespace (huge). */
  readonly scale: number;
  readonly namespaces: number;
  readonly workloads: number;
  readonly edges: number;
  /** Share of workload edges whose source is in the destination's namespace or a neighbour. */
  readonly localShare: number;
  /** Which namespaces get an external mTLS service: 'tenth' (at random, 10%) or 'two-thirds' (every index i with i % 3 != 2). */
  readonly external: 'tenth' | 'two-thirds';
  /** The mesh's data plane (`<shape>-<scale>-ambient` names the ambient variant); absent: sidecars. */
  readonly dataplane?: 'AMBIENT';
}

/** The size of `shape` at `scale`. */
export function meshSize(shape: MeshShape, scale: number): MeshSize {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer, got ${scale}`);
  switch (shape) {
    case 'small':
      return { name: `small-${scale}`, shape, scale, namespaces: scale, workloads: scale * 10, edges: scale * 30, localShare: 0.7, external: 'tenth' };
    case 'huge':
      return { name: `huge-${scale}`, shape, scale, namespaces: 5, workloads: scale * 5, edges: scale * 30, localShare: 0.7, external: 'tenth' };
    case 'cross':
      return { name: `cross-${scale}`, shape, scale, namespaces: scale, workloads: scale * 10, edges: scale * 40, localShare: 0.1, external: 'two-thirds' };
    default:
      throw new Error(`unknown shape ${JSON.stringify(shape)}; use one of ${SHAPES.join(', ')}`);
  }
}

/** The sizes issue 11 sets its targets at (within 1.5x of the floor). */
export const TARGET_SCALES: Readonly<Record<MeshShape, number>> = { small: 2_000, huge: 4_000, cross: 2_000 };

/** The former S, M, L names (all of shape small), and "shape-scale" names ("huge-4000"). */
export function sizeByName(name: string): MeshSize {
  const legacy: Record<string, number> = { S: 100, M: 500, L: 2_000 };
  if (legacy[name] !== undefined) return { ...meshSize('small', legacy[name]), name };
  const match = /^(small|huge|cross)-(\d+)(-ambient)?$/.exec(name);
  if (!match) throw new Error(`unknown size ${JSON.stringify(name)}; use S, M, L or <shape>-<scale>[-ambient] with a shape among ${SHAPES.join(', ')} ("huge-4000", "huge-4000-ambient")`);
  const size = meshSize(match[1] as MeshShape, Number(match[2]));
  return match[3] ? ambient(size) : size;
}

/**
 * The same shape with ztunnel and waypoints instead of sidecars. What ambient mode refuses is left
 * out, the random choices stay the same: no namespace in dry-run (ztunnel may ignore dry-run
 * policies), the plaintext metrics port is open at layer 4 (ztunnel cannot see methods and paths),
 * accepted as such next to identity edges (acceptIdentityBypass), and external services take their
 * client certificate from a Secret (the waypoint originates the mutual TLS). Edges with methods or
 * paths are enforced by the namespace's waypoint.
 */
export function ambient(size: MeshSize): MeshSize {
  return { ...size, name: `${size.name}-ambient`, dataplane: 'AMBIENT' };
}

export const SIZES: readonly MeshSize[] = ['S', 'M', 'L'].map(sizeByName);

/** mulberry32: a small, fast, seeded PRNG, so that every run builds the very same mesh. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedMesh {
  readonly mesh: ZeroTrustMesh;
  readonly namespaces: number;
  readonly workloads: number;
  readonly edges: number;
  readonly externalServices: number;
}

/**
 * What the generated app declares, as plain data: every random choice is made here, so that
 * building the mesh (buildMesh) is only the calls a hand-written app makes to the public API. A
 * policy repository declares its mesh in code or reads it from an inventory; it never draws random
 * numbers or checks its own choices against a dense mesh, so that work is the benchmark's, not
 * the app's, and the floor does not pay it either (its documents are read before its clock).
 */
export interface MeshPlan {
  readonly dataplane?: 'AMBIENT';
  readonly namespaces: readonly PlannedNamespace[];
  readonly edges: readonly PlannedEdge[];
  readonly externalServices: readonly PlannedExternalService[];
}

interface PlannedNamespace {
  readonly name: string;
  readonly props: { -readonly [K in keyof ZeroTrustNamespaceProps]?: ZeroTrustNamespaceProps[K] };
  readonly workloads: readonly PlannedWorkload[];
}

interface PlannedWorkload {
  readonly name: string;
  readonly serviceAccount?: string;
  readonly labels?: Record<string, string>;
  readonly plaintext?: { port: number; methods?: string[]; paths?: string[]; ipBlocks?: string[]; acceptIdentityBypass?: boolean }[];
  /** Declared ports: [number, 'http' | 'grpc'] (WorkloadPort objects are made when the app is built). */
  readonly ports?: readonly (readonly [number, 'http' | 'grpc'])[];
}

/** A workload: [namespace index, workload index]. */
type WorkloadRef = readonly [number, number];

type PlannedSource =
  | { readonly kind: 'workload'; readonly ref: WorkloadRef }
  | { readonly kind: 'namespace'; readonly namespace: number; readonly as: 'chart' | 'peer' }
  | { readonly kind: 'shared'; readonly index: number };

interface PlannedEdge {
  readonly to: WorkloadRef;
  readonly from: PlannedSource;
  readonly options: { -readonly [K in keyof EdgeOptions]: EdgeOptions[K] };
  /** How the app declares it: `new AllowEdge(dest, id, ...)`, `source.allowTo(dest)` or `dest.allowFrom(source)`. */
  readonly form: 'AllowEdge' | 'allowTo' | 'allowFrom';
  readonly id?: string;
}

interface PlannedExternalService {
  readonly namespace: number;
  readonly clients: readonly number[];
  readonly files: boolean;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Peers that are not workloads of the mesh, shared by many edges: two service accounts and any identity. */
const SHARED_PEERS: readonly ({ namespace: string; serviceAccount: string; trustDomain?: string } | 'any')[] = [
  { namespace: 'istio-ingress', serviceAccount: 'ingress-gateway' },
  { namespace: 'monitoring', serviceAccount: 'blackbox-exporter', trustDomain: 'ops.example.com' },
  'any',
];

/**
 * Builds a mesh of `size` in `app`. About 5% of the namespaces are PERMISSIVE and in dry-run (a
 * migration in progress), 20% deny two namespaces, 10% of the workloads have a plaintext metrics
 * port, 20% declare their ports, 30% of the edges carry L7 limits, and one namespace in ten has an
 * external mTLS service.
 */
export function generateMesh(app: App, size: MeshSize, seed = 42): GeneratedMesh {
  return buildMesh(app, planMesh(size, seed));
}

/** Every random choice of the mesh of `size`: the same seed gives the same plan. */
export function planMesh(size: MeshSize, seed = 42): MeshPlan {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const chance = (p: number) => random() < p;

  const width = String(size.namespaces).length;
  const nsNames = Array.from({ length: size.namespaces }, (_, i) => `team-${pad(i, width)}`);

  // Namespaces and workloads: workloads are spread evenly, the remainder over the first namespaces.
  const namespaces: PlannedNamespace[] = [];
  const denials: Set<string>[] = [];
  const nameWidth = Math.max(3, String(Math.ceil(size.workloads / size.namespaces) - 1).length);
  const perNs = Math.floor(size.workloads / size.namespaces);
  let remainder = size.workloads - perNs * size.namespaces;
  for (let i = 0; i < size.namespaces; i++) {
    const name = nsNames[i];
    const dryRun = chance(0.05) && size.dataplane !== 'AMBIENT';
    const denied = new Set<string>();
    if (chance(0.2)) {
      // One namespace that exists in the mesh, and one that does not (say, a sandbox cluster's).
      let other = nsNames[int(size.namespaces)];
      if (other === name) other = nsNames[(i + 1) % size.namespaces];
      denied.add(other);
      denied.add(`sandbox-${pad(int(100), 2)}`);
    }
    const props: PlannedNamespace['props'] = {
      mtls: dryRun ? MtlsMode.PERMISSIVE : MtlsMode.STRICT,
      enforcement: dryRun ? Enforcement.DRY_RUN : Enforcement.ENFORCED,
      ...(denied.size > 0 ? { denyFromNamespaces: [...denied] } : {}),
      ...(chance(0.3) ? { labels: { team: name, 'cost-center': `cc-${pad(int(50), 2)}` } } : {}),
    };
    const workloads: PlannedWorkload[] = [];
    const count = perNs + (remainder-- > 0 ? 1 : 0);
    for (let w = 0; w < count; w++) {
      const wname = `svc-${pad(w, nameWidth)}`;
      const plaintext = chance(0.1);
      const declarePorts = chance(0.2);
      workloads.push({
        name: wname,
        ...(chance(0.25) ? { serviceAccount: `${wname}-sa` } : {}),
        ...(chance(0.15) ? { labels: { app: wname, tier: 'backend' } } : {}),
        // A metrics port for a scraper without a sidecar, limited to what it needs (an unlimited
        // exception on a port that also serves identity edges is refused).
        ...(plaintext ? { plaintext: [{ port: 9090, ...(size.dataplane === 'AMBIENT' ? { acceptIdentityBypass: true } : { methods: ['GET'], paths: ['/metrics'] }), ...(chance(0.5) ? { ipBlocks: ['10.0.0.0/16'] } : {}) }] } : {}),
        ...(declarePorts ? { ports: [[8080, 'http'], ...(plaintext ? [[9090, 'http'] as const] : []), [9000, 'grpc']] as const } : {}),
      });
    }
    namespaces.push({ name, props, workloads });
    denials.push(denied);
  }

  // Edges: each destination gets distinct sources, so that no two edges share a construct id or
  // make each other dead rules.
  const allWorkloads: WorkloadRef[] = namespaces.flatMap((ns, n) => ns.workloads.map((_, w) => [n, w] as const));
  const used = new Map<string, Set<string>>();
  const edges: PlannedEdge[] = [];
  let attempts = 0;
  while (edges.length < size.edges) {
    if (++attempts > size.edges * 20) throw new Error('generator could not place every edge; the mesh is too dense');
    // 70% of the edges stay in the destination's namespace or its neighbours: teams talk to teams.
    const dest = allWorkloads[int(allWorkloads.length)];
    let source: PlannedSource;
    let sourceName: string;
    let sourceNamespace: string | undefined;
    let wide = false; // a namespace or any identity: it contains other sources
    const kind = random();
    if (kind < 0.85) {
      const local = chance(size.localShare);
      const nsIndex = local ? Math.min(size.namespaces - 1, Math.max(0, dest[0] + int(3) - 1)) : int(size.namespaces);
      const ns = namespaces[nsIndex];
      const w = int(ns.workloads.length);
      if (ns.workloads[w] === undefined || (nsIndex === dest[0] && w === dest[1])) continue;
      source = { kind: 'workload', ref: [nsIndex, w] };
      sourceName = `${ns.name}.${ns.workloads[w].name}`;
      sourceNamespace = ns.name;
    } else if (kind < 0.93) {
      const nsIndex = int(size.namespaces);
      source = { kind: 'namespace', namespace: nsIndex, as: chance(0.5) ? 'chart' : 'peer' };
      sourceName = `ns.${namespaces[nsIndex].name}`;
      sourceNamespace = namespaces[nsIndex].name;
      wide = true;
    } else {
      const index = int(SHARED_PEERS.length);
      const shared = SHARED_PEERS[index];
      source = { kind: 'shared', index };
      sourceName = shared === 'any' ? 'any-authenticated' : `sa.${shared.namespace}.${shared.serviceAccount}`;
      sourceNamespace = shared === 'any' ? undefined : shared.namespace;
      wide = shared === 'any';
    }
    if (sourceNamespace !== undefined && denials[dest[0]].has(sourceNamespace)) continue;

    const options: PlannedEdge['options'] = {};
    if (chance(0.3)) {
      const l7 = int(3);
      if (l7 === 0) options.methods = ['GET'];
      if (l7 === 1) { options.methods = ['GET', 'POST']; options.paths = [`/api/v1/${namespaces[dest[0]].workloads[dest[1]].name}/*`]; }
      // Port 8080 is never a plaintext port, and is declared on every workload that declares ports.
      if (l7 === 2) { options.ports = [8080]; options.paths = ['/healthz', '/api/*']; }
    }
    // An unlimited edge from a namespace or from any identity would make the edges of the sources
    // it contains dead rules (refused): such edges are always limited here.
    if (wide && !options.methods && !options.paths && !options.ports) options.ports = [8080];
    // Limited, such an edge would still contain the limits of an edge from a source inside it (the
    // same random limits): a method only wide edges use, one per kind, so that neither contains
    // the other (HEAD from a namespace, OPTIONS from any identity).
    if (wide) options.methods = [source.kind === 'shared' && SHARED_PEERS[source.index] === 'any' ? 'OPTIONS' : 'HEAD'];
    // One edge per source and destination: a second edge from the same source with other limits
    // would be refused as a dead rule when either has no limits.
    const destKey = `${dest[0]}/${dest[1]}`;
    let seen = used.get(destKey);
    if (!seen) used.set(destKey, (seen = new Set()));
    if (seen.has(sourceName)) continue;
    seen.add(sourceName);

    if (chance(0.1)) edges.push({ to: dest, from: source, options, form: 'AllowEdge', id: `edge-${edges.length}` });
    else if (source.kind === 'workload' && chance(0.5)) edges.push({ to: dest, from: source, options, form: 'allowTo' });
    else edges.push({ to: dest, from: source, options, form: 'allowFrom' });
  }

  // External services, one namespace in ten, called by one or two of its workloads.
  const externalServices: PlannedExternalService[] = [];
  namespaces.forEach((ns, index) => {
    if (ns.workloads.length === 0) return;
    if (size.external === 'tenth' ? !chance(0.1) : index % 3 === 2) return;
    const clients = [0, ...(ns.workloads.length > 1 && chance(0.5) ? [1] : [])];
    // In ambient mode the waypoint originates the mutual TLS: a Secret (credentialName), no files.
    externalServices.push({ namespace: index, clients, files: chance(0.5) && size.dataplane !== 'AMBIENT' });
  });

  return { ...(size.dataplane ? { dataplane: size.dataplane } : {}), namespaces, edges, externalServices };
}

/** Declares the planned mesh in `app` through the public API, as a hand-written app would. */
export function buildMesh(app: App, plan: MeshPlan): GeneratedMesh {
  const mesh = new ZeroTrustMesh(app, 'mesh', {
    trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT,
    ...(plan.dataplane === 'AMBIENT' ? { dataplane: Dataplane.AMBIENT } : {}),
  });
  const charts: ZeroTrustNamespace[] = [];
  const workloads: Workload[][] = [];
  let workloadCount = 0;
  for (const ns of plan.namespaces) {
    const chart = new ZeroTrustNamespace(app, ns.name, { mesh, ...ns.props });
    charts.push(chart);
    workloads.push(ns.workloads.map((w) => {
      workloadCount++;
      const { name, ports, ...options } = w;
      return chart.addWorkload(name, {
        ...options,
        ...(ports ? { ports: ports.map(([port, protocol]) => (protocol === 'http' ? WorkloadPort.http(port) : WorkloadPort.grpc(port))) } : {}),
      });
    }));
  }

  const sharedPeers: IPeer[] = SHARED_PEERS.map((p) => (p === 'any' ? Peer.anyAuthenticated()
    : Peer.serviceAccount(p.namespace, p.serviceAccount, p.trustDomain ? { trustDomain: p.trustDomain } : {})));
  for (const edge of plan.edges) {
    const dest = workloads[edge.to[0]][edge.to[1]];
    const from = edge.from;
    const source: IPeer = from.kind === 'workload' ? workloads[from.ref[0]][from.ref[1]]
      : from.kind === 'namespace' ? (from.as === 'chart' ? charts[from.namespace] : Peer.namespace(plan.namespaces[from.namespace].name))
        : sharedPeers[from.index];
    if (edge.form === 'AllowEdge') new AllowEdge(dest, edge.id!, { from: source, to: dest, ...edge.options });
    else if (edge.form === 'allowTo') (source as Workload).allowTo(dest, edge.options);
    else dest.allowFrom(source, edge.options);
  }

  for (const svc of plan.externalServices) {
    const ns = plan.namespaces[svc.namespace];
    new ExternalMtlsService(charts[svc.namespace], 'payments-api', {
      host: `payments.${ns.name}.example.com`,
      clients: svc.clients.map((i) => workloads[svc.namespace][i]),
      ...(svc.files
        ? { clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem' }
        : { credentialName: `${ns.name}-client-cert` }),
    });
  }

  return { mesh, namespaces: plan.namespaces.length, workloads: workloadCount, edges: plan.edges.length, externalServices: plan.externalServices.length };
}
