// The edges of a mesh grouped by destination, built once per compilation and shared by the
// validator's per-destination checks and by the compiler (one ALLOW policy per destination).
// Grouping by the destination's namespace and then its name builds no key string per edge: at
// hundreds of thousands of edges, key strings and per-edge wrappers alive through a whole pass
// cost more in garbage collection than the checks themselves.
import type { EdgeModel } from './model';

export interface EdgeIndex {
  /** By destination namespace, then workload name; each list in declaration order. */
  readonly byTarget: ReadonlyMap<string, ReadonlyMap<string, readonly EdgeModel[]>>;
  /** Edges whose destination is not a pair of strings (a model built by hand, refused by the validator). */
  readonly unindexed: readonly EdgeModel[];
}

export function indexEdges(edges: readonly EdgeModel[]): EdgeIndex {
  const byTarget = new Map<string, Map<string, EdgeModel[]>>();
  const unindexed: EdgeModel[] = [];
  for (let i = 0; i < edges.length; i++) { // indexed: no iterator per step before the loop is optimized
    const edge = edges[i];
    const to = typeof edge === 'object' && edge !== null ? edge.to : undefined;
    if (typeof to !== 'object' || to === null || typeof to.namespace !== 'string' || typeof to.workload !== 'string') {
      unindexed.push(edge);
      continue;
    }
    let names = byTarget.get(to.namespace);
    if (!names) byTarget.set(to.namespace, (names = new Map()));
    const list = names.get(to.workload);
    if (list) list.push(edge);
    else names.set(to.workload, [edge]);
  }
  return { byTarget, unindexed };
}

/** The edges toward one workload, in declaration order (none: an empty list). */
export function edgesToward(index: EdgeIndex, namespace: string, workload: string): readonly EdgeModel[] {
  return index.byTarget.get(namespace)?.get(workload) ?? NONE;
}

const NONE: readonly EdgeModel[] = Object.freeze([]);
