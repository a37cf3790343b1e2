// Which mTLS mode a workload port runs in (pilot/pkg/security/authn/policy_applier.go,
// ComposePeerAuthentication): workload > namespace > mesh (root namespace) > PERMISSIVE, UNSET
// inherits from the parent scope, port-level modes come only from the winning workload policy.
import { compare, IstioObject, objectId } from './config';
import type { WorkloadInfo } from './inventory';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export interface ResolvedMode {
  readonly mode: MtlsMode;
  /** The PeerAuthentication that set it ("namespace/name"), or undefined for Istio's default PERMISSIVE. */
  readonly source?: string;
  /** Set when the mode came from a portLevelMtls entry. */
  readonly port?: number;
  /**
   * Several PeerAuthentications compete in one scope and the YAML has no creationTimestamp to
   * tell which is oldest (Istio uses the oldest); their names, when that changes the mode.
   */
  readonly ambiguous?: readonly string[];
}

/** The PeerAuthentications of one workload's scopes, resolved once and reused for every port. */
export interface WorkloadMtls {
  readonly workloadPolicy?: IstioObject;
  /** Mode for a port that has no portLevelMtls entry. */
  readonly base: ResolvedMode;
  /** Ports named in the winning workload policy's portLevelMtls. */
  readonly ports: readonly number[];
  modeFor(port: number | undefined): ResolvedMode;
}

/**
 * Resolves the PeerAuthentications of a workload. `namespace` alone (no workload) gives the mode
 * of a pod that no workload-level policy selects.
 */
export function resolveWorkloadMtls(
  peerAuthentications: readonly IstioObject[], rootNamespace: string, namespace: string, workload?: WorkloadInfo,
): WorkloadMtls {
  const mesh: IstioObject[] = [];
  const ns: IstioObject[] = [];
  const wl: IstioObject[] = [];
  for (const pa of peerAuthentications) {
    const labels = pa.spec.selector?.matchLabels;
    const hasSelector = labels && typeof labels === 'object' && Object.keys(labels).length > 0;
    if (!hasSelector) {
      if (pa.namespace === rootNamespace) mesh.push(pa);
      else if (pa.namespace === namespace) ns.push(pa);
    } else if (pa.namespace === namespace && pa.namespace !== rootNamespace && workload && selects(labels, workload.labels)) {
      // A PeerAuthentication with a selector in the root namespace is ignored.
      wl.push(pa);
    }
  }

  let base: ResolvedMode = { mode: 'PERMISSIVE' };
  const ambiguity: string[] = [];
  const pick = (candidates: IstioObject[]) => {
    const winner = oldest(candidates);
    if (winner.ambiguous) ambiguity.push(...winner.ambiguous);
    return winner.policy;
  };
  const inherit = (pa: IstioObject | undefined) => {
    const mode = modeOf(pa?.spec.mtls?.mode);
    if (pa && mode) base = { mode, source: objectId(pa) };
  };
  inherit(pick(mesh));
  inherit(pick(ns));
  const workloadPolicy = pick(wl);
  inherit(workloadPolicy);

  const portModes = new Map<number, ResolvedMode>();
  const levels = workloadPolicy?.spec.portLevelMtls;
  if (levels && typeof levels === 'object') {
    for (const [key, value] of Object.entries(levels as Record<string, any>)) {
      const port = Number(key);
      const mode = modeOf(value?.mode);
      // An UNSET port entry inherits the workload's effective mode.
      portModes.set(port, mode ? { mode, source: objectId(workloadPolicy!), port } : base);
    }
  }
  const finalBase: ResolvedMode = ambiguity.length > 0 ? { ...base, ambiguous: [...new Set(ambiguity)].sort(compare) } : base;
  return {
    workloadPolicy,
    base: finalBase,
    ports: [...portModes.keys()].sort((a, b) => a - b),
    modeFor: (port) => {
      const specific = port === undefined ? undefined : portModes.get(port);
      if (!specific) return finalBase;
      return finalBase.ambiguous ? { ...specific, ambiguous: finalBase.ambiguous } : specific;
    },
  };
}

/** Selector matching is a label subset match; an empty selector selects every pod. */
export function selects(matchLabels: Readonly<Record<string, unknown>> | undefined, podLabels: Readonly<Record<string, string>>): boolean {
  if (!matchLabels) return true;
  return Object.entries(matchLabels).every(([k, v]) => podLabels[k] === String(v));
}

function modeOf(value: unknown): MtlsMode | undefined {
  return value === 'STRICT' || value === 'PERMISSIVE' || value === 'DISABLE' ? value : undefined;
}

/**
 * Istio keeps the oldest policy of a scope (creationTimestamp, then name). Hand-written YAML has
 * no timestamps, so when several compete and their modes differ the winner depends on the order
 * they were applied in: reported as ambiguous.
 */
function oldest(candidates: IstioObject[]): { policy?: IstioObject; ambiguous?: string[] } {
  if (candidates.length <= 1) return { policy: candidates[0] };
  const sorted = [...candidates].sort((a, b) => compare(a.creationTimestamp ?? '', b.creationTimestamp ?? '') || compare(a.name, b.name));
  const timed = candidates.every((c) => c.creationTimestamp !== undefined);
  const differ = new Set(candidates.map((c) => JSON.stringify([c.spec.mtls?.mode ?? null, c.spec.portLevelMtls ?? null]))).size > 1;
  return timed || !differ ? { policy: sorted[0] } : { policy: sorted[0], ambiguous: sorted.map(objectId) };
}
