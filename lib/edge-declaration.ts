import type { EdgeModel, SourceModel } from './core/model';
import { isDeclaredWorkload } from './options/brands';
import { checkMethod, checkPath, checkPort, failEarly } from './core/values';
import type { IPeer } from './peer';
import { EdgeOptions, Enforcement } from './types';
import type { Workload } from './workload';

/**
 * An edge as declared: who may call which workload, with which limits. Returned by `allowFrom` /
 * `allowTo` and implemented by the `AllowEdge` construct.
 */
export interface IAllowEdge {
  /** Who may call. */
  readonly from: IPeer;
  /** The workload that is called; its `<name>-allow` policy carries the rule. */
  readonly to: Workload;
  /** HTTP methods the edge is limited to, if any. */
  readonly methods?: readonly string[];
  /** Paths the edge is limited to, if any. */
  readonly paths?: readonly string[];
  /** Ports the edge is limited to, if any. */
  readonly ports?: readonly number[];
  /** DRY_RUN when the edge's limits are audited rather than enforced. */
  readonly enforcement?: Enforcement;
  /**
   * Where the edge was declared, as written into the policy's `zero-trust.dev/declared-by`
   * annotation and into error messages: the construct path of an `AllowEdge`, or
   * `<workload path>/from-<peer>[-<digest>]` for an edge declared with `allowFrom` / `allowTo`.
   */
  readonly declaredBy: string;
}

/**
 * The validated content of an edge, shared by the AllowEdge construct and the edges a workload
 * records for allowFrom/allowTo. Those are plain objects rather than constructs on purpose: every
 * construct is visited by several whole-tree walks in cdk8s's App.synth(), and edges are the bulk
 * of a large mesh (three per workload in the benchmark), so keeping them out of the tree keeps
 * synth close to the cost of writing the YAML.
 * @internal
 */
export class EdgeDeclaration implements IAllowEdge {
  public readonly methods?: readonly string[];
  public readonly paths?: readonly string[];
  public readonly ports?: readonly number[];
  public readonly enforcement?: Enforcement;
  /** The AllowEdge construct that declared the edge, when it was not allowFrom/allowTo. */
  public declaredAs?: IAllowEdge;
  /** The trust domain of the source's own mesh, when it is not the destination's. */
  private readonly sourceTrustDomain?: string;

  /**
   * Checks the options and fails at the call that declared the edge, naming `declaredBy`.
   * @param constructPath the AllowEdge's path; absent for an edge that allowFrom/allowTo recorded on its destination
   * @param recordedId the id of such an edge when it is not its peer's plain `from-<peer>` (see declaredBy)
   */
  constructor(
    public readonly from: IPeer, public readonly to: Workload, options: EdgeOptions,
    private readonly constructPath?: string, private readonly recordedId?: string,
  ) {
    if (from === undefined || from === null || typeof from._toSource !== 'function') failEarly(this.declaredBy, 'from must be a workload, a ZeroTrustNamespace or a Peer');
    // Most edges have no limits: nothing to check then, and nothing allocated (edges are the bulk of a mesh).
    if (options.methods !== undefined || options.paths !== undefined || options.ports !== undefined) checkLimits(options, this);
    this.sourceTrustDomain = foreignTrustDomain(from, to, this);
    // The lists are the parsed copies the callers pass in (fast path or schema: never the caller's
    // own arrays, so changing those later cannot change the declared edge), frozen so that the model
    // can share them (toModel).
    if (options.methods) this.methods = Object.freeze(options.methods);
    if (options.paths) this.paths = Object.freeze(options.paths);
    if (options.ports) this.ports = Object.freeze(options.ports);
    if (options.enforcement === Enforcement.DRY_RUN) this.enforcement = Enforcement.DRY_RUN;
  }

  /**
   * Where the edge was declared (IAllowEdge.declaredBy). For an edge recorded by allowFrom/allowTo,
   * `<workload path>/<id>`, joined when asked for (once per synth, for the model) rather than kept:
   * building and keeping one such string per edge, at the call that declares it, was a fifth of the
   * time to declare a large mesh. Its id is `from-<peer>` unless the edge has limits or is audited.
   */
  public get declaredBy(): string {
    if (this.constructPath !== undefined) return this.constructPath;
    // Joined: one flat string, which the declared-by annotation's JSON reads without flattening a rope.
    return [this.to.node.path, this.recordedId ?? `from-${this.from?.peerName}`].join('/');
  }

  /**
   * The edge in the intent model. Built field by field, in one order: once per edge per synth. Its
   * source, destination and lists are frozen objects shared with other edges of the same ends (a
   * large mesh has hundreds of thousands of them, all alive while it compiles).
   */
  public toModel(): EdgeModel {
    const edge: { -readonly [K in keyof EdgeModel]?: EdgeModel[K] } = {
      from: this.sourceTrustDomain === undefined ? this.from._toSource() : { ...this.from._toSource() as Extract<SourceModel, { kind: 'workload' }>, trustDomain: this.sourceTrustDomain },
      to: this.to._toDestination(),
    };
    if (this.methods) edge.methods = this.methods;
    if (this.paths) edge.paths = this.paths;
    if (this.ports) edge.ports = this.ports;
    if (this.enforcement === Enforcement.DRY_RUN) edge.dryRun = true;
    edge.origin = this.declaredBy;
    return edge as EdgeModel;
  }
}

/** The limits of an edge, each value checked; the first problem fails the declaration. */
function checkLimits(options: EdgeOptions, edge: EdgeDeclaration): void {
  // Indexed loops and no closure: a valid edge (every edge of a mesh that synthesizes) allocates
  // nothing here, even before the function is optimized.
  for (let f = 0; f < LIMITS.length; f++) {
    const list = options[LIMITS[f]];
    if (list !== undefined && list.length === 0) {
      // Istio reads an absent or empty field as "any value": an empty list would widen the rule.
      failEarly(edge.declaredBy, `${LIMITS[f]} is an empty list: Istio reads an empty list as "any". Omit ${LIMITS[f]} to allow every value, or name the values`);
    }
  }
  const { methods = NONE, paths = NONE, ports = NONE } = options;
  let problem: string | undefined;
  for (let i = 0; i < methods.length && problem === undefined; i++) problem = checkMethod(methods[i]);
  for (let i = 0; i < paths.length && problem === undefined; i++) problem = checkPath(paths[i]);
  for (let i = 0; i < ports.length && problem === undefined; i++) problem = checkPort('port', ports[i]);
  if (problem !== undefined) failEarly(edge.declaredBy, problem);
}

const LIMITS = ['methods', 'paths', 'ports'] as const;
const NONE: readonly never[] = Object.freeze([]);

/** The mesh a library-made peer belongs to, if it is declared in one. */
function meshOf(peer: IPeer): { readonly trustDomain: string; readonly node: { readonly path: string } } | undefined {
  if (isDeclaredWorkload(peer)) return (peer as unknown as Workload).namespace.mesh;
  const namespace = peer as unknown as { mesh?: { trustDomain: string; node: { path: string } } };
  return (peer as unknown as Record<symbol, unknown>)[Symbol.for('istio-zero-trust.ZeroTrustNamespace')] === true ? namespace.mesh : undefined;
}

/**
 * A peer declared in another ZeroTrustMesh is identified by its own mesh's trust domain, never the
 * destination's: a workload gets the principal `<its trust domain>/ns/<ns>/sa/<sa>`. What cannot be
 * said exactly is refused: Istio's `namespaces` field matches a namespace in every trust domain,
 * and two meshes with one trust domain give equal principals to different workloads.
 */
function foreignTrustDomain(from: IPeer, to: Workload, edge: EdgeDeclaration): string | undefined {
  const source = meshOf(from);
  const destination = to.namespace.mesh;
  if (source === undefined || source === destination) return undefined;
  if (!isDeclaredWorkload(from)) {
    failEarly(edge.declaredBy, `namespace ${from.peerName.replace(/^ns\./, '')} belongs to mesh ${source.node.path} (trust domain "${source.trustDomain}"), not to mesh ${destination.node.path}: ` +
      'Istio matches `namespaces` in every trust domain, so the rule would also admit a namespace of that name in this mesh. ' +
      'Allow its workloads one by one (they carry their trust domain), or use Peer.serviceAccount(namespace, account, { trustDomain })');
  }
  if (source.trustDomain === destination.trustDomain) {
    failEarly(edge.declaredBy, `workload ${from.peerName} belongs to mesh ${source.node.path}, which has the same trust domain "${source.trustDomain}" as mesh ${destination.node.path}: ` +
      'the principal cannot tell a workload of one mesh from the same namespace and service account in the other. Give the meshes different trust domains');
  }
  return source.trustDomain;
}
