import { Construct } from 'constructs';
import { EdgeDeclaration, IAllowEdge } from './edge-declaration';
import { failEarly } from './core/values';
import { checkInput, pathOf } from './options/check';
import { fastAllowEdgeProps } from './options/fast';
import * as Options from './options/schemas';
import type { IPeer } from './peer';
import type { EdgeOptions } from './types';
import { IWorkload, Workload } from './workload';
import { useDictionaryChildren } from './zero-trust-mesh';

export interface AllowEdgeProps extends EdgeOptions {
  /** Who may call: a workload, a namespace, or a Peer. */
  readonly from: IPeer;
  /** The workload that is called. It must be declared in a ZeroTrustNamespace. */
  readonly to: IWorkload;
}

/**
 * Admits requests from a peer to a workload, optionally limited to methods, paths and ports. The
 * rule lands in the destination's ALLOW policy (`<to>-allow`), where Istio enforces it.
 *
 * `destination.allowFrom(peer)` declares the same edge without a construct of its own; use
 * AllowEdge to give an edge an id and a place of your choosing in the construct tree.
 */
export class AllowEdge extends Construct implements IAllowEdge {
  public readonly from: IPeer;
  public readonly to: Workload;
  public readonly methods?: readonly string[];
  public readonly paths?: readonly string[];
  public readonly ports?: readonly number[];
  public readonly enforcement?: IAllowEdge['enforcement'];
  public readonly declaredBy: string;

  constructor(scope: Construct, id: string, props: AllowEdgeProps) {
    const where = pathOf('AllowEdge', scope, id); // checks the scope and the id first
    props = fastAllowEdgeProps(props) ?? checkInput(where, { argument: 'props' }, Options.allowEdgeProps, props);
    // A workload's children table is made when its first AllowEdge comes (see useDictionaryChildren).
    if (scope instanceof Workload) useDictionaryChildren(scope);
    super(scope, id);
    if (!(props.to instanceof Workload)) {
      failEarly(this.node.path, `edge to ${props.to?.namespaceName}/${props.to?.name}: the destination is outside any ZeroTrustNamespace, so no policy can be emitted for it. ` +
        'Declare the workload with ZeroTrustNamespace.addWorkload()');
    }
    if (scope instanceof Workload && scope._declaresEdge(id)) {
      failEarly(this.node.path, `construct id "${id}" is already the id of an edge declared with allowFrom/allowTo on workload ${scope.namespaceName}/${scope.name}; choose another id`);
    }
    const declaration = new EdgeDeclaration(props.from, props.to as Workload, props, this.node.path);
    ({ from: this.from, to: this.to, methods: this.methods, paths: this.paths, ports: this.ports, enforcement: this.enforcement, declaredBy: this.declaredBy } = declaration);
    // The destination contributes the edge to the model; the edge reports its own issues.
    declaration.declaredAs = this;
    this.to._addInbound(declaration);
    this.to.namespace.mesh._attach(this);
  }
}
