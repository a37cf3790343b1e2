// Deterministic mesh generator for the benchmarks. It only uses the public API (ZeroTrustMesh,
// ZeroTrustNamespace, addWorkload, AllowEdge / allowFrom, Peer, ExternalMtlsService), and every mesh
// it builds passes the library's validation: unique service accounts, edges only toward declared
// workloads, no edge from a namespace its destination denies, no identity edge toward a port that
// accepts plaintext unless the namespace is in dry-run, one edge per source and destination (no duplicate, no dead rule).
import { App } from 'cdk8s';
import {
  AllowEdge, EdgeOptions, Enforcement, ExternalMtlsService, IPeer, MtlsMode, Peer, Workload, WorkloadPort,
  ZeroTrustMesh, ZeroTrustNamespace,
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
  const match = /^(small|huge|cross)-(\d+)$/.exec(name);
  if (!match) throw new Error(`unknown size ${JSON.stringify(name)}; use S, M, L or <shape>-<scale> with a shape among ${SHAPES.join(', ')} ("huge-4000")`);
  return meshSize(match[1] as MeshShape, Number(match[2]));
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

interface NsInfo {
  readonly index: number;
  readonly chart: ZeroTrustNamespace;
  readonly name: string;
  readonly dryRun: boolean;
  readonly denied: ReadonlySet<string>;
  readonly workloads: Workload[];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Builds a mesh of `size` in `app`. About 5% of the namespaces are PERMISSIVE and in dry-run (a
 * migration in progress), 20% deny two namespaces, 10% of the workloads have a plaintext metrics
 * port, 20% declare their ports, 30% of the edges carry L7 limits, and one namespace in ten has an
 * external mTLS service.
 */
export function generateMesh(app: App, size: MeshSize, seed = 42): GeneratedMesh {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const chance = (p: number) => random() < p;

  const mesh = new ZeroTrustMesh(app, 'mesh', { trustDomain: 'cluster.local', rootNamespace: 'istio-system', mtls: MtlsMode.STRICT });
  const width = String(size.namespaces).length;
  const nsNames = Array.from({ length: size.namespaces }, (_, i) => `team-${pad(i, width)}`);

  // Namespaces and workloads: workloads are spread evenly, the remainder over the first namespaces.
  const namespaces: NsInfo[] = [];
  const nameWidth = Math.max(3, String(Math.ceil(size.workloads / size.namespaces) - 1).length);
  const perNs = Math.floor(size.workloads / size.namespaces);
  let remainder = size.workloads - perNs * size.namespaces;
  let workloadCount = 0;
  for (let i = 0; i < size.namespaces; i++) {
    const name = nsNames[i];
    const dryRun = chance(0.05);
    const denied = new Set<string>();
    if (chance(0.2)) {
      // One namespace that exists in the mesh, and one that does not (say, a sandbox cluster's).
      let other = nsNames[int(size.namespaces)];
      if (other === name) other = nsNames[(i + 1) % size.namespaces];
      denied.add(other);
      denied.add(`sandbox-${pad(int(100), 2)}`);
    }
    const chart = new ZeroTrustNamespace(app, name, {
      mesh,
      mtls: dryRun ? MtlsMode.PERMISSIVE : MtlsMode.STRICT,
      enforcement: dryRun ? Enforcement.DRY_RUN : Enforcement.ENFORCED,
      ...(denied.size > 0 ? { denyFromNamespaces: [...denied] } : {}),
      ...(chance(0.3) ? { labels: { team: name, 'cost-center': `cc-${pad(int(50), 2)}` } } : {}),
    });
    const info: NsInfo = { index: i, chart, name, dryRun, denied, workloads: [] };
    const count = perNs + (remainder-- > 0 ? 1 : 0);
    for (let w = 0; w < count; w++) {
      const wname = `svc-${pad(w, nameWidth)}`;
      const plaintext = chance(0.1);
      const declarePorts = chance(0.2);
      info.workloads.push(chart.addWorkload(wname, {
        ...(chance(0.25) ? { serviceAccount: `${wname}-sa` } : {}),
        ...(chance(0.15) ? { labels: { app: wname, tier: 'backend' } } : {}),
        // A metrics port for a scraper without a sidecar, limited to what it needs (an unlimited
        // exception on a port that also serves identity edges is refused).
        ...(plaintext ? { plaintext: [{ port: 9090, methods: ['GET'], paths: ['/metrics'], ...(chance(0.5) ? { ipBlocks: ['10.0.0.0/16'] } : {}) }] } : {}),
        ...(declarePorts ? { ports: [WorkloadPort.http(8080), ...(plaintext ? [WorkloadPort.http(9090)] : []), WorkloadPort.grpc(9000)] } : {}),
      }));
      workloadCount++;
    }
    namespaces.push(info);
  }

  // Edges: each destination gets distinct sources, so that no two edges share a construct id or
  // make each other dead rules.
  const allWorkloads = namespaces.flatMap((ns) => ns.workloads.map((w) => ({ ns, w })));
  const sharedPeers: IPeer[] = [
    Peer.serviceAccount('istio-ingress', 'ingress-gateway'),
    Peer.serviceAccount('monitoring', 'blackbox-exporter', { trustDomain: 'ops.example.com' }),
    Peer.anyAuthenticated(),
  ];
  const used = new Map<Workload, Set<string>>();
  let edgeCount = 0;
  let attempts = 0;
  while (edgeCount < size.edges) {
    if (++attempts > size.edges * 20) throw new Error('generator could not place every edge; the mesh is too dense');
    // 70% of the edges stay in the destination's namespace or its neighbours: teams talk to teams.
    const dest = allWorkloads[int(allWorkloads.length)];
    let source: IPeer;
    let sourceNamespace: string | undefined;
    let wide = false; // a namespace or any identity: it contains other sources
    const kind = random();
    if (kind < 0.85) {
      const local = chance(size.localShare);
      const nsIndex = local ? Math.min(size.namespaces - 1, Math.max(0, dest.ns.index + int(3) - 1)) : int(size.namespaces);
      const ns = namespaces[nsIndex];
      const w = ns.workloads[int(ns.workloads.length)];
      if (w === undefined || w === dest.w) continue;
      source = w;
      sourceNamespace = ns.name;
    } else if (kind < 0.93) {
      const ns = namespaces[int(size.namespaces)];
      source = chance(0.5) ? ns.chart : Peer.namespace(ns.name);
      sourceNamespace = ns.name;
      wide = true;
    } else {
      source = sharedPeers[int(sharedPeers.length)];
      sourceNamespace = source === sharedPeers[2] ? undefined : source.peerName.split('.')[1];
      wide = source === sharedPeers[2];
    }
    if (sourceNamespace !== undefined && dest.ns.denied.has(sourceNamespace)) continue;

    const options: { -readonly [K in keyof EdgeOptions]: EdgeOptions[K] } = {};
    if (chance(0.3)) {
      const l7 = int(3);
      if (l7 === 0) options.methods = ['GET'];
      if (l7 === 1) { options.methods = ['GET', 'POST']; options.paths = [`/api/v1/${dest.w.name}/*`]; }
      // Port 8080 is never a plaintext port, and is declared on every workload that declares ports.
      if (l7 === 2) { options.ports = [8080]; options.paths = ['/healthz', '/api/*']; }
    }
    // An unlimited edge from a namespace or from any identity would make the edges of the sources
    // it contains dead rules (refused): such edges are always limited here.
    if (wide && !options.methods && !options.paths && !options.ports) options.ports = [8080];
    // Limited, such an edge would still contain the limits of an edge from a source inside it (the
    // same random limits): a method only wide edges use, one per kind, so that neither contains
    // the other (HEAD from a namespace, OPTIONS from any identity).
    if (wide) options.methods = [source === sharedPeers[2] ? 'OPTIONS' : 'HEAD'];
    // One edge per source and destination: a second edge from the same source with other limits
    // would be refused as a dead rule when either has no limits.
    const key = source.peerName;
    let seen = used.get(dest.w);
    if (!seen) used.set(dest.w, (seen = new Set()));
    if (seen.has(key)) continue;
    seen.add(key);

    if (chance(0.1)) {
      new AllowEdge(dest.w, `edge-${edgeCount}`, { from: source, to: dest.w, ...options });
    } else if (source instanceof Workload && chance(0.5)) {
      source.allowTo(dest.w, options);
    } else {
      dest.w.allowFrom(source, options);
    }
    edgeCount++;
  }

  // External services, one namespace in ten, called by one or two of its workloads.
  let externalCount = 0;
  for (const ns of namespaces) {
    if (ns.workloads.length === 0) continue;
    if (size.external === 'tenth' ? !chance(0.1) : ns.index % 3 === 2) continue;
    const clients = [ns.workloads[0], ...(ns.workloads.length > 1 && chance(0.5) ? [ns.workloads[1]] : [])];
    const files = chance(0.5);
    new ExternalMtlsService(ns.chart, `payments-api`, {
      host: `payments.${ns.name}.example.com`,
      clients,
      ...(files
        ? { clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem' }
        : { credentialName: `${ns.name}-client-cert` }),
    });
    externalCount++;
  }

  return { mesh, namespaces: size.namespaces, workloads: workloadCount, edges: edgeCount, externalServices: externalCount };
}
