// The semantic difference between two configurations: not which YAML lines moved, but what access
// changed. Edges added and removed, layer-7 scope widened or narrowed (per port), mTLS modes
// weakened or strengthened, external services added or removed, policies moved between dry-run
// and enforced. Both sides should share one inventory, so that the same workloads are compared.
import { Analysis, prepare } from './analysis';
import { compare, declaredBy, isDryRun, objectId } from './config';
import { accessCovers } from './coverage';
import { namedPorts } from './decide';
import type { ExternalService } from './external';
import { formatRequests } from './format';
import type { MtlsMode } from './peer-authentication';
import { Access, reachability, ReachabilityGraph, ReachEdge } from './reachability';
import { resolveDestination } from './request';

export type EdgeChangeKind = 'added' | 'removed' | 'widened' | 'narrowed' | 'changed';

export interface EdgeChange {
  readonly kind: EdgeChangeKind;
  readonly from: string;
  readonly to: string;
  /** True when the new configuration admits a request the old one did not. */
  readonly widens: boolean;
  readonly before: readonly Access[];
  readonly after: readonly Access[];
  /** Per port: "any port: GET /a -> GET, POST /a". */
  readonly details: readonly string[];
}

export interface ModeChange {
  readonly kind: 'weakened' | 'strengthened';
  /** "ns/name", or "ns/*" for the namespace default. */
  readonly workload: string;
  readonly port: number | 'other';
  readonly before: MtlsMode;
  readonly after: MtlsMode;
  readonly beforeSource?: string;
  readonly afterSource?: string;
}

export interface ExternalChange {
  readonly kind: 'added' | 'removed' | 'changed';
  /** "namespace/host". */
  readonly key: string;
  readonly widens: boolean;
  readonly details: readonly string[];
}

export interface EnforcementChange {
  readonly kind: 'enforced to dry-run' | 'dry-run to enforced';
  readonly policy: string;
  readonly declaredBy?: string;
}

export interface SemanticDiff {
  readonly edges: readonly EdgeChange[];
  readonly modes: readonly ModeChange[];
  readonly external: readonly ExternalChange[];
  readonly enforcement: readonly EnforcementChange[];
  /** Every caller evaluated on either side (to group "anyone" changes). */
  readonly callers: readonly string[];
  /** The callers without a mesh identity. */
  readonly plaintextCallers: readonly string[];
  /** True when anything admits more than before. */
  readonly widens: boolean;
}

const STRENGTH: Record<MtlsMode, number> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

export function semanticDiff(before: Analysis, after: Analysis): SemanticDiff {
  const old = reachability(before);
  const now = reachability(after);
  const edges = edgeChanges(before, after, old, now);
  const modes = modeChanges(before, after);
  const external = externalChanges(old.external, now.external);
  const enforcement = enforcementChanges(before, after);
  const widens = edges.some((e) => e.widens) || modes.some((m) => m.kind === 'weakened') || external.some((e) => e.widens)
    || enforcement.some((e) => e.kind === 'enforced to dry-run');
  const callers = [...new Set([...old.callers, ...now.callers])].sort(compare);
  const plaintextCallers = [...new Set([...old.plaintextCallers, ...now.plaintextCallers])].sort(compare);
  return { edges, modes, external, enforcement, callers, plaintextCallers, widens };
}

/** True when nothing changed. */
export function isEmptyDiff(diff: SemanticDiff): boolean {
  return diff.edges.length + diff.modes.length + diff.external.length + diff.enforcement.length === 0;
}

function edgeChanges(before: Analysis, after: Analysis, old: ReachabilityGraph, now: ReachabilityGraph): EdgeChange[] {
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
  return changes;
}

/** The access on a port: its own entry, or the "other ports" one when the side names no such port. */
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

/** "port 9090: a -> b" and "other ports: a -> b" with the same change read as one "any port" line. */
function collapseDetails(details: string[]): string[] {
  const changes = details.map((d) => d.slice(d.indexOf(': ') + 2));
  if (details.length > 1 && new Set(changes).size === 1) return [`any port: ${changes[0]}`];
  return details;
}

function modeChanges(before: Analysis, after: Analysis): ModeChange[] {
  const pb = prepare(before);
  const pa = prepare(after);
  const targets = new Map<string, { namespace: string; name?: string }>();
  for (const analysis of [before, after]) {
    for (const w of analysis.inventory.workloads) if (w.sidecar) targets.set(`${w.namespace}/${w.name}`, { namespace: w.namespace, name: w.name });
  }
  const root = after.inventory.rootNamespace;
  for (const ns of new Set([...pb.namespaces, ...pa.namespaces])) if (ns !== root) targets.set(`${ns}/*`, { namespace: ns });
  const changes: ModeChange[] = [];
  for (const [ref, target] of [...targets.entries()].sort(([x], [y]) => compare(x, y))) {
    const wb = target.name ? before.inventory.workloads.find((w) => w.namespace === target.namespace && w.name === target.name) : undefined;
    const wa = target.name ? after.inventory.workloads.find((w) => w.namespace === target.namespace && w.name === target.name) : undefined;
    const mb = pb.mtlsOf(target.namespace, wb ?? wa);
    const ma = pa.mtlsOf(target.namespace, wa ?? wb);
    const other = { b: mb.modeFor(undefined), a: ma.modeFor(undefined) };
    const ports = [...new Set([...mb.ports, ...ma.ports])].sort((x, y) => x - y);
    for (const port of [...ports, 'other' as const]) {
      const b = port === 'other' ? other.b : mb.modeFor(port);
      const a = port === 'other' ? other.a : ma.modeFor(port);
      if (b.mode === a.mode) continue;
      // A named port that changes exactly like the workload is reported once, with the workload.
      if (port !== 'other' && b.mode === other.b.mode && a.mode === other.a.mode) continue;
      changes.push({
        kind: STRENGTH[a.mode] < STRENGTH[b.mode] ? 'weakened' : 'strengthened',
        workload: ref, port, before: b.mode, after: a.mode,
        ...(b.source ? { beforeSource: b.source } : {}), ...(a.source ? { afterSource: a.source } : {}),
      });
    }
  }
  return changes;
}

function externalChanges(before: readonly ExternalService[], after: readonly ExternalService[]): ExternalChange[] {
  const index = (list: readonly ExternalService[]) => {
    const map = new Map<string, ExternalService[]>();
    for (const svc of list) {
      for (const host of svc.hosts) {
        const k = `${svc.id.split('/')[0]}/${host}`;
        map.set(k, [...(map.get(k) ?? []), svc]);
      }
    }
    return map;
  };
  const b = index(before);
  const a = index(after);
  const lines = (list: ExternalService[] | undefined) => new Set((list ?? []).flatMap((svc) => [
    ...svc.ports.map((p) => `port ${p.number} ${p.protocol}${p.targetPort !== undefined && p.targetPort !== p.number ? ` to ${p.targetPort}` : ''}`),
    ...svc.clients.map((c) => `client ${c.client} on port ${c.port} with tls ${c.tls}`),
  ]));
  const problems = (list: ExternalService[] | undefined) => new Set((list ?? []).flatMap((svc) => svc.problems));
  const changes: ExternalChange[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort(compare)) {
    const lb = lines(b.get(key));
    const la = lines(a.get(key));
    const added = [...la].filter((l) => !lb.has(l)).sort(compare);
    const removed = [...lb].filter((l) => !la.has(l)).sort(compare);
    const pb = problems(b.get(key));
    const pa = problems(a.get(key));
    const details = [
      ...added.map((l) => `+ ${l}`),
      ...removed.map((l) => `- ${l}`),
      ...[...pa].filter((p) => !pb.has(p)).map((p) => `new problem: ${p}`),
      ...[...pb].filter((p) => !pa.has(p)).map((p) => `fixed: ${p}`),
    ];
    if (details.length === 0) continue;
    const kind = !b.has(key) ? 'added' : !a.has(key) ? 'removed' : 'changed';
    changes.push({ kind, key, widens: added.length > 0, details });
  }
  return changes;
}

function enforcementChanges(before: Analysis, after: Analysis): EnforcementChange[] {
  const policies = (analysis: Analysis) => new Map(analysis.config.objects.filter((o) => o.kind === 'AuthorizationPolicy').map((o) => [objectId(o), o]));
  const b = policies(before);
  const a = policies(after);
  const changes: EnforcementChange[] = [];
  for (const [id, policy] of [...a.entries()].sort(([x], [y]) => compare(x, y))) {
    const previous = b.get(id);
    if (!previous || isDryRun(previous) === isDryRun(policy)) continue;
    const owners = declaredBy(policy);
    changes.push({
      kind: isDryRun(policy) ? 'enforced to dry-run' : 'dry-run to enforced',
      policy: id,
      ...(owners ? { declaredBy: [...new Set(owners)].join(', ') } : {}),
    });
  }
  return changes;
}
