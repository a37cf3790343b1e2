// The compiler: intent model in, Istio objects out. Pure: no construct tree, no I/O. The output is
// sorted and independent of the order in which the model lists things, so that GitOps diffs only
// show real changes.
import {
  DestinationRuleSpec, DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode, DestinationRuleSpecTrafficPolicyTlsMode,
  ServiceEntrySpec, ServiceEntrySpecLocation, ServiceEntrySpecResolution,
  toJson_DestinationRuleSpec, toJson_ServiceEntrySpec,
} from '../../imports/networking.istio.io';
import {
  AuthorizationPolicySpec, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, PeerAuthenticationSpec,
  PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode,
  toJson_AuthorizationPolicySpecProvider, toJson_AuthorizationPolicySpecTargetRef, toJson_AuthorizationPolicySpecTargetRefs,
} from '../../imports/security.istio.io';
import type { ClientTlsModel, EdgeModel, ExternalServiceModel, MeshModel, Mode, NamespaceModel, SourceModel, WorkloadModel } from './model';
import { compileAmbientMesh, compileAmbientNamespace } from './compile-ambient';
import { compareStrings, dataplaneOf, plaintextPortsOf, principal, sortedUnique, sortStably } from './semantics';
import { indexEdges } from './edge-index';
import { validateMesh, ValidationIssue, ZeroTrustValidationError } from './validate';

import { AUDIT_STAND_IN_ANNOTATION, DECLARED_BY_ANNOTATION, DRY_RUN_ANNOTATION } from './annotations';

export { AUDIT_STAND_IN_ANNOTATION, DECLARED_BY_ANNOTATION, DRY_RUN_ANNOTATION };

export const SECURITY_API = 'security.istio.io/v1';
export const NETWORKING_API = 'networking.istio.io/v1';

export interface IstioDocument {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: Record<string, unknown>;
}

export interface CompiledMesh {
  /** Objects in the root namespace (mesh-wide). */
  readonly mesh: IstioDocument[];
  /** Objects of each declared namespace, by namespace name, in sorted order. */
  readonly namespaces: ReadonlyMap<string, IstioDocument[]>;
}

/** Validates the model and compiles it; throws ZeroTrustValidationError listing every problem. */
export function compileMesh(mesh: MeshModel): CompiledMesh {
  // Edges by destination namespace, then workload, once for the validator and the compiler.
  const index = indexEdges(mesh.edges);
  const issues = validateMesh(mesh, index);
  if (issues.length > 0) throw new ZeroTrustValidationError(issues);
  const edgesByTarget = index.byTarget;
  const byNamespace = <T extends { namespace: string }>(items: readonly T[]) => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      let list = map.get(item.namespace);
      if (!list) map.set(item.namespace, (list = []));
      list.push(item);
    }
    return map;
  };
  const external = byNamespace(mesh.externalServices);
  const clientTls = byNamespace(mesh.clientTls);

  const namespaces = new Map<string, IstioDocument[]>();
  for (const ns of [...mesh.namespaces].sort((a, b) => compareStrings(a.name, b.name))) {
    const docs: IstioDocument[] = [];
    const edgesOfNamespace = edgesByTarget.get(ns.name);
    if (dataplaneOf(mesh, ns) === 'AMBIENT') {
      docs.push(...compileAmbientNamespace(mesh, ns, edgesOfNamespace, external.get(ns.name) ?? [], clientTls.get(ns.name) ?? []));
      namespaces.set(ns.name, sortDocuments(docs));
      continue;
    }
    docs.push(...compileNamespace(ns));
    for (const workload of ns.workloads) {
      docs.push(...compileWorkload(mesh, ns, workload, edgesOfNamespace?.get(workload.name) ?? []));
    }
    const services = external.get(ns.name);
    if (services !== undefined) {
      // Every client is a workload of the service's own namespace (validated): looked up by name there.
      const byName = new Map(ns.workloads.map((w) => [w.name, w]));
      for (const svc of services) docs.push(...compileExternalService(ns, svc, byName));
    }
    for (const tls of clientTls.get(ns.name) ?? []) docs.push(compileClientTls(mesh, ns, tls));
    namespaces.set(ns.name, sortDocuments(docs));
  }
  rejectNameClashes(namespaces);

  const meshDocs = [peerAuthentication(mesh.rootNamespace, 'default', { mtls: { mode: modeOf(mesh.mode) } }, [mesh.origin], {}), ...compileAmbientMesh(mesh)];
  return { mesh: meshDocs, namespaces };
}

/**
 * Derived names (`<workload>-allow`, `<service>-<client>`, ...) could still meet; two objects of one
 * kind and name in a namespace would overwrite each other when applied.
 */
function rejectNameClashes(namespaces: Map<string, IstioDocument[]>): void {
  const issues: ValidationIssue[] = [];
  for (const docs of namespaces.values()) {
    for (let i = 1; i < docs.length; i++) {
      const [a, b] = [docs[i - 1], docs[i]];
      if (a.kind === b.kind && a.metadata.name === b.metadata.name) {
        const origin = JSON.parse(b.metadata.annotations![DECLARED_BY_ANNOTATION])[0];
        issues.push({ path: origin, message: `${b.kind} "${b.metadata.name}" in namespace ${b.metadata.namespace} would be emitted twice (also by ${a.metadata.annotations![DECLARED_BY_ANNOTATION]}); rename one of the constructs` });
      }
    }
  }
  if (issues.length > 0) throw new ZeroTrustValidationError(issues);
}

const KIND_ORDER = ['PeerAuthentication', 'AuthorizationPolicy', 'DestinationRule', 'ServiceEntry', 'Gateway'];

function sortDocuments(docs: IstioDocument[]): IstioDocument[] {
  return docs.sort((a, b) => (KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)) || compareStrings(a.metadata.name, b.metadata.name));
}

export function compileNamespace(ns: NamespaceModel): IstioDocument[] {
  const docs = [
    peerAuthentication(ns.name, 'default', { mtls: { mode: modeOf(ns.mode) } }, [ns.origin], ns.labels),
    // An ALLOW policy without rules matches nothing: every workload of the namespace is closed
    // until an ALLOW policy selecting it admits a request.
    authorizationPolicy(ns, 'allow-nothing', {}, [ns.origin]),
  ];
  if (ns.denyFromNamespaces.length > 0) {
    docs.push(authorizationPolicy(ns, 'deny-namespaces', {
      action: AuthorizationPolicySpecAction.DENY,
      rules: [{ from: [{ source: { namespaces: sortedUnique(ns.denyFromNamespaces) } }] }],
    }, [ns.origin]));
  }
  return docs;
}

export function compileWorkload(mesh: MeshModel, ns: NamespaceModel, workload: WorkloadModel, edges: readonly EdgeModel[]): IstioDocument[] {
  const docs: IstioDocument[] = [];
  const selector = { matchLabels: { ...workload.labels } };
  const plaintextPorts = sortedUnique(workload.plaintextPorts);
  const permissivePorts = plaintextPortsOf(workload); // limited exceptions included

  if (workload.mode !== undefined || permissivePorts.length > 0) {
    // portLevelMtls requires a selector (CRD rule), which is why plaintext ports live in a
    // workload-level PeerAuthentication rather than the namespace one.
    const spec: PeerAuthenticationSpec = {
      selector,
      mtls: workload.mode !== undefined ? { mode: modeOf(workload.mode) } : undefined,
      portLevelMtls: permissivePorts.length > 0
        ? Object.fromEntries(permissivePorts.map((p) => [String(p), { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE }]))
        : undefined,
    };
    docs.push(peerAuthentication(ns.name, `${workload.name}-mtls`, spec, [workload.origin], ns.labels));
  }

  // Rules are built in their output form: the schema's key order, every list a fresh array, except
  // the rule of an edge without limits, which is its source's one frozen rule (unlimitedRule).
  const rules: (MergeableRule & { audited?: boolean })[] = edges.map((edge) => {
    const rule = edgeMergeableRule(mesh, edge);
    return edge.dryRun ? { ...rule, audited: true } : rule;
  });
  if (plaintextPorts.length > 0) {
    // The namespace's allow-nothing policy would block the scraper: admit plaintext requests (no
    // peer identity) on exactly these ports, optionally only from the given addresses.
    const blocks = sortedUnique(workload.plaintextIpBlocks);
    const ports = plaintextPorts.map(String);
    const to = [{ operation: { ports } }];
    rules.push({
      rule: { from: [{ source: blocks.length > 0 ? { ipBlocks: blocks, notPrincipals: ['*'] } : { notPrincipals: ['*'] } }], to },
      // Sorted among the other rules by its JSON with notPrincipals first, as it always has been.
      key: JSON.stringify({ from: [{ source: { notPrincipals: ['*'], ...(blocks.length > 0 ? { ipBlocks: blocks } : {}) } }], to }),
      origin: workload.origin,
    });
  }
  for (const exception of workload.plaintextExceptions ?? []) {
    // A limited exception: clients without a mesh identity, on one port, only with the given
    // methods, paths and addresses (every list non-empty: validated).
    const source: { ipBlocks?: string[]; notPrincipals: string[] } = exception.ipBlocks ? { ipBlocks: sortedUnique(exception.ipBlocks), notPrincipals: ['*'] } : { notPrincipals: ['*'] };
    const operation: { methods?: string[]; paths?: string[]; ports: string[] } = { ports: [String(exception.port)] };
    if (exception.methods) operation.methods = sortedUnique(exception.methods);
    if (exception.paths) operation.paths = sortedUnique(exception.paths);
    const ordered = { ...(operation.methods ? { methods: operation.methods } : {}), ...(operation.paths ? { paths: operation.paths } : {}), ports: operation.ports };
    rules.push({ rule: { from: [{ source }], to: [{ operation: ordered }] }, origin: workload.origin });
  }
  const audited = !ns.dryRun && (workload.dryRun === true || edges.some((e) => e.dryRun));
  if (!audited) {
    // One ALLOW policy per destination workload.
    if (rules.length > 0) docs.push(allowPolicy(ns, `${workload.name}-allow`, selector, rules));
    return docs;
  }
  // Audit mode (istio.io/dry-run applies to a whole policy object, hence separate objects):
  // - `<workload>-audit`, dry-run: the whole declared policy of the workload, every rule exact. The
  //   sidecar evaluates its dry-run ALLOW policies on their own and logs the result (shadow
  //   "denied" for a request none of them admits), so this one policy must hold every rule, or
  //   requests of the enforced edges would be logged as denied too. With no rule it is an
  //   allow-nothing, logged.
  // - `<workload>-audit-open`, enforced, AUDIT_STAND_IN_ANNOTATION: admits what the audited part
  //   would deny. An audited workload: every request (the namespace's allow-nothing would otherwise
  //   still deny it, ALLOW policies being OR'ed); an audited edge: its source, without the limits.
  // - `<workload>-allow`, enforced: the rules that are not audited, as usual.
  // DENY policies (denyFromNamespaces) stay enforced: DENY is evaluated before any ALLOW.
  docs.push(allowPolicy(ns, `${workload.name}-audit`, selector, rules, { [DRY_RUN_ANNOTATION]: 'true' }));
  if (workload.dryRun) {
    docs.push(authorizationPolicy(ns, `${workload.name}-audit-open`, { selector, action: AuthorizationPolicySpecAction.ALLOW, rules: [{}] },
      [workload.origin], { [AUDIT_STAND_IN_ANNOTATION]: `workload ${workload.namespace}/${workload.name}` }));
    return docs;
  }
  const enforced = rules.filter((r) => !r.audited);
  if (enforced.length > 0) docs.push(allowPolicy(ns, `${workload.name}-allow`, selector, enforced));
  const standIn = edges.filter((e) => e.dryRun).map((edge) => {
    const rule = { from: [{ source: sourceFields(mesh, edge.from) }] };
    return { rule, origin: edge.origin, head: headOf(rule) };
  });
  docs.push(allowPolicy(ns, `${workload.name}-audit-open`, selector, standIn,
    { [AUDIT_STAND_IN_ANNOTATION]: `limits of ${sortedUnique(standIn.map((r) => r.origin)).join(', ')}` }));
  return docs;
}

/** One ALLOW policy for a destination workload, its rules merged and sorted (mergeRules). */
function allowPolicy(
  ns: NamespaceModel, name: string, selector: { matchLabels: Record<string, string> },
  rules: readonly MergeableRule[], annotations: Record<string, string> = {},
): IstioDocument {
  // No rule: an ALLOW policy that admits nothing (only in audit mode, for a workload without edges).
  if (rules.length === 0) return authorizationPolicy(ns, name, { selector, action: AuthorizationPolicySpecAction.ALLOW }, [ns.origin], annotations);
  const merged = mergeRules(rules);
  return authorizationPolicy(ns, name, { selector, action: AuthorizationPolicySpecAction.ALLOW, rules: merged.rules }, merged.origins, annotations);
}

/**
 * A rule to merge: `key` is its sort and merge key when it is not `JSON.stringify(rule)`; `head` is
 * the one source field and value of a rule built by edgeRule (headOf), which orders it without
 * serializing it.
 */
export interface MergeableRule {
  readonly rule: AuthorizationPolicySpecRules;
  readonly origin: string;
  readonly key?: string;
  readonly head?: RuleHead;
}

/** The source of a rule `{ from: [{ source: { <field>: [<value>] } }], to?: ... }`. */
export interface RuleHead {
  readonly field: 'principals' | 'namespaces';
  readonly value: string;
}

// Printable ASCII above '"' except '\\': such a value is written into JSON as it is, and every one of
// its characters sorts after the '"' that closes it there.
const PLAIN_JSON_TEXT = /^[\x23-\x5b\x5d-\x7e]*$/;

/**
 * The head of a rule built by edgeRule or sourceFields, when comparing heads orders rules as
 * comparing their JSON does: the JSON of such a rule starts with `{"from":[{"source":{"<field>":
 * ["<value>"]`, and for plain values, two different (field, value) pairs sort like those prefixes.
 */
export function headOf(rule: AuthorizationPolicySpecRules): RuleHead | undefined {
  const source = rule.from![0].source!;
  const field = source.principals !== undefined ? 'principals' : 'namespaces';
  const value = source[field]![0];
  return PLAIN_JSON_TEXT.test(value) ? { field, value } : undefined;
}

/**
 * Identical rules from different declarations collapse into one, and rules are sorted so that
 * declaration order never shows in the output; one origin entry per rule. The order is that of
 * the rules' keys (their JSON unless given); rules with different heads are ordered by their heads,
 * which is the same order, and only rules with the same source are serialized.
 */
export function mergeRules(rules: readonly MergeableRule[]): { rules: AuthorizationPolicySpecRules[]; origins: string[] } {
  if (rules.length === 1) return { rules: [rules[0].rule], origins: [rules[0].origin] }; // nothing to merge or sort
  let keys: Map<MergeableRule, string> | undefined; // made on the first tie
  const keyOf = (r: MergeableRule) => {
    let key = r.key ?? keys?.get(r);
    if (key === undefined) (keys ??= new Map()).set(r, (key = JSON.stringify(r.rule)));
    return key;
  };
  const compare = (a: MergeableRule, b: MergeableRule) => {
    const x = a.key === undefined ? a.head : undefined;
    const y = b.key === undefined ? b.head : undefined;
    if (x !== undefined && y !== undefined) {
      if (x.field !== y.field) return compareStrings(x.field, y.field);
      if (x.value !== y.value) return compareStrings(x.value, y.value);
    }
    return compareStrings(keyOf(a), keyOf(b));
  };
  // A stable sort keeps equal rules in declaration order: merged, their origins are in that order.
  const sorted = sortStably(rules.slice(), compare);
  const merged: AuthorizationPolicySpecRules[] = [];
  const origins: string[] = [];
  for (let i = 0; i < sorted.length;) {
    // A run of equal rules is one rule; its origins are listed only when there are several.
    let end = i + 1;
    while (end < sorted.length && compare(sorted[end - 1], sorted[end]) === 0) end++;
    merged.push(sorted[i].rule);
    origins.push(end - i === 1 ? sorted[i].origin : sortedUnique(sorted.slice(i, end).map((r) => r.origin)).join(' & '));
    i = end;
  }
  return { rules: merged, origins };
}

/** An edge's rule with its origin and head, for mergeRules: the head of a shared rule is computed once, with it. */
export function edgeMergeableRule(mesh: MeshModel, edge: EdgeModel): MergeableRule {
  if (!edge.methods && !edge.paths && !edge.ports) {
    const { rule, head } = unlimitedRule(mesh, edge.from);
    return { rule, origin: edge.origin, head };
  }
  const rule = edgeRule(mesh, edge);
  return { rule, origin: edge.origin, head: headOf(rule) };
}

function edgeRule(mesh: MeshModel, edge: EdgeModel): AuthorizationPolicySpecRules {
  if (!edge.methods && !edge.paths && !edge.ports) return unlimitedRule(mesh, edge.from).rule;
  const from = [{ source: sourceFields(mesh, edge.from) }];
  const operation: { methods?: string[]; paths?: string[]; ports?: string[] } = {};
  if (edge.methods) operation.methods = sortedUnique(edge.methods);
  if (edge.paths) operation.paths = sortedUnique(edge.paths);
  if (edge.ports) operation.ports = sortedUnique(edge.ports).map(String);
  return { from, to: [{ operation }] };
}

/**
 * The rule of an edge without limits, `{ from: [{ source }] }`, and its head: one frozen object per
 * source of a mesh, shared by every policy that admits the source. A source object of the model is
 * shared by all edges of one peer, so a large mesh builds a few rules per workload, not one per edge.
 * Sharing across documents is safe for YAML (`yaml` aliases an object only when it appears twice in
 * one document, and mergeRules leaves one rule per source in a policy), and the objects are frozen so
 * that nothing can change one policy through another.
 */
function unlimitedRule(mesh: MeshModel, source: SourceModel): { rule: AuthorizationPolicySpecRules; head: RuleHead | undefined } {
  let rules = unlimitedRules.get(mesh);
  if (rules === undefined) unlimitedRules.set(mesh, (rules = new Map()));
  let entry = rules.get(source);
  if (entry === undefined) {
    const fields = sourceFields(mesh, source);
    if (fields.principals) Object.freeze(fields.principals);
    if (fields.namespaces) Object.freeze(fields.namespaces);
    const rule = Object.freeze({ from: Object.freeze([Object.freeze({ source: Object.freeze(fields) })]) }) as AuthorizationPolicySpecRules;
    rules.set(source, (entry = { rule, head: headOf(rule) }));
  }
  return entry;
}

/** unlimitedRule's rules, per model (a source's principal depends on the mesh's trust domain). */
const unlimitedRules = new WeakMap<MeshModel, Map<SourceModel, { rule: AuthorizationPolicySpecRules; head: RuleHead | undefined }>>();

function sourceFields(mesh: MeshModel, source: SourceModel): { principals?: string[]; namespaces?: string[] } {
  switch (source.kind) {
    case 'workload':
    case 'serviceAccount':
      return { principals: [principal(source.trustDomain ?? mesh.trustDomain, source.namespace, source.serviceAccount)] };
    case 'namespace':
      return { namespaces: [source.namespace] };
    case 'anyAuthenticated':
      // A bare "*" principal requires a verified peer certificate: any mTLS identity, never plaintext.
      return { principals: ['*'] };
  }
}

function compileExternalService(ns: NamespaceModel, svc: ExternalServiceModel, workloadsByName: ReadonlyMap<string, WorkloadModel>): IstioDocument[] {
  // The application speaks plaintext to its sidecar on appPort; the sidecar forwards to the
  // server's TLS port and originates mutual TLS there (Istio's "egress TLS origination" pattern).
  const serviceEntry: ServiceEntrySpec = {
    hosts: [svc.host],
    location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
    resolution: ServiceEntrySpecResolution.DNS,
    exportTo: ['.'],
    ports: [{
      number: svc.appPort,
      name: `http-${svc.appPort}`,
      protocol: 'HTTP',
      ...(svc.appPort !== svc.port ? { targetPort: svc.port } : {}),
    }],
  };
  const docs: IstioDocument[] = [document(NETWORKING_API, 'ServiceEntry', ns, svc.name, toJson_ServiceEntrySpec(serviceEntry)!, [svc.origin])];

  const tls = {
    mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.MUTUAL,
    ...(svc.credentialName !== undefined
      ? { credentialName: svc.credentialName }
      : { clientCertificate: svc.clientCertificate, privateKey: svc.privateKey, ...(svc.caCertificates ? { caCertificates: svc.caCertificates } : {}) }),
    // Automatic SNI only works for HTTP; set both so that TCP and HTTP behave the same and the
    // server certificate is checked against the host.
    sni: svc.sni ?? svc.host,
    subjectAltNames: sortedUnique(svc.subjectAltNames ?? [svc.host]),
  };
  for (const client of svc.clients) {
    const workload = workloadsByName.get(client.workload)!;
    const spec: DestinationRuleSpec = {
      host: svc.host,
      exportTo: ['.'],
      // A credentialName in a sidecar DestinationRule is only honoured with a workloadSelector;
      // binding to the declared clients also keeps the key pair away from other workloads.
      workloadSelector: { matchLabels: { ...workload.labels } },
      trafficPolicy: { portLevelSettings: [{ port: { number: svc.appPort }, tls }] },
    };
    docs.push(document(NETWORKING_API, 'DestinationRule', ns, `${svc.name}-${client.workload}`, toJson_DestinationRuleSpec(spec)!, [svc.origin]));
  }
  return docs;
}

export function compileClientTls(mesh: MeshModel, ns: NamespaceModel, tls: ClientTlsModel): IstioDocument {
  const spec: DestinationRuleSpec = {
    host: `${tls.service}.${tls.namespace}.svc.${mesh.clusterDomain}`,
    trafficPolicy: {
      tls: { mode: tls.mode === 'DISABLE' ? DestinationRuleSpecTrafficPolicyTlsMode.DISABLE : DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
    },
  };
  return document(NETWORKING_API, 'DestinationRule', ns, `${tls.workload}-client-tls`, toJson_DestinationRuleSpec(spec)!, [tls.origin]);
}

function modeOf(mode: Mode): PeerAuthenticationSpecMtlsMode {
  switch (mode) {
    case 'STRICT': return PeerAuthenticationSpecMtlsMode.STRICT;
    case 'PERMISSIVE': return PeerAuthenticationSpecMtlsMode.PERMISSIVE;
    case 'DISABLE': return PeerAuthenticationSpecMtlsMode.DISABLE;
  }
}

export function peerAuthentication(namespace: string, name: string, spec: PeerAuthenticationSpec, origins: string[], labels: Readonly<Record<string, string>>): IstioDocument {
  return document(SECURITY_API, 'PeerAuthentication', { name: namespace, labels }, name, peerAuthenticationSpecJson(spec), origins);
}

export function authorizationPolicy(ns: NamespaceModel, name: string, spec: AuthorizationPolicySpec, origins: string[], annotations: Record<string, string> = {}): IstioDocument {
  const doc = document(SECURITY_API, 'AuthorizationPolicy', ns, name, authorizationPolicySpecJson(spec), origins);
  Object.assign(doc.metadata.annotations!, annotations);
  if (ns.dryRun) doc.metadata.annotations![DRY_RUN_ANNOTATION] = 'true';
  return doc;
}

/**
 * toJson_AuthorizationPolicySpec(spec), in one pass. The generated toJson_ functions visit every
 * field of the schema and rebuild each object one key at a time, copying it at every key (`reduce`
 * with a spread); AuthorizationPolicies are most of the output (one rule per edge). The result is
 * the same: the schema's key order, undefined fields left out. The rules are not converted: this
 * compiler builds them in their output form (schema key order, a fresh array for every list).
 */
function authorizationPolicySpecJson(spec: AuthorizationPolicySpec): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (spec.action !== undefined) json.action = spec.action;
  if (spec.provider !== undefined) json.provider = toJson_AuthorizationPolicySpecProvider(spec.provider);
  if (spec.rules !== undefined) json.rules = spec.rules; // built in their output form
  if (spec.selector !== undefined) json.selector = selectorJson(spec.selector);
  if (spec.targetRef !== undefined) json.targetRef = toJson_AuthorizationPolicySpecTargetRef(spec.targetRef);
  if (spec.targetRefs !== undefined) json.targetRefs = spec.targetRefs.map((y) => toJson_AuthorizationPolicySpecTargetRefs(y));
  return json;
}

/**
 * toJson_PeerAuthenticationSpec(spec), without the generated functions' copy of the object at every
 * key: the same keys, in the schema's order (mtls, portLevelMtls, selector), undefined left out.
 * Tested against the generated function (test/property/spec-json.test.ts).
 */
export function peerAuthenticationSpecJson(spec: PeerAuthenticationSpec): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (spec.mtls !== undefined) json.mtls = spec.mtls.mode !== undefined ? { mode: spec.mtls.mode } : {};
  if (spec.portLevelMtls !== undefined) {
    const ports: Record<string, unknown> = {};
    for (const port of Object.keys(spec.portLevelMtls)) {
      const level = spec.portLevelMtls[port];
      if (level !== undefined) ports[port] = level.mode !== undefined ? { mode: level.mode } : {};
    }
    json.portLevelMtls = ports;
  }
  if (spec.selector !== undefined) json.selector = selectorJson(spec.selector);
  return json;
}

/** toJson_*Selector(selector): `{ matchLabels }` without its undefined values, or `{}`. */
export function selectorJson(selector: { readonly matchLabels?: Record<string, string | undefined> }): Record<string, unknown> {
  if (selector.matchLabels === undefined) return {};
  const matchLabels: Record<string, string> = {};
  for (const key of Object.keys(selector.matchLabels)) {
    const value = selector.matchLabels[key];
    if (value !== undefined) matchLabels[key] = value;
  }
  return { matchLabels };
}

export function document(
  apiVersion: string, kind: string, ns: { name: string; labels: Readonly<Record<string, string>> }, name: string,
  spec: Record<string, unknown>, origins: string[],
): IstioDocument {
  const annotations: Record<string, string> = {};
  annotations[DECLARED_BY_ANNOTATION] = JSON.stringify(origins);
  const metadata = Object.keys(ns.labels).length > 0
    ? { name, namespace: ns.name, labels: { ...ns.labels }, annotations }
    : { name, namespace: ns.name, annotations };
  return { apiVersion, kind, metadata, spec };
}
