// Whole-model validation: everything that Istio's webhook or CRD rules would reject, and everything
// that would silently widen or silently break access. It runs once per synth, before any file is
// written, and reports every problem at once.
import type { EdgeModel, ExternalServiceModel, MeshModel, NamespaceModel, SourceModel, WorkloadModel } from './model';
import { reportContainedEdges } from './dead-edges';
import { EdgeIndex, edgesToward, indexEdges } from './edge-index';
import { validateAmbient } from './validate-ambient';
import { acceptsPlaintext, dataplaneOf, describeSource, effectiveMode, isHttpProtocol, isPlaintextPort, plaintextPortsOf } from './semantics';
import {
  checkAbsoluteFile, checkDnsLabel, checkDnsSubdomain, checkExternalHost, checkIpBlock, checkLabels,
  checkMethod, checkPath, checkPlaintextException, checkPort, checkTrustDomain,
} from './values';

export interface ValidationIssue {
  /** The construct path (or origin label) that declared the bad value. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by the compiler when the model has problems; lists every one of them. */
export class ZeroTrustValidationError extends Error {
  constructor(public readonly issues: readonly ValidationIssue[]) {
    super(`zero-trust validation failed with ${issues.length} error${issues.length === 1 ? '' : 's'}:\n` +
      issues.map((i) => `  [${i.path}] ${i.message}`).join('\n'));
    this.name = 'ZeroTrustValidationError';
  }
}

/**
 * Every problem of the model, in declaration order within each check. `index` is the model's edges
 * by destination (indexEdges(mesh.edges)); the compiler passes the one it compiles from.
 */
export function validateMesh(mesh: MeshModel, index: EdgeIndex = indexEdges(mesh.edges)): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const report = (path: string, message: string | undefined) => {
    if (message !== undefined) issues.push({ path, message });
  };

  report(mesh.origin, checkTrustDomain(mesh.trustDomain));
  report(mesh.origin, checkDnsLabel('root namespace', mesh.rootNamespace));
  report(mesh.origin, checkDnsSubdomain('cluster domain', mesh.clusterDomain));

  const namespaces = new Map<string, NamespaceModel>();
  for (const ns of mesh.namespaces) {
    report(ns.origin, checkDnsLabel('namespace', ns.name));
    if (ns.name === mesh.rootNamespace) {
      report(ns.origin, `namespace "${ns.name}" is the mesh root namespace: policies there apply to the whole mesh. Configure mesh-wide settings on ZeroTrustMesh instead`);
    }
    const previous = namespaces.get(ns.name);
    if (previous) report(ns.origin, `namespace "${ns.name}" is already declared by ${previous.origin}; declare each namespace once`);
    else namespaces.set(ns.name, ns);
    if (Object.keys(ns.labels).length > 0) report(ns.origin, checkLabels('namespace labels', ns.labels));
    validateNamespace(ns, report);
  }

  // Workloads by namespace, then name: the per-edge lookups build no key string.
  const byName: WorkloadIndex = new Map();
  // Whether every declared namespace and workload name is a string without "/" (any other is refused).
  let plainNames = true;
  for (const ns of mesh.namespaces) {
    if (!isPlainName(ns.name)) plainNames = false;
    for (const workload of ns.workloads) {
      if (!isPlainName(workload.name)) plainNames = false;
      let names = byName.get(ns.name);
      if (!names) byName.set(ns.name, (names = new Map()));
      names.set(workload.name, { ns, workload });
    }
  }
  // Exactly the answer of a map keyed by "<namespace>/<name>" (a key with one "/" has one split).
  // When every declared name is plain, a key with more than one "/" matches nothing, so the nested
  // maps answer any two strings with no scan of them (two lookups per edge). Otherwise names with a
  // "/" (refused anyway) or that are not strings take such a map, built on first use.
  let flat: Map<string, WorkloadEntry> | undefined;
  const findWorkload = (namespace: string, name: string): WorkloadEntry | undefined => {
    if (typeof namespace === 'string' && typeof name === 'string' && (plainNames || (!namespace.includes('/') && !name.includes('/')))) {
      return byName.get(namespace)?.get(name);
    }
    flat ??= new Map([...byName.values()].flatMap((names) => [...names.values()].map((e) => [`${e.ns.name}/${e.workload.name}`, e] as const)));
    return flat.get(`${namespace}/${name}`);
  };

  const memo = memoizer();
  const ports = declaredPorts();
  // Per destination: its workload is looked up once, not once per edge.
  for (const [namespace, names] of index.byTarget) {
    for (const [name, list] of names) {
      const dest = findWorkload(namespace, name);
      for (let i = 0; i < list.length; i++) validateEdge(mesh, list[i], dest, namespaces, findWorkload, report, memo, ports);
    }
  }
  for (const edge of index.unindexed) validateEdge(mesh, edge, findWorkload(edge.to.namespace, edge.to.workload), namespaces, findWorkload, report, memo, ports);

  reportSameSourceEdges(index, report);
  reportShadowedByWiderSources(index, report);
  reportContainedEdges(index, (edge) => {
    // An edge's own dry-run only shows in an enforced workload of an enforced namespace (compile.ts).
    if (edge.dryRun !== true) return false;
    const target = findWorkload(edge.to.namespace, edge.to.workload);
    return target === undefined || (!target.ns.dryRun && !target.workload.dryRun);
  }, report);
  reportPlaintextOnIdentityPorts(mesh, index, report);

  const externalKeys = new Map<string, ExternalServiceModel>();
  for (const svc of mesh.externalServices) {
    validateExternalService(svc, namespaces, findWorkload, report);
    const key = `${svc.namespace}/${svc.host}:${svc.appPort}`;
    const duplicate = externalKeys.get(key);
    if (duplicate) {
      report(svc.origin, `duplicate port ${svc.appPort} for host "${svc.host}" in namespace ${svc.namespace}: already declared by ${duplicate.origin}. Declare each external host and port once`);
    } else {
      externalKeys.set(key, svc);
    }
  }

  for (const tls of mesh.clientTls) {
    const target = findWorkload(tls.namespace, tls.workload);
    report(tls.origin, checkDnsLabel('service', tls.service));
    if (!target) {
      report(tls.origin, `client TLS policy for ${tls.namespace}/${tls.workload}: no such workload is declared in a ZeroTrustNamespace`);
      continue;
    }
    if (tls.mode === 'DISABLE') {
      const strictPorts = strictnessOf(mesh, target.ns, target.workload);
      if (strictPorts) {
        report(tls.origin, `disabling TLS toward ${tls.namespace}/${tls.workload} breaks every client: the workload is STRICT${strictPorts}, and STRICT refuses plaintext. ` +
          'Remove this policy (automatic mTLS already picks the right mode) or set the workload to PERMISSIVE first');
      }
    }
  }

  validateAmbient(mesh, report);
  return issues;
}

/**
 * Duplicates, and dead rules between edges of one source. Only edges with the same ends can be
 * either, so each destination's edges are split by source: most destinations have a handful of
 * edges, one per source, compared pairwise on the source's fields with no key built. Within a
 * source, two edges are duplicates when their JSON keys are equal (the later one is reported), and
 * a limited edge next to an unlimited one of the same trust domain is dead: Istio ORs the rules of
 * an ALLOW policy, so the unlimited rule admits every request the limited one would, and emitting
 * both misleads a reviewer into reading the limits as the policy. Edges whose ends are not plain
 * strings (a model built by hand) are only compared by key, with each other.
 */
function reportSameSourceEdges(index: EdgeIndex, report: Report): void {
  const odd: EdgeModel[] = [...index.unindexed];
  for (const names of index.byTarget.values()) {
    for (const list of names.values()) {
      if (list.length < 2) {
        if (list.length === 1 && !plainSource(list[0].from)) odd.push(list[0]);
        continue;
      }
      for (const group of sourceGroups(list, odd)) {
        const distinct = reportDuplicates(group, report);
        reportDeadWithinSource(distinct, report);
      }
    }
  }
  if (odd.length > 1) reportDuplicates(odd, report);
}

/** Groups of two edges or more from the same source, in declaration order; edges with odd sources go to `odd`. */
function sourceGroups(list: readonly EdgeModel[], odd: EdgeModel[]): EdgeModel[][] {
  const groups: EdgeModel[][] = [];
  if (list.length <= 16) {
    // Pairwise: at most 120 comparisons of three fields, no allocation unless two edges share a source.
    const taken: boolean[] = [];
    for (let i = 0; i < list.length; i++) {
      if (taken[i]) continue;
      const from = list[i].from;
      if (!plainSource(from)) {
        odd.push(list[i]);
        continue;
      }
      let group: EdgeModel[] | undefined;
      for (let j = i + 1; j < list.length; j++) {
        if (taken[j] || !plainSource(list[j].from) || !sameSource(from, list[j].from)) continue;
        (group ??= [list[i]]).push(list[j]);
        taken[j] = true;
      }
      if (group) groups.push(group);
    }
    return groups;
  }
  const bySource = new Map<string, EdgeModel[]>();
  for (const edge of list) {
    if (!plainSource(edge.from)) {
      odd.push(edge);
      continue;
    }
    const key = sourceEnds(edge.from);
    const group = bySource.get(key);
    if (group) group.push(edge);
    else bySource.set(key, [edge]);
  }
  for (const group of bySource.values()) if (group.length > 1) groups.push(group);
  return groups;
}

type LooseSource = { kind: unknown; namespace?: unknown; name?: unknown; serviceAccount?: unknown };

/** A source whose identifying fields are strings (or absent): compared by those fields. */
function plainSource(from: SourceModel): boolean {
  if (typeof from !== 'object' || from === null) return false;
  const f = from as LooseSource;
  const plain = (v: unknown) => typeof v === 'string' || v === undefined;
  return plain(f.kind) && plain(f.namespace) && plain(f.name ?? f.serviceAccount);
}

function sameSource(a: SourceModel, b: SourceModel): boolean {
  const [x, y] = [a as LooseSource, b as LooseSource];
  return x.kind === y.kind && x.namespace === y.namespace && (x.name ?? x.serviceAccount) === (y.name ?? y.serviceAccount);
}

function sourceEnds(from: SourceModel): string {
  const f = from as LooseSource;
  return `${f.kind}:${f.namespace}/${f.name ?? f.serviceAccount}`;
}

/** Reports every edge whose JSON key an earlier edge of the list has; returns the first edge of each key. */
function reportDuplicates(list: readonly EdgeModel[], report: Report): EdgeModel[] {
  const byKey = new Map<string, EdgeModel>();
  for (const edge of list) {
    const key = edgeKey(edge);
    const duplicate = byKey.get(key);
    if (duplicate) report(edge.origin, `duplicate edge ${describeSource(edge.from)} -> ${edge.to?.namespace}/${edge.to?.workload}: already declared by ${duplicate.origin}`);
    else byKey.set(key, edge);
  }
  return [...byKey.values()];
}

/** The edges of one source toward one workload: a limited edge next to an unlimited one of the same trust domain is dead. */
function reportDeadWithinSource(edges: readonly EdgeModel[], report: Report): void {
  const unlimited = new Map<string | undefined, EdgeModel>();
  for (const edge of edges) {
    if (!edge.methods && !edge.paths && !edge.ports && !unlimited.has(trustDomainOf(edge))) unlimited.set(trustDomainOf(edge), edge);
  }
  if (unlimited.size === 0) return;
  for (const edge of edges) {
    const wide = unlimited.get(trustDomainOf(edge));
    if (wide === undefined || wide === edge) continue;
    report(edge.origin, `edge ${describeSource(edge.from)} -> ${edge.to.namespace}/${edge.to.workload} is a dead rule: the edge declared by ${wide.origin} has no limits and already admits every request from the same source, ` +
      'so these limits never decide anything. Remove this edge, or limit the other one');
  }
}

/**
 * An unlimited edge from any identity, or from a whole namespace, admits every request of the
 * narrower sources it contains (`principals: ["*"]` every identity; `namespaces: [ns]` every
 * identity of ns, in any trust domain): an edge from one of them to the same workload is dead.
 * Same-source pairs are the previous check's. Per destination: one pass to collect the wide
 * edges, one to look each edge up.
 */
function reportShadowedByWiderSources(index: EdgeIndex, report: Report): void {
  for (const names of index.byTarget.values()) {
    for (const list of names.values()) {
      if (list.length < 2) continue;
      let any: EdgeModel | undefined;
      let namespaces: Map<string, EdgeModel> | undefined;
      for (let i = 0; i < list.length; i++) {
        const edge = list[i];
        const kind = edge.from.kind;
        if ((kind !== 'anyAuthenticated' && kind !== 'namespace') || edge.methods || edge.paths || edge.ports || edge.dryRun) continue;
        if (edge.from.kind === 'anyAuthenticated') any ??= edge;
        else if (!(namespaces ??= new Map()).has(edge.from.namespace)) namespaces.set(edge.from.namespace, edge);
      }
      if (any === undefined && namespaces === undefined) continue;
      for (const edge of list) {
        const byNamespace = edge.from.kind === 'anyAuthenticated' ? undefined : namespaces?.get(edge.from.namespace);
        const cover = [any, byNamespace].find((c) => c !== undefined && c !== edge && c.from.kind !== edge.from.kind);
        if (!cover) continue;
        report(edge.origin, `edge ${describeSource(edge.from)} -> ${edge.to.namespace}/${edge.to.workload} is a dead rule: the edge declared by ${cover.origin} has no limits and admits every request from ` +
          `${describeSource(cover.from)}, which includes ${describeSource(edge.from)}, so this edge never decides anything. Remove this edge, or limit the other one`);
      }
    }
  }
}

/**
 * A plaintext exception without methods or paths on a port that also serves identity edges opens
 * that port to every client without a sidecar: the identity the edges check no longer protects
 * it (Bookinfo's productpage scraped on its app port 9080 would accept `DELETE /anything` from
 * any pod without a sidecar). An edge serves a port when it names it in `ports`, or when it has no
 * port limit and the workload declares the port. Refused unless the exception is limited, accepted
 * (`acceptIdentityBypass`), or the namespace is in dry-run or accepts plaintext bypasses. Only the
 * edges toward workloads with such an exception are looked at: one pass over the edges.
 */
function reportPlaintextOnIdentityPorts(mesh: MeshModel, index: EdgeIndex, report: Report): void {
  for (const ns of mesh.namespaces) {
    for (const workload of ns.workloads) reportPlaintextOnIdentityPortsOf(mesh, ns, workload, index, report);
  }
}

function reportPlaintextOnIdentityPortsOf(mesh: MeshModel, ns: NamespaceModel, workload: WorkloadModel, index: EdgeIndex, report: Report): void {
  if (workload.plaintextPorts.length === 0 && !workload.plaintextExceptions) return;
  if (workload.plaintextExceptions && dataplaneOf(mesh, ns) === 'AMBIENT') {
    // ztunnel enforces a workload's policies at layer 4: it cannot see methods or paths, and a
    // plaintext client never passes through a waypoint.
    for (const [i, e] of workload.plaintextExceptions.entries()) {
      if (e.methods || e.paths) {
        report(workload.origin, `plaintext[${i}]: methods/paths on port ${e.port} of ambient workload "${workload.name}": ztunnel enforces plaintext exceptions at layer 4 and cannot see HTTP attributes. Limit it with ipBlocks instead`);
      }
    }
  }
  if (ns.dryRun || ns.acceptPlaintextBypass) return;
  const open = new Set(workload.plaintextPorts);
  for (const e of workload.plaintextExceptions ?? []) if (!e.methods && !e.paths && !e.acceptIdentityBypass) open.add(e.port);
  if (open.size === 0) return;
  const reported = new Set<number>();
  for (const edge of edgesToward(index, ns.name, workload.name)) {
    const served = edge.ports ?? workload.ports.map((p) => p.number);
    for (const port of served) {
      if (!open.has(port) || reported.has(port)) continue;
      reported.add(port);
      report(workload.origin, `plaintext port ${port} of ${edge.to.namespace}/${edge.to.workload} also serves identity edges (${describeSource(edge.from)}, declared by ${edge.origin}): ` +
        'any client without a sidecar could send any request to it, and the identity the edges check would protect nothing. ' +
        `Limit the exception to what the client needs (plaintext: [{ port: ${port}, methods: ['GET'], paths: ['/metrics'] }]), ` +
        'limit the edges to other ports, or accept it with acceptIdentityBypass: true');
    }
  }
}

function trustDomainOf(edge: EdgeModel): string | undefined {
  return edge.from.kind === 'workload' || edge.from.kind === 'serviceAccount' ? edge.from.trustDomain : undefined;
}

const edgeKey = (edge: EdgeModel) => JSON.stringify([edge.from, edge.to, edge.methods ?? [], edge.paths ?? [], edge.ports ?? []]);

/** Describes where a workload refuses plaintext, or '' when it accepts plaintext everywhere. */
function strictnessOf(mesh: MeshModel, ns: NamespaceModel, workload: WorkloadModel): string {
  if (effectiveMode(mesh, ns, workload) !== 'STRICT') return '';
  const plaintext = plaintextPortsOf(workload);
  return plaintext.length > 0 ? ` (except ports ${plaintext.join(', ')})` : ' ';
}

interface WorkloadEntry { readonly ns: NamespaceModel; readonly workload: WorkloadModel }
type WorkloadIndex = Map<string, Map<string, WorkloadEntry>>;
type FindWorkload = (namespace: string, name: string) => WorkloadEntry | undefined;

type Report = (path: string, message: string | undefined) => void;

function validateNamespace(ns: NamespaceModel, report: Report): void {
  for (const denied of ns.denyFromNamespaces) {
    report(ns.origin, checkDnsLabel('denyFromNamespaces entry', denied));
    if (denied === ns.name) {
      report(ns.origin, `namespace "${ns.name}" denies itself in denyFromNamespaces: every request between its own workloads would be refused. Remove it`);
    }
  }
  if (new Set(ns.denyFromNamespaces).size !== ns.denyFromNamespaces.length) {
    report(ns.origin, `denyFromNamespaces lists a namespace twice: ${JSON.stringify(ns.denyFromNamespaces)}`);
  }

  // Namespace matches come from the peer certificate; a plaintext request has none, so a DENY by
  // namespace does not stop it. That is a bypass unless the deny is only logged (dry-run).
  const enforced = !ns.dryRun && !ns.acceptPlaintextBypass;
  if (enforced && ns.denyFromNamespaces.length > 0 && acceptsPlaintext(ns.mode)) {
    report(ns.origin, `denyFromNamespaces ${JSON.stringify(ns.denyFromNamespaces)} is bypassable: namespace "${ns.name}" is ${ns.mode} and a plaintext request carries no namespace, ` +
      'so the DENY never matches it. Make the namespace STRICT, stage it with enforcement: Enforcement.DRY_RUN, or set acceptPlaintextBypass: true');
  }

  const names = new Map<string, WorkloadModel>();
  const serviceAccounts = new Map<string, WorkloadModel>();
  for (const workload of ns.workloads) {
    validateWorkload(workload, report);
    const previous = names.get(workload.name);
    if (previous) report(workload.origin, `duplicate workload "${workload.name}" in namespace ${ns.name}: already declared by ${previous.origin}`);
    else names.set(workload.name, workload);

    // Istio identities are per service account: a second workload on the same account would be
    // admitted by every edge that names the first.
    const sharing = serviceAccounts.get(workload.serviceAccount);
    if (sharing && sharing !== previous) {
      report(workload.origin, `workloads "${sharing.name}" and "${workload.name}" share service account "${workload.serviceAccount}": Istio identities are per service account, ` +
        `so an edge from one would also admit the other. Give "${workload.name}" its own serviceAccount`);
    } else if (!sharing) {
      serviceAccounts.set(workload.serviceAccount, workload);
    }

    if (enforced && ns.denyFromNamespaces.length > 0 && workload.mode !== undefined && acceptsPlaintext(workload.mode)) {
      report(workload.origin, `workload "${workload.name}" is ${workload.mode}, so plaintext requests bypass denyFromNamespaces ${JSON.stringify(ns.denyFromNamespaces)} of namespace ${ns.name}. ` +
        'Keep it STRICT and declare plaintextPorts for the ports that need plaintext, or set acceptPlaintextBypass: true on the namespace');
    }
  }

  // A selector is a subset match: a workload whose labels are contained in another's selects that
  // workload's pods too, and its ALLOW policy would admit its callers there.
  checkSelectorOverlap([...names.values()], report);
}

/**
 * Reports every workload whose labels (its selector) are contained in another workload's labels.
 * Comparing every pair is quadratic in the workloads of a namespace (16 million pairs at 4,000);
 * instead the workloads are indexed by label entry, and a workload is only compared with those
 * that carry its rarest entry: any workload it selects must carry every one of its entries. The
 * posting lists keep declaration order, so the issues come out in the order the pairwise loop gave
 * them (a in order, then b in order).
 */
function checkSelectorOverlap(list: readonly WorkloadModel[], report: Report): void {
  const entries = list.map((w) => Object.entries(w.labels)); // once per workload, not per pair
  const sizes = list.map((w) => Object.keys(w.labels).length);
  const postings = new Map<string, number[]>();
  const entryKey = (k: string, v: string) => `${k}\u0000${v}`;
  entries.forEach((labels, i) => {
    for (const [k, v] of labels) {
      const key = entryKey(k, v);
      const posting = postings.get(key);
      if (posting === undefined) postings.set(key, [i]);
      else if (posting[posting.length - 1] !== i) posting.push(i); // (a key given twice is one entry)
    }
  });
  for (const [i, a] of list.entries()) {
    // The workloads that could contain a's labels: all of them when a has none.
    let candidates: readonly number[] | undefined;
    for (const [k, v] of entries[i]) {
      const posting = postings.get(entryKey(k, v))!;
      if (candidates === undefined || posting.length < candidates.length) candidates = posting;
      if (candidates.length === 1) break; // only a itself
    }
    if (candidates !== undefined && candidates.length === 1) continue;
    const others = candidates ?? list.map((_, j) => j);
    for (const j of others) {
      if (j === i) continue;
      const b = list[j];
      const containsA = entries[i].every(([k, v]) => b.labels[k] === v);
      if (containsA) {
        const same = sizes[i] === sizes[j];
        if (same && a.name > b.name) continue; // report identical selectors once
        report(a.origin, `the selector of workload "${a.name}" (${JSON.stringify(a.labels)}) also selects the pods of "${b.name}" (${JSON.stringify(b.labels)}): ` +
          `policies for "${a.name}" would apply to "${b.name}" too. Give each workload a label the other does not have`);
      }
    }
  }
}

function validateWorkload(workload: WorkloadModel, report: Report): void {
  report(workload.origin, checkDnsLabel('workload name', workload.name));
  report(workload.origin, checkDnsSubdomain('service account', workload.serviceAccount));
  report(workload.origin, checkLabels(`labels of workload "${workload.name}"`, workload.labels));
  const declared = new Map<number, string>();
  for (const port of workload.ports) {
    report(workload.origin, checkPort('port', port.number));
    if (declared.has(port.number)) report(workload.origin, `port ${port.number} is declared twice on workload "${workload.name}"`);
    declared.set(port.number, port.protocol);
  }
  for (const port of workload.plaintextPorts) {
    report(workload.origin, checkPort('plaintext port', port));
    if (declared.size > 0 && !declared.has(port)) {
      report(workload.origin, `plaintext port ${port} is not among the declared ports of workload "${workload.name}" (${[...declared.keys()].join(', ')}); declare it in ports`);
    }
  }
  if (workload.plaintextPorts.length > 1 && new Set(workload.plaintextPorts).size !== workload.plaintextPorts.length) {
    report(workload.origin, `plaintextPorts lists a port twice: ${JSON.stringify(workload.plaintextPorts)}`);
  }
  for (const block of workload.plaintextIpBlocks) report(workload.origin, checkIpBlock(block));
  for (const [i, exception] of (workload.plaintextExceptions ?? []).entries()) {
    for (const message of checkPlaintextException(`plaintext[${i}]`, exception)) report(workload.origin, message);
    if (workload.plaintextPorts.includes(exception.port)) {
      report(workload.origin, `plaintext[${i}]: port ${exception.port} is also in plaintextPorts, which admits every plaintext request to it, so these limits never decide anything. ` +
        'Remove it from plaintextPorts to keep the limits');
    }
    if (declared.size > 0 && !declared.has(exception.port)) {
      report(workload.origin, `plaintext[${i}]: port ${exception.port} is not among the declared ports of workload "${workload.name}" (${[...declared].join(', ')}); declare it in ports`);
    }
    // On a TCP port Istio removes an ALLOW rule that has HTTP-only fields: the exception would be dead.
    const protocol = declared.get(exception.port);
    if (protocol !== undefined && !isHttpProtocol(protocol) && (exception.methods || exception.paths)) {
      report(workload.origin, `plaintext[${i}]: methods/paths on TCP port ${exception.port}: HTTP attributes do not exist on TCP traffic and Istio drops the rule. Limit it with ipBlocks instead`);
    }
  }
  if (workload.plaintextIpBlocks.length > 0 && workload.plaintextPorts.length === 0) {
    report(workload.origin, 'plaintextIpBlocks is set but the workload has no plaintextPorts; remove it or declare the plaintext ports');
  }
}

/** A string without "/": a name that a "<namespace>/<name>" key splits at its one "/". */
function isPlainName(name: unknown): boolean {
  return typeof name === 'string' && !name.includes('/');
}

const NO_PORTS: ReadonlyMap<number, string> = new Map();
const NO_VALUES: readonly string[] = Object.freeze([]);
const NO_NUMBERS: readonly number[] = Object.freeze([]);

/** The declared ports of each workload, by number, built once per workload rather than per edge. */
function declaredPorts(): (workload: WorkloadModel) => ReadonlyMap<number, string> {
  const known = new Map<WorkloadModel, ReadonlyMap<number, string>>();
  return (workload) => {
    if (workload.ports.length === 0) return NO_PORTS;
    let declared = known.get(workload);
    if (!declared) known.set(workload, (declared = new Map(workload.ports.map((p) => [p.number, p.protocol]))));
    return declared;
  };
}

type Check = (what: string, value: string) => string | undefined;
type Memo = (what: string, value: string, check: Check) => string | undefined;

/** Value checks are pure: within one validation each distinct (check, value) runs once. */
function memoizer(): Memo {
  const checked = new Map<string, string | undefined>();
  return (what, value, check) => {
    const key = `${what}\u0000${value}`;
    if (!checked.has(key)) checked.set(key, check(what, value));
    return checked.get(key);
  };
}

function validateEdge(
  mesh: MeshModel,
  edge: EdgeModel,
  dest: WorkloadEntry | undefined,
  namespaces: Map<string, NamespaceModel>,
  findWorkload: FindWorkload,
  report: Report,
  memo: Memo,
  declaredPortsOf: (workload: WorkloadModel) => ReadonlyMap<number, string>,
): void {
  if (!dest) {
    report(edge.origin, `edge to ${targetOf(edge)}: no such workload in any ZeroTrustNamespace. Policies can only be emitted for workloads declared with namespace.addWorkload()`);
    return;
  }
  const { ns, workload } = dest;

  const from = edge.from;
  // A source that is a declared workload was checked with it; any other source is checked once
  // per distinct value (sources repeat across thousands of edges).
  const foreign = from.kind === 'workload' && from.trustDomain !== undefined && from.trustDomain !== mesh.trustDomain;
  const source = from.kind === 'workload' && !foreign ? findWorkload(from.namespace, from.name) : undefined;
  if (from.kind === 'workload' && source) {
    if (source.workload.serviceAccount !== from.serviceAccount) {
      report(edge.origin, `source ${from.namespace}/${from.name} names service account "${from.serviceAccount}" but the workload runs as "${source.workload.serviceAccount}"`);
    }
    if (from.trustDomain !== undefined) report(edge.origin, checkTrustDomain(from.trustDomain));
  } else if (from.kind === 'workload' || from.kind === 'serviceAccount') {
    report(edge.origin, memo('source namespace', from.namespace, checkDnsLabel));
    report(edge.origin, memo('source service account', from.serviceAccount, checkDnsSubdomain));
    if (from.trustDomain !== undefined) report(edge.origin, checkTrustDomain(from.trustDomain));
    if (from.kind === 'workload' && !foreign && namespaces.has(from.namespace)) {
      report(edge.origin, `source workload ${from.namespace}/${from.name} is not declared in namespace ${from.namespace}; add it with addWorkload() or use Peer.serviceAccount()`);
    }
  } else if (from.kind === 'namespace') {
    report(edge.origin, memo('source namespace', from.namespace, checkDnsLabel));
  }

  // Istio evaluates DENY before ALLOW: an edge from a denied namespace can never work.
  const sourceNamespace = from.kind === 'anyAuthenticated' ? undefined : from.namespace;
  if (sourceNamespace !== undefined && ns.denyFromNamespaces.includes(sourceNamespace)) {
    report(edge.origin, `edge ${describeSource(from)} -> ${targetOf(edge)} contradicts denyFromNamespaces of namespace ${ns.name}: DENY policies are evaluated before ALLOW, ` +
      `so it would never work. Remove the edge or stop denying "${sourceNamespace}"`);
  }

  if (edge.dryRun && !edge.methods && !edge.paths && !edge.ports) {
    report(edge.origin, `audited edge ${describeSource(from)} -> ${targetOf(edge)} has no methods, paths or ports: it removes no access, so there is nothing to audit. ` +
      'Audit the workload instead (addWorkload(name, { enforcement: Enforcement.DRY_RUN })), or give the edge the limits to audit');
  }

  const methods = edge.methods ?? NO_VALUES;
  const paths = edge.paths ?? NO_VALUES;
  const ports = edge.ports ?? NO_NUMBERS;
  if (edge.methods?.length === 0) report(edge.origin, 'methods is an empty list: Istio reads an empty list as "any"; omit it to allow every method, or name the methods');
  if (edge.paths?.length === 0) report(edge.origin, 'paths is an empty list: Istio reads an empty list as "any"; omit it to allow every path, or name the paths');
  if (edge.ports?.length === 0) report(edge.origin, 'ports is an empty list: Istio reads an empty list as "any"; omit it to allow every port, or name the ports');
  if (methods.length > 1 && new Set(methods).size !== methods.length) report(edge.origin, `methods lists a value twice: ${JSON.stringify(methods)}`);
  if (paths.length > 1 && new Set(paths).size !== paths.length) report(edge.origin, `paths lists a value twice: ${JSON.stringify(paths)}`);
  if (ports.length > 1 && new Set(ports).size !== ports.length) report(edge.origin, `ports lists a value twice: ${JSON.stringify(ports)}`);
  // Indexed loops (here and below): this runs once per edge, mostly before the function is
  // optimized, and a for-of over an array allocates an iterator and a result per step until it is.
  for (let i = 0; i < methods.length; i++) report(edge.origin, checkMethod(methods[i]));
  for (let i = 0; i < paths.length; i++) report(edge.origin, checkPath(paths[i]));
  for (let i = 0; i < ports.length; i++) report(edge.origin, checkPort('port', ports[i]));

  const declared = declaredPortsOf(workload);
  if (declared.size > 0) {
    for (let i = 0; i < ports.length; i++) {
      if (!declared.has(ports[i])) report(edge.origin, `port ${ports[i]} is not declared on ${targetOf(edge)} (declared: ${[...declared.keys()].join(', ')})`);
    }
  }
  // Both checks need declared ports: without any, no port is known to be TCP or gRPC.
  if ((methods.length > 0 || paths.length > 0) && declared.size > 0) {
    // On a TCP port Istio removes an ALLOW rule that has HTTP-only fields: the edge would be dead.
    const scope = ports.length > 0 ? ports : [...declared.keys()];
    const tcp = scope.filter((p) => declared.get(p) !== undefined && !isHttpProtocol(declared.get(p)!));
    if (tcp.length > 0 && (ports.length > 0 || tcp.length === declared.size)) {
      report(edge.origin, `methods/paths on TCP port${tcp.length > 1 ? 's' : ''} ${tcp.join(', ')} of ${targetOf(edge)}: HTTP attributes do not exist on TCP traffic and Istio drops the rule. ` +
        'Remove methods and paths, or limit the edge to the HTTP ports with ports: [...]');
    }
    // Every gRPC call is an HTTP/2 POST: any other method on a gRPC port never matches.
    const grpcOnly = scope.length > 0 && scope.every((p) => declared.get(p) === 'GRPC');
    const notPost = grpcOnly ? methods.filter((m) => m !== 'POST') : NO_VALUES;
    if (notPost.length > 0) {
      report(edge.origin, `methods ${JSON.stringify(notPost)} on gRPC port${scope.length > 1 ? 's' : ''} ${scope.join(', ')} of ${targetOf(edge)} never match: every gRPC call is a POST. ` +
        'Limit gRPC calls with paths ("/package.Service/Method") instead');
    }
  }

  // Identity is only known on mTLS traffic: toward a port that also accepts plaintext, an enforced
  // identity rule is dead for plaintext clients. Declared plaintext ports are already open to any
  // plaintext client, so they are the user's explicit choice.
  if (!ns.dryRun && !ns.acceptPlaintextBypass) {
    let open = ports.length === 0 && opensToPlaintext(mesh, ns, workload, undefined);
    for (let i = 0; i < ports.length && !open; i++) open = opensToPlaintext(mesh, ns, workload, ports[i]);
    if (open) {
      const mode = effectiveMode(mesh, ns, workload);
      report(edge.origin, `edge ${describeSource(from)} -> ${targetOf(edge)} matches on identity, but ${targetOf(edge)} is ${mode} and accepts plaintext: ` +
        'plaintext clients carry no identity, so they would be refused while the rule looks like it admits them. ' +
        'Make the workload STRICT, stage the namespace with enforcement: Enforcement.DRY_RUN, or set acceptPlaintextBypass: true');
    }
  }
}

/** The destination, for messages only: a module function rather than a closure, so that a valid edge allocates nothing for it. */
function targetOf(edge: EdgeModel): string {
  return `${edge.to.namespace}/${edge.to.workload}`;
}

/** An identity rule toward this port (undefined: any port) is bypassed by plaintext clients; declared plaintext ports are the user's explicit choice. */
function opensToPlaintext(mesh: MeshModel, ns: NamespaceModel, workload: WorkloadModel, port: number | undefined): boolean {
  return (port === undefined || !isPlaintextPort(workload, port)) && acceptsPlaintext(effectiveMode(mesh, ns, workload, port));
}

function validateExternalService(svc: ExternalServiceModel, namespaces: Map<string, NamespaceModel>, findWorkload: FindWorkload, report: Report): void {
  report(svc.origin, checkDnsLabel('external service name', svc.name));
  report(svc.origin, checkExternalHost(svc.host));
  report(svc.origin, checkPort('port', svc.port));
  report(svc.origin, checkPort('appPort', svc.appPort));
  if (!namespaces.has(svc.namespace)) report(svc.origin, `external service must belong to a ZeroTrustNamespace; "${svc.namespace}" is not declared`);

  if (svc.protocol === 'HTTPS' || svc.protocol === 'TLS') {
    report(svc.origin, `protocol ${svc.protocol} means the application already speaks TLS; originating mutual TLS in the sidecar would wrap TLS in TLS and the server would reject it. ` +
      'Let the application speak plain HTTP to the sidecar (protocol HTTP, the default) and the sidecar originates mTLS to port ' + svc.port);
  }

  if (svc.clients.length === 0) report(svc.origin, 'clients must name at least one workload: the DestinationRule is bound to them with a workloadSelector');
  const seen = new Set<string>();
  for (const client of svc.clients) {
    const key = `${client.namespace}/${client.workload}`;
    if (seen.has(key)) report(svc.origin, `client ${key} is listed twice`);
    seen.add(key);
    if (!findWorkload(client.namespace, client.workload)) {
      report(svc.origin, `client ${key} is not a workload declared in a ZeroTrustNamespace`);
    } else if (client.namespace !== svc.namespace) {
      report(svc.origin, `client ${key} is in another namespace: the ServiceEntry and DestinationRule are exported to "${svc.namespace}" only. Declare the external service in namespace ${client.namespace}`);
    }
  }

  const files = [svc.clientCertificate, svc.privateKey, svc.caCertificates].filter((f) => f !== undefined);
  if (svc.credentialName !== undefined) {
    report(svc.origin, checkDnsSubdomain('credentialName', svc.credentialName));
    if (files.length > 0) {
      report(svc.origin, 'credentialName cannot be combined with clientCertificate, privateKey or caCertificates: Istio reads the key pair from one place. Use the secret or the files, not both');
    }
  } else {
    if (svc.clientCertificate === undefined || svc.privateKey === undefined) {
      report(svc.origin, 'mutual TLS needs a client certificate: set clientCertificate and privateKey (file paths in the sidecar) or credentialName (a secret in the namespace)');
    }
    if (svc.clientCertificate !== undefined) report(svc.origin, checkAbsoluteFile('clientCertificate', svc.clientCertificate));
    if (svc.privateKey !== undefined) report(svc.origin, checkAbsoluteFile('privateKey', svc.privateKey));
    if (svc.caCertificates !== undefined) report(svc.origin, checkAbsoluteFile('caCertificates', svc.caCertificates));
  }
  if (svc.sni !== undefined) report(svc.origin, checkDnsSubdomain('sni', svc.sni));
  if (svc.subjectAltNames !== undefined) {
    if (svc.subjectAltNames.length === 0) report(svc.origin, 'subjectAltNames is an empty list; omit it to verify the host name, or name the expected names');
    for (const san of svc.subjectAltNames) if (typeof san !== 'string' || san.length === 0 || /\s/.test(san)) report(svc.origin, `subject alt name ${JSON.stringify(san)} is invalid`);
  }
}
