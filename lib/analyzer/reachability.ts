// Who can reach whom. For every caller, destination and port class, the same evaluation as
// decide(), but symbolic in the layer-7 attributes: instead of a verdict for one method and path,
// it collects the methods, paths and hosts the matching ALLOW rules admit (and the ones partial
// DENY rules take away). Port classes: each port a policy names, plus "any other port".
// Callers that the policies of a destination cannot tell apart are evaluated once (callers.ts), so
// the work grows with the configuration and the edges found, not with callers × destinations.
import { ambientState, waypointOf } from './ambient';
import { Analysis, prepare, Prepared } from './analysis';
import type { Access } from './access';
import { callerEngine, GraphNode } from './callers';
import { compare } from './config';
import { externalServices, ExternalService } from './external';
import { resolveDestination, UnknownWorkloadError } from './request';

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
  /** The selection the graph was limited to, if any. */
  readonly selection?: ReachabilitySelection;
  /**
   * Ambient namespaces among the destinations, with the workloads whose Service uses a waypoint:
   * access to those from ambient clients and gateways is decided at the waypoint, and their ztunnel admits the waypoint and the layer-4 edges only.
   */
  readonly ambient?: readonly { readonly namespace: string; readonly behindWaypoint: readonly { readonly workload: string; readonly waypoint: string }[] }[];
}

/**
 * A part of the graph. A selector is a namespace (every node of it: its workloads, its "other
 * workloads" and the identities of its service accounts) or the id of one node (`ns/workload`,
 * `ns/*`, `principal:<td>/ns/<ns>/sa/<sa>`, `plaintext`, `*\/*`).
 */
export interface ReachabilitySelection {
  /** Only these destinations. */
  readonly to?: readonly string[];
  /** Only these callers. */
  readonly from?: readonly string[];
}

export interface ReachabilityOptions extends ReachabilitySelection {
  /**
   * Refuse (GraphTooLargeError) a graph with more caller-destination pairs than this: in a large
   * mesh, a destination open to every workload is one pair per workload.
   * @default - no limit
   */
  readonly maxPairs?: number;
}

/** The graph has more pairs than `maxPairs` allows; select a part of it. */
export class GraphTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphTooLargeError';
  }
}

/** Who-can-reach-whom for every known caller and destination, or the selected ones. */
export function reachability(analysis: Analysis, options: ReachabilityOptions = {}): ReachabilityGraph {
  const p = prepare(analysis);
  const engine = callerEngine(p);
  const destinations = select(engine.destinations, options.to, 'destination', '--to');
  const chosen = options.from ? new Set(select(engine.callers.map((c) => c.node), options.from, 'caller', '--from').map((n) => n.id)) : undefined;
  // With callers selected, each is asked on its own: a few callers, not every member of a class.
  const callers = chosen ? engine.callers.filter((c) => chosen.has(c.id)) : engine.callers;
  const maxPairs = options.maxPairs ?? Infinity;
  const edges: ReachEdge[] = [];
  let evaluated = 0;
  for (const destination of destinations) {
    if (chosen) {
      const d = engine.access(destination);
      for (const caller of callers) {
        const access = engine.accessOf(d, caller);
        if (access && access.length > 0) edges.push({ from: caller.id, to: destination.id, access });
      }
    } else {
      for (const { from, access } of engine.edgesTo(destination)) edges.push({ from, to: destination.id, access });
    }
    evaluated++;
    if (edges.length > maxPairs) {
      throw new GraphTooLargeError(`the graph has more than ${maxPairs.toLocaleString('en-US')} caller-destination pairs (${edges.length.toLocaleString('en-US')} ` +
        `after ${evaluated.toLocaleString('en-US')} of ${destinations.length.toLocaleString('en-US')} destinations): select a part of it with --to or --from (a namespace or a workload), or raise --max-pairs`);
    }
  }
  edges.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  const used = new Set<string>();
  for (const e of edges) {
    used.add(e.from);
    used.add(e.to);
  }
  // Workloads are drawn even without edges: every one of them, or the selected ones.
  const shown = options.to || chosen ? new Set([...(options.to ? destinations.map((d) => d.id) : []), ...(chosen ?? [])]) : undefined;
  const nodes = [...new Map([...engine.callers.map((c) => c.node), ...engine.destinations].map((n) => [n.id, n])).values()]
    .filter((n) => used.has(n.id) || (n.kind === 'workload' && (!shown || shown.has(n.id))))
    .sort((a, b) => compare(a.id, b.id));
  // External services are reached from their clients: shown for the selected callers, not for selected destinations.
  const external = options.to ? [] : externalServices(analysis)
    .map((svc) => (chosen ? { ...svc, clients: svc.clients.filter((c) => chosen.has(c.client)) } : svc))
    .filter((svc) => svc.clients.length > 0 || !chosen);
  const selection = options.to || options.from ? { ...(options.to ? { to: options.to } : {}), ...(options.from ? { from: options.from } : {}) } : undefined;
  const ambient = ambientSummary(p, destinations);
  return {
    nodes,
    callers: callers.map((c) => c.id),
    plaintextCallers: engine.plaintextCallers.filter((id) => !chosen || chosen.has(id)),
    edges,
    external,
    ...(selection ? { selection } : {}),
    ...(ambient.length > 0 ? { ambient } : {}),
  };
}

function ambientSummary(p: Prepared, destinations: readonly GraphNode[]): NonNullable<ReachabilityGraph['ambient']> {
  const byNamespace = new Map<string, { workload: string; waypoint: string }[]>();
  for (const d of destinations) {
    if (d.namespace === undefined) continue;
    const workload = resolveDestination(p.analysis.inventory, d.id);
    if (ambientState(p, workload) !== 'AMBIENT') continue;
    if (!byNamespace.has(d.namespace)) byNamespace.set(d.namespace, []);
    const waypoint = d.kind === 'workload' ? waypointOf(p, workload) : undefined;
    if (waypoint !== undefined) byNamespace.get(d.namespace)!.push({ workload: d.id, waypoint: `${d.namespace}/${waypoint}` });
  }
  return [...byNamespace.entries()].sort(([a], [b]) => compare(a, b)).map(([namespace, behindWaypoint]) => ({ namespace, behindWaypoint }));
}

/** The nodes the selectors name; every selector must name at least one. */
function select(nodes: readonly GraphNode[], selectors: readonly string[] | undefined, what: string, option: string): readonly GraphNode[] {
  if (selectors === undefined) return nodes;
  const out = new Map<string, GraphNode>();
  for (const selector of selectors) {
    const matching = nodes.filter((n) => selects(selector, n));
    if (matching.length === 0) {
      const forms = option === '--to' ? 'a namespace or namespace/workload' : 'a namespace, namespace/workload, namespace/*, plaintext or principal:<td>/ns/<ns>/sa/<sa>';
      throw new UnknownWorkloadError(`${option} ${selector}: no ${what} is ${selector.includes('/') || selector.includes(':') ? 'called' : 'in namespace'} ${selector} (give ${forms} of the configuration)`);
    }
    for (const n of matching) out.set(n.id, n);
  }
  return [...out.values()].sort((a, b) => compare(a.id, b.id));
}

/** Does a selector (a namespace, or a node id) name this node? */
export function selects(selector: string, node: GraphNode): boolean {
  return node.id === selector || (!selector.includes('/') && node.namespace === selector);
}
