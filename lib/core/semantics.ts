// Small facts about Istio that both the compiler and its validator need.
import type { DataplaneName, EdgeModel, MeshModel, Mode, NamespaceModel, SourceModel, WorkloadModel } from './model';

/**
 * The mode a workload port runs in. PeerAuthentication precedence: port-level, then workload, then
 * namespace, then the mesh-wide policy in the root namespace. Declared plaintext ports are
 * PERMISSIVE.
 */
export function effectiveMode(mesh: MeshModel, ns: NamespaceModel, workload?: WorkloadModel, port?: number): Mode {
  if (workload && port !== undefined && isPlaintextPort(workload, port)) return 'PERMISSIVE';
  return workload?.mode ?? ns.mode ?? mesh.mode;
}

/** True when the port is declared as plaintext, limited or not (a PERMISSIVE port-level mode). */
export function isPlaintextPort(workload: WorkloadModel, port: number): boolean {
  return workload.plaintextPorts.includes(port) || (workload.plaintextExceptions?.some((e) => e.port === port) ?? false);
}

/** Every plaintext port of a workload, limited or not, sorted and unique. */
export function plaintextPortsOf(workload: WorkloadModel): number[] {
  const exceptions = workload.plaintextExceptions ?? [];
  if (exceptions.length === 0) return sortedUnique(workload.plaintextPorts);
  return sortedUnique([...workload.plaintextPorts, ...exceptions.map((e) => e.port)]);
}

/** True when the mode lets a client connect without a mesh identity. */
export function acceptsPlaintext(mode: Mode): boolean {
  return mode !== 'STRICT';
}

/** Istio principals: `<trust domain>/ns/<namespace>/sa/<service account>`. */
export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** A stable, human-readable name for a source, used in messages and sort keys. */
export function describeSource(source: SourceModel): string {
  switch (source.kind) {
    case 'workload': return `${source.namespace}/${source.name}`;
    case 'serviceAccount': return `service account ${source.namespace}/${source.serviceAccount}`;
    case 'namespace': return `namespace ${source.namespace}`;
    case 'anyAuthenticated': return 'any authenticated workload';
  }
}

/** Methods and paths are HTTP attributes; on a TCP port Istio drops an ALLOW rule that uses them. */
export function isHttpProtocol(protocol: string): boolean {
  return protocol !== 'TCP';
}

export function sortedUnique<T extends string | number>(values: readonly T[]): T[] {
  if (values.length < 2) return values.slice(); // most lists have one value: no Set, no sort
  const byValue = (a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);
  // NaN compares with nothing: such a list takes the Set and Array.prototype.sort, the definition.
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return [...new Set(values)].sort(byValue);
  // Sorted stably in a copy (-0 as 0, as a Set stores it), then the first of each run of equal
  // values kept, as a Set keeps the first: no Set for the handful of values of an edge's limits.
  const out = sortStably(values.map((v) => (v === 0 ? 0 : v) as T), byValue);
  let kept = 1;
  for (let i = 1; i < out.length; i++) if (out[i] !== out[kept - 1]) out[kept++] = out[i];
  out.length = kept;
  return out;
}

/**
 * Sorts the array in place, stably, and returns it. Most lists sorted here have a handful of items
 * (a policy's rules, an edge's limits): an insertion sort allocates nothing, where
 * Array.prototype.sort takes a work array of its own per call (a policy per workload, tens of
 * thousands of calls).
 */
export function sortStably<T>(out: T[], compare: (a: T, b: T) => number): T[] {
  if (out.length > 16) return out.sort(compare);
  for (let i = 1; i < out.length; i++) {
    const item = out[i];
    let j = i - 1;
    for (; j >= 0 && compare(out[j], item) > 0; j--) out[j + 1] = out[j];
    out[j + 1] = item;
  }
  return out;
}

/** Code-point order, independent of locale, so that output is identical on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The data plane that enforces a namespace's policies: its own, else the mesh's, else sidecars. */
export function dataplaneOf(mesh: MeshModel, ns: NamespaceModel): DataplaneName {
  return ns.dataplane ?? mesh.dataplane ?? 'SIDECAR';
}

/** The waypoint of an ambient namespace, or false when it declares none. */
export function waypointOf(ns: NamespaceModel): string | false {
  return ns.waypoint ?? 'waypoint';
}

/** Methods and paths are layer 7: in ambient mode only a waypoint enforces them. */
export function hasL7Limits(edge: EdgeModel): boolean {
  return edge.methods !== undefined || edge.paths !== undefined;
}
