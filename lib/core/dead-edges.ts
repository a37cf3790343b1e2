// Dead limited edges: an edge whose every request another limited edge of the same ALLOW policy
// already admits. The unlimited cases (an edge without limits next to a limited one) are checked
// in validate.ts (reportDeadEdges, reportShadowedByWiderSources); this module only compares
// limited edges with limited edges, so that no pair is reported twice.
import type { EdgeIndex } from './edge-index';
import type { EdgeModel, SourceModel } from './model';
import { describeSource } from './semantics';

type Report = (path: string, message: string | undefined) => void;

/**
 * Istio ORs the rules of an ALLOW policy, and within one rule a request must match the source
 * and every operation field, each field being OR'ed over its values (a field that is absent
 * matches anything). So a rule whose source contains this edge's source, and whose methods, paths
 * and ports each contain this edge's (absent = every value), admits every request this edge
 * admits: this edge never decides anything.
 *
 * Fail closed means refusing only what is certainly dead: containment is decided on exact values
 * only (a set of values contains another when it has every one of its values), plus one path form
 * Istio defines by prefix ("/api/*" contains "/api/x" and "/api/v1/*"). Anything else (suffix
 * globs, {*} templates against globs, a workload and a service account with the same principal)
 * is never refused. Audited edges are left alone (`audited`: an edge in dry-run toward an enforced
 * workload of an enforced namespace): the enforced stand-in policy of such an edge admits its whole
 * source, so its limits are not what decides, either way. In an audited namespace or workload the
 * edge's own dry-run changes nothing (compile.ts): all its rules are in one dry-run policy, where
 * a contained rule is as dead as in an enforced one.
 *
 * Cost: edges come grouped by destination (lib/core/edge-index.ts); a destination with two
 * limited edges or more is indexed by source. Each edge is compared only with the
 * limited edges toward the same workload from its own source, from its namespace and from any
 * identity: three small groups (the variants of limits one team declares for one client), so
 * the pass stays linear in the mesh. A user who declares k edges with different limits from one
 * source to one workload pays k² comparisons of that group only, and k is what they wrote by hand.
 */
export function reportContainedEdges(index: EdgeIndex, audited: (edge: EdgeModel) => boolean, report: Report): void {
  const containingOf = containingSourcesMemo();
  for (const [namespace, names] of index.byTarget) {
    for (const [workload, list] of names) {
      if (list.length < 2) continue;
      let limited = 0;
      for (let i = 0; i < list.length && limited < 2; i++) if (list[i].methods || list[i].paths || list[i].ports) limited++;
      if (limited >= 2) reportWithin(namespace, workload, list, audited, containingOf, report);
    }
  }
}

/**
 * The edges toward one workload, in declaration order (a position is the order of declaration):
 * indexed by source, each looked up in its own and containing sources.
 */
function reportWithin(
  namespace: string, workload: string, list: readonly EdgeModel[], audited: (edge: EdgeModel) => boolean,
  containingOf: (from: SourceModel) => readonly string[] | undefined, report: Report,
): void {
  const sources = new Map<string, number[]>();
  const candidates: number[] = [];
  // Sources with an unlimited edge toward the workload: their shadows are validate.ts's to report.
  const unlimited = new Set<string>();
  for (let position = 0; position < list.length; position++) {
    const edge = list[position];
    if (!wellFormed(edge)) continue;
    const containing = containingOf(edge.from);
    if (containing === undefined) continue;
    const source = containing[0];
    if (!edge.methods && !edge.paths && !edge.ports) {
      unlimited.add(source);
      continue;
    }
    if (audited(edge)) continue;
    let group = sources.get(source);
    if (!group) sources.set(source, (group = []));
    group.push(position);
    candidates.push(position);
  }
  if (candidates.length < 2) return;
  for (const position of candidates) {
    const edge = list[position];
    const containing = containingOf(edge.from)!;
    if (shadowedByUnlimited(containing, unlimited)) continue;
    for (const wider of containing) {
      const group = sources.get(wider);
      if (!group) continue;
      const sameSource = wider === containing[0];
      // Two edges of one source with equal limits (in another order) contain each other: only the
      // later declaration is reported. An edge of a wider source contains this one whatever the
      // order of declaration (the narrower edge is the dead one, and never the wider one).
      let cover: number | undefined;
      for (let i = 0; i < group.length && cover === undefined; i++) {
        const c = group[i];
        if (c !== position && contains(list[c], edge) && !(sameSource && c > position && contains(edge, list[c]))) cover = c;
      }
      if (cover === undefined) continue;
      const coverEdge = list[cover];
      report(edge.origin, `edge ${describeSource(edge.from)} -> ${namespace}/${workload} is a dead rule: the edge declared by ${coverEdge.origin} already admits every request this edge admits ` +
        `(${describeContainment(coverEdge, edge)}) from ${sameSource ? 'the same source' : `${describeSource(coverEdge.from)}, which includes ${describeSource(edge.from)}`}, ` +
        'so this edge never decides anything. Remove this edge, or merge the limits of both into one edge');
      break;
    }
  }
}

/** Whether one of the sources is among those with an unlimited edge (validate.ts reports those shadows). */
function shadowedByUnlimited(containing: readonly string[], unlimited: ReadonlySet<string>): boolean {
  if (unlimited.size === 0) return false;
  for (let i = 0; i < containing.length; i++) if (unlimited.has(containing[i])) return true;
  return false;
}

/** Only edges whose fields have the validated shapes; anything else is refused by validateEdge. */
function wellFormed(edge: EdgeModel): boolean {
  if (typeof edge.from !== 'object' || edge.from === null || typeof edge.to !== 'object' || edge.to === null) return false;
  if (typeof edge.to.namespace !== 'string' || typeof edge.to.workload !== 'string') return false;
  return wellFormedList(edge.methods, 'string') && wellFormedList(edge.paths, 'string') && wellFormedList(edge.ports, 'number');
}

/** Absent, or a non-empty list of values of one type (an indexed loop: this runs for every edge of a destination with limits). */
function wellFormedList(list: unknown, type: 'string' | 'number'): boolean {
  if (list === undefined) return true;
  if (!Array.isArray(list) || list.length === 0) return false;
  for (let i = 0; i < list.length; i++) if (typeof list[i] !== type) return false;
  return true;
}

/** One key per source as Istio matches it: a principal's trust domain is part of it. */
function sourceKey(from: SourceModel): string | undefined {
  switch (from.kind) {
    case 'workload': return typeof from.namespace === 'string' && typeof from.name === 'string' ? `workload:${from.namespace}/${from.name}@${from.trustDomain ?? ''}` : undefined;
    case 'serviceAccount': return typeof from.namespace === 'string' && typeof from.serviceAccount === 'string' ? `sa:${from.namespace}/${from.serviceAccount}@${from.trustDomain ?? ''}` : undefined;
    case 'namespace': return typeof from.namespace === 'string' ? `namespace:${from.namespace}` : undefined;
    case 'anyAuthenticated': return 'any';
    default: return undefined;
  }
}

/**
 * containingSources, once per source object of one validation: a mesh's edges share their sources
 * (a workload's is one frozen object, whatever the number of its edges), so most edges cost a
 * lookup rather than three key strings. Undefined for a source without a key.
 */
function containingSourcesMemo(): (from: SourceModel) => readonly string[] | undefined {
  const known = new Map<SourceModel, readonly string[] | undefined>();
  return (from) => {
    let containing = known.get(from);
    if (containing === undefined && !known.has(from)) known.set(from, (containing = containingSources(from)));
    return containing;
  };
}

/**
 * The sources whose rules admit every request of this one, itself first; undefined for a source
 * without a key. `namespaces: [ns]` matches every identity of ns in any trust domain;
 * `principals: ["*"]` every mTLS identity.
 */
function containingSources(from: SourceModel): string[] | undefined {
  const own = sourceKey(from);
  if (own === undefined) return undefined;
  switch (from.kind) {
    case 'workload':
    case 'serviceAccount': return [own, `namespace:${from.namespace}`, 'any'];
    case 'namespace': return [own, 'any'];
    default: return [own];
  }
}

/** Whether every request `narrow` admits (source aside) is admitted by `wide`. */
function contains(wide: EdgeModel, narrow: EdgeModel): boolean {
  return containsValues(wide.methods, narrow.methods, (a, b) => a === b)
    && containsValues(wide.ports, narrow.ports, (a, b) => a === b)
    && containsValues(wide.paths, narrow.paths, pathContains);
}

/** Absent on the wide side: every value. Absent on the narrow side only: not contained. */
function containsValues<T>(wide: readonly T[] | undefined, narrow: readonly T[] | undefined, covers: (w: T, n: T) => boolean): boolean {
  if (wide === undefined) return true;
  if (narrow === undefined) return false;
  return narrow.every((n) => wide.some((w) => covers(w, n)));
}

/**
 * Istio path matching: a value ending in "*" (and with no other "*") is a prefix match, one with
 * "{...}" a URI template, one starting with "*" a suffix match, anything else an exact match. Equal
 * values match the same requests; a prefix match also contains an exact value or a narrower prefix
 * that starts with its prefix. Nothing else is treated as contained.
 */
function pathContains(wide: string, narrow: string): boolean {
  if (wide === narrow) return true;
  if (!isPrefix(wide)) return false;
  const prefix = wide.slice(0, -1);
  if (isPrefix(narrow)) return narrow.slice(0, -1).startsWith(prefix);
  return isExact(narrow) && narrow.startsWith(prefix);
}

const isPrefix = (path: string) => path.length > 1 && path.endsWith('*') && isExact(path.slice(0, -1));
const isExact = (path: string) => !path.includes('*') && !path.includes('{') && !path.includes('}');

function describeContainment(wide: EdgeModel, narrow: EdgeModel): string {
  const parts: string[] = [];
  const describe = (name: string, w: readonly unknown[] | undefined, n: readonly unknown[] | undefined) => {
    if (w === undefined && n === undefined) return;
    parts.push(w === undefined ? `any ${name.slice(0, -1)}` : `${name} ${JSON.stringify(w)} include ${JSON.stringify(n)}`);
  };
  describe('methods', wide.methods, narrow.methods);
  describe('paths', wide.paths, narrow.paths);
  describe('ports', wide.ports, narrow.ports);
  return parts.join(', ');
}
