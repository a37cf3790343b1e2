import { Construct } from 'constructs';
import type { EdgeModel } from './core/model';
import { checkMethod, checkPath, checkPort, failEarly } from './core/values';
import type { IPeer } from './peer';
import type { EdgeOptions } from './types';
import { IWorkload, Workload } from './workload';
import { IMeshMember, MeshModelBuilder } from './zero-trust-mesh';

export interface AllowEdgeProps extends EdgeOptions {
  /** Who may call: a workload, a namespace, or a Peer. */
  readonly from: IPeer;
  /** The workload that is called. It must be declared in a ZeroTrustNamespace. */
  readonly to: IWorkload;
}

/**
 * Admits requests from a peer to a workload, optionally limited to methods, paths and ports. The
 * rule lands in the destination's ALLOW policy (`<to>-allow`), where Istio enforces it.
 */
export class AllowEdge extends Construct implements IMeshMember {
  public readonly from: IPeer;
  public readonly to: Workload;
  private readonly options: EdgeOptions;

  constructor(scope: Construct, id: string, props: AllowEdgeProps) {
    super(scope, id);
    if (!(props.to instanceof Workload)) {
      failEarly(this.node.path, `edge to ${props.to?.namespaceName}/${props.to?.name}: the destination is outside any ZeroTrustNamespace, so no policy can be emitted for it. ` +
        'Declare the workload with ZeroTrustNamespace.addWorkload()');
    }
    if (props.from === undefined || typeof props.from._toSource !== 'function') failEarly(this.node.path, 'from must be a workload, a ZeroTrustNamespace or a Peer');
    this.from = props.from;
    this.to = props.to as Workload;
    this.options = { methods: props.methods, paths: props.paths, ports: props.ports };
    for (const field of ['methods', 'paths', 'ports'] as const) {
      const list = props[field];
      if (list !== undefined && list.length === 0) {
        failEarly(this.node.path, `${field} is an empty list: Istio reads an empty list as "any". Omit ${field} to allow every value, or name the values`);
      }
    }
    failEarly(this.node.path,
      ...(props.methods ?? []).map(checkMethod),
      ...(props.paths ?? []).map(checkPath),
      ...(props.ports ?? []).map((p) => checkPort('port', p)));
    this.to.namespace.mesh._register(this);
  }

  /** @internal */
  public _contribute(model: MeshModelBuilder): void {
    // Built field by field, in the same order, rather than with spreads: once per edge per synth.
    const edge: { -readonly [K in keyof EdgeModel]?: EdgeModel[K] } = {
      from: this.from._toSource(),
      to: { namespace: this.to.namespaceName, workload: this.to.name },
    };
    if (this.options.methods) edge.methods = [...this.options.methods];
    if (this.options.paths) edge.paths = [...this.options.paths];
    if (this.options.ports) edge.ports = [...this.options.ports];
    edge.origin = this.node.path;
    model.edges.push(edge as EdgeModel);
  }
}
