// An analysis input: the loaded Istio configuration plus the workloads it applies to, with the
// per-namespace indexes every decision needs, built once and cached.
import { compare, IstioConfig, IstioObject } from './config';
import type { Inventory, WorkloadInfo } from './inventory';
import { resolveWorkloadMtls, WorkloadMtls } from './peer-authentication';

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

function build(analysis: Analysis): Prepared {
  const { config, inventory } = analysis;
  const ofKind = (kind: string) => config.objects.filter((o) => o.kind === kind);
  const peerAuthentications = ofKind('PeerAuthentication');
  const policies = new Map<string, IstioObject[]>();
  for (const ap of ofKind('AuthorizationPolicy')) {
    let list = policies.get(ap.namespace);
    if (!list) policies.set(ap.namespace, (list = []));
    list.push(ap);
  }
  const namespaces = [...new Set([...config.objects.map((o) => o.namespace), ...inventory.workloads.map((w) => w.namespace)])].sort(compare);
  const mtlsCache = new Map<string, WorkloadMtls>();
  return {
    analysis,
    peerAuthentications,
    destinationRules: ofKind('DestinationRule'),
    serviceEntries: ofKind('ServiceEntry'),
    policies,
    trustDomains: [inventory.trustDomain],
    namespaces,
    mtlsOf: (namespace, workload) => {
      const key = workload ? `${namespace}/${workload.name}` : `${namespace}/*`;
      let resolved = mtlsCache.get(key);
      if (!resolved) mtlsCache.set(key, (resolved = resolveWorkloadMtls(peerAuthentications, inventory.rootNamespace, namespace, workload)));
      return resolved;
    },
  };
}
