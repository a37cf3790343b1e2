import type { EdgeModel } from './core/model';
import { checkMethod, checkPath, checkPort, failEarly } from './core/values';
import type { IPeer } from './peer';
import type { EdgeOptions } from './types';
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

  /** Checks the options and fails at the call that declared the edge, naming `declaredBy`. */
  constructor(public readonly from: IPeer, public readonly to: Workload, options: EdgeOptions, public readonly declaredBy: string) {
    if (from === undefined || from === null || typeof from._toSource !== 'function') failEarly(declaredBy, 'from must be a workload, a ZeroTrustNamespace or a Peer');
    for (const field of ['methods', 'paths', 'ports'] as const) {
      const list = options[field];
      if (list !== undefined && list.length === 0) {
        // Istio reads an absent or empty field as "any value": an empty list would widen the rule.
        failEarly(declaredBy, `${field} is an empty list: Istio reads an empty list as "any". Omit ${field} to allow every value, or name the values`);
      }
    }
    failEarly(declaredBy,
      ...(options.methods ?? []).map(checkMethod),
      ...(options.paths ?? []).map(checkPath),
      ...(options.ports ?? []).map((p) => checkPort('port', p)));
    // Copied, so that changing the caller's arrays later cannot change the declared edge.
    if (options.methods) this.methods = [...options.methods];
    if (options.paths) this.paths = [...options.paths];
    if (options.ports) this.ports = [...options.ports];
  }

  /** The edge in the intent model. Built field by field, in one order: once per edge per synth. */
  public toModel(): EdgeModel {
    const edge: { -readonly [K in keyof EdgeModel]?: EdgeModel[K] } = {
      from: this.from._toSource(),
      to: { namespace: this.to.namespaceName, workload: this.to.name },
    };
    if (this.methods) edge.methods = [...this.methods];
    if (this.paths) edge.paths = [...this.paths];
    if (this.ports) edge.ports = [...this.ports];
    edge.origin = this.declaredBy;
    return edge as EdgeModel;
  }
}
