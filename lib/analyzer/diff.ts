// The semantic difference between two configurations: not which YAML lines moved, but what access
// changed. Edges added and removed, layer-7 scope widened or narrowed (per port), mTLS modes
// weakened or strengthened, external services added or removed, policies moved between dry-run
// and enforced. Both sides should share one inventory, so that the same workloads are compared.
import { ambientState, declarations } from './ambient';
import { Analysis, prepare, Prepared } from './analysis';
import type { Access } from './access';
import { Caller, CALLER_CLASSES, callerEngine, CallerEngine, DestinationInputs } from './callers';
import { compare, declaredBy, IstioObject, isDryRun, objectId } from './config';
import { accessCovers } from './coverage';
import { externalServices, ExternalService } from './external';
import { formatRequests, isAudited } from './format';
import { findWorkloadIn, WorkloadInfo } from './inventory';
import type { MtlsMode } from './peer-authentication';

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

/**
 * The mesh-wide default (the PeerAuthentication without a selector in the root namespace) changed
 * mode. Reported even when no workload follows it, since a namespace without its own
 * PeerAuthentication (a new one, say) takes it: a mesh-wide change that alters no access today.
 */
export interface MeshDefaultChange {
  readonly kind: 'weakened' | 'strengthened';
  readonly before: MtlsMode;
  readonly after: MtlsMode;
  readonly beforeSource?: string;
  readonly afterSource?: string;
  /**
   * Workloads (with a sidecar) whose mode comes from the mesh default on either side. Each workload
   * counts once; identities an inferred inventory only saw as callers (`callerOnly`) are not counted.
   */
  readonly reached: number;
  /** Workloads that do not follow it on either side: their namespace's or their own PeerAuthentication sets their mode. */
  readonly overridden: number;
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
  /** Set when the mesh-wide default mode changed, whether or not any workload follows it. */
  readonly meshDefault?: MeshDefaultChange;
  readonly external: readonly ExternalChange[];
  readonly enforcement: readonly EnforcementChange[];
  /** Every caller evaluated on either side (to group "anyone" changes). */
  readonly callers: readonly string[];
  /** The callers without a mesh identity. */
  readonly plaintextCallers: readonly string[];
  /** True when anything admits more than before. */
  readonly widens: boolean;
  /**
   * Namespaces whose data plane changed (sidecar to ambient or back): who enforces their policies
   * changed; what they admit is compared in `edges` like any other change.
   */
  readonly dataplanes?: readonly DataplaneChange[];
}

export interface DataplaneChange {
  readonly namespace: string;
  readonly before: 'SIDECAR' | 'AMBIENT' | 'UNKNOWN';
  readonly after: 'SIDECAR' | 'AMBIENT' | 'UNKNOWN';
}

const STRENGTH: Record<MtlsMode, number> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

export function semanticDiff(before: Analysis, after: Analysis): SemanticDiff {
  const old = callerEngine(prepare(before));
  const now = callerEngine(prepare(after));
  const dataplanes = dataplaneChanges(prepare(before), prepare(after));
  const edges = edgeChanges(before, after, old, now, ambientMoved(prepare(before), prepare(after), dataplanes));
  const modes = modeChanges(before, after);
  const meshDefault = meshDefaultChange(before, after);
  const external = externalChanges(externalServices(before), externalServices(after));
  const enforcement = enforcementChanges(before, after);
  const widens = edges.some((e) => e.widens) || modes.some((m) => m.kind === 'weakened') || external.some((e) => e.widens)
    || enforcement.some((e) => e.kind === 'enforced to dry-run');
  const callers = [...new Set([...old.callers.map((c) => c.id), ...now.callers.map((c) => c.id)])].sort(compare);
  const plaintextCallers = [...new Set([...old.plaintextCallers, ...now.plaintextCallers])].sort(compare);
  return { edges, modes, ...(meshDefault ? { meshDefault } : {}), external, enforcement, callers, plaintextCallers, widens, ...(dataplanes.length > 0 ? { dataplanes } : {}) };
}

/**
 * Namespaces whose destinations must be evaluated again even when their policies are the same:
 * their data plane, or the waypoint of one of their Services, differs between the sides.
 */
function ambientMoved(pb: Prepared, pa: Prepared, dataplanes: readonly DataplaneChange[]): Set<string> {
  const moved = new Set(dataplanes.map((d) => d.namespace));
  const db = declarations(pb);
  const da = declarations(pa);
  for (const ns of new Set([...db.keys(), ...da.keys()])) {
    const wb = db.get(ns)?.waypoints ?? new Map();
    const wa = da.get(ns)?.waypoints ?? new Map();
    if (wb.size !== wa.size || [...wb].some(([k, v]) => wa.get(k) !== v)) moved.add(ns);
  }
  return moved;
}

function dataplaneChanges(pb: Prepared, pa: Prepared): DataplaneChange[] {
  const namespaces = [...new Set([...pb.namespaces, ...pa.namespaces])].sort(compare);
  const pod = (namespace: string): WorkloadInfo => ({ namespace, name: '*', labels: {}, serviceAccount: '', sidecar: true, ports: [], services: [] });
  return namespaces
    .map((namespace) => ({ namespace, before: ambientState(pb, pod(namespace)), after: ambientState(pa, pod(namespace)) }))
    .filter((c) => c.before !== c.after);
}

/** True when nothing changed. */
export function isEmptyDiff(diff: SemanticDiff): boolean {
  return diff.edges.length + diff.modes.length + diff.external.length + diff.enforcement.length + (diff.dataplanes?.length ?? 0) === 0 && !diff.meshDefault;
}

/**
 * The change of the mesh-wide default mode, if its mode changed, with how many workloads follow it
 * and how many override it. Only computed when the root namespace's PeerAuthentications differ.
 */
function meshDefaultChange(before: Analysis, after: Analysis): MeshDefaultChange | undefined {
  const pb = prepare(before);
  const pa = prepare(after);
  const rootB = before.inventory.rootNamespace;
  const rootA = after.inventory.rootNamespace;
  if (rootB === rootA && sameList(pb.peerAuthenticationsIn(rootB), pa.peerAuthenticationsIn(rootA), sameObject)) return undefined;
  const b = pb.mtlsOf(rootB).modeFor(undefined);
  const a = pa.mtlsOf(rootA).modeFor(undefined);
  if (b.mode === a.mode) return undefined;
  // A workload follows the mesh default when its mode comes from a root namespace policy, or from
  // Istio's default (no policy at all, PERMISSIVE) when there is none.
  const follows = (p: Prepared, root: string, namespace: string, w: WorkloadInfo) => {
    const source = p.mtlsOf(namespace, w).base.source;
    return source === undefined || source.startsWith(`${root}/`);
  };
  let reached = 0;
  let overridden = 0;
  const seen = new Set<string>();
  for (const analysis of [before, after]) {
    for (const w of analysis.inventory.workloads) {
      // Plaintext clients have no mode; caller-only identities may be a counted workload's service account.
      if (!w.sidecar || w.callerOnly) continue;
      const id = `${w.namespace}/${w.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const wb = findWorkloadIn(before.inventory, w.namespace, w.name);
      const wa = findWorkloadIn(after.inventory, w.namespace, w.name);
      if ((wb && follows(pb, rootB, w.namespace, wb)) || (wa && follows(pa, rootA, w.namespace, wa))) reached++;
      else overridden++;
    }
  }
  return {
    kind: STRENGTH[a.mode] < STRENGTH[b.mode] ? 'weakened' : 'strengthened',
    before: b.mode, after: a.mode,
    ...(b.source ? { beforeSource: b.source } : {}), ...(a.source ? { afterSource: a.source } : {}),
    reached, overridden,
  };
}

/**
 * Every (caller, destination) whose access changed. A destination whose inputs (workload,
 * policies, mTLS modes, DestinationRules) are the same on both sides, with one inventory, gives
 * every caller the same access on both sides: there only callers known to one side can change.
 * Elsewhere callers are compared class by class, and one by one only where a rule or a
 * DestinationRule singles them out.
 */
function edgeChanges(before: Analysis, after: Analysis, old: CallerEngine, now: CallerEngine, moved: ReadonlySet<string>): EdgeChange[] {
  const changes: { key: string; change: EdgeChange }[] = [];
  const record = (from: string, to: string, a: readonly Access[] | undefined, b: readonly Access[] | undefined, namedA: readonly number[], namedB: readonly number[]) => {
    const change = edgeChange(from, to, a, b, namedA, namedB);
    if (change) changes.push({ key: `${from}\u0000${to}`, change });
  };
  const sameInventory = before.inventory === after.inventory;
  const unchanged = sameInventory ? unchangedNamespaces(prepare(before), prepare(after)) : new Set<string>();
  // (An id listed twice, say a workload listed twice in an inventory file, is one edge.)
  const onlyOld = unique(old.callers.filter((c) => !now.caller(c.id)));
  const onlyNew = unique(now.callers.filter((c) => !old.caller(c.id)));
  const named = (inputs: DestinationInputs | undefined) => (inputs ? inputs.ports.filter((p): p is number => p !== 'other') : []);

  for (const id of new Set([...old.destinations.map((d) => d.id), ...now.destinations.map((d) => d.id)])) {
    const nodeA = old.destination(id);
    const nodeB = now.destination(id);
    const movedNs = (nodeA?.namespace !== undefined && moved.has(nodeA.namespace)) || (nodeB?.namespace !== undefined && moved.has(nodeB.namespace));
    if (nodeA && nodeB && nodeA.namespace !== undefined && unchanged.has(nodeA.namespace) && nodeB.namespace === nodeA.namespace && !movedNs) {
      // Its namespace's policies, the root namespace's and every DestinationRule are the same on both sides.
      if (onlyOld.length + onlyNew.length === 0) continue;
    }
    const inA = nodeA && old.inputs(nodeA);
    const inB = nodeB && now.inputs(nodeB);
    if (inA && inB && sameInventory && !movedNs && sameInputs(old, now, inA, inB)) {
      for (const c of onlyOld) record(c.id, id, old.accessAlone(inA, c), undefined, named(inA), named(inB));
      for (const c of onlyNew) record(c.id, id, undefined, now.accessAlone(inB, c), named(inA), named(inB));
      continue;
    }
    const a = nodeA && old.access(nodeA);
    const b = nodeB && now.access(nodeB);
    const namedA = named(a);
    const namedB = named(b);
    // One by one: the callers of one side only, and those a rule or a DestinationRule singles out.
    const alone = new Set<string>([...onlyOld.map((c) => c.id), ...onlyNew.map((c) => c.id), ...(a ? a.special.keys() : []), ...(b ? b.special.keys() : [])]);
    alone.delete(id);
    for (const callerId of alone) {
      const ca = old.caller(callerId);
      const cb = now.caller(callerId);
      record(callerId, id, a && ca ? old.accessOf(a, ca) : undefined, b && cb ? now.accessOf(b, cb) : undefined, namedA, namedB);
    }
    // Every other caller takes its class's access on each side: one comparison per pair of classes.
    for (const clsA of CALLER_CLASSES) {
      for (const clsB of CALLER_CLASSES) {
        if (sameInventory && clsA !== clsB) continue; // one inventory: a caller has one class on both sides
        const x = a?.classes[clsA];
        const y = b?.classes[clsB];
        if (!edgeChange('', id, x, y, namedA, namedB)) continue;
        for (const c of unique(old.callersOf(clsA))) {
          if (c.id !== id && !alone.has(c.id) && now.caller(c.id)?.cls === clsB) record(c.id, id, x, y, namedA, namedB);
        }
      }
    }
  }
  changes.sort((x, y) => compare(x.key, y.key));
  return changes.map((c) => c.change);
}

function unique(callers: readonly Caller[]): Caller[] {
  const seen = new Set<string>();
  return callers.filter((c) => !seen.has(c.id) && seen.add(c.id));
}

/** The change of one edge, or undefined when its access is the same on both sides. */
function edgeChange(
  from: string, to: string, before: readonly Access[] | undefined, after: readonly Access[] | undefined, namedA: readonly number[], namedB: readonly number[],
): EdgeChange | undefined {
  // An empty access is no edge.
  const a = before && before.length > 0 ? before : undefined;
  const b = after && after.length > 0 ? after : undefined;
  if (!a && !b) return undefined;
  const ports = [...new Set([...(a ?? []), ...(b ?? [])].map((x) => x.port).filter((p): p is number => p !== 'other'))]
    .sort((x, y) => x - y);
  const details: string[] = [];
  let wider = false;
  let narrower = false;
  for (const port of [...ports, 'other' as const]) {
    const x = accessAt(a, namedA, port);
    const y = accessAt(b, namedB, port);
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
  if (details.length === 0) return undefined;
  const kind: EdgeChangeKind = !a ? 'added' : !b ? 'removed' : wider && narrower ? 'changed' : wider ? 'widened' : narrower ? 'narrowed' : 'changed';
  return { kind, from, to, widens: wider, before: a ?? [], after: b ?? [], details: collapseDetails(details) };
}

/**
 * The access on a port: its own entry, or the "other ports" one when the side names no such port
 * (`named`: the destination's named ports on that side).
 */
function accessAt(access: readonly Access[] | undefined, named: readonly number[], port: number | 'other'): Access | undefined {
  if (!access) return undefined;
  const own = access.find((x) => x.port === port);
  if (own || port === 'other') return own;
  return named.includes(port) ? undefined : access.find((x) => x.port === 'other');
}

/**
 * The namespaces whose destinations have the same inputs on both sides whatever their workload:
 * the same AuthorizationPolicies and PeerAuthentications in the namespace and in the root
 * namespace, and the same DestinationRules everywhere. None when a DestinationRule or a root
 * namespace policy changed.
 */
function unchangedNamespaces(a: Prepared, b: Prepared): Set<string> {
  const unchanged = new Set<string>();
  const root = a.analysis.inventory.rootNamespace;
  const same = (ns: string) => sameList(a.policies.get(ns) ?? [], b.policies.get(ns) ?? [], sameObject)
    && sameList(a.peerAuthenticationsIn(ns), b.peerAuthenticationsIn(ns), sameObject);
  if (root !== b.analysis.inventory.rootNamespace || !same(root) || !sameList(a.destinationRules, b.destinationRules, sameObject)) return unchanged;
  for (const ns of a.namespaces) if (same(ns)) unchanged.add(ns);
  return unchanged;
}

/**
 * True when a destination's access is computed from equal inputs on both sides: the same workload,
 * ports, applicable policies, matching DestinationRules and mTLS modes (objects compared by
 * content, wherever they were read from).
 */
function sameInputs(old: CallerEngine, now: CallerEngine, a: DestinationInputs, b: DestinationInputs): boolean {
  if (a.workload !== b.workload && !deepEqual(a.workload, b.workload)) return false;
  if (!sameList(a.ports, b.ports, (x, y) => x === y)) return false;
  if (!sameList(a.policies, b.policies, sameObject) || !sameList(a.destinationRules, b.destinationRules, sameObject)) return false;
  const ma = old.mtlsOf(a.workload);
  const mb = now.mtlsOf(b.workload);
  return a.ports.every((port) => deepEqual(ma.modeFor(port === 'other' ? undefined : port), mb.modeFor(port === 'other' ? undefined : port)));
}

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean {
  return a.length === b.length && a.every((x, i) => same(x, b[i]));
}

/** Same kind, name, metadata and spec (whatever file each was read from). */
function sameObject(a: IstioObject, b: IstioObject): boolean {
  if (a === b) return true;
  return a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace && a.name === b.name
    && a.creationTimestamp === b.creationTimestamp && deepEqual(a.annotations, b.annotations) && deepEqual(a.spec, b.spec);
}

/** Structural equality of parsed YAML values, keys in the same order. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === (b as Date).getTime();
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function describe(access: Access | undefined): string {
  if (!access) return 'nothing';
  return formatRequests(access) + (isAudited(access) ? ' (audit)' : access.dryRunOnly ? ' (dry-run only)' : '');
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
  // With one inventory, the modes of a namespace whose PeerAuthentications (and the root
  // namespace's) are the same on both sides are the same.
  const sameInventory = before.inventory === after.inventory;
  const samePeerAuthentications = new Map<string, boolean>();
  const unchanged = (ns: string) => {
    let same = samePeerAuthentications.get(ns);
    if (same === undefined) samePeerAuthentications.set(ns, (same = sameList(pb.peerAuthenticationsIn(ns), pa.peerAuthenticationsIn(ns), sameObject)));
    return same;
  };
  const rootUnchanged = sameInventory && unchanged(root) && before.inventory.rootNamespace === root;
  const changed = rootUnchanged ? [...targets.entries()].filter(([, target]) => !unchanged(target.namespace)) : [...targets.entries()];
  const changes: ModeChange[] = [];
  for (const [ref, target] of changed.sort(([x], [y]) => compare(x, y))) {
    const wb = target.name ? findWorkloadIn(before.inventory, target.namespace, target.name) : undefined;
    const wa = target.name ? findWorkloadIn(after.inventory, target.namespace, target.name) : undefined;
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
