// The request to decide, and how its caller and destination are named.
import { compare } from './config';
import { findWorkload, Inventory, splitRef, WorkloadInfo } from './inventory';

/**
 * Who sends the request:
 * - `"namespace/name"`: a workload of the inventory (with its sidecar, identity and DestinationRules);
 * - `"namespace/*"`: some workload of that namespace whose service account no policy names;
 * - `"*\/*"`: some mesh workload whose namespace and service account no policy names;
 * - `"plaintext"`: a client without a sidecar and without a mesh identity (a Prometheus outside
 *   the mesh, a legacy VM);
 * - `"principal:<td>/ns/<ns>/sa/<sa>"`: an mTLS peer with that identity, not in the inventory.
 */
export type ClientRef = string;

/** One request, as explained by `zero-trust explain` and decided by `decide()`. */
export interface AnalyzerRequest {
  readonly from: ClientRef;
  /** The destination workload, `"namespace/name"`, or `"namespace/*"` for a pod no workload policy selects. */
  readonly to: string;
  /**
   * Destination (container) port. Omitted: every port class is evaluated, and the verdict is
   * UNDECIDED when it differs between ports.
   */
  readonly port?: number;
  /**
   * Application protocol on an undeclared (sniffed) port. A port the inventory declares uses its
   * declared protocol.
   * @default 'HTTP'
   */
  readonly protocol?: 'HTTP' | 'TCP';
  /** HTTP method, case-sensitive. Omitted: rules on methods are 'depends'. gRPC ports imply POST. */
  readonly method?: string;
  /** Path, query string ignored. Omitted: rules on paths are 'depends'. */
  readonly path?: string;
  /** :authority. Omitted: rules on hosts are 'depends'. */
  readonly host?: string;
  /** Request headers. Omitted: `when request.headers[...]` conditions are 'depends'. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Direct peer IP (ipBlocks, source.ip). Omitted: conditions on it are 'depends'. */
  readonly sourceIp?: string;
  /** Original client IP (remoteIpBlocks, remote.ip). Omitted: conditions on it are 'depends'. */
  readonly remoteIp?: string;
  /** JWT principal `iss/sub`, or '' for a request without a token. Omitted: 'depends'. */
  readonly requestPrincipal?: string;
  /**
   * Ambient destinations: the request is sent straight to the pod IP instead of the Service, so it
   * skips the waypoint and meets the destination's ztunnel with the client's own identity.
   * @default false
   */
  readonly bypassWaypoint?: boolean;
}

/** Raised for a caller or destination that is not in the inventory. */
export class UnknownWorkloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownWorkloadError';
  }
}

/** A service account name no Kubernetes object can have: stands for "any other workload". */
export const UNNAMED_SERVICE_ACCOUNT = '~unnamed~';

export type ResolvedClient =
  | { readonly kind: 'workload'; readonly label: string; readonly workload: WorkloadInfo; readonly spiffeId?: string }
  | { readonly kind: 'identity'; readonly label: string; readonly spiffeId: string; readonly namespace?: string }
  | { readonly kind: 'plaintext'; readonly label: string };

export function resolveClient(inventory: Inventory, ref: ClientRef): ResolvedClient {
  if (ref === 'plaintext') return { kind: 'plaintext', label: 'plaintext' };
  if (ref.startsWith('principal:')) {
    const principal = ref.slice('principal:'.length).replace(/^spiffe:\/\//, '');
    const parts = principal.split('/');
    return { kind: 'identity', label: ref, spiffeId: `spiffe://${principal}`, ...(parts[1] === 'ns' ? { namespace: parts[2] } : {}) };
  }
  const [namespace, name] = splitRef(ref);
  if (!namespace || !name) throw new UnknownWorkloadError(`"${ref}" is not a workload: use namespace/name, namespace/*, plaintext or principal:<td>/ns/<ns>/sa/<sa>`);
  if (namespace === '*' && name === '*') {
    // Any mesh identity that no policy and no inventory entry names.
    return { kind: 'identity', label: ref, spiffeId: `spiffe://${inventory.trustDomain}/ns/${UNNAMED_SERVICE_ACCOUNT}/sa/${UNNAMED_SERVICE_ACCOUNT}` };
  }
  if (name === '*') {
    return { kind: 'identity', label: ref, namespace, spiffeId: `spiffe://${inventory.trustDomain}/ns/${namespace}/sa/${UNNAMED_SERVICE_ACCOUNT}` };
  }
  const workload = findWorkload(inventory, ref);
  if (!workload) throw unknown(inventory, ref);
  return {
    kind: 'workload', label: ref, workload,
    ...(workload.sidecar ? { spiffeId: `spiffe://${inventory.trustDomain}/ns/${workload.namespace}/sa/${workload.serviceAccount}` } : {}),
  };
}

/** The destination: an inventory workload, or for "ns/*" a pod of ns that no selector picks. */
export function resolveDestination(inventory: Inventory, ref: string): WorkloadInfo {
  const [namespace, name] = splitRef(ref);
  if (!namespace || !name) throw new UnknownWorkloadError(`"${ref}" is not a workload: use namespace/name or namespace/*`);
  if (name === '*') return { namespace, name: '*', labels: {}, serviceAccount: UNNAMED_SERVICE_ACCOUNT, sidecar: true, ports: [], services: [] };
  const workload = findWorkload(inventory, ref);
  if (!workload) throw unknown(inventory, ref);
  return workload;
}

function unknown(inventory: Inventory, ref: string): UnknownWorkloadError {
  const [namespace] = splitRef(ref);
  const same = inventory.workloads.filter((w) => w.namespace === namespace).map((w) => w.name).sort(compare);
  const known = same.length > 0
    ? `workloads in ${namespace}: ${same.join(', ')}`
    : `known namespaces: ${[...new Set(inventory.workloads.map((w) => w.namespace))].sort(compare).join(', ') || 'none'}`;
  return new UnknownWorkloadError(`unknown workload ${ref} (${known})`);
}
