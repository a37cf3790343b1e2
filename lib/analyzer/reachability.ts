// Who can reach whom. For every caller, destination and port class, the same evaluation as
// decide(), but symbolic in the layer-7 attributes: instead of a verdict for one method and path,
// it collects the methods, paths and hosts the matching ALLOW rules admit (and the ones partial
// DENY rules take away). Port classes: each port a policy names, plus "any other port".
// Callers that the policies of a destination cannot tell apart are evaluated once (callers.ts), so
// the work grows with the configuration and the edges found, not with callers × destinations.
import { Analysis, prepare } from './analysis';
import type { Access } from './access';
import { callerEngine, GraphNode } from './callers';
import { compare } from './config';
import { externalServices, ExternalService } from './external';

export { accessOn, L7_FIELDS } from './access';
export type { Access, Grant } from './access';
export type { GraphNode, NodeKind } from './callers';

export interface ReachEdge {
  readonly from: string;
  readonly to: string;
  /** One entry per port class with access, named ports first, then 'other'. */
  readonly access: readonly Access[];
}

export interface ReachabilityGraph {
  readonly nodes: readonly GraphNode[];
  /** Every caller that was evaluated (edges only list the ones with access). */
  readonly callers: readonly string[];
  /** The callers without a mesh identity: `plaintext` and workloads without a sidecar. */
  readonly plaintextCallers: readonly string[];
  /** Sorted by caller, then destination. */
  readonly edges: readonly ReachEdge[];
  readonly external: readonly ExternalService[];
}

/** Who-can-reach-whom for every known caller and destination. */
export function reachability(analysis: Analysis): ReachabilityGraph {
  const engine = callerEngine(prepare(analysis));
  const edges: ReachEdge[] = [];
  for (const destination of engine.destinations) {
    for (const { from, access } of engine.edgesTo(destination)) edges.push({ from, to: destination.id, access });
  }
  edges.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  const used = new Set<string>();
  for (const e of edges) {
    used.add(e.from);
    used.add(e.to);
  }
  const nodes = [...new Map([...engine.callers.map((c) => c.node), ...engine.destinations].map((n) => [n.id, n])).values()]
    .filter((n) => used.has(n.id) || n.kind === 'workload')
    .sort((a, b) => compare(a.id, b.id));
  return { nodes, callers: engine.callers.map((c) => c.id), plaintextCallers: engine.plaintextCallers, edges, external: externalServices(analysis) };
}
