// An analysis input: the loaded Istio configuration plus the workloads it applies to, with the
// per-namespace indexes every decision needs, built once (in time linear in the configuration
// and the inventory) and cached. No decision scans every object or workload of the mesh.
import { compare, IstioConfig, IstioObject, objectId } from './config';
import type { Inventory, WorkloadInfo } from './inventory';
import { resolveWorkloadMtls, selects, WorkloadMtls } from './peer-authentication';

export interface Analysis {
  readonly config: IstioConfig;
  readonly inventory: Inventory;
}

/** Indexes of one analysis; internal, rebuilt only when a new config or inventory object is passed. */
export interface Prepared {
  readonly analysis: Analysis;
  readonly peerAuthentications: readonly IstioObject[];
  readonly destinationRules: readonly IstioObject[];
  readonly serviceEntries: readonly IstioObject[];
  /** AuthorizationPolicies by namespace. */
  readonly policies: ReadonlyMap<string, readonly IstioObject[]>;
  /** Every trust domain a principal may name (the mesh's; aliases are not in the YAML). */
  readonly trustDomains: readonly string[];
  /** Namespaces named by the configuration or the inventory, sorted. */
  readonly namespaces: readonly string[];
  /** Namespaces that hold at least one analyzed object. */
  readonly configuredNamespaces: ReadonlySet<string>;
  /** Inventory workloads by namespace, in inventory order. */
  readonly workloadsByNamespace: ReadonlyMap<string, readonly WorkloadInfo[]>;
  /** The first PeerAuthentication named "namespace/name". */
  peerAuthentication(id: string): IstioObject | undefined;
  /** PeerAuthentications of one namespace, in configuration order. */
  peerAuthenticationsIn(namespace: string): readonly IstioObject[];
  /** DestinationRules of one namespace, in configuration order. */
  destinationRulesIn(namespace: string): readonly IstioObject[];
  /**
   * The AuthorizationPolicies of the root namespace and of the workload's namespace whose selector
   * picks it, in configuration order (root namespace first). Cached per workload object.
   */
  policiesSelecting(destination: WorkloadInfo): readonly IstioObject[];
  mtlsOf(namespace: string, workload?: WorkloadInfo): WorkloadMtls;
}

const cache = new WeakMap<IstioConfig, WeakMap<Inventory, Prepared>>();

export function prepare(analysis: Analysis): Prepared {
  let byInventory = cache.get(analysis.config);
  if (!byInventory) cache.set(analysis.config, (byInventory = new WeakMap()));
  let prepared = byInventory.get(analysis.inventory);
  if (!prepared) byInventory.set(analysis.inventory, (prepared = build(analysis)));
  return prepared;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * AuthorizationPolicies of one namespace, bucketed by the first label of their selector: a policy
 * can only select a pod that carries that label, so a lookup reads the buckets of the pod's own
 * labels instead of every policy of the namespace.
 */
interface PolicyBuckets {
  /** Policies without a selector (or with an empty one): candidates for every pod. */
  readonly always: number[];
  readonly byLabel: Map<string, number[]>;
}

function build(analysis: Analysis): Prepared {
  const { config, inventory } = analysis;
  const peerAuthentications: IstioObject[] = [];
  const destinationRules: IstioObject[] = [];
  const serviceEntries: IstioObject[] = [];
  const policies = new Map<string, IstioObject[]>();
  const paByNamespace = new Map<string, IstioObject[]>();
  const drByNamespace = new Map<string, IstioObject[]>();
  const configuredNamespaces = new Set<string>();
  for (const o of config.objects) {
    configuredNamespaces.add(o.namespace);
    switch (o.kind) {
      case 'PeerAuthentication': peerAuthentications.push(o); push(paByNamespace, o.namespace, o); break;
      case 'AuthorizationPolicy': push(policies, o.namespace, o); break;
      case 'DestinationRule': destinationRules.push(o); push(drByNamespace, o.namespace, o); break;
      case 'ServiceEntry': serviceEntries.push(o); break;
    }
  }
  const workloadsByNamespace = new Map<string, WorkloadInfo[]>();
  for (const w of inventory.workloads) push(workloadsByNamespace, w.namespace, w);
  const namespaces = [...new Set([...configuredNamespaces, ...workloadsByNamespace.keys()])].sort(compare);

  // Policy buckets per namespace, by position in the namespace's list (configuration order).
  const buckets = new Map<string, PolicyBuckets>();
  for (const [ns, list] of policies) {
    const b: PolicyBuckets = { always: [], byLabel: new Map() };
    list.forEach((ap, index) => {
      const matchLabels = ap.spec.selector?.matchLabels;
      // selects(): no matchLabels selects every pod; otherwise every entry must match.
      const first = matchLabels ? Object.entries(matchLabels)[0] : undefined;
      if (!first) b.always.push(index);
      else push(b.byLabel, labelKey(first[0], String(first[1])), index);
    });
    buckets.set(ns, b);
  }
  const inNamespace = (ns: string, destination: WorkloadInfo): IstioObject[] => {
    const list = policies.get(ns);
    const b = buckets.get(ns);
    if (!list || !b) return [];
    let indexes = b.always;
    for (const [k, v] of Object.entries(destination.labels)) {
      const more = b.byLabel.get(labelKey(k, v));
      if (more) indexes = indexes.concat(more);
    }
    if (indexes !== b.always) indexes = [...new Set(indexes)].sort((x, y) => x - y);
    return indexes.map((i) => list[i]).filter((ap) => selects(ap.spec.selector?.matchLabels, destination.labels));
  };
  const root = inventory.rootNamespace;
  const selecting = new WeakMap<WorkloadInfo, readonly IstioObject[]>();

  const rootPAs = paByNamespace.get(root) ?? [];
  const mtlsCache = new Map<string, WorkloadMtls>();
  // The same answers, without building the key, for a workload object asked about again.
  const mtlsByWorkload = new WeakMap<WorkloadInfo, WorkloadMtls>();
  let paById: Map<string, IstioObject> | undefined;
  return {
    analysis,
    peerAuthentications,
    destinationRules,
    serviceEntries,
    policies,
    trustDomains: [inventory.trustDomain],
    namespaces,
    configuredNamespaces,
    workloadsByNamespace,
    peerAuthentication: (id) => {
      if (!paById) {
        paById = new Map();
        for (const pa of peerAuthentications) if (!paById.has(objectId(pa))) paById.set(objectId(pa), pa);
      }
      return paById.get(id);
    },
    peerAuthenticationsIn: (namespace) => paByNamespace.get(namespace) ?? [],
    destinationRulesIn: (namespace) => drByNamespace.get(namespace) ?? [],
    policiesSelecting: (destination) => {
      let found = selecting.get(destination);
      if (!found) {
        found = [...inNamespace(root, destination), ...(destination.namespace !== root ? inNamespace(destination.namespace, destination) : [])];
        selecting.set(destination, found);
      }
      return found;
    },
    mtlsOf: (namespace, workload) => {
      const memo = workload && workload.namespace === namespace ? mtlsByWorkload.get(workload) : undefined;
      if (memo) return memo;
      const key = workload ? `${namespace}/${workload.name}` : `${namespace}/*`;
      let resolved = mtlsCache.get(key);
      if (!resolved) {
        // Only the root namespace's and the namespace's own PeerAuthentications can apply.
        const candidates = namespace === root ? rootPAs : [...rootPAs, ...(paByNamespace.get(namespace) ?? [])];
        mtlsCache.set(key, (resolved = resolveWorkloadMtls(candidates, root, namespace, workload)));
      }
      if (workload && workload.namespace === namespace) mtlsByWorkload.set(workload, resolved);
      return resolved;
    },
  };
}

/**
 * The prepared analysis as if the PeerAuthentications of `namespace` (not the root namespace) were
 * `peerAuthentications`: only mTLS modes change, every other index is shared. For what-if
 * questions ("what if this namespace went STRICT?") without preparing a whole new configuration.
 */
export function withPeerAuthenticationsIn(p: Prepared, namespace: string, peerAuthentications: readonly IstioObject[]): Prepared {
  const root = p.analysis.inventory.rootNamespace;
  if (namespace === root) throw new Error('withPeerAuthenticationsIn: not for the root namespace');
  const all = [...p.peerAuthentications.filter((o) => o.namespace !== namespace), ...peerAuthentications];
  const candidates = [...p.peerAuthenticationsIn(root), ...peerAuthentications];
  const mtlsCache = new Map<string, WorkloadMtls>();
  return {
    ...p,
    peerAuthentications: all,
    peerAuthentication: (id) => all.find((o) => objectId(o) === id),
    peerAuthenticationsIn: (ns) => (ns === namespace ? peerAuthentications : p.peerAuthenticationsIn(ns)),
    mtlsOf: (ns, workload) => {
      if (ns !== namespace) return p.mtlsOf(ns, workload);
      const key = workload ? workload.name : '*';
      let resolved = mtlsCache.get(key);
      if (!resolved) mtlsCache.set(key, (resolved = resolveWorkloadMtls(candidates, root, ns, workload)));
      return resolved;
    },
  };
}

function labelKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}
