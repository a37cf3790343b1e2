// The workloads the analyzer reasons about. Istio YAML names labels and identities, never pods, so
// the analyzer needs to know, for each workload, its namespace, pod labels and service account.
// Three sources, best first: the construct tree (a MeshModel), a small inventory file, or an
// inference from the policies' own selectors and principals (with the conventions it assumes
// listed in `notes`).
import { parse } from 'yaml';
import type { MeshModel, PortProtocol } from '../core/model';
import { dataplaneOf, hasL7Limits, waypointOf } from '../core/semantics';
import { DATAPLANE_ANNOTATION, REQUIRED_LABELS_ANNOTATION, USE_WAYPOINT_LABEL } from '../core/annotations';
import { compare, ConfigError, IstioConfig, IstioObject } from './config';
import { checkInventoryFile } from './inventory-schema';

export interface InventoryPort {
  readonly number: number;
  /** HTTP, HTTP2 and GRPC ports get Istio's HTTP authorization filter; anything else the TCP one. */
  readonly protocol: PortProtocol | string;
}

export interface WorkloadInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** false for a client without an Istio sidecar (a Prometheus outside the mesh): it speaks plaintext. */
  readonly sidecar: boolean;
  /** Declared ports; an undeclared port is protocol-sniffed. */
  readonly ports: readonly InventoryPort[];
  /** Names of the Kubernetes Services in front of it (DestinationRule hosts). */
  readonly services: readonly string[];
  /**
   * Who enforces its inbound policies: its sidecar, or (AMBIENT: its namespace carries
   * istio.io/dataplane-mode=ambient) the node's ztunnel and, when `waypoint` is set, a waypoint.
   * Absent: not known; the workload is taken to have a sidecar unless the configuration says its
   * namespace was compiled for ambient, and then ambient questions are UNDECIDED.
   */
  readonly dataplane?: 'SIDECAR' | 'AMBIENT';
  /**
   * Ambient only: the waypoint (a Gateway in the workload's namespace, whose pods run as a service
   * account of the same name) its Services use (istio.io/use-waypoint, and
   * istio.io/ingress-use-waypoint for ingress gateways).
   */
  readonly waypoint?: string;
  /**
   * Inferred inventories only: an identity seen only as a principal of a rule (`<td>/ns/<ns>/sa/<sa>`),
   * never selected by a policy. It is a caller, not a workload known to exist: Istio YAML names the
   * service account a client runs as, and a workload whose service account differs from its `app`
   * label (`svc` running as `svc-sa`) is seen once by its selector and once by this principal, and
   * the ingress gateway or another cluster's client a rule admits is no workload of this mesh.
   * Such entries answer "who is this caller" but are not counted as workloads (the diff's
   * mesh-default counts). Absent everywhere else.
   */
  readonly callerOnly?: boolean;
}

export interface Inventory {
  /** Trust domain of the mesh's identities. */
  readonly trustDomain: string;
  /** Istio's root namespace (meshConfig.rootNamespace). */
  readonly rootNamespace: string;
  /** Cluster DNS suffix for `<svc>.<ns>.svc.<clusterDomain>` hosts. */
  readonly clusterDomain: string;
  /** Sorted by namespace, then name. */
  readonly workloads: readonly WorkloadInfo[];
  /** How the inventory was obtained, and the conventions assumed when it was inferred. */
  readonly notes: readonly string[];
  /**
   * The data plane of whole namespaces (istio.io/dataplane-mode), for pods no workload names; a
   * workload's own `dataplane` wins.
   */
  readonly dataplanes?: Readonly<Record<string, 'SIDECAR' | 'AMBIENT'>>;
  /**
   * Inferred inventories: the data plane of a namespace, and the waypoint of its Services, are read
   * from each configuration's `zero-trust.dev/dataplane` and `required-labels` annotations instead
   * of the fields above, so that both sides of a diff say what they were compiled for.
   */
  readonly dataplaneFromConfiguration?: boolean;
}

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

/**
 * The workloads declared in the construct tree (`ZeroTrustMesh.toModel()`), all in the mesh, with
 * their namespace's data plane and, for ambient workloads behind a waypoint, its name: the labels
 * the compiler asks for (`zero-trust.dev/required-labels`) are taken as set.
 */
export function inventoryFromModel(mesh: MeshModel): Inventory {
  const behindWaypoint = new Set(mesh.edges.filter(hasL7Limits).map((e) => `${e.to.namespace}/${e.to.workload}`));
  const workloads = mesh.namespaces.flatMap((ns) => ns.workloads.map((w): WorkloadInfo => {
    const ambient = dataplaneOf(mesh, ns) === 'AMBIENT';
    const waypoint = ambient ? waypointOf(ns) : false;
    return {
      namespace: ns.name,
      name: w.name,
      labels: { ...w.labels },
      serviceAccount: w.serviceAccount,
      sidecar: true,
      ports: w.ports.map((p) => ({ number: p.number, protocol: p.protocol })),
      services: [w.name],
      dataplane: ambient ? 'AMBIENT' : 'SIDECAR',
      ...(waypoint !== false && behindWaypoint.has(`${ns.name}/${w.name}`) ? { waypoint } : {}),
    };
  }));
  const services = new Map(mesh.clientTls.map((t) => [`${t.namespace}/${t.workload}`, t.service]));
  return {
    trustDomain: mesh.trustDomain,
    rootNamespace: mesh.rootNamespace,
    clusterDomain: mesh.clusterDomain,
    workloads: sortWorkloads(workloads.map((w) => {
      const service = services.get(`${w.namespace}/${w.name}`);
      return service && service !== w.name ? { ...w, services: [w.name, service].sort(compare) } : w;
    })),
    notes: ['workloads from the construct tree'],
    dataplanes: Object.fromEntries(mesh.namespaces.map((ns) => [ns.name, dataplaneOf(mesh, ns)])),
  };
}

/**
 * An inventory file, YAML or JSON:
 *
 * ```yaml
 * trustDomain: cluster.local        # optional
 * rootNamespace: istio-system       # optional
 * workloads:
 *   - namespace: production
 *     name: frontend
 *     serviceAccount: frontend      # default: the name
 *     labels: { app: frontend }     # default: { app: <name> }
 *     ports: [{ number: 8080, protocol: HTTP }]   # optional
 *   - namespace: monitoring
 *     name: prometheus
 *     sidecar: false                # a client outside the mesh, speaks plaintext
 *   - namespace: payments
 *     name: ledger
 *     dataplane: ambient            # its namespace has istio.io/dataplane-mode=ambient
 *     waypoint: waypoint            # its Service has istio.io/use-waypoint=waypoint
 * dataplanes: { payments: ambient } # optional: whole namespaces, for pods no workload names
 * ```
 */
export function parseInventory(text: string, file = 'inventory'): Inventory {
  let raw: any;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: inventory does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.workloads)) {
    throw new ConfigError(`${file}: an inventory needs a "workloads" list (see the README)`);
  }
  // Checked against the published schema (schemas/inventory.schema.json) before any value is used.
  const checked = checkInventoryFile(raw, file);
  const workloads = checked.workloads.map((w, i: number): WorkloadInfo => {
    const ports = (w.ports ?? []).map((p) => (typeof p === 'number'
      ? { number: p, protocol: 'HTTP' }
      : { number: p.number, protocol: (p.protocol ?? 'HTTP').toUpperCase() }));
    return {
      namespace: w.namespace,
      name: w.name,
      labels: w.labels ? stringRecord(w.labels) : { app: w.name },
      serviceAccount: w.serviceAccount ?? w.name,
      sidecar: w.sidecar !== false,
      ports,
      services: w.services ? [...w.services].sort(compare) : [w.name],
      ...dataplaneFields(w, file, i),
    };
  });
  return {
    trustDomain: checked.trustDomain ?? DEFAULT_TRUST_DOMAIN,
    rootNamespace: checked.rootNamespace ?? DEFAULT_ROOT_NAMESPACE,
    clusterDomain: checked.clusterDomain ?? 'cluster.local',
    workloads: sortWorkloads(workloads),
    notes: [`workloads from ${file}`],
    ...(raw.dataplanes !== undefined ? { dataplanes: namespaceDataplanes(raw.dataplanes, file) } : {}),
  };
}

function namespaceDataplanes(raw: unknown, file: string): Record<string, 'SIDECAR' | 'AMBIENT'> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: dataplanes must map namespaces to "sidecar" or "ambient"`);
  return Object.fromEntries(Object.entries(raw).map(([ns, value]) => {
    const upper = String(value).toUpperCase();
    if (upper !== 'SIDECAR' && upper !== 'AMBIENT') throw new ConfigError(`${file}: dataplanes.${ns} must be "sidecar" or "ambient", not ${JSON.stringify(value)}`);
    return [ns, upper];
  }));
}

/**
 * The data plane the inventory's `dataplanes` map gives a namespace, if it names it. Only the map's
 * own entries count: a namespace may be called "constructor", which every object answers.
 */
export function namespaceDataplane(inventory: Inventory, namespace: string): 'SIDECAR' | 'AMBIENT' | undefined {
  const map = inventory.dataplanes;
  return map !== undefined && Object.prototype.hasOwnProperty.call(map, namespace) ? map[namespace] : undefined;
}

function dataplaneFields(w: any, file: string, i: number): Pick<WorkloadInfo, 'dataplane' | 'waypoint'> {
  const out: { dataplane?: 'SIDECAR' | 'AMBIENT'; waypoint?: string } = {};
  if (w.dataplane !== undefined) {
    const value = String(w.dataplane).toUpperCase();
    if (value !== 'SIDECAR' && value !== 'AMBIENT') throw new ConfigError(`${file}: workloads[${i}].dataplane must be "sidecar" or "ambient", not ${JSON.stringify(w.dataplane)}`);
    out.dataplane = value;
  }
  if (w.waypoint !== undefined) {
    if (typeof w.waypoint !== 'string' || w.waypoint === '') throw new ConfigError(`${file}: workloads[${i}].waypoint must be the name of a waypoint Gateway`);
    if (out.dataplane !== 'AMBIENT') throw new ConfigError(`${file}: workloads[${i}].waypoint is set, but only an ambient workload (dataplane: ambient) uses a waypoint`);
    out.waypoint = w.waypoint;
  }
  return out;
}

export interface InferOptions {
  readonly trustDomain?: string;
  readonly rootNamespace?: string;
}

/**
 * Workloads inferred from the configuration itself:
 * - every workload selector (PeerAuthentication, AuthorizationPolicy, DestinationRule
 *   workloadSelector) outside the root namespace is a workload with exactly those labels;
 * - every exact principal `<td>/ns/<ns>/sa/<sa>` is a workload running as `<sa>`.
 * They are joined by the Kubernetes convention that a workload selected by `app: X` runs as
 * service account X; a selector-only workload is assumed to run as its `app` name, a
 * principal-only one to carry `app: <sa>`. These assumptions are listed in `notes`.
 */
export function inferInventory(config: IstioConfig, options: InferOptions = {}): Inventory {
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const byKey = new Map<string, { namespace: string; name: string; labels: Record<string, string>; serviceAccount: string; fromSelector: boolean; fromPrincipal: boolean }>();
  let trustDomain = options.trustDomain;

  // Waypoints are proxies, not workloads: their identity appears in the ztunnel policies of ambient namespaces.
  const waypointIdentities = new Set([...ambientDeclarations(config)].flatMap(([ns, d]) => [...d.waypoints.values()].map((w) => `${ns}/${w}`)));
  for (const obj of config.objects) {
    const labels = selectorLabels(obj);
    if (labels && Object.keys(labels).length > 0 && obj.namespace !== rootNamespace) {
      const name = workloadNameFromLabels(labels);
      const key = `${obj.namespace}/${name}`;
      const existing = byKey.get(key);
      if (!existing) byKey.set(key, { namespace: obj.namespace, name, labels: { ...labels }, serviceAccount: name, fromSelector: true, fromPrincipal: false });
      else if (existing.fromSelector) Object.assign(existing.labels, labels);
      else Object.assign(existing, { labels: { ...labels }, fromSelector: true });
    }
    for (const principal of principalsOf(obj)) {
      const parts = principal.split('/');
      if (parts.length !== 5 || parts[1] !== 'ns' || parts[3] !== 'sa' || parts.some((p) => p.includes('*') || p === '')) continue;
      trustDomain ??= parts[0];
      const [, , namespace, , sa] = parts;
      const key = `${namespace}/${sa}`;
      if (waypointIdentities.has(key)) continue;
      const existing = byKey.get(key);
      if (!existing) byKey.set(key, { namespace, name: sa, labels: { app: sa }, serviceAccount: sa, fromSelector: false, fromPrincipal: true });
      else existing.fromPrincipal = true;
    }
  }

  const ambient = ambientDeclarations(config);
  const workloads = [...byKey.values()].map((w): WorkloadInfo => {
    const declared = ambient.get(w.namespace);
    const waypoint = declared?.waypoints.get(w.name);
    return {
      namespace: w.namespace, name: w.name, labels: w.labels, serviceAccount: w.serviceAccount, sidecar: true, ports: [], services: [w.name],
      ...(w.fromSelector ? {} : { callerOnly: true }),
      ...(declared ? { dataplane: 'AMBIENT' as const, ...(waypoint ? { waypoint } : {}) } : {}),
    };
  });
  const notes = [
    'workloads inferred from the policies\' selectors and principals (pass --inventory or --app to declare them)',
    ...[...ambient.entries()].map(([ns, d]) => `assumed namespace ${ns} and its Services carry the labels ${d.source} asks for (${REQUIRED_LABELS_ANNOTATION})`),
    ...[...byKey.values()].filter((w) => w.fromSelector && !w.fromPrincipal)
      .map((w) => `assumed ${w.namespace}/${w.name} runs as service account "${w.serviceAccount}"`),
    ...[...byKey.values()].filter((w) => w.fromPrincipal && !w.fromSelector)
      .map((w) => `assumed ${w.namespace}/${w.name} (seen only as a principal) has pod labels app=${w.name}`),
  ];
  return {
    trustDomain: trustDomain ?? DEFAULT_TRUST_DOMAIN,
    rootNamespace,
    clusterDomain: 'cluster.local',
    workloads: sortWorkloads(workloads),
    notes: [notes[0], ...notes.slice(1).sort(compare)],
    ...(ambient.size > 0 ? { dataplanes: Object.fromEntries([...ambient.keys()].map((ns) => [ns, 'AMBIENT' as const])) } : {}),
    dataplaneFromConfiguration: true,
  };
}

/**
 * Namespaces our compiler compiled for ambient (`zero-trust.dev/dataplane: AMBIENT` on a
 * PeerAuthentication), with the waypoint each Service must use by its `required-labels`.
 */
export function ambientDeclarations(config: IstioConfig): Map<string, { source: string; waypoints: Map<string, string> }> {
  const out = new Map<string, { source: string; waypoints: Map<string, string> }>();
  for (const obj of config.objects) {
    if (obj.kind !== 'PeerAuthentication' || obj.annotations[DATAPLANE_ANNOTATION] !== 'AMBIENT') continue;
    const waypoints = new Map<string, string>();
    try {
      const required = JSON.parse(obj.annotations[REQUIRED_LABELS_ANNOTATION] ?? '{}') as Record<string, Record<string, string>>;
      for (const [key, labels] of Object.entries(required)) {
        const [kind, ns, name] = key.split('/');
        if (kind === 'Service' && ns === obj.namespace && typeof labels?.[USE_WAYPOINT_LABEL] === 'string') waypoints.set(name, labels[USE_WAYPOINT_LABEL]);
      }
    } catch {
      // A mangled annotation declares no waypoint: requests are then decided at ztunnel alone.
    }
    if (!out.has(obj.namespace)) out.set(obj.namespace, { source: `PeerAuthentication ${obj.namespace}/${obj.name}`, waypoints });
  }
  return out;
}

/** The matchLabels of an object's workload selector, or undefined when it has none. */
export function selectorLabels(obj: IstioObject): Record<string, string> | undefined {
  const selector = obj.kind === 'DestinationRule' ? obj.spec.workloadSelector : obj.spec.selector;
  const labels = selector?.matchLabels;
  return labels && typeof labels === 'object' ? stringRecord(labels) : undefined;
}

/** A readable workload name for a selector: its `app` label, else the labels themselves. */
export function workloadNameFromLabels(labels: Readonly<Record<string, string>>): string {
  for (const key of ['app', 'app.kubernetes.io/name', 'k8s-app', 'name']) if (labels[key]) return labels[key];
  return Object.keys(labels).sort(compare).map((k) => `${k}=${labels[k]}`).join(',');
}

// namespace -> name -> workload, per workloads list (the first one wins, as a linear search would).
const byRef = new WeakMap<readonly WorkloadInfo[], Map<string, Map<string, WorkloadInfo>>>();

/** Looks a workload up by "namespace/name". */
export function findWorkload(inventory: Inventory, ref: string): WorkloadInfo | undefined {
  const [namespace, name] = splitRef(ref);
  return findWorkloadIn(inventory, namespace, name);
}

/** The first workload of the inventory with this namespace and name. */
export function findWorkloadIn(inventory: Inventory, namespace: string, name: string): WorkloadInfo | undefined {
  let index = byRef.get(inventory.workloads);
  if (!index) {
    index = new Map();
    for (const w of inventory.workloads) {
      let names = index.get(w.namespace);
      if (!names) index.set(w.namespace, (names = new Map()));
      if (!names.has(w.name)) names.set(w.name, w);
    }
    byRef.set(inventory.workloads, index);
  }
  return index.get(namespace)?.get(name);
}

export function splitRef(ref: string): [string, string] {
  const slash = ref.indexOf('/');
  return slash < 0 ? ['', ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
}

export function workloadRef(w: { namespace: string; name: string }): string {
  return `${w.namespace}/${w.name}`;
}

/**
 * Merges two inventories (for a diff, both sides must talk about the same workloads). A workload of
 * `a` wins, unless `a` only saw it as a caller and `b` selects it: then `b` knows its labels.
 */
export function mergeInventories(a: Inventory, b: Inventory): Inventory {
  const byKey = new Map(a.workloads.map((w) => [workloadRef(w), w]));
  for (const w of b.workloads) {
    const existing = byKey.get(workloadRef(w));
    if (!existing || (existing.callerOnly && !w.callerOnly)) byKey.set(workloadRef(w), w);
  }
  const dataplanes = a.dataplanes || b.dataplanes ? { dataplanes: { ...b.dataplanes, ...a.dataplanes } } : {};
  const fromConfiguration = a.dataplaneFromConfiguration || b.dataplaneFromConfiguration ? { dataplaneFromConfiguration: true } : {};
  return { ...a, workloads: sortWorkloads([...byKey.values()]), notes: [...new Set([...a.notes, ...b.notes])], ...dataplanes, ...fromConfiguration };
}

function principalsOf(obj: IstioObject): string[] {
  if (obj.kind !== 'AuthorizationPolicy' || !Array.isArray(obj.spec.rules)) return [];
  const out: string[] = [];
  for (const rule of obj.spec.rules) {
    for (const from of Array.isArray(rule?.from) ? rule.from : []) {
      for (const field of ['principals', 'notPrincipals']) {
        const values = from?.source?.[field];
        if (Array.isArray(values)) out.push(...values.map(String));
      }
    }
  }
  return out;
}

function sortWorkloads(workloads: WorkloadInfo[]): WorkloadInfo[] {
  // The same order as sorting with compare(workloadRef(a), workloadRef(b)), keys computed once.
  const keyed = workloads.map((w, i) => ({ key: workloadRef(w), i }));
  keyed.sort((a, b) => compare(a.key, b.key) || a.i - b.i);
  return keyed.map((k) => workloads[k.i]);
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}
