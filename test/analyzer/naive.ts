// The analyzer's reachability, diff and readiness as they were first written: every caller against
// every destination and port class, one at a time (quadratic). The oracle for the class-based
// implementation (scale.test.ts): both must give the very same results.
import { Analysis, prepare } from '../../lib/analyzer/analysis';
import { Access, accessOn } from '../../lib/analyzer/access';
import { callerNodes, destinationsOf, GraphNode } from '../../lib/analyzer/callers';
import { compare, IstioConfig, IstioObject, objectId } from '../../lib/analyzer/config';
import { accessCovers } from '../../lib/analyzer/coverage';
import { ACTION_ORDER, applicablePolicies, namedPorts } from '../../lib/analyzer/decide';
import { externalServices } from '../../lib/analyzer/external';
import { actionOf } from '../../lib/analyzer/authorization';
import { workloadRef } from '../../lib/analyzer/inventory';
import { formatRequests } from '../../lib/analyzer/format';
import type { EdgeChange, EdgeChangeKind } from '../../lib/analyzer/diff';
import type { BreakingClient, ReadinessReport } from '../../lib/analyzer/readiness';
import type { ReachabilityGraph, ReachEdge } from '../../lib/analyzer/reachability';
import { resolveClient, resolveDestination } from '../../lib/analyzer/request';
import type { MtlsMode } from '../../lib/analyzer/peer-authentication';

export function naiveReachability(analysis: Analysis): ReachabilityGraph {
  const p = prepare(analysis);
  const sources = callerNodes(p);
  const destinations = destinationsOf(p);
  const edges: ReachEdge[] = [];
  const clients = new Map(sources.map((s) => [s.id, resolveClient(analysis.inventory, s.id)]));
  for (const destination of destinations) {
    const workload = resolveDestination(analysis.inventory, destination.id);
    const ports: (number | 'other')[] = [...namedPorts(p, workload), 'other'];
    const policies = applicablePolicies(p, workload)
      .sort((a, b) => ACTION_ORDER.indexOf(actionOf(a)) - ACTION_ORDER.indexOf(actionOf(b)) || compare(objectId(a), objectId(b)));
    for (const source of sources) {
      if (source.id === destination.id) continue;
      const client = clients.get(source.id)!;
      const access = ports.map((port) => accessOn(p, client, workload, port, policies)).filter((a): a is Access => a !== undefined);
      if (access.length > 0) edges.push({ from: source.id, to: destination.id, access });
    }
  }
  edges.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  const used = new Set([...edges.flatMap((e) => [e.from, e.to])]);
  const nodes: GraphNode[] = [...new Map([...sources, ...destinations].map((n) => [n.id, n])).values()]
    .filter((n) => used.has(n.id) || n.kind === 'workload')
    .sort((a, b) => compare(a.id, b.id));
  const plaintextCallers = ['plaintext', ...analysis.inventory.workloads.filter((w) => !w.sidecar).map(workloadRef)].sort(compare);
  return { nodes, callers: sources.map((s) => s.id), plaintextCallers, edges, external: externalServices(analysis) };
}

/** The edge changes of semanticDiff, from two full graphs. */
export function naiveEdgeChanges(before: Analysis, after: Analysis): { edges: EdgeChange[]; callers: string[]; plaintextCallers: string[] } {
  const old = naiveReachability(before);
  const now = naiveReachability(after);
  const key = (e: { from: string; to: string }) => `${e.from}\u0000${e.to}`;
  const oldEdges = new Map(old.edges.map((e) => [key(e), e]));
  const newEdges = new Map(now.edges.map((e) => [key(e), e]));
  const changes: EdgeChange[] = [];
  for (const k of [...new Set([...oldEdges.keys(), ...newEdges.keys()])].sort(compare)) {
    const a = oldEdges.get(k);
    const b = newEdges.get(k);
    const [from, to] = k.split('\u0000');
    const ports = [...new Set([...(a?.access ?? []), ...(b?.access ?? [])].map((x) => x.port).filter((p): p is number => p !== 'other'))]
      .sort((x, y) => x - y);
    const details: string[] = [];
    let wider = false;
    let narrower = false;
    for (const port of [...ports, 'other' as const]) {
      const x = accessAt(before, a, to, port);
      const y = accessAt(after, b, to, port);
      const w = !accessCovers(x, y);
      const n = !accessCovers(y, x);
      const label = port === 'other' ? (ports.length > 0 ? 'other ports' : 'any port') : `port ${port}`;
      if (w || n) details.push(`${label}: ${describe(x)} -> ${describe(y)}`);
      else if (x && y && (x.dryRunOnly !== y.dryRunOnly || x.transport !== y.transport || x.undecided.join() !== y.undecided.join())) {
        const what = x.dryRunOnly !== y.dryRunOnly ? (y.dryRunOnly ? 'now only open because policies are dry-run' : 'no longer depends on dry-run policies')
          : x.transport !== y.transport ? `transport ${x.transport} -> ${y.transport}` : `undecided: ${y.undecided.join('; ') || 'no longer'}`;
        details.push(`${label}: ${what}`);
      }
      wider ||= w;
      narrower ||= n;
    }
    if (details.length === 0) continue;
    const kind: EdgeChangeKind = !a ? 'added' : !b ? 'removed' : wider && narrower ? 'changed' : wider ? 'widened' : narrower ? 'narrowed' : 'changed';
    changes.push({ kind, from, to, widens: wider, before: a?.access ?? [], after: b?.access ?? [], details: collapseDetails(details) });
  }
  return {
    edges: changes,
    callers: [...new Set([...old.callers, ...now.callers])].sort(compare),
    plaintextCallers: [...new Set([...old.plaintextCallers, ...now.plaintextCallers])].sort(compare),
  };
}

function accessAt(analysis: Analysis, edge: ReachEdge | undefined, to: string, port: number | 'other'): Access | undefined {
  if (!edge) return undefined;
  const own = edge.access.find((x) => x.port === port);
  if (own || port === 'other') return own;
  let named: number[] = [];
  try {
    named = namedPorts(prepare(analysis), resolveDestination(analysis.inventory, to));
  } catch {
    // The destination is not in this side's inventory: it names no port.
  }
  return named.includes(port) ? undefined : edge.access.find((x) => x.port === 'other');
}

function describe(access: Access | undefined): string {
  if (!access) return 'nothing';
  return formatRequests(access) + (access.dryRunOnly ? ' (dry-run only)' : '');
}

function collapseDetails(details: string[]): string[] {
  const changes = details.map((d) => d.slice(d.indexOf(': ') + 2));
  if (details.length > 1 && new Set(changes).size === 1) return [`any port: ${changes[0]}`];
  return details;
}

/** strictReadiness with a full graph per PERMISSIVE namespace. */
export function naiveReadiness(analysis: Analysis): ReadinessReport {
  const p = prepare(analysis);
  const graph = naiveReachability(analysis);
  const root = analysis.inventory.rootNamespace;
  const plaintextAccess = (edge: ReachEdge) => edge.access.filter((a) => a.transport === 'plaintext');
  const namespaces = [];
  for (const ns of p.namespaces) {
    if (ns === root) continue;
    const mode = p.mtlsOf(ns).base;
    if (mode.mode === 'STRICT') continue;
    const strict = naiveReachability({ config: withStrictNamespace(analysis.config, ns), inventory: analysis.inventory });
    const stillOpen = new Set(strict.edges.flatMap((e) => plaintextAccess(e).map((a) => `${e.from}\u0000${e.to}\u0000${a.port}`)));
    const breaking: BreakingClient[] = graph.edges
      .filter((e) => e.to.startsWith(`${ns}/`))
      .map((e) => ({ from: e.from, to: e.to, access: plaintextAccess(e).filter((a) => !stillOpen.has(`${e.from}\u0000${e.to}\u0000${a.port}`)) }))
      .filter((b) => b.access.length > 0);
    const exceptions = analysis.inventory.workloads.filter((w) => w.namespace === ns && w.sidecar).flatMap((w) => {
      const m = p.mtlsOf(ns, w);
      const own = m.workloadPolicy && m.base.source !== mode.source && m.base.mode !== 'STRICT' ? [{ workload: `${ns}/${w.name}`, mode: m.base.mode, ...(m.base.source ? { source: m.base.source } : {}) }] : [];
      const ports = m.ports.map((port) => ({ port, r: m.modeFor(port) })).filter(({ r }) => r.mode !== 'STRICT' && r.port !== undefined)
        .map(({ port, r }) => ({ workload: `${ns}/${w.name}`, port, mode: r.mode, ...(r.source ? { source: r.source } : {}) }));
      return [...own, ...ports];
    });
    namespaces.push({ namespace: ns, mode: mode.mode, ...(mode.source ? { modeSource: mode.source } : {}), breaking, exceptions, queries: [] as string[] });
  }
  const exceptions = [];
  for (const w of analysis.inventory.workloads) {
    if (!w.sidecar || w.namespace === root || p.mtlsOf(w.namespace).base.mode !== 'STRICT') continue;
    const m = p.mtlsOf(w.namespace, w);
    const ref = `${w.namespace}/${w.name}`;
    const scopes: { port?: number; mode: MtlsMode; source?: string }[] = [];
    if (m.base.mode !== 'STRICT') scopes.push({ mode: m.base.mode, ...(m.base.source ? { source: m.base.source } : {}) });
    for (const port of m.ports) {
      const r = m.modeFor(port);
      if (r.mode !== 'STRICT' && r.port !== undefined) scopes.push({ port, mode: r.mode, ...(r.source ? { source: r.source } : {}) });
    }
    for (const scope of scopes) {
      const clients = graph.edges.filter((e) => e.to === ref)
        .map((e) => ({ from: e.from, to: e.to, access: plaintextAccess(e).filter((a) => scope.port === undefined || a.port === scope.port) }))
        .filter((c) => c.access.length > 0);
      exceptions.push({ workload: ref, ...scope, plaintextClients: clients, queries: [] as string[] });
    }
  }
  return { namespaces, exceptions };
}

function withStrictNamespace(config: IstioConfig, namespace: string): IstioConfig {
  const isNamespacePolicy = (o: IstioObject) => o.kind === 'PeerAuthentication' && o.namespace === namespace
    && Object.keys(o.spec.selector?.matchLabels ?? {}).length === 0;
  const strict: IstioObject = {
    kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', name: 'default', namespace, annotations: {},
    spec: { mtls: { mode: 'STRICT' } }, source: { file: '(what-if: STRICT)', document: 0 },
  };
  return { objects: [...config.objects.filter((o) => !isNamespacePolicy(o)), strict], notes: config.notes };
}

/** compressCallers as first written: every caller tested against every group. */
export function naiveCompressCallers<T>(
  items: readonly { from: string; to: string; key: string; value: T }[], callers: readonly string[], plaintextCallers: readonly string[] = ['plaintext'],
): { from: string; to: string; value: T; callers: string[] }[] {
  const groups = new Map<string, { to: string; value: T; callers: string[] }>();
  for (const item of items) {
    const k = `${item.to}\u0000${item.key}`;
    let group = groups.get(k);
    if (!group) groups.set(k, (group = { to: item.to, value: item.value, callers: [] }));
    group.callers.push(item.from);
  }
  const out: { from: string; to: string; value: T; callers: string[] }[] = [];
  for (const group of groups.values()) {
    const all = callers.filter((c) => c !== group.to);
    const mesh = all.filter((c) => !plaintextCallers.includes(c));
    const set = new Set(group.callers);
    if (all.length > 2 && all.every((c) => set.has(c))) out.push({ from: 'anyone', to: group.to, value: group.value, callers: group.callers });
    else if (mesh.length > 2 && mesh.every((c) => set.has(c)) && !plaintextCallers.some((c) => set.has(c))) {
      out.push({ from: 'any mesh workload', to: group.to, value: group.value, callers: group.callers });
    }
    else for (const from of group.callers) out.push({ from, to: group.to, value: group.value, callers: [from] });
  }
  return out.sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
}
